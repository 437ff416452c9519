// The Dirac-GAN of Mescheder, Geiger & Nowozin 2018 ("Which training methods for GANs do
// actually converge?", Sec. 2): data δ_0, generator p_θ = δ_θ, linear discriminator
// D_ψ(x) = ψx, objective
//   f(θ, ψ) = φ(ψθ) + φ(0),  φ(t) = −log(1 + e^{−t}),
// with the generator minimizing and the discriminator maximizing (their vector field is
// v = (−∇_θ f, ∇_ψ f)). The optional R1 penalty (their Sec. 4) on the data, (γ/2)E‖∇_x D_ψ‖²
// = (γ/2)ψ², is subtracted from the discriminator's objective. The VI operator (x = (θ, ψ)) is
//   F(θ, ψ) = −v = (ψ φ'(ψθ), −θ φ'(ψθ) + γψ),  φ'(t) = 1/(1 + e^t),
// with the unique equilibrium (0, 0). Its Jacobian there, [[0, 1/2], [−1/2, γ]], has purely
// imaginary eigenvalues ±i/2 without R1: simultaneous GDA spirals out (‖x‖ grows every step,
// since ⟨F(x), x⟩ = 0 when γ = 0), extragradient and optimistic steps converge, and R1 (γ > 0)
// makes GDA converge for small steps (their Sec. 3 and Theorem 4.1).
#pragma once

#include <memory>
#include <string>

#include "sgda/options.hpp"
#include "sgda/problem.hpp"

namespace sgda {

struct DiracGanOptions {
  double r1 = 0.0;      // γ ≥ 0 of the R1 penalty (γ/2)ψ²
  double theta0 = 1.0;  // the initial point (θ⁰, ψ⁰): (0, 0) is already the equilibrium
  double psi0 = 1.0;

  static const OptionTable<DiracGanOptions>& table();
  std::optional<FieldError> Check() const { return table().check(*this); }
  bool IsValid(std::string* error) const { return passes(Check(), error); }
};

// A deterministic game (n = 1) on x = (θ, ψ); blocks "generator" (min) and "discriminator" (max).
class DiracGan final : public Problem {
 public:
  // The regularizer R (e.g. a box: weight clipping) acts on each player; none by default.
  explicit DiracGan(const DiracGanOptions& options = {},
                    std::shared_ptr<const Regularizer> regularizer = nullptr);

  std::string name() const override { return "dirac-gan"; }
  Index dim() const override { return 2; }
  Index num_samples() const override { return 1; }
  void sample(Index i, ConstVectorRef x, VectorRef out) const override;
  void full(ConstVectorRef x, VectorRef out) const override;
  std::vector<Block> blocks() const override;
  // (0, 0), when it also solves the regularized problem (R = 0, l1, a ball, a box around 0).
  std::optional<Vector> solution() const override;
  Vector initial_point() const override;

  // f(θ, ψ) − (γ/2)ψ², the objective the generator minimizes and the discriminator maximizes.
  double objective(ConstVectorRef x) const;
  const DiracGanOptions& options() const { return options_; }

 private:
  DiracGanOptions options_;
};

}  // namespace sgda
