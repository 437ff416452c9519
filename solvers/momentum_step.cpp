#include "sgda/steps/momentum_step.hpp"

namespace sgda {

void MomentumStep::step_block(double gamma, std::size_t, const Block& block, ConstVectorRef g,
                              ConstVectorRef x, VectorRef next) {
  auto v = velocity_.segment(block.offset, block.size);
  v = momentum_ * v + g;
  if (nesterov_)
    next = x - gamma * (g + momentum_ * v);
  else
    next = x - gamma * v;
}

}  // namespace sgda
