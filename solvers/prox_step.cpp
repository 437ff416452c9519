#include "sgda/step.hpp"

namespace sgda {

StepOutcome StepRule::checked_step(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next,
                                   const Player* only) {
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
                     const Player* only) {
  const Regularizer& regularizer = problem_->regularizer();
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    const Block& b = blocks_[i];
    auto next_b = next.segment(b.offset, b.size);
    if (only && !only->contains(b)) {  // another player's block: it stays, and so does its state
      next_b = x.segment(b.offset, b.size);
      continue;
    }
    step_block(gamma, i, b, g.segment(b.offset, b.size), x.segment(b.offset, b.size), next_b);
    if (regularized_) regularizer.prox(gamma, next_b);
  }
}

void ProxStep::on_bind(Index) {
  const Regularizer& r = problem().regularizer();
  whole_prox_ = regularized() && r.separable() && covers_all() ? &r : nullptr;
}

void ProxStep::step_block(double gamma, std::size_t, const Block&, ConstVectorRef g,
                          ConstVectorRef x, VectorRef next) {
  next = x - gamma * g;
}

}  // namespace sgda
