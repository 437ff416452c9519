#include "sgda/problem.hpp"

#include <limits>

namespace sgda {

Problem::Problem() : Problem(nullptr) {}

Problem::Problem(std::shared_ptr<const Regularizer> regularizer) {
  set_regularizer(std::move(regularizer));
}

void Problem::set_regularizer(std::shared_ptr<const Regularizer> regularizer) {
  regularizer_ = regularizer ? std::move(regularizer) : make_regularizer(RegularizerOptions{});
}

void Problem::full(ConstVectorRef x, VectorRef out) const {
  // Generic finite sum; problems with structure (affine games) override this.
  const Index n = num_samples();
  out.setZero();
  Vector term(dim());
  for (Index i = 0; i < n; ++i) {
    sample(i, x, term);
    out += term;
  }
  out /= static_cast<double>(n);
}

double Problem::coordinate(Index j, ConstVectorRef x) const {
  if (coordinate_workspace_.size() != dim()) coordinate_workspace_.resize(dim());
  full(x, coordinate_workspace_);
  return coordinate_workspace_[j];
}

double Problem::weighted_star_cocoercivity(const Vector& weights) const {
  (void)weights;
  return std::numeric_limits<double>::quiet_NaN();
}

void prox_blocks(const Problem& problem, const std::vector<Block>& blocks, double gamma,
                 VectorRef x) {
  const Regularizer& regularizer = problem.regularizer();
  if (regularizer.is_zero()) return;
  for (const Block& block : blocks) regularizer.prox(gamma, x.segment(block.offset, block.size));
}

double natural_residual_sq(const Problem& problem, ConstVectorRef x, VectorRef workspace) {
  problem.full(x, workspace);
  workspace = x - workspace;  // x − F(x), elementwise: no aliasing issue
  const Regularizer& regularizer = problem.regularizer();
  if (!regularizer.is_zero()) {
    for (const Block& block : problem.blocks())
      regularizer.prox(1.0, workspace.segment(block.offset, block.size));
  }
  return (x - workspace).squaredNorm();
}

}  // namespace sgda
