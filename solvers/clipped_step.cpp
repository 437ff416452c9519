#include "sgda/steps/clipped_step.hpp"

#include <algorithm>
#include <cmath>

namespace sgda {

void ClippedStep::bind(const Problem& problem, const std::vector<Block>& blocks) {
  blocks_ = blocks;
  clipped_ = Vector::Zero(problem.dim());
  rule_->bind(problem, blocks);
}

void ClippedStep::clip(ConstVectorRef g, VectorRef out, const Player* only) const {
  double total_sq = 0.0;
  for (const Block& b : blocks_) {
    if (only && !only->contains(b)) continue;
    auto o = out.segment(b.offset, b.size);
    if (clip_.value > 0.0)
      o = g.segment(b.offset, b.size).cwiseMax(-clip_.value).cwiseMin(clip_.value);
    else
      o = g.segment(b.offset, b.size);
    if (clip_.block_norm > 0.0) {
      const double norm = o.norm();
      if (norm > clip_.block_norm) o *= clip_.block_norm / norm;
    }
    if (clip_.norm > 0.0) total_sq += o.squaredNorm();
  }
  const double total = std::sqrt(total_sq);
  if (clip_.norm > 0.0 && total > clip_.norm) {
    const double scale = clip_.norm / total;
    for (const Block& b : blocks_)
      if (!only || only->contains(b)) out.segment(b.offset, b.size) *= scale;
  }
}

void ClippedStep::step(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next,
                       const Player* only) {
  clip(g, clipped_, only);
  rule_->step(gamma, clipped_, x, next, only);
}

}  // namespace sgda
