#include "sgda/steps/kfac.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>

#include "fisher_batch.hpp"
#include "sgda/error.hpp"

namespace sgda {
namespace {

// (M + μI)⁻¹ by Cholesky; M is symmetric positive semi-definite and μ > 0.
void damped_inverse(const Matrix& m, double mu, Matrix& out) {
  Matrix damped = m;
  damped.diagonal().array() += mu;
  out = damped.llt().solve(Matrix::Identity(m.rows(), m.cols()));
}

}  // namespace

void Kfac::bind(const std::vector<nn::Dense>& layers) {
  layers_.clear();
  for (const nn::Dense& d : layers) {
    const Index columns = d.inputs + 1;
    Layer layer;
    layer.a = layer.a_inverse = Matrix::Zero(columns, columns);
    layer.g = layer.g_inverse = Matrix::Zero(d.outputs, d.outputs);
    layers_.push_back(std::move(layer));
  }
}

void Kfac::update(const nn::DenseBatch& batch, double beta, bool first) {
  detail::inverse_sqrt_weights(*batch.weights, inverse_sqrt_w_);
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    Layer& layer = layers_[l];
    detail::augmented_inputs(*batch.inputs[l], augmented_);
    // A = Σ w_k ã_k ã_kᵀ: the columns scaled by √w_k.
    scaled_ = augmented_;
    for (Index k = 0; k < scaled_.cols(); ++k)
      scaled_.col(k) *= std::sqrt(std::max((*batch.weights)[std::size_t(k)], 0.0));
    product_.noalias() = scaled_ * scaled_.transpose();
    detail::moving_average(layer.a, product_, beta, first);
    // G = Σ w_k δ_k δ_kᵀ from the columns w_k δ_k scaled by 1/√w_k.
    scaled_ = *batch.deltas[l] * inverse_sqrt_w_.asDiagonal();
    product_.noalias() = scaled_ * scaled_.transpose();
    detail::moving_average(layer.g, product_, beta, first);
  }
}

void Kfac::refresh(double damping) {
  for (Layer& layer : layers_) {
    const double mean_a = layer.a.trace() / double(layer.a.rows());
    const double mean_g = layer.g.trace() / double(layer.g.rows());
    double pi = std::sqrt(mean_a / mean_g);
    if (!(pi > 0.0) || !std::isfinite(pi)) pi = 1.0;  // a factor that is zero
    const double root = std::sqrt(damping);
    damped_inverse(layer.a, pi * root, layer.a_inverse);
    damped_inverse(layer.g, root / pi, layer.g_inverse);
  }
}

void Kfac::apply(std::size_t l, nn::MatrixMap g) {
  const Layer& layer = layers_[l];
  product_.noalias() = layer.g_inverse * g;
  g.noalias() = product_ * layer.a_inverse;
}

void Kfac::save_state(StateArchive& out) const {
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const std::string prefix = "layer" + std::to_string(l) + ".";
    detail::put_matrix(out, prefix + "a", layers_[l].a);
    detail::put_matrix(out, prefix + "g", layers_[l].g);
    detail::put_matrix(out, prefix + "a_inverse", layers_[l].a_inverse);
    detail::put_matrix(out, prefix + "g_inverse", layers_[l].g_inverse);
  }
}

void Kfac::load_state(const StateArchive& in) {
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const std::string prefix = "layer" + std::to_string(l) + ".";
    detail::get_matrix(in, prefix + "a", layers_[l].a);
    detail::get_matrix(in, prefix + "g", layers_[l].g);
    detail::get_matrix(in, prefix + "a_inverse", layers_[l].a_inverse);
    detail::get_matrix(in, prefix + "g_inverse", layers_[l].g_inverse);
  }
}

}  // namespace sgda
