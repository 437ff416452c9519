#include "sgda/problems/dirac_gan.hpp"

#include <cmath>

#include "sgda/error.hpp"
#include "sgda/nn/loss.hpp"

namespace sgda {

bool DiracGanOptions::IsValid(std::string* error) const {
  if (!(std::isfinite(r1) && r1 >= 0.0)) {
    if (error) *error = "problem.r1: must be a number >= 0 (0 = no R1 penalty)";
    return false;
  }
  if (!std::isfinite(theta0) || !std::isfinite(psi0)) {
    if (error) *error = "problem.theta0/psi0: must be finite numbers";
    return false;
  }
  return true;
}

DiracGan::DiracGan(const DiracGanOptions& options, std::shared_ptr<const Regularizer> regularizer)
    : Problem(std::move(regularizer)), options_(options) {
  std::string error;
  if (!options_.IsValid(&error)) throw InputError(error);
}

void DiracGan::sample(Index i, ConstVectorRef x, VectorRef out) const {
  (void)i;
  full(x, out);
}

void DiracGan::full(ConstVectorRef x, VectorRef out) const {
  const double theta = x[0], psi = x[1];
  const double slope = nn::sigmoid(-psi * theta);  // φ'(t) = 1/(1 + e^t) = σ(−t)
  out[0] = psi * slope;                            // ∂f/∂θ: the generator descends f
  out[1] = -theta * slope + options_.r1 * psi;  // −∂(f − (γ/2)ψ²)/∂ψ: the discriminator ascends
}

std::vector<Block> DiracGan::blocks() const {
  return {Block{"generator", 0, 1, false}, Block{"discriminator", 1, 1, true}};
}

std::optional<Vector> DiracGan::solution() const {
  // F(0) = 0, so 0 solves the regularized problem iff prox_R(0) = 0 (natural residual zero).
  const Vector zero = Vector::Zero(2);
  Vector work(2);
  if (natural_residual_sq(*this, zero, work) != 0.0) return std::nullopt;
  return zero;
}

Vector DiracGan::initial_point() const {
  Vector x(2);
  x << options_.theta0, options_.psi0;
  return x;
}

double DiracGan::objective(ConstVectorRef x) const {
  // φ(t) = −log(1 + e^{−t}) = −softplus(−t).
  return -nn::softplus(-x[1] * x[0]) - std::log(2.0) - 0.5 * options_.r1 * x[1] * x[1];
}

}  // namespace sgda
