// SGDA with arbitrary sampling: g^k = F_ξ(x^k) (Beznosikov et al. 2023, Sec. 3; Loizou et al.
// 2021). Stateless: σ ≡ 0, A = ℓ_D, B = C = 0, ρ = 1, D1 = 2σ*², D2 = 0 (docs/theory.md §SGDA).
#pragma once

#include <memory>
#include <type_traits>
#include <vector>

#include "sgda/estimator.hpp"
#include "sgda/estimators/sampling.hpp"

namespace sgda {

class SgdaEstimator final : public Estimator {
 public:
  explicit SgdaEstimator(std::unique_ptr<Sampling> sampling);
  SgdaEstimator(const SgdaEstimator& other);
  std::unique_ptr<Estimator> clone() const override {
    return std::make_unique<SgdaEstimator>(*this);
  }

  std::string name() const override { return "sgda"; }
  std::string describe() const override;
  void reset(const Problem& problem, ConstVectorRef x0, Rng& rng, Counters& counters) override;
  void estimate(ConstVectorRef x, VectorRef g, Rng& rng, Counters& counters) override {
    estimate_with(*problem_, x, g, rng, counters);  // P = Problem: the virtual calls
  }
  TheoryParameters parameters(const Problem& problem) const override;
  // The sampling's state (shuffled epochs: permutation and position), under "sampling.".
  void save_state(StateArchive& out) const override;
  void load_state(const StateArchive& in) override;
  const Sampling& sampling() const { return *sampling_; }
  // One sample of weight 1 per estimate (sampling().is_uniform()): g = F_i(x).
  bool uniform() const { return uniform_; }

  // estimate() on the problem it was reset with, seen as its concrete type P and with the
  // caller's vector types: with a final P the sample call inlines (the solver's fused path).
  // Same draws, same arithmetic.
  template <class P, class X, class G>
  void estimate_with(const P& problem, const X& x, G& g, Rng& rng, Counters& counters) {
    if (uniform_) {  // one sample of weight 1, drawn inline: g = F_i(x)
      sample_of(problem, uniform_index(rng, problem.num_samples()), x, g);
      counters.sample_evaluations += 1;
      return;
    }
    sampling_->draw(rng, draw_);
    if (observing_) {  // adaptive sampling: the same sum, sample by sample, and each ||F_i(x)||
      for (std::size_t k = 0; k < draw_.indices.size(); ++k) {
        sample_of(problem, draw_.indices[k], x, workspace_);
        norms_[k] = workspace_.norm();
        if (k == 0)
          g = draw_.weights[0] * workspace_;
        else
          g += draw_.weights[k] * workspace_;
      }
      sampling_->observe(draw_, norms_);
      counters.sample_evaluations += static_cast<std::int64_t>(draw_.indices.size());
      return;
    }
    // g = Σ_{(i, w) drawn} w F_i(x).
    if constexpr (std::is_same_v<P, Problem>) {
      problem.sample_sum(draw_, x, g, workspace_);  // one batched evaluation where there is one
    } else {
      // A concrete final type (the fused path): Problem::sample_sum's loop, its sample calls
      // bound statically.
      problem.sample(draw_.indices[0], x, g);
      if (draw_.weights[0] != 1.0) g *= draw_.weights[0];
      for (std::size_t k = 1; k < draw_.indices.size(); ++k) {
        problem.sample(draw_.indices[k], x, workspace_);
        g += draw_.weights[k] * workspace_;
      }
    }
    counters.sample_evaluations += static_cast<std::int64_t>(draw_.indices.size());
  }

 private:
  std::unique_ptr<Sampling> sampling_;
  bool uniform_ = false;    // sampling_->is_uniform()
  bool observing_ = false;  // sampling_->wants_norms()
  const Problem* problem_ = nullptr;
  SampleDraw draw_;
  Vector workspace_;
  std::vector<double> norms_;  // ||F_i(x)|| of the drawn samples, for an observing sampling
};

}  // namespace sgda
