// Streaming PCA, the test problem of Async-MSGD (Liu, Li, Shi, Zhou & Zhao 2018, "Towards
// understanding acceleration tradeoff between momentum and asynchrony in nonconvex stochastic
// optimization"): maximize vᵀΣv on the unit sphere from fresh samples X ~ N(0, Σ). As a
// minimization of −½vᵀΣv the operator is
//   F_i(v) = −X_i (X_iᵀ v),   F(v) = E F_i(v) = −Σv,
// with Σ = diag(λ_1, ..., λ_d), λ_1 = 1, λ_2 = 1 − eigengap and λ_j = λ_2 · decay^{j−2} after,
// so u_1 = e_1 and the error of v is 1 − (vᵀu_1)²/‖v‖² (the metric "pca_error").
// The stream: num_samples() is 2^62 and X_i is drawn from the counter-based stream
// Rng::stream(seed, i), so sample(i) is a pure function of (seed, i) and uniform sampling
// draws fresh samples, reproducibly and checkpoint-safe. The sphere constraint is the
// regularizer's: type "sphere" (normalization after every step, as Oja-type methods do) or
// "l2-ball"; without one −½vᵀΣv is unbounded below.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sgda/options.hpp"
#include "sgda/problem.hpp"

namespace sgda {

struct StreamingPcaOptions {
  Index dimension = 50;    // d
  double eigengap = 0.2;   // λ_1 − λ_2 (λ_1 = 1)
  double decay = 1.0;      // λ_{j+1}/λ_j for j ≥ 2; 1 gives Σ = diag(1, 0.8, ..., 0.8)
  std::uint64_t seed = 0;  // the samples and the initial point
  bool oja = false;        // Oja's operator −(I − vvᵀ)X Xᵀv instead of −X Xᵀv

  static const OptionTable<StreamingPcaOptions>& table();
  std::optional<FieldError> Check() const { return table().check(*this); }
  bool IsValid(std::string* error) const { return passes(Check(), error); }
};

class StreamingPca final : public Problem {
 public:
  StreamingPca(const StreamingPcaOptions& options,
               std::shared_ptr<const Regularizer> regularizer = nullptr);

  std::string name() const override { return "streaming-pca"; }
  Index dim() const override { return options_.dimension; }
  Index num_samples() const override { return Index{1} << 62; }
  // out = −X_i (X_iᵀ x). Thread-safe: X_i is drawn into a local stream.
  void sample(Index i, ConstVectorRef x, VectorRef out) const override;
  // out = −Σx, exactly.
  void full(ConstVectorRef x, VectorRef out) const override;
  // A random unit vector from the seed (neither e_1 nor 0: both are fixed points).
  Vector initial_point() const override;
  // {"pca_error", 1 − x_1²/‖x‖²} (1 at x = 0).
  std::vector<std::pair<std::string, double>> metrics(ConstVectorRef x) const override;
  // No solution(): ±u_1 both solve the problem.

  // The sample X_i ~ N(0, Σ).
  void draw(Index i, VectorRef out) const;
  // The diagonal of Σ, λ_1 > λ_2 ≥ ... > 0.
  const Vector& eigenvalues() const { return eigenvalues_; }
  const StreamingPcaOptions& options() const { return options_; }

 private:
  StreamingPcaOptions options_;
  Vector eigenvalues_, root_;  // λ and √λ
};

}  // namespace sgda
