#include "sgda/estimators/l_svrgda.hpp"

#include <sstream>

namespace sgda {

LSvrgdaEstimator::LSvrgdaEstimator(double probability) : requested_p_(probability) {}

std::string LSvrgdaEstimator::describe() const {
  std::ostringstream out;
  out << "l-svrgda(p=" << (problem_ ? p_ : requested_p_) << ")";
  return out.str();
}

void LSvrgdaEstimator::reset(const Problem& problem, ConstVectorRef x0, Rng&, Counters& counters) {
  problem_ = &problem;
  p_ = requested_p_ > 0.0 ? requested_p_ : 1.0 / static_cast<double>(problem.num_samples());
  snapshot_ = x0;
  snapshot_full_.resize(problem.dim());
  workspace_.resize(problem.dim());
  problem.full(snapshot_, snapshot_full_);
  counters.sample_evaluations += problem.num_samples();
  counters.full_evaluations += 1;
}

TheoryParameters LSvrgdaEstimator::parameters(const Problem& problem) const {
  // g − F* = (F_j(x) − F_j(x*)) − (F_j(w) − F_j(x*) − E_j[F_j(w) − F_j(x*)]), so
  // E||g − F*||² ≤ 2ℓ̂Φ + 2σ²; E σ_{k+1}² = p(1/n)Σ||F_i(x) − F_i(x*)||² + (1 − p)σ_k²
  // ≤ pℓ̂Φ + (1 − p)σ_k² (docs/theory.md, L-SVRGDA).
  const double p =
      requested_p_ > 0.0 ? requested_p_ : 1.0 / static_cast<double>(problem.num_samples());
  const double ell_hat = problem.constants().ell_hat;
  TheoryParameters t;
  t.A = ell_hat;
  t.B = 2.0;
  t.C = p * ell_hat / 2.0;
  t.rho = p;
  t.D1 = 0.0;
  t.D2 = 0.0;
  t.sigma_definition = "sigma_k^2 = (1/n) sum_i ||F_i(w^k) - F_i(x*)||^2";
  t.note = "A = l_hat, B = 2, C = p l_hat / 2, rho = p (docs/theory.md, L-SVRGDA)";
  return t;
}

void LSvrgdaEstimator::save_state(StateArchive& out) const {
  out.put("snapshot", snapshot_);
  out.put("snapshot_full", snapshot_full_);  // kept, not recomputed: bitwise and uncounted
}

void LSvrgdaEstimator::load_state(const StateArchive& in) {
  snapshot_ = in.vector("snapshot");
  snapshot_full_ = in.vector("snapshot_full");
}

double LSvrgdaEstimator::sigma_squared(ConstVectorRef x_star) const {
  const Index n = problem_->num_samples();
  Vector at_snapshot(problem_->dim()), at_solution(problem_->dim());
  double sum = 0.0;
  for (Index i = 0; i < n; ++i) {
    problem_->sample(i, snapshot_, at_snapshot);
    problem_->sample(i, x_star, at_solution);
    sum += (at_snapshot - at_solution).squaredNorm();
  }
  return sum / static_cast<double>(n);
}

}  // namespace sgda
