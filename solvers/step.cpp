#include "sgda/step.hpp"

namespace sgda {

void ProxStep::reset(const Problem& problem) {
  problem_ = &problem;
  blocks_ = problem.blocks();
}

void ProxStep::apply(double gamma, ConstVectorRef g, VectorRef x) {
  x -= gamma * g;
  prox_blocks(*problem_, blocks_, gamma, x);
}

}  // namespace sgda
