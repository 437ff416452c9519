// L-SVRGDA, loopless SVRG for VIPs (Beznosikov et al. 2023, Alg. 2):
//   g^k = F_j(x^k) − F_j(w^k) + F(w^k), j uniform;  w^{k+1} = x^k with probability p, else w^k.
// σ_k² = (1/n) Σ_i ||F_i(w^k) − F_i(x*)||²; A = ℓ̂, B = 2, C = pℓ̂/2, ρ = p, D1 = D2 = 0
// (derivation: docs/theory.md §L-SVRGDA).
#pragma once

#include "sgda/estimator.hpp"
#include "sgda/estimators/sampling.hpp"

namespace sgda {

class LSvrgdaEstimator final : public Estimator {
 public:
  std::unique_ptr<Estimator> clone() const override {
    return std::make_unique<LSvrgdaEstimator>(*this);
  }
  // probability ∈ (0, 1]; 0 means the default 1/n.
  explicit LSvrgdaEstimator(double probability = 0.0);

  std::string name() const override { return "l-svrgda"; }
  std::string describe() const override;
  void reset(const Problem& problem, ConstVectorRef x0, Rng& rng, Counters& counters) override;
  void estimate(ConstVectorRef x, VectorRef g, Rng& rng, Counters& counters) override {
    estimate_with(*problem_, x, g, rng, counters);
  }
  TheoryParameters parameters(const Problem& problem) const override;

  // estimate() on the problem it was reset with, seen as its concrete type P (see
  // SgdaEstimator::estimate_with).
  template <class P, class X, class G>
  void estimate_with(const P& problem, const X& x, G& g, Rng& rng, Counters& counters) {
    const Index j = uniform_index(rng, problem.num_samples());
    sample_difference_of(problem, j, x, snapshot_, g, workspace_);  // F_j(x) − F_j(w)
    g += snapshot_full_;
    counters.sample_evaluations += 2;
    if (rng.bernoulli(p_)) {  // w^{k+1} = x^k
      snapshot_ = x;
      full_of(problem, snapshot_, snapshot_full_);
      counters.sample_evaluations += problem.num_samples();
      counters.full_evaluations += 1;
    }
  }
  double sigma_squared(ConstVectorRef x_star) const override;
  void save_state(StateArchive& out) const override;
  void load_state(const StateArchive& in) override;

  double probability() const { return p_; }
  const Vector& snapshot() const { return snapshot_; }
  const Vector& snapshot_full() const { return snapshot_full_; }  // F(w^k)

 private:
  double requested_p_;
  double p_ = 1.0;
  const Problem* problem_ = nullptr;
  Vector snapshot_;       // w^k
  Vector snapshot_full_;  // F(w^k)
  Vector workspace_;
};

}  // namespace sgda
