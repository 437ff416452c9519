// Helpers shared by the theory tests: the quadratic forms of the assumptions of the unified
// theory, evaluated through the operator the library actually evaluates, and the generalized
// eigenvectors along which their suprema are attained for affine games (docs/theory.md).
#pragma once

#include <Eigen/Eigenvalues>
#include <cmath>
#include <utility>

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

}  // namespace sgda::testing
