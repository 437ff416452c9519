#include "sgda/step.hpp"

namespace sgda {

StepOutcome StepRule::checked_step(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next,
                                   const Block* only) {
  if (!all_finite(g)) return StepOutcome::kNonFiniteEstimate;
  step(gamma, g, x, next, only);
  return all_finite(next) ? StepOutcome::kFinite : StepOutcome::kNonFiniteIterate;
}

void BlockRule::bind(const Problem& problem, const std::vector<Block>& blocks) {
  problem_ = &problem;
  blocks_ = blocks;
  covers_all_ = covers(blocks, problem.dim());
  regularized_ = !problem.regularizer().is_zero();
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
    if (regularized_) regularizer.prox(gamma, next_b);
  }
}

void ProxStep::on_bind(Index) {
  const Regularizer& r = problem().regularizer();
  whole_prox_ = regularized() && r.separable() && covers_all() ? &r : nullptr;
}

void ProxStep::step_block(double gamma, const Block&, ConstVectorRef g, ConstVectorRef x,
                          VectorRef next) {
  next = x - gamma * g;
}

}  // namespace sgda
