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
  auto m = m_.segment(block.offset, block.size);
  auto v = v_.segment(block.offset, block.size);
  if (!decoupled_ && decay_ > 0.0) {
    m = beta1_ * m + (1.0 - beta1_) * (g + decay_ * x);
    v = beta2_ * v + (1.0 - beta2_) * (g + decay_ * x).cwiseAbs2();
  } else {
    m = beta1_ * m + (1.0 - beta1_) * g;
    v = beta2_ * v + (1.0 - beta2_) * g.cwiseAbs2();
  }
  next = x -
         gamma *
             ((m / correction1_).array() / ((v / correction2_).array().sqrt() + epsilon_)).matrix();
  if (decoupled_ && decay_ > 0.0) next -= gamma * decay_ * x;
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
