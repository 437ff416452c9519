#include "sgda/estimators/sgda.hpp"

#include "sgda/error.hpp"

namespace sgda {

SgdaEstimator::SgdaEstimator(std::unique_ptr<Sampling> sampling)
    : sampling_(std::move(sampling)),
      uniform_(sampling_->is_uniform()),
      observing_(sampling_->wants_norms()) {}

SgdaEstimator::SgdaEstimator(const SgdaEstimator& other)
    : sampling_(other.sampling_->clone()),
      uniform_(other.uniform_),
      observing_(other.observing_),
      problem_(other.problem_),
      draw_(other.draw_),
      workspace_(other.workspace_),
      norms_(other.norms_) {
  // A copy keeps the full capacity, so a short draw (an epoch's last batch) grows back freely.
  draw_.indices.reserve(static_cast<std::size_t>(sampling_->batch_size()));
  draw_.weights.reserve(static_cast<std::size_t>(sampling_->batch_size()));
}

std::string SgdaEstimator::describe() const {
  return "sgda(sampling=" + sampling_->describe() + ")";
}

void SgdaEstimator::reset(const Problem& problem, ConstVectorRef, Rng&, Counters&) {
  // A sampling made for another game would draw only some samples, or samples it lacks.
  if (sampling_->num_samples() != problem.num_samples())
    throw InputError(
        "sgda: the sampling draws from n = " + std::to_string(sampling_->num_samples()) +
        " samples, the problem has n = " + std::to_string(problem.num_samples()) +
        "; accepted a sampling made for this problem (make_estimator)");
  problem_ = &problem;
  const auto batch = static_cast<std::size_t>(sampling_->batch_size());
  sampling_->restart();
  draw_.indices.assign(batch, 0);
  draw_.weights.assign(batch, 0.0);
  workspace_.resize(problem.dim());
  norms_.assign(observing_ ? batch : 0, 0.0);
}

void SgdaEstimator::save_state(StateArchive& out) const {
  StateArchive sampling;
  sampling_->save_state(sampling);
  out.put_all("sampling.", sampling);
}

void SgdaEstimator::load_state(const StateArchive& in) {
  sampling_->load_state(in.under("sampling."));
}

TheoryParameters SgdaEstimator::parameters(const Problem& problem) const {
  // E||g − F*||² ≤ 2E||F_ξ(x) − F_ξ(x*)||² + 2E||F_ξ(x*) − F*||² ≤ 2ℓ_D Φ + 2σ*².
  TheoryParameters t;
  t.A = sampling_->expected_cocoercivity(problem);
  t.B = 0.0;
  t.C = 0.0;
  t.rho = 1.0;
  t.D2 = 0.0;
  const auto x_star = problem.solution();
  t.D1 = x_star ? 2.0 * sampling_->variance_at(problem, *x_star) : TheoryParameters::kNaN;
  t.sigma_definition = "sigma_k = 0 (stateless)";
  t.not_covered = sampling_->theory_caveat();
  t.note = sampling_->wants_norms()
               ? "A = l_hat/mixing, D1 = 2 sigma*^2 with sigma*^2 <= (1/mixing)(1/n) sum "
                 "||F_i(x*)||^2 - ||F(x*)||^2: worst cases over the probabilities the adaptive "
                 "sampling may learn, each pi_i >= mixing*b/n (docs/theory.md, SGDA)"
               : "A = expected star-cocoercivity l_D of the sampling, D1 = 2 sigma*^2 with "
                 "sigma*^2 = E||F_xi(x*) - F(x*)||^2 (docs/theory.md, SGDA)";
  return t;
}

}  // namespace sgda
