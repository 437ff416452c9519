// Layer normalization (Ba, Kiros & Hinton 2016) of a batch z (features × B), each example
// (column) on its own, with a learnable gain γ and bias β per feature:
//   μ = (1/n) Σ_i z_i,  σ² = (1/n) Σ_i (z_i − μ)²,  ẑ = (z − μ)/√(σ² + ε),  y = γ ⊙ ẑ + β,
// as torch.nn.LayerNorm (ε = 1e-5, biased variance). It is the same in training and evaluation.
// Its parameters are a view into a flat vector: γ at `offset`, then β.
#pragma once

#include "sgda/nn/matrix.hpp"

namespace sgda::nn {

struct LayerNorm {
  Index features = 0;
  Index offset = 0;  // of γ in the parameter vector
  double epsilon = 1e-5;

  Index bias_offset() const { return offset + features; }
  Index num_parameters() const { return 2 * features; }
  Eigen::Map<const Vector> gain(ConstVectorRef params) const {
    return Eigen::Map<const Vector>(params.data() + offset, features);
  }
  Eigen::Map<const Vector> bias(ConstVectorRef params) const {
    return Eigen::Map<const Vector>(params.data() + bias_offset(), features);
  }
  // γ = 1, β = 0 (the identity on normalized columns).
  void initialize(VectorRef params) const;

  // ẑ into `normalized` and y into `out` (features × B each), 1/√(σ² + ε) per column into
  // `inverse_std` (size B).
  void forward(ConstVectorRef params, const ConstMatrixRef& z, MatrixRef normalized,
               VectorRef inverse_std, MatrixRef out) const;
  // From dy = ∂L/∂y: ∂L/∂γ = Σ_cols dy ⊙ ẑ and ∂L/∂β = Σ_cols dy into grad (the layout of
  // params) when it is not empty, and per column, with g = γ ⊙ dy,
  //   ∂L/∂z = (1/√(σ² + ε)) (g − mean(g) − ẑ mean(g ⊙ ẑ))
  // into dz (which may alias dy).
  void backward(ConstVectorRef params, const ConstMatrixRef& normalized,
                const ConstVectorRef& inverse_std, const ConstMatrixRef& dy, VectorRef grad,
                MatrixRef dz) const;
};

}  // namespace sgda::nn
