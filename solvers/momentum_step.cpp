#include "sgda/steps/momentum_step.hpp"

#include "sgda/error.hpp"

namespace sgda {

void MomentumStep::on_bind(Index dim) {
  velocity_ = buffered() ? Vector::Zero(dim) : Vector();
  direction_ = decay_.lambda != 0.0 && !decay_.decoupled ? Vector::Zero(dim) : Vector();
  started_.assign(blocks().size(), 0);
}

void MomentumStep::step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                              ConstVectorRef x, VectorRef next) {
  const double lambda = decay_of(index, decay_);
  const bool coupled = lambda != 0.0 && !decay_.decoupled;
  const double decoupled = decay_.decoupled ? lambda : 0.0;
  if (coupled) direction_.segment(block.offset, block.size) = g + lambda * x;
  const ConstVectorRef d =
      coupled ? ConstVectorRef(direction_.segment(block.offset, block.size)) : g;
  if (!buffered()) {
    next = x - gamma * d;
  } else {
    auto v = velocity_.segment(block.offset, block.size);
    char& started = started_[index];
    if (!started && dampening_ != 0.0)  // torch: the buffer starts as d, undamped
      v = d;
    else if (dampening_ != 0.0)
      v = momentum_ * v + (1.0 - dampening_) * d;
    else  // from v = 0 the first step is v = d too
      v = momentum_ * v + d;
    started = 1;
    if (nesterov_)
      next = x - gamma * (d + momentum_ * v);
    else
      next = x - gamma * v;
  }
  if (decoupled != 0.0) next -= (gamma * decoupled) * x;
}

void MomentumStep::save_state(StateArchive& out) const {
  out.put("velocity", velocity_);
  Vector started(static_cast<Index>(started_.size()));
  for (std::size_t b = 0; b < started_.size(); ++b) started[static_cast<Index>(b)] = started_[b];
  out.put("started", started);
}

void MomentumStep::load_state(const StateArchive& in) {
  velocity_ = in.vector("velocity");
  if (!in.has_vector("started")) {  // before dampening: v = 0 then μv + d is the same start
    started_.assign(started_.size(), 1);
    return;
  }
  const Vector& started = in.vector("started");
  if (started.size() != static_cast<Index>(started_.size()))
    throw InputError("checkpoint: step state 'started' has " + std::to_string(started.size()) +
                     " blocks, the step rule moves " + std::to_string(started_.size()) + " blocks");
  for (std::size_t b = 0; b < started_.size(); ++b)
    started_[b] = started[static_cast<Index>(b)] != 0.0;
}

}  // namespace sgda
