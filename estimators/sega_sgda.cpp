#include "sgda/estimators/sega_sgda.hpp"

namespace sgda {

void SegaSgdaEstimator::reset(const Problem& problem, ConstVectorRef, Rng&, Counters&) {
  problem_ = &problem;
  shift_ = Vector::Zero(problem.dim());
}

TheoryParameters SegaSgdaEstimator::parameters(const Problem& problem) const {
  // docs/theory.md, SEGA-SGDA.
  const double d = static_cast<double>(problem.dim());
  const double ell = problem.constants().ell;
  TheoryParameters t;
  t.A = (2 * d - 1) * ell / 2;
  t.B = 2 * (d - 1);
  t.C = ell / (2 * d);
  t.rho = 1 / d;
  t.D1 = t.D2 = 0.0;
  t.sigma_definition = "sigma_k^2 = ||h^k - F(x*)||^2";
  t.note = "A = (2d-1) l/2, B = 2(d-1), C = l/(2d), rho = 1/d (docs/theory.md, SEGA-SGDA)";
  return t;
}

double SegaSgdaEstimator::sigma_squared(ConstVectorRef x_star) const {
  Vector f(problem_->dim());
  problem_->full(x_star, f);
  return (shift_ - f).squaredNorm();
}

}  // namespace sgda
