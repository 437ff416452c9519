// Batch normalization (Ioffe & Szegedy 2015) of a batch z (features × B), each feature (row)
// over the batch, with a learnable gain γ and bias β per feature, as torch.nn.BatchNorm1d:
//   training:   μ_B = (1/B) Σ_j z_j,  σ_B² = (1/B) Σ_j (z_j − μ_B)²,  ẑ = (z − μ_B)/√(σ_B² + ε),
//               and the running statistics move towards the batch's,
//               mean ← (1 − m) mean + m μ_B,  variance ← (1 − m) variance + m σ_B² B/(B − 1)
//               (the unbiased batch variance; m = momentum = 0.1, ε = 1e-5);
//   evaluation: ẑ = (z − mean)/√(variance + ε) with the running statistics;
// then y = γ ⊙ ẑ + β. The parameters are a view into a flat vector: γ at `offset`, then β; the
// running statistics are state, not parameters (RunningStatistics).
//
// In Network with normalization = "batch" (nn/network.hpp); the training problems run their
// minibatches in training mode and full() and the metrics in evaluation mode
// (problems/training.hpp).
#pragma once

#include "sgda/nn/matrix.hpp"

namespace sgda::nn {

struct BatchNorm {
  Index features = 0;
  Index offset = 0;  // of γ in the parameter vector
  double epsilon = 1e-5;
  double momentum = 0.1;

  struct RunningStatistics {
    Vector mean, variance;  // start at 0 and 1
  };

  Index bias_offset() const { return offset + features; }
  Index num_parameters() const { return 2 * features; }
  Eigen::Map<const Vector> gain(ConstVectorRef params) const {
    return Eigen::Map<const Vector>(params.data() + offset, features);
  }
  Eigen::Map<const Vector> bias(ConstVectorRef params) const {
    return Eigen::Map<const Vector>(params.data() + bias_offset(), features);
  }
  // γ = 1, β = 0.
  void initialize(VectorRef params) const;
  RunningStatistics initial_statistics() const;

  // Training mode: ẑ into `normalized`, 1/√(σ_B² + ε) per feature into `inverse_std` (size
  // features), y into `out`; updates `running` when it is not null (B ≥ 2).
  void forward_training(ConstVectorRef params, const ConstMatrixRef& z, MatrixRef normalized,
                        VectorRef inverse_std, MatrixRef out, RunningStatistics* running) const;
  // Evaluation mode: y from the running statistics.
  void forward_evaluation(ConstVectorRef params, const ConstMatrixRef& z,
                          const RunningStatistics& running, MatrixRef out) const;
  // Evaluation mode keeping what its reverse pass needs: ẑ = (z − mean)/√(variance + ε) into
  // `normalized`, 1/√(variance + ε) per feature into `inverse_std` (size features), y into out.
  void forward_evaluation(ConstVectorRef params, const ConstMatrixRef& z,
                          const RunningStatistics& running, MatrixRef normalized,
                          VectorRef inverse_std, MatrixRef out) const;
  // The reverse pass of forward_training, from dy = ∂L/∂y: ∂L/∂γ = Σ_j dy ⊙ ẑ and ∂L/∂β = Σ_j dy
  // into grad when it is not empty, and per feature, with g = γ dy,
  //   ∂L/∂z = (1/√(σ_B² + ε)) (g − mean_j(g) − ẑ mean_j(g ⊙ ẑ))
  // into dz (which may alias dy).
  void backward(ConstVectorRef params, const ConstMatrixRef& normalized,
                const ConstVectorRef& inverse_std, const ConstMatrixRef& dy, VectorRef grad,
                MatrixRef dz) const;
  // The reverse pass of evaluation mode, an affine map per feature (the running statistics are
  // constants): ∂L/∂γ and ∂L/∂β as in training, ∂L/∂z = γ dy/√(variance + ε) (dz may alias dy).
  void backward_evaluation(ConstVectorRef params, const ConstMatrixRef& normalized,
                           const ConstVectorRef& inverse_std, const ConstMatrixRef& dy,
                           VectorRef grad, MatrixRef dz) const;

 private:
  // ∂L/∂γ = Σ_j dy ⊙ ẑ and ∂L/∂β = Σ_j dy into grad (nothing when grad is empty).
  void affine_gradient(const ConstMatrixRef& normalized, const ConstMatrixRef& dy,
                       VectorRef grad) const;
};

}  // namespace sgda::nn
