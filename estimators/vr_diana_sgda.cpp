#include "sgda/estimators/vr_diana_sgda.hpp"

#include "sgda/error.hpp"

namespace sgda {

VrDianaSgdaEstimator::VrDianaSgdaEstimator(DistributedSettings settings,
                                           std::shared_ptr<Communicator> communicator)
    : DistributedEstimator(
          [&] {
            settings.local = LocalOracle::kSvrg;
            return std::move(settings);
          }(),
          std::move(communicator)) {}

TheoryParameters VrDianaSgdaEstimator::parameters(const Problem& problem) const {
  // docs/theory.md, VR-DIANA-SGDA: σ_k² = shifts part + snapshots part; needs α ≤ p/3.
  const DistributedConstants c = constants(problem);
  const double w = static_cast<double>(c.workers), omega = c.omega;
  const double a = alpha(problem), p = probability(problem);
  TheoryParameters t;
  t.A = c.ell / 2 + (omega * c.ell_hat_workers + (1 + omega) * c.ell_hat) / w;
  t.B = 2 * (1 + omega) / w;
  t.C = (a * c.ell_hat_workers + 2 * a * c.ell_hat + p * c.ell_hat) / 2;
  t.rho = a;
  t.D1 = t.D2 = 0.0;
  t.sigma_definition =
      "sigma_k^2 = (1/W) sum_m ||h_m - F_m(x*)||^2 + (1/(W m_loc)) sum_{m,j} "
      "||F_mj(w_m) - F_mj(x*)||^2";
  t.note = "valid for alpha <= min{p/3, 1/(1+omega)} (docs/theory.md, VR-DIANA-SGDA)";
  if (a > p / 3 + 1e-12 || a * (1 + omega) > 1 + 1e-12)
    t.note += "; WARNING: alpha outside the theorem's range";
  return t;
}

}  // namespace sgda
