#include "sgda/steps/nadam_step.hpp"

#include <cmath>

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
  Vector t(static_cast<Index>(t_.size())), product(static_cast<Index>(t_.size()));
  for (std::size_t b = 0; b < t_.size(); ++b) {
    t[static_cast<Index>(b)] = double(t_[b]);
    product[static_cast<Index>(b)] = mu_product_[b];
  }
  out.put("t", t);
  out.put("mu_product", product);
}

void NadamStep::load_state(const StateArchive& in) {
  m_ = in.vector("m");
  v_ = in.vector("v");
  const Vector& t = in.vector("t");
  const Vector& product = in.vector("mu_product");
  if (t.size() != static_cast<Index>(t_.size()) || product.size() != t.size())
    throw InputError("checkpoint: step state 't' has " + std::to_string(t.size()) +
                     " block counts, the step rule moves " + std::to_string(t_.size()) + " blocks");
  for (std::size_t b = 0; b < t_.size(); ++b) {
    t_[b] = static_cast<std::int64_t>(t[static_cast<Index>(b)]);
    mu_product_[b] = product[static_cast<Index>(b)];
  }
}

}  // namespace sgda
