#include "sgda/steps/adagrad_step.hpp"

#include <cmath>

#include "block_counts.hpp"
#include "sgda/error.hpp"

namespace sgda {

void AdagradStep::on_bind(Index dim) {
  sum_ = Vector::Constant(dim, initial_);
  t_.assign(blocks().size(), 0);
}

void AdagradStep::step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                             ConstVectorRef x, VectorRef next) {
  const std::int64_t t = ++t_[index];
  const double step = gamma / (1.0 + static_cast<double>(t - 1) * lr_decay_);
  const double lambda = decay_of(index, decay_);
  const double l2 = decay_.decoupled ? 0.0 : lambda, decoupled = decay_.decoupled ? lambda : 0.0;
  double* s = sum_.data() + block.offset;
  for (Index i = 0; i < block.size; ++i) {
    const double d = l2 != 0.0 ? g[i] + l2 * x[i] : g[i];
    s[i] += d * d;
    next[i] = x[i] - step * d / (std::sqrt(s[i]) + epsilon_) - step * decoupled * x[i];
  }
}

void AdagradStep::save_state(StateArchive& out) const {
  out.put("sum", sum_);
  detail::put_block_counts(out, "t", t_);
}

void AdagradStep::load_state(const StateArchive& in) {
  sum_ = in.vector("sum");
  detail::get_block_counts(in, "t", t_);
}

}  // namespace sgda
