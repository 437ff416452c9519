#include "sgda/nn/layer_norm.hpp"

#include <cmath>

namespace sgda::nn {

void LayerNorm::initialize(VectorRef params) const {
  params.segment(offset, features).setOnes();
  params.segment(bias_offset(), features).setZero();
}

void LayerNorm::forward(ConstVectorRef params, const ConstMatrixRef& z, MatrixRef normalized,
                        VectorRef inverse_std, MatrixRef out) const {
  const double n = static_cast<double>(features);
  const auto gamma = gain(params);
  const auto beta = bias(params);
  for (Index j = 0; j < z.cols(); ++j) {
    const double mean = z.col(j).sum() / n;
    normalized.col(j) = z.col(j).array() - mean;
    const double variance = normalized.col(j).squaredNorm() / n;
    inverse_std[j] = 1.0 / std::sqrt(variance + epsilon);
    normalized.col(j) *= inverse_std[j];
    out.col(j) = gamma.cwiseProduct(normalized.col(j)) + beta;
  }
}

void LayerNorm::backward(ConstVectorRef params, const ConstMatrixRef& normalized,
                         const ConstVectorRef& inverse_std, const ConstMatrixRef& dy,
                         VectorRef grad, MatrixRef dz) const {
  if (grad.size() > 0) {
    grad.segment(offset, features).noalias() = dy.cwiseProduct(normalized).rowwise().sum();
    grad.segment(bias_offset(), features).noalias() = dy.rowwise().sum();
  }
  const double n = static_cast<double>(features);
  const auto gamma = gain(params);
  for (Index j = 0; j < dy.cols(); ++j) {
    // g = γ ⊙ dy (dz may alias dy: g is formed in place).
    dz.col(j) = gamma.cwiseProduct(dy.col(j));
    const double mean_g = dz.col(j).sum() / n;
    const double mean_gz = dz.col(j).dot(normalized.col(j)) / n;
    dz.col(j) = inverse_std[j] *
                (dz.col(j).array() - mean_g - mean_gz * normalized.col(j).array()).matrix();
  }
}

}  // namespace sgda::nn
