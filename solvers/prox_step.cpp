#include "sgda/step.hpp"

#include "sgda/block_regularizer.hpp"

namespace sgda {

BlockPredicate name_ends_with(const std::string& patterns) {
  std::vector<std::string> suffixes;
  std::string current;
  for (const char c : patterns + ",") {
    if (c == ',') {
      if (!current.empty()) suffixes.push_back(current);
      current.clear();
    } else if (c != ' ') {
      current += c;
    }
  }
  if (suffixes.empty()) return nullptr;
  return [suffixes](const Block& b) {
    for (const std::string& s : suffixes)
      if (b.name.size() >= s.size() && b.name.compare(b.name.size() - s.size(), s.size(), s) == 0)
        return true;
    return false;
  };
}

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
  excluded_blocks_.assign(blocks_.size(), 0);
  for (std::size_t i = 0; i < blocks_.size(); ++i)
    excluded_blocks_[i] = excluded_ && excluded_(blocks_[i]);
  on_bind(problem.dim());
}

void BlockRule::step(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next,
                     const Player* only) {
  const Regularizer& regularizer = problem_->regularizer();
  const auto* by_block =
      regularized_ ? dynamic_cast<const BlockRegularizer*>(&regularizer) : nullptr;
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    const Block& b = blocks_[i];
    auto next_b = next.segment(b.offset, b.size);
    if (only && !only->contains(b)) {  // another player's block: it stays, and so does its state
      next_b = x.segment(b.offset, b.size);
      continue;
    }
    step_block(gamma, i, b, g.segment(b.offset, b.size), x.segment(b.offset, b.size), next_b);
    if (regularized_) prox_of_block(regularizer, by_block, gamma, b, next_b);
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
