#include "sgda/steps/adam_step.hpp"

#include <cmath>

namespace sgda {

void AdamStep::on_bind(Index dim) {
  m_ = Vector::Zero(dim);
  v_ = Vector::Zero(dim);
  t_ = 0;
}

void AdamStep::on_step() {
  ++t_;
  correction1_ = 1.0 - std::pow(beta1_, static_cast<double>(t_));
  correction2_ = 1.0 - std::pow(beta2_, static_cast<double>(t_));
}

void AdamStep::step_block(double gamma, const Block& block, ConstVectorRef g, ConstVectorRef x,
                          VectorRef next) {
  // One fused pass over the block: reads g, x, m, v once and writes m, v, next once, so a large
  // step moves the least memory traffic (optimizer steps are bandwidth-bound).
  double* __restrict m = m_.data() + block.offset;
  double* __restrict v = v_.data() + block.offset;
  const double* __restrict gp = g.data();
  const double* __restrict xp = x.data();
  double* __restrict out = next.data();
  const double l2 = decoupled_ ? 0.0 : decay_, decoupled = decoupled_ ? decay_ : 0.0;
  const double a1 = 1.0 - beta1_, a2 = 1.0 - beta2_;
  const double step1 = gamma / correction1_, inv_c2 = 1.0 / correction2_;
  for (Index i = 0; i < block.size; ++i) {
    const double d = gp[i] + l2 * xp[i];
    const double mi = beta1_ * m[i] + a1 * d;
    const double vi = beta2_ * v[i] + a2 * d * d;
    m[i] = mi;
    v[i] = vi;
    out[i] = xp[i] - step1 * mi / (std::sqrt(vi * inv_c2) + epsilon_) - gamma * decoupled * xp[i];
  }
}

void AdamStep::save_state(StateArchive& out) const {
  out.put("m", m_);
  out.put("v", v_);
  out.put_integer("t", t_);
}

void AdamStep::load_state(const StateArchive& in) {
  m_ = in.vector("m");
  v_ = in.vector("v");
  t_ = in.integer("t");
}

}  // namespace sgda
