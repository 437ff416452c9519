#include "sgda/problems/dirac_gan.hpp"

#include <cmath>

#include "sgda/error.hpp"
#include "sgda/nn/loss.hpp"

namespace sgda {

const OptionTable<DiracGanOptions>& DiracGanOptions::table() {
  using O = DiracGanOptions;
  static const OptionTable<O> table("DiracGanOptions",
                                    {
                                        field("r1", &O::r1, "R1 penalty gamma on the discriminator")
                                            .at_least(0)
                                            .or_zero("no R1 penalty"),
                                        field("theta0", &O::theta0, "initial generator"),
                                        field("psi0", &O::psi0, "initial discriminator"),
                                    });
  return table;
}

DiracGan::DiracGan(const DiracGanOptions& options, std::shared_ptr<const Regularizer> regularizer)
    : Problem(std::move(regularizer)), options_(options) {
  if (const auto error = options_.Check()) throw InputError(*error);
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
