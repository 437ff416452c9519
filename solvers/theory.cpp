// Theorem 2.2 of Beznosikov et al. (2023) in code: step size, contraction, neighbourhood.
#include <algorithm>
#include <cmath>

#include "sgda/estimator.hpp"
#include "sgda/solver.hpp"

namespace sgda {

bool TheoryParameters::known() const {
  return std::isfinite(A) && std::isfinite(B) && std::isfinite(C) && std::isfinite(D1) &&
         std::isfinite(D2) && std::isfinite(rho) && rho > 0.0;
}

double TheoryParameters::lyapunov_m() const { return B > 0.0 ? 2.0 * B / rho : 0.0; }

double TheoryParameters::step_size(double mu) const {
  if (!(std::isfinite(A) && std::isfinite(B) && std::isfinite(C) && rho > 0.0)) return kNaN;
  const double inner = A + C * lyapunov_m();
  double gamma = inner > 0.0 ? 1.0 / (2.0 * inner) : std::numeric_limits<double>::infinity();
  if (std::isfinite(mu) && mu > 0.0) gamma = std::min(gamma, 1.0 / mu);
  return gamma;
}

// min{γμ, ρ − B/M}; with M = 2B/ρ the second term is ρ/2 (ρ when B = 0, where M is free).
static double rate(const TheoryParameters& t, double gamma, double mu) {
  if (!(std::isfinite(mu) && mu > 0.0)) return TheoryParameters::kNaN;
  const double state_rate = t.B > 0.0 ? t.rho / 2.0 : t.rho;
  return std::min(gamma * mu, state_rate);
}

double TheoryParameters::contraction(double gamma, double mu) const {
  return 1.0 - rate(*this, gamma, mu);
}

double TheoryParameters::neighbourhood(double gamma, double mu) const {
  return gamma * gamma * (D1 + lyapunov_m() * D2) / rate(*this, gamma, mu);
}

double theory_step_size(const Problem& problem, const Estimator& estimator) {
  return estimator.parameters(problem).step_size(problem.constants().mu);
}

}  // namespace sgda
