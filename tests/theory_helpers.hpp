// Helpers shared by the theory tests: the quadratic forms of the assumptions of the unified
// theory, evaluated through the operator the library actually evaluates, and the generalized
// eigenvectors along which their suprema are attained for affine games (docs/theory.md).
#pragma once

#include <Eigen/Eigenvalues>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <utility>

#include "sgda/estimator.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/rng.hpp"

namespace sgda::testing {

inline Vector random_vector(Index d, Rng& rng) {
  Vector v(d);
  for (auto& e : v) e = rng.normal();
  return v;
}

inline Matrix sym_part(const Matrix& m) { return 0.5 * (m + m.transpose()); }

// The three sides of the assumptions at x, from full() and sample() evaluations:
// Φ = <F(x) − F*, x − x*>, ||x − x*||², ||F(x) − F*||² and (1/n)Σ||F_i(x) − F_i(x*)||².
struct Forms {
  double phi = 0, distance_sq = 0, mean_sq = 0, sample_sq = 0;
};

inline Forms forms_at(const Problem& game, const Vector& x, const Vector& x_star) {
  const Index d = game.dim(), n = game.num_samples();
  Vector f(d), f_star(d), fi(d), fi_star(d);
  game.full(x, f);
  game.full(x_star, f_star);
  Forms out;
  out.phi = (f - f_star).dot(x - x_star);
  out.distance_sq = (x - x_star).squaredNorm();
  out.mean_sq = (f - f_star).squaredNorm();
  for (Index i = 0; i < n; ++i) {
    game.sample(i, x, fi);
    game.sample(i, x_star, fi_star);
    out.sample_sq += (fi - fi_star).squaredNorm();
  }
  out.sample_sq /= static_cast<double>(n);
  return out;
}

// Σ_i w_i M_iᵀM_i.
inline Matrix sample_gram(const AffineGame& game, const Vector& weights) {
  Matrix gram = Matrix::Zero(game.dim(), game.dim());
  for (Index i = 0; i < game.num_samples(); ++i)
    gram += weights[i] * game.sample_matrix(i).transpose() * game.sample_matrix(i);
  return gram;
}

// The largest λ with a v = λ b v (b positive definite) and its eigenvector, by Eigen's
// Cholesky-based generalized solver: independent of the library's S^{-1/2} route.
inline std::pair<double, Vector> top_generalized(const Matrix& a, const Matrix& b) {
  Eigen::GeneralizedSelfAdjointEigenSolver<Matrix> solver(a, b);
  const Index last = a.rows() - 1;
  return {solver.eigenvalues()[last], solver.eigenvectors().col(last)};
}

// The eigenvector of the smallest eigenvalue of a symmetric matrix.
inline std::pair<double, Vector> bottom_eigen(const Matrix& symmetric) {
  Eigen::SelfAdjointEigenSolver<Matrix> solver(symmetric);
  return {solver.eigenvalues()[0], solver.eigenvectors().col(0)};
}

// Monte Carlo tolerance: a mean of N i.i.d. draws is off by more than z·sd/√N with probability
// < 2e-9 for z = 6 (normal approximation), so a few hundred such checks never flake.
constexpr double kZ = 6.0;

// Sample mean and standard deviation (Welford) of the draws g and of ||g − F*||².
struct MonteCarlo {
  Vector mean, sd;
  double sq_mean = 0, sq_sd = 0;
  int draws = 0;
};

inline MonteCarlo monte_carlo(Index d, int draws, const Vector& f_star,
                              const std::function<void(VectorRef)>& draw) {
  MonteCarlo mc;
  Vector mean = Vector::Zero(d), m2 = Vector::Zero(d), g(d), delta(d);
  double sq_mean = 0, sq_m2 = 0;
  for (int k = 1; k <= draws; ++k) {
    draw(g);
    delta = g - mean;
    mean += delta / k;
    m2 += delta.cwiseProduct(g - mean);
    const double sq = (g - f_star).squaredNorm();
    const double sq_delta = sq - sq_mean;
    sq_mean += sq_delta / k;
    sq_m2 += sq_delta * (sq - sq_mean);
  }
  mc.mean = mean;
  mc.sd = (m2 / (draws - 1)).cwiseSqrt();
  mc.sq_mean = sq_mean;
  mc.sq_sd = std::sqrt(sq_m2 / (draws - 1));
  mc.draws = draws;
  return mc;
}

// |mean_j − F_j| ≤ z·sd_j/√N per coordinate (plus rounding of the running mean, 1e-12·scale).
inline void check_unbiased(const MonteCarlo& mc, const Vector& f) {
  const double root_n = std::sqrt(double(mc.draws));
  for (Index j = 0; j < f.size(); ++j) {
    INFO("coordinate " << j << ": mean " << mc.mean[j] << ", F_j " << f[j] << ", sd " << mc.sd[j]);
    CHECK(std::abs(mc.mean[j] - f[j]) <= kZ * mc.sd[j] / root_n + 1e-12 * (1 + std::abs(f[j])));
  }
}

// Both inequalities of the unified assumption (docs/theory.md) and unbiasedness, from one state of
// an estimator: every draw estimates from a clone of `base` with its own stream, so E_k is over
// the draw's randomness only. One-sided: the Monte Carlo mean may exceed a bound by at most z
// standard errors.
inline void check_unified_assumption(const Problem& problem, const Estimator& base,
                                     const TheoryParameters& t, const Vector& x,
                                     const Vector& x_star, int draws, std::uint64_t seed) {
  const Index d = problem.dim();
  Vector f(d), f_star(d);
  problem.full(x, f);
  problem.full(x_star, f_star);
  const double phi = (f - f_star).dot(x - x_star);
  const double sigma_sq = base.sigma_squared(x_star);
  double next_sigma_sum = 0, next_sigma_sq_sum = 0;
  Counters counters;
  std::uint64_t k = 0;
  const MonteCarlo mc = monte_carlo(d, draws, f_star, [&](VectorRef g) {
    auto copy = base.clone();
    Rng rng(seed + k++);
    copy->estimate(x, g, rng, counters);
    const double next = copy->sigma_squared(x_star);
    next_sigma_sum += next;
    next_sigma_sq_sum += next * next;
  });
  check_unbiased(mc, f);
  const double n = draws;
  const double next_mean = next_sigma_sum / n;
  const double next_se =
      std::sqrt(std::max(0.0, next_sigma_sq_sum / n - next_mean * next_mean) / n);
  INFO("phi " << phi << ", sigma_k^2 " << sigma_sq);
  CHECK(mc.sq_mean - kZ * mc.sq_sd / std::sqrt(n) <=
        (2 * t.A * phi + t.B * sigma_sq + t.D1) * (1 + 1e-12));
  CHECK(next_mean - kZ * next_se <=
        (2 * t.C * phi + (1 - t.rho) * sigma_sq + t.D2) * (1 + 1e-12) + 1e-12);
}

}  // namespace sgda::testing
