#include "sgda/steps/adagrad_step.hpp"

#include <cmath>

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
  Vector t(static_cast<Index>(t_.size()));
  for (std::size_t b = 0; b < t_.size(); ++b) t[static_cast<Index>(b)] = double(t_[b]);
  out.put("t", t);
}

void AdagradStep::load_state(const StateArchive& in) {
  sum_ = in.vector("sum");
  const Vector& t = in.vector("t");
  if (t.size() != static_cast<Index>(t_.size()))
    throw InputError("checkpoint: step state 't' has " + std::to_string(t.size()) +
                     " block counts, the step rule moves " + std::to_string(t_.size()) + " blocks");
  for (std::size_t b = 0; b < t_.size(); ++b)
    t_[b] = static_cast<std::int64_t>(t[static_cast<Index>(b)]);
}

}  // namespace sgda
