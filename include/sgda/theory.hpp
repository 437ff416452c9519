// Theorem 2.2 of Beznosikov, Gorbunov, Berard, Loizou (AISTATS 2023) for one run, in one place:
// analyse_theory() turns a problem, an estimator, the run's options and x⁰ into every number the
// theorem gives (the theory step size, the step used, the contraction, the neighbourhood, V₀, the
// switching rule's h, k₀ and bound, iterations to an accuracy) and whether it applies. The
// solver's schedule, `sgda theory`, `sgda experiment` and `sgda report` all read it from here;
// runs files keep it as a typed group (docs/file-formats.md). The formulas: docs/theory.md.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "sgda/estimator.hpp"
#include "sgda/problem.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"
#include "sgda/types.hpp"

namespace sgda {

// Where the run's step size γ comes from (StepSizeOptions::rule and the step rule).
enum class StepSource {
  kConstant,     // the number StepSizeOptions::gamma (rule "constant")
  kTheory,       // factor × the theory step size (rule "theory"; "default" with the prox step)
  kSwitching,    // the switching rule of Theorem 2.2: γ₀ = factor/h, decreasing after k₀
  kRuleDefault,  // factor × the step rule's own default (rule "default", e.g. Adam's 1e-3)
  kMissing,      // none: rule "default" with a step rule that has no default step size
};
// "constant", "theory", "switching", "rule-default", "missing" (to_string, from_string).
template <>
const std::vector<EnumValue<StepSource>>& enum_values<StepSource>();

struct TheoryOptions {
  // The estimator has been reset at x⁰, so σ₀² is read from it (for V₀). False before the reset
  // (the solver's schedule is made then): σ₀², V₀ and what needs them stay NaN.
  bool estimator_at_x0 = true;
  // The relative squared distance ‖x − x*‖²/‖x⁰ − x*‖² of Theory::iterations_to_target.
  double target = 1e-10;
};

// Everything Theorem 2.2 says about one run. NaN wherever a number is unknown or the theorem
// gives none. M = 2B/ρ throughout (docs/theory.md).
struct Theory {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

  // The estimator's constants (Estimator::parameters) and the problem's μ.
  double A = kNaN;               // Assumption 2.1: E‖g − F*‖² ≤ 2AΦ + Bσ² + D1
  double B = kNaN;               // weight of σ_k² in the first inequality
  double C = kNaN;               // E σ_{k+1}² ≤ 2CΦ + (1 − ρ)σ_k² + D2
  double D1 = kNaN;              // the first inequality's constant term
  double D2 = kNaN;              // the second inequality's constant term
  double rho = kNaN;             // ρ ∈ (0, 1], the contraction of σ_k²
  std::string sigma_definition;  // what σ_k² is for this estimator
  std::string note;              // where the constants come from, and any caveat
  // Other valid constants shown beside them (e.g. a paper's looser A); never used, not kept in
  // runs files.
  std::vector<std::pair<std::string, double>> alternatives;
  double mu = kNaN;          // μ of the problem (quasi-strong monotonicity)
  double lyapunov_m = kNaN;  // M = 2B/ρ (0 when B = 0)

  // The step size.
  double theory_step_size = kNaN;                // min{1/μ, 1/(2(A + CM))}
  StepSource step_source = StepSource::kTheory;  // how γ is chosen
  double factor = 1.0;          // StepSizeOptions::factor (theory and rule defaults)
  double gamma = kNaN;          // the step the run uses (its first for switching; the base
                                // step γ that a decay or warmup multiplies)
  std::int64_t iterations = 0;  // K, the iteration limit (the switching rule's)
  double switching_h = kNaN;    // switching: max{2(A + CM), 2μ/ρ}/factor = 1/γ₀
  double switching_k0 = kNaN;   // switching: k₀ = ⌈K/2⌉, the last iteration at γ₀

  // The rate at γ.
  double contraction = kNaN;             // 1 − min{γμ, ρ − B/M} per iteration
  double neighbourhood = kNaN;           // γ²(D1 + M D2)/min{γμ, ρ − B/M}
  double relative_neighbourhood = kNaN;  // neighbourhood / ‖x⁰ − x*‖²

  // The start and the bound.
  double initial_distance = kNaN;  // ‖x⁰ − x*‖²
  double initial_sigma_sq = kNaN;  // σ₀², of the estimator reset at x⁰
  double initial_lyapunov = kNaN;  // V₀ = ‖x⁰ − x*‖² + Mγ²σ₀²
  // Switching, where the theorem applies: the bound on E V_K at the last iteration K,
  // (32hV₀/μ)e^{−μK/h} + 36(D1 + 2BD2/ρ)/(μ²K) with h = 1/γ₀.
  double switching_bound = kNaN;
  double target = kNaN;  // TheoryOptions::target
  // The first k with q^k V₀/‖x⁰ − x*‖² ≤ target at a constant step γ (q the contraction), when
  // the bound goes to 0 (D1 = D2 = 0); 0 when x⁰ = x*; NaN otherwise and for switching.
  double iterations_to_target = kNaN;

  // Distributed methods (DistributedEstimator::constants); NaN and 0 for the others.
  double omega = kNaN;            // ω of the compressor
  std::int64_t workers = 0;       // W
  double ell_hat_workers = kNaN;  // ℓ̂_W, the worker-level averaged star-cocoercivity

  // Whether the theorem covers the run: the prox step, simultaneous moves, known constants,
  // μ > 0, known x*, γ ≤ the theory step.
  bool applies = false;
  std::string why_not;  // "" when it applies, else the first reason

  bool known() const;  // A, B, C, D1, D2 finite and ρ > 0 finite
  bool distributed() const { return workers > 0; }
  // "yes", or "no: " + why_not (as the report prints it).
  std::string applies_text() const;
};

// The theory of a run of `estimator` on `problem` from x0 with `step` and `options` (its step
// size rule, iteration limit and scheme). `estimator` must have been reset at x0 unless
// theory.estimator_at_x0 is false. Never throws for unknown constants: the fields are NaN.
Theory analyse_theory(const Problem& problem, const Estimator& estimator, const StepRule& step,
                      const SolverOptions& options, ConstVectorRef x0,
                      const TheoryOptions& theory = {});

}  // namespace sgda
