#include "sgda/step.hpp"

namespace sgda {

void ProxStep::reset(const Problem& problem) {
  problem_ = &problem;
  blocks_ = problem.blocks();
}

void ProxStep::apply(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next) {
  next = x - gamma * g;
  prox_blocks(*problem_, blocks_, gamma, next);
}

}  // namespace sgda
