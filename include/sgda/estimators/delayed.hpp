// Delayed gradients (asynchronous SGD, e.g. Async-MSGD): a wrapper around any estimator whose
// estimate at step k is the wrapped estimator's estimate at the iterate of step k − τ_k.
//   fixed:   τ_k = τ;
//   uniform: τ_k uniform on {0, ..., τ}, from the run's stream;
//   workers: P simulated workers with random speeds (mean job times uniform on [0.5, 1.5],
//            drawn at reset; each job an exponential time with that mean). At each step the
//            worker that finishes first applies its estimate, computed at the iterate it read
//            when its job began (τ_k = k − that step), then reads the next iterate.
// In every model τ_k ≤ min(k, τ): the wrapper keeps the last τ + 1 iterates, the first steps use
// x⁰ for the iterates before it, and a simulated worker slower than τ steps is counted as τ
// steps late. A "step" is one estimate() call (one per iteration with the simultaneous
// scheme). Deterministic for a seed; the iterates kept, the step count and the workers are
// checkpointed with the wrapped estimator's state (under "inner."). Theorem 2.2 assumes the
// estimate at x^k itself, so the theory is reported as not covered for τ > 0.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sgda/estimator.hpp"
#include "sgda/options.hpp"

namespace sgda {

// How the delays τ_k are made.
enum class DelayModel { kFixed, kUniform, kWorkers };
template <>
const std::vector<EnumValue<DelayModel>>& enum_values<DelayModel>();

struct DelaySettings {
  Index delay = 0;  // τ ≥ 0: the largest delay
  DelayModel model = DelayModel::kFixed;
  Index workers = 4;  // P ≥ 1, for the workers model
};

class DelayedEstimator final : public Estimator {
 public:
  DelayedEstimator(std::unique_ptr<Estimator> inner, DelaySettings settings);
  DelayedEstimator(const DelayedEstimator& other);
  std::unique_ptr<Estimator> clone() const override {
    return std::make_unique<DelayedEstimator>(*this);
  }

  std::string name() const override { return inner_->name(); }
  std::string describe() const override;
  void reset(const Problem& problem, ConstVectorRef x0, Rng& rng, Counters& counters) override;
  void estimate(ConstVectorRef x, VectorRef g, Rng& rng, Counters& counters) override;
  TheoryParameters parameters(const Problem& problem) const override;
  void save_state(StateArchive& out) const override;
  void load_state(const StateArchive& in) override;
  double sigma_squared(ConstVectorRef x_star) const override {
    return inner_->sigma_squared(x_star);
  }

  const Estimator& inner() const { return *inner_; }
  const DelaySettings& settings() const { return settings_; }
  // τ_k of the last estimate() (−1 before the first).
  Index last_delay() const { return last_delay_; }

 private:
  Index next_delay(Rng& rng);

  std::unique_ptr<Estimator> inner_;
  DelaySettings settings_;
  Matrix history_;  // column k mod (τ + 1) holds x^k
  std::int64_t step_ = 0;
  Index last_delay_ = -1;
  // The workers model: each worker's mean job time, the step whose iterate it read, and the
  // time its job finishes.
  Vector mean_time_, read_step_, finish_time_;
};

// Wraps `inner` (settings checked: delay ≥ 0, workers ≥ 1); delay = 0 returns `inner` itself.
std::unique_ptr<Estimator> make_delayed(std::unique_ptr<Estimator> inner,
                                        const DelaySettings& settings);

}  // namespace sgda
