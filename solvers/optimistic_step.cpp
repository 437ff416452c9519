#include "sgda/steps/optimistic_step.hpp"

namespace sgda {

void OptimisticStep::on_bind(Index dim) {
  previous_ = Vector::Zero(dim);
  seen_.assign(static_cast<std::size_t>(dim), 0);
}

void OptimisticStep::step_block(double gamma, std::size_t, const Block& block, ConstVectorRef g,
                                ConstVectorRef x, VectorRef next) {
  auto previous = previous_.segment(block.offset, block.size);
  char& seen = seen_[static_cast<std::size_t>(block.offset)];
  if (!seen) previous = g, seen = 1;
  next = x - gamma * (2.0 * g - previous);
  previous = g;
}

void OptimisticStep::save_state(StateArchive& out) const {
  out.put("previous", previous_);
  Vector seen(static_cast<Index>(seen_.size()));
  for (std::size_t i = 0; i < seen_.size(); ++i) seen[static_cast<Index>(i)] = seen_[i];
  out.put("seen", seen);
}

void OptimisticStep::load_state(const StateArchive& in) {
  previous_ = in.vector("previous");
  const Vector& seen = in.vector("seen");
  for (std::size_t i = 0; i < seen_.size(); ++i) seen_[i] = seen[static_cast<Index>(i)] != 0.0;
}

}  // namespace sgda
