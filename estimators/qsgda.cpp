#include "sgda/estimators/qsgda.hpp"

#include "sgda/error.hpp"

namespace sgda {

QsgdaEstimator::QsgdaEstimator(DistributedSettings settings,
                               std::shared_ptr<Communicator> communicator)
    : DistributedEstimator(std::move(settings), std::move(communicator)) {
  if (this->settings().local == LocalOracle::kSvrg)
    throw InputError(FieldError{"DistributedSettings::local",
                                "qsgda accepts exact or sample (use vr-diana-sgda for svrg)"});
  if (this->settings().alpha != 0.0)
    throw InputError(
        FieldError{"DistributedSettings::alpha", "qsgda has no shifts (use diana-sgda)"});
}

TheoryParameters QsgdaEstimator::parameters(const Problem& problem) const {
  // E||g − F*||² = ||F − F*||² + (1/W²) Σ_m E||Q(g_m) − F_m||² (docs/theory.md, QSGDA).
  const DistributedConstants c = constants(problem);
  const double w = static_cast<double>(c.workers), omega = c.omega;
  TheoryParameters t;
  t.B = t.C = t.D2 = 0.0;
  t.rho = 1.0;
  if (settings().local == LocalOracle::kExact) {
    t.A = c.ell / 2 + omega * c.ell_hat_workers / w;
    t.D1 = 2 * omega * c.zeta_sq / w;
  } else {
    t.A = c.ell / 2 + (omega * c.ell_hat_workers + (1 + omega) * c.ell_hat) / w;
    t.D1 = (2 * omega * c.zeta_sq + 2 * (1 + omega) * c.local_variance) / w;
  }
  // The paper's constants, valid but looser (h = 3ℓ + 9ωℓ̂/W); shown, never used for γ.
  const double sigma_sq = settings().local == LocalOracle::kExact ? 0.0 : c.local_variance;
  t.alternatives = {{"paper A", 1.5 * c.ell + 4.5 * omega * c.ell_hat / w},
                    {"paper D1", (3 * (1 + 3 * omega) * sigma_sq + 9 * omega * c.zeta_sq) / w}};
  t.sigma_definition = "sigma_k = 0 (stateless)";
  t.note =
      "tight constants (docs/theory.md, QSGDA) set the step size; the paper's looser "
      "A and D1 are listed as alternatives";
  return t;
}

}  // namespace sgda
