#include "sgda/nn/batch_norm.hpp"

#include <cmath>

namespace sgda::nn {

void BatchNorm::affine_gradient(const ConstMatrixRef& normalized, const ConstMatrixRef& dy,
                                VectorRef grad) const {
  if (grad.size() == 0) return;
  grad.segment(offset, features).noalias() = dy.cwiseProduct(normalized).rowwise().sum();
  grad.segment(bias_offset(), features).noalias() = dy.rowwise().sum();
}

void BatchNorm::initialize(VectorRef params) const {
  params.segment(offset, features).setOnes();
  params.segment(bias_offset(), features).setZero();
}

BatchNorm::RunningStatistics BatchNorm::initial_statistics() const {
  return {Vector::Zero(features), Vector::Ones(features)};
}

void BatchNorm::forward_training(ConstVectorRef params, const ConstMatrixRef& z,
                                 MatrixRef normalized, VectorRef inverse_std, MatrixRef out,
                                 RunningStatistics* running) const {
  const Index batch = z.cols();
  const double b = static_cast<double>(batch);
  const auto gamma = gain(params);
  const auto beta = bias(params);
  for (Index i = 0; i < features; ++i) {
    const double mean = z.row(i).sum() / b;
    normalized.row(i) = z.row(i).array() - mean;
    const double variance = normalized.row(i).squaredNorm() / b;
    inverse_std[i] = 1.0 / std::sqrt(variance + epsilon);
    normalized.row(i) *= inverse_std[i];
    out.row(i) = gamma[i] * normalized.row(i).array() + beta[i];
    if (running && batch > 1) {
      running->mean[i] = (1.0 - momentum) * running->mean[i] + momentum * mean;
      running->variance[i] =
          (1.0 - momentum) * running->variance[i] + momentum * variance * b / (b - 1.0);
    }
  }
}

void BatchNorm::forward_evaluation(ConstVectorRef params, const ConstMatrixRef& z,
                                   const RunningStatistics& running, MatrixRef out) const {
  const auto gamma = gain(params);
  const auto beta = bias(params);
  for (Index i = 0; i < features; ++i) {
    const double scale = gamma[i] / std::sqrt(running.variance[i] + epsilon);
    out.row(i) = scale * (z.row(i).array() - running.mean[i]) + beta[i];
  }
}

void BatchNorm::forward_evaluation(ConstVectorRef params, const ConstMatrixRef& z,
                                   const RunningStatistics& running, MatrixRef normalized,
                                   VectorRef inverse_std, MatrixRef out) const {
  const auto gamma = gain(params);
  const auto beta = bias(params);
  for (Index i = 0; i < features; ++i) {
    inverse_std[i] = 1.0 / std::sqrt(running.variance[i] + epsilon);
    normalized.row(i) = (z.row(i).array() - running.mean[i]) * inverse_std[i];
    out.row(i) = gamma[i] * normalized.row(i).array() + beta[i];
  }
}

void BatchNorm::backward_evaluation(ConstVectorRef params, const ConstMatrixRef& normalized,
                                    const ConstVectorRef& inverse_std, const ConstMatrixRef& dy,
                                    VectorRef grad, MatrixRef dz) const {
  affine_gradient(normalized, dy, grad);
  const auto gamma = gain(params);
  for (Index i = 0; i < features; ++i) dz.row(i) = (gamma[i] * inverse_std[i]) * dy.row(i);
}

void BatchNorm::backward(ConstVectorRef params, const ConstMatrixRef& normalized,
                         const ConstVectorRef& inverse_std, const ConstMatrixRef& dy,
                         VectorRef grad, MatrixRef dz) const {
  affine_gradient(normalized, dy, grad);
  const double b = static_cast<double>(dy.cols());
  const auto gamma = gain(params);
  for (Index i = 0; i < features; ++i) {
    dz.row(i) = gamma[i] * dy.row(i);  // g (dz may alias dy)
    const double mean_g = dz.row(i).sum() / b;
    const double mean_gz = dz.row(i).dot(normalized.row(i)) / b;
    dz.row(i) = inverse_std[i] *
                (dz.row(i).array() - mean_g - mean_gz * normalized.row(i).array()).matrix();
  }
}

}  // namespace sgda::nn
