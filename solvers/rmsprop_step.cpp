#include "sgda/steps/rmsprop_step.hpp"

#include <algorithm>
#include <cmath>

namespace sgda {

void RmspropStep::on_bind(Index dim) {
  square_avg_ = Vector::Zero(dim);
  grad_avg_ = centered_ ? Vector::Zero(dim) : Vector();
  buffer_ = momentum_ > 0.0 ? Vector::Zero(dim) : Vector();
}

void RmspropStep::step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                             ConstVectorRef x, VectorRef next) {
  const double lambda = decay_of(index, decay_);
  const double l2 = decay_.decoupled ? 0.0 : lambda, decoupled = decay_.decoupled ? lambda : 0.0;
  double* s = square_avg_.data() + block.offset;
  double* a = centered_ ? grad_avg_.data() + block.offset : nullptr;
  double* b = momentum_ > 0.0 ? buffer_.data() + block.offset : nullptr;
  const double rest = 1.0 - alpha_;
  for (Index i = 0; i < block.size; ++i) {
    const double d = l2 != 0.0 ? g[i] + l2 * x[i] : g[i];
    s[i] = alpha_ * s[i] + rest * d * d;
    double variance = s[i];
    if (a) {
      a[i] += rest * (d - a[i]);
      variance = std::max(0.0, s[i] - a[i] * a[i]);  // ≥ 0 but for rounding
    }
    const double direction = d / (std::sqrt(variance) + epsilon_);
    double move = direction;
    if (b) move = b[i] = momentum_ * b[i] + direction;
    next[i] = x[i] - gamma * move - gamma * decoupled * x[i];
  }
}

void RmspropStep::save_state(StateArchive& out) const {
  out.put("square_avg", square_avg_);
  if (centered_) out.put("grad_avg", grad_avg_);
  if (momentum_ > 0.0) out.put("buffer", buffer_);
}

void RmspropStep::load_state(const StateArchive& in) {
  square_avg_ = in.vector("square_avg");
  if (centered_) grad_avg_ = in.vector("grad_avg");
  if (momentum_ > 0.0) buffer_ = in.vector("buffer");
}

}  // namespace sgda
