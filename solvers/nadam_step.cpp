#include "sgda/steps/nadam_step.hpp"

#include <cmath>

#include "block_counts.hpp"
#include "sgda/error.hpp"

namespace sgda {

void NadamStep::on_bind(Index dim) {
  m_ = Vector::Zero(dim);
  v_ = Vector::Zero(dim);
  t_.assign(blocks().size(), 0);
  mu_product_.assign(blocks().size(), 1.0);
}

void NadamStep::step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                           ConstVectorRef x, VectorRef next) {
  const std::int64_t t = ++t_[index];
  const double td = static_cast<double>(t);
  const double correction2 = 1.0 - std::pow(beta2_, td);
  const double mu = beta1_ * (1.0 - 0.5 * std::pow(0.96, td * momentum_decay_));
  const double mu_next = beta1_ * (1.0 - 0.5 * std::pow(0.96, (td + 1.0) * momentum_decay_));
  const double product = mu_product_[index] *= mu;
  const double on_g = gamma * (1.0 - mu) / (1.0 - product);
  const double on_m = gamma * mu_next / (1.0 - product * mu_next);
  const double lambda = decay_of(index, decay_);
  const double l2 = decay_.decoupled ? 0.0 : lambda, decoupled = decay_.decoupled ? lambda : 0.0;
  double* m = m_.data() + block.offset;
  double* v = v_.data() + block.offset;
  const double inv_c2 = 1.0 / correction2;
  for (Index i = 0; i < block.size; ++i) {
    const double d = l2 != 0.0 ? g[i] + l2 * x[i] : g[i];
    m[i] = beta1_ * m[i] + (1.0 - beta1_) * d;
    v[i] = beta2_ * v[i] + (1.0 - beta2_) * d * d;
    const double sigma = std::sqrt(v[i] * inv_c2) + epsilon_;
    next[i] = x[i] - (on_g * d + on_m * m[i]) / sigma - gamma * decoupled * x[i];
  }
}

void NadamStep::save_state(StateArchive& out) const {
  out.put("m", m_);
  out.put("v", v_);
  detail::put_block_counts(out, "t", t_);
  out.put("mu_product",
          Eigen::Map<const Vector>(mu_product_.data(), static_cast<Index>(mu_product_.size())));
}

void NadamStep::load_state(const StateArchive& in) {
  m_ = in.vector("m");
  v_ = in.vector("v");
  detail::get_block_counts(in, "t", t_);
  const Vector& product = in.vector("mu_product");
  if (product.size() != static_cast<Index>(mu_product_.size()))
    throw InputError("checkpoint: step state 'mu_product' has " + std::to_string(product.size()) +
                     " entries, the step rule moves " + std::to_string(mu_product_.size()) +
                     " blocks");
  for (std::size_t b = 0; b < mu_product_.size(); ++b)
    mu_product_[b] = product[static_cast<Index>(b)];
}

}  // namespace sgda
