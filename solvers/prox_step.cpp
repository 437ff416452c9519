#include "sgda/step.hpp"

namespace sgda {

void BlockRule::bind(const Problem& problem, const std::vector<Block>& blocks) {
  problem_ = &problem;
  blocks_ = blocks;
  on_bind(problem.dim());
}

void BlockRule::step(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next,
                     const Block* only) {
  on_step();
  const Regularizer& regularizer = problem_->regularizer();
  for (const Block& b : blocks_) {
    auto next_b = next.segment(b.offset, b.size);
    if (only && only->offset != b.offset) {
      next_b = x.segment(b.offset, b.size);
      continue;
    }
    step_block(gamma, b, g.segment(b.offset, b.size), x.segment(b.offset, b.size), next_b);
    if (!regularizer.is_zero()) regularizer.prox(gamma, next_b);
  }
}

void ProxStep::step_block(double gamma, const Block&, ConstVectorRef g, ConstVectorRef x,
                          VectorRef next) {
  next = x - gamma * g;
}

}  // namespace sgda
