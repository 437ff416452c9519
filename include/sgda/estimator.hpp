// The unified parametric interface of Beznosikov, Gorbunov, Berard, Loizou (AISTATS 2023),
// Assumption 2.1: an estimator g^k of F(x^k) with state σ_k and constants A, B, C, D1, D2 ≥ 0,
// ρ ∈ (0, 1] such that
//   E_k[g^k] = F(x^k)
//   E_k ||g^k − F(x*)||² ≤ 2A Φ(x^k) + B σ_k² + D1
//   E_k σ_{k+1}²         ≤ 2C Φ(x^k) + (1 − ρ) σ_k² + D2,      Φ(x) = <F(x) − F(x*), x − x*>.
// Every method of the family is x^{k+1} = prox_{γR}(x^k − γ g^k) with its own estimator.
#pragma once

#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sgda/problem.hpp"
#include "sgda/rng.hpp"
#include "sgda/state.hpp"
#include "sgda/types.hpp"

namespace sgda {

// The estimator's constants for a problem, with what they give through Theorem 2.2.
struct TheoryParameters {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  double A = kNaN, B = kNaN, C = kNaN, D1 = kNaN, D2 = kNaN, rho = kNaN;
  std::string sigma_definition;  // what σ_k² is for this estimator
  std::string note;              // where the constants come from, and any caveat
  // "" when Theorem 2.2's assumptions on the estimator hold; else why not (e.g. random
  // reshuffling: draws not independent across iterations). analyse_theory reports it.
  std::string not_covered;
  // Other valid constants worth showing beside the ones above (e.g. a paper's looser A), by
  // label; they never set the step size.
  std::vector<std::pair<std::string, double>> alternatives;

  bool known() const;  // every constant finite
  // γ ≤ min{1/μ, 1/(2(A + C·M))} with the usual Lyapunov weight M = 2B/ρ.
  double step_size(double mu) const;
  double lyapunov_m() const;  // M = 2B/ρ (0 when B = 0)
  // 1 − min{γμ, ρ − B/M}: the contraction of E V_k per iteration at step γ.
  double contraction(double gamma, double mu) const;
  // γ²(D1 + M D2) / min{γμ, ρ − B/M}: the limit of the bound on E V_k.
  double neighbourhood(double gamma, double mu) const;
};

class Estimator {
 public:
  virtual ~Estimator() = default;

  virtual std::string name() const = 0;
  // An independent copy with the same state (snapshots, shifts), bound to the same problem:
  // for checkpoints and for Monte Carlo checks of E_k[·] from one state.
  virtual std::unique_ptr<Estimator> clone() const = 0;
  // One line with the method and its settings, e.g. "l-svrgda(p=0.01)".
  virtual std::string describe() const = 0;

  // Binds to a problem and starts the state at x0 (snapshots, shifts). May evaluate F and counts
  // what it evaluates. Sizes every workspace, so estimate() does not allocate.
  virtual void reset(const Problem& problem, ConstVectorRef x0, Rng& rng, Counters& counters) = 0;

  // g ← g^k at x = x^k, and advances the state to σ_{k+1}. Counts its oracle calls.
  virtual void estimate(ConstVectorRef x, VectorRef g, Rng& rng, Counters& counters) = 0;

  // A, B, C, D1, D2, ρ for `problem` (needs its constants and, for D1, its solution).
  virtual TheoryParameters parameters(const Problem& problem) const = 0;

  // The state that reset() set up and estimate() advances, for checkpoints: after reset() on the
  // same problem, load_state(saved) continues exactly where save_state() was called.
  virtual void save_state(StateArchive& out) const { (void)out; }
  virtual void load_state(const StateArchive& in) { (void)in; }

  // σ_k² of the current state for solution x_star (0 for stateless estimators).
  virtual double sigma_squared(ConstVectorRef x_star) const {
    (void)x_star;
    return 0.0;
  }

  // The problem the estimator was built for (make_estimator binds it; samplings, worker
  // partitions and theory constants are that problem's), or null when built by hand. solve()
  // refuses a bound estimator on any other problem.
  const Problem* bound_problem() const { return bound_problem_; }
  void bind(const Problem& problem) { bound_problem_ = &problem; }

 private:
  const Problem* bound_problem_ = nullptr;
};

}  // namespace sgda
