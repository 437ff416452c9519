#include "sgda/estimators/diana_sgda.hpp"

#include "sgda/error.hpp"

namespace sgda {

DianaSgdaEstimator::DianaSgdaEstimator(DistributedSettings settings,
                                       std::shared_ptr<Communicator> communicator)
    : DistributedEstimator(std::move(settings), std::move(communicator)) {
  if (this->settings().local == LocalOracle::kSvrg)
    throw InputError(FieldError{"DistributedSettings::local",
                                "diana-sgda accepts exact or sample (use vr-diana-sgda)"});
}

TheoryParameters DianaSgdaEstimator::parameters(const Problem& problem) const {
  // docs/theory.md, DIANA-SGDA: the shift recursion contracts by (1 − α) when α(1 + ω) ≤ 1.
  const DistributedConstants c = constants(problem);
  const double w = static_cast<double>(c.workers), omega = c.omega, a = alpha(problem);
  TheoryParameters t;
  t.B = 2 * omega / w;
  t.rho = a;
  if (settings().local == LocalOracle::kExact) {
    t.A = c.ell / 2 + omega * c.ell_hat_workers / w;
    t.C = a * c.ell_hat_workers / 2;
    t.D1 = t.D2 = 0.0;
  } else {
    t.A = c.ell / 2 + (omega * c.ell_hat_workers + (1 + omega) * c.ell_hat) / w;
    t.C = a * (c.ell_hat_workers + 2 * c.ell_hat) / 2;
    t.D1 = 2 * (1 + omega) * c.local_variance / w;
    t.D2 = 2 * a * c.local_variance;
  }
  t.sigma_definition = "sigma_k^2 = (1/W) sum_m ||h_m - F_m(x*)||^2";
  t.note = "valid for alpha <= 1/(1+omega) (docs/theory.md, DIANA-SGDA)";
  if (a * (1 + omega) > 1 + 1e-12) t.note += "; WARNING: alpha > 1/(1+omega), outside the theorem";
  return t;
}

}  // namespace sgda
