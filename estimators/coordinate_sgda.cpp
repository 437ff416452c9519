#include "sgda/estimators/coordinate_sgda.hpp"

namespace sgda {

void CoordinateSgdaEstimator::reset(const Problem& problem, ConstVectorRef, Rng&, Counters&) {
  problem_ = &problem;
}

TheoryParameters CoordinateSgdaEstimator::parameters(const Problem& problem) const {
  // E||g − F*||² ≤ (2d − 1)||F − F*||² + 2(d − 1)||F*||² (docs/theory.md, Coordinate SGDA).
  const double d = static_cast<double>(problem.dim());
  TheoryParameters t;
  t.A = (2 * d - 1) * problem.constants().ell / 2;
  t.B = t.C = t.D2 = 0.0;
  t.rho = 1.0;
  const auto x_star = problem.solution();
  if (x_star) {
    Vector f(problem.dim());
    problem.full(*x_star, f);
    t.D1 = 2 * (d - 1) * f.squaredNorm();
  }
  t.sigma_definition = "sigma_k = 0 (stateless)";
  t.note = "D1 = 2(d-1)||F(x*)||^2: a neighbourhood whenever F(x*) != 0";
  return t;
}

}  // namespace sgda
