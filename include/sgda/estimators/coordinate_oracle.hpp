// [F(x)]_j with honest counting, shared by the coordinate methods: one coordinate evaluation
// where the problem has cheap coordinates, a full evaluation (n sample evaluations) otherwise.
#pragma once

#include "sgda/problem.hpp"

namespace sgda {

// P is Problem, or a concrete final problem type so that the calls inline (the fused path).
template <class P>
double evaluate_coordinate(const P& problem, Index j, ConstVectorRef x, Counters& counters) {
  if (problem.coordinates_are_cheap()) {
    counters.coordinate_evaluations += 1;
  } else {
    counters.sample_evaluations += problem.num_samples();
    counters.full_evaluations += 1;
  }
  return problem.coordinate(j, x);
}

}  // namespace sgda
