// A linear generator learning a Gaussian against a quadratic discriminator: the
// linear-quadratic-Gaussian GAN (cf. Feizi et al. 2020, "Understanding GANs in the LQG setting";
// Daskalakis et al. 2018, "Training GANs with optimism", learn a covariance the same way).
//
// Data x ~ N(m, Σ) on R^d; generator G(z) = A z + b, z ~ N(0, I_d); discriminator
// D(x) = vᵀx + xᵀWx. Wasserstein-style objective (a critic, no logistic link), with a ridge on
// the discriminator:
//   f(A, b; v, W) = E_x D(x) − E_z D(G(z)) − (λ/2)(‖v‖² + ‖W‖_F²),
// generator minimizing, discriminator maximizing. Without the ridge f is linear in (v, W) and
// max_D f = +∞ unless the moments match, so the game has no equilibrium to converge to; with
// λ > 0 the best response is D* = ((m − E G)/λ, (E xxᵀ − E GGᵀ)/λ) and
//   max_D f = (1/(2λ))(‖m − E G‖² + ‖E xxᵀ − E G Gᵀ‖_F²),
// zero exactly when the first two moments match. Equilibria: b = m, A Aᵀ = Σ, v = 0, W = 0
// (A only up to A → AQ, Q orthogonal: the Gaussian is determined by A Aᵀ, so solution() is
// unknown and equilibrium() returns the one with A lower triangular).
//
// The finite sum: N data draws x_j and N noise draws z_j, fixed by the seed, split in order into
// n = N/batch minibatches; F_i is the operator of minibatch i. Since D is quadratic, F_i depends
// on the minibatch only through its first and second moments, which are precomputed: sample()
// costs O(d³) whatever the batch size, and is exactly the minibatch gradient. With
// exact_moments the draws are whitened so the data's sample mean and covariance (1/N) are exactly
// m and Σ and the noise's exactly 0 and I: the equilibrium of the finite sum is then exactly
// b = m, A Aᵀ = Σ.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sgda/options.hpp"
#include "sgda/problem.hpp"
#include "sgda/rng.hpp"

namespace sgda {

struct GaussianGanOptions {
  Index dimension = 2;        // d ≥ 1
  Index samples = 1024;       // N data (and noise) draws, > d, a multiple of batch
  Index batch = 32;           // draws per F_i (n = N / batch)
  double lambda = 1.0;        // λ > 0, the discriminator's ridge
  bool exact_moments = true;  // whiten the draws (see above)
  std::uint64_t seed = 0;     // m, Σ (when not given) and the draws

  static const OptionTable<GaussianGanOptions>& table();
  // The table's ranges; samples > dimension and a multiple of batch.
  std::optional<FieldError> Check() const;
  bool IsValid(std::string* error) const { return passes(Check(), error); }
};

// x = (A column-major, b, v, W column-major); blocks "generator.A", "generator.b" (min),
// "discriminator.v", "discriminator.W" (max).
class GaussianGan final : public Problem {
 public:
  // m ~ N(0, I), Σ = Q diag(s) Qᵀ with Q Haar-random and s log-spaced in [0.5, 2], from the seed.
  // `regularizer` acts on each block (none by default; the ridge λ is part of the game).
  explicit GaussianGan(const GaussianGanOptions& options = {},
                       std::shared_ptr<const Regularizer> regularizer = nullptr);
  // Given m and Σ (symmetric positive definite, d × d).
  GaussianGan(const GaussianGanOptions& options, Vector mean, Matrix covariance,
              std::shared_ptr<const Regularizer> regularizer = nullptr);

  std::string name() const override { return "gaussian-gan"; }
  Index dim() const override { return 2 * d_ * d_ + 2 * d_; }
  Index num_samples() const override { return n_; }
  void sample(Index i, ConstVectorRef x, VectorRef out) const override;
  void full(ConstVectorRef x, VectorRef out) const override;
  std::vector<Block> blocks() const override;
  // A = I, b = 0, v = 0, W = 0. (A = 0 would never move: there ∂f/∂A = −(v + (W + Wᵀ)b) z̄ᵀ,
  // which is 0 when the noise has mean 0.)
  Vector initial_point() const override;
  // mean_error = ‖b − m‖, covariance_error = ‖AAᵀ − Σ‖_F / ‖Σ‖_F: the generator's Gaussian
  // N(b, AAᵀ) against the truth N(m, Σ).
  std::vector<std::pair<std::string, double>> metrics(ConstVectorRef x) const override;

  // The equilibrium of the finite sum with A lower triangular: A C_z Aᵀ = C_x and A z̄ + b = x̄
  // for the sample means and covariances of all N draws (b = m, A = chol(Σ) when exact).
  Vector equilibrium() const;
  // f(A, b; v, W) over all N draws (the minibatch i's draws when i ≥ 0), ridge included.
  double objective(ConstVectorRef x, Index i = -1) const;
  const Vector& mean() const { return mean_; }
  const Matrix& covariance() const { return covariance_; }
  Index dimension() const { return d_; }
  const GaussianGanOptions& options() const { return options_; }

 private:
  // First and second (uncentred) moments of some draws.
  struct Moments {
    Vector data_mean, noise_mean;
    Matrix data_second, noise_second;
  };
  void evaluate(const Moments& moments, ConstVectorRef x, VectorRef out) const;
  // Checks m and Σ, draws the data and noise and computes the moments of every minibatch.
  void build(Rng& rng);

  GaussianGanOptions options_;
  Index d_ = 0, n_ = 0;
  Vector mean_;
  Matrix covariance_;
  std::vector<Moments> batches_;
  Moments all_;
  struct Work {
    Vector az, g_mean;
    Matrix s, am;
  };
  mutable Work work_;  // evaluate()'s temporaries (problems are used from one thread)
};

}  // namespace sgda
