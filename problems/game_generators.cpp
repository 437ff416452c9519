// Generators of affine games with prescribed constants (README, "Generated games").
#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <cmath>
#include <sstream>

#include "sgda/error.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/rng.hpp"

namespace sgda {
namespace {

Matrix gaussian(Index rows, Index cols, double scale, Rng& rng) {
  Matrix m(rows, cols);
  for (Index j = 0; j < cols; ++j)
    for (Index i = 0; i < rows; ++i) m(i, j) = scale * rng.normal();
  return m;
}

Matrix random_orthogonal(Index d, Rng& rng) {
  Eigen::HouseholderQR<Matrix> qr(gaussian(d, d, 1.0, rng));
  Matrix q = qr.householderQ();
  // Fix the signs so Q is Haar distributed (Mezzadri 2007).
  const Matrix r = qr.matrixQR().triangularView<Eigen::Upper>();
  for (Index j = 0; j < d; ++j)
    if (r(j, j) < 0) q.col(j) *= -1.0;
  return q;
}

// Spectral norm of a square matrix.
double spectral_norm(const Matrix& m) {
  Eigen::SelfAdjointEigenSolver<Matrix> solver(m.transpose() * m, Eigen::EigenvaluesOnly);
  return std::sqrt(std::max(0.0, solver.eigenvalues().maxCoeff()));
}

// The samples around a given mean: M_i = M̄ + w_i(E_i − Ē_w), q_i = q̄ + w_i(e_i − ē_w) with
// Ē_w = Σ w_j E_j / Σ w_j, so that (1/n) Σ M_i = M̄ and (1/n) Σ q_i = q̄ exactly in exact
// arithmetic, whatever the weights.
void add_samples(const Matrix& mean, const Vector& mean_offset, const Vector& weights,
                 double matrix_scale, double offset_scale, Rng& rng, std::vector<Matrix>& matrices,
                 Matrix& offsets) {
  const Index n = weights.size(), d = mean.rows();
  std::vector<Matrix> noise(static_cast<std::size_t>(n));
  Matrix offset_noise(d, n);
  Matrix weighted_mean = Matrix::Zero(d, d);
  Vector weighted_offset = Vector::Zero(d);
  for (Index i = 0; i < n; ++i) {
    noise[static_cast<std::size_t>(i)] = gaussian(d, d, matrix_scale, rng);
    offset_noise.col(i) = gaussian(d, 1, offset_scale, rng);
    weighted_mean += weights[i] * noise[static_cast<std::size_t>(i)];
    weighted_offset += weights[i] * offset_noise.col(i);
  }
  weighted_mean /= weights.sum();
  weighted_offset /= weights.sum();
  matrices.clear();
  offsets.resize(d, n);
  for (Index i = 0; i < n; ++i) {
    matrices.push_back(mean + weights[i] * (noise[static_cast<std::size_t>(i)] - weighted_mean));
    offsets.col(i) = mean_offset + weights[i] * (offset_noise.col(i) - weighted_offset);
  }
}

std::string str(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

bool fail(std::string* error, const std::string& message) {
  if (error) *error = message;
  return false;
}

}  // namespace

bool QuadraticGameOptions::IsValid(std::string* error) const {
  if (samples < 1) return fail(error, "problem.samples: must be an integer >= 1");
  if (dimension < 1) return fail(error, "problem.dimension: must be an integer >= 1");
  if (!(std::isfinite(mu) && mu > 0))
    return fail(error, "problem.mu: must be a finite number > 0, got " + str(mu));
  if (!(std::isfinite(ell) && ell >= mu))
    return fail(error, "problem.ell: must be a finite number >= mu, got " + str(ell));
  if (!(std::isfinite(noise) && noise >= 0))
    return fail(error, "problem.noise: must be a finite number >= 0, got " + str(noise));
  if (!(std::isfinite(offset_noise) && offset_noise >= 0))
    return fail(error, "problem.offset_noise: must be a finite number >= 0");
  if (!(std::isfinite(heavy_scale) && heavy_scale > 0))
    return fail(error, "problem.heavy_scale: must be a finite number > 0");
  return true;
}

bool BilinearGameOptions::IsValid(std::string* error) const {
  if (samples < 1) return fail(error, "problem.samples: must be an integer >= 1");
  if (dimension < 1) return fail(error, "problem.dimension: must be an integer >= 1");
  if (!(std::isfinite(mu) && mu >= 0))
    return fail(error, "problem.mu: must be a finite number >= 0, got " + str(mu));
  if (!(std::isfinite(coupling) && coupling > 0))
    return fail(error, "problem.coupling: must be a finite number > 0, got " + str(coupling));
  if (!(std::isfinite(noise) && noise >= 0))
    return fail(error, "problem.noise: must be a finite number >= 0, got " + str(noise));
  if (!(std::isfinite(offset_noise) && offset_noise >= 0))
    return fail(error, "problem.offset_noise: must be a finite number >= 0");
  return true;
}

AffineGame generate_quadratic_game(const QuadraticGameOptions& options,
                                   std::shared_ptr<const Regularizer> regularizer) {
  std::string error;
  if (!options.IsValid(&error)) throw InputError(error);
  Rng rng(options.seed);
  const Index d = options.dimension, big_d = 2 * d;
  const double mu = options.mu, ell = options.ell;

  // Symmetric part S = diag(S_x, S_y): log-spaced spectrum from μ to √(μℓ) for each player.
  const double top = std::sqrt(mu * ell);
  Vector spectrum(d);
  for (Index j = 0; j < d; ++j)
    spectrum[j] = d == 1 ? mu : mu * std::pow(top / mu, static_cast<double>(j) / (d - 1));
  Matrix sym = Matrix::Zero(big_d, big_d), inv_sqrt = Matrix::Zero(big_d, big_d);
  for (Index player = 0; player < 2; ++player) {
    const Matrix q = random_orthogonal(d, rng);
    sym.block(player * d, player * d, d, d) = q * spectrum.asDiagonal() * q.transpose();
    inv_sqrt.block(player * d, player * d, d, d) =
        q * spectrum.cwiseSqrt().cwiseInverse().asDiagonal() * q.transpose();
  }
  // Skew coupling K = [[0, B], [−Bᵀ, 0]] with ||B|| = 1; it leaves sym(M̄) = S, so μ stays.
  Matrix coupling = gaussian(d, d, 1.0, rng);
  coupling /= spectral_norm(coupling);
  Matrix skew = Matrix::Zero(big_d, big_d);
  skew.block(0, d, d, d) = coupling;
  skew.block(d, 0, d, d) = -coupling.transpose();

  // ℓ(t) = λ_max(S^{-1/2} (S + tK)ᵀ(S + tK) S^{-1/2}) is continuous with ℓ(0) = √(μℓ) ≤ ℓ and
  // ℓ(t) → ∞: bracket and bisect for ℓ(t) = ℓ.
  auto star_cocoercivity = [&](double t) {
    const Matrix mp = (sym + t * skew) * inv_sqrt;
    Eigen::SelfAdjointEigenSolver<Matrix> solver(mp.transpose() * mp, Eigen::EigenvaluesOnly);
    return solver.eigenvalues().maxCoeff();
  };
  double t = 0.0;
  if (star_cocoercivity(0.0) < ell) {
    double lo = 0.0, hi = std::sqrt(mu * ell);
    while (star_cocoercivity(hi) < ell) {
      lo = hi;
      hi *= 2.0;
    }
    for (int it = 0; it < 200 && hi - lo > 1e-14 * hi; ++it) {
      const double mid = 0.5 * (lo + hi);
      (star_cocoercivity(mid) < ell ? lo : hi) = mid;
    }
    t = 0.5 * (lo + hi);
  }
  const Matrix mean = sym + t * skew;
  const Vector target = gaussian(big_d, 1, 1.0, rng);  // x* of the unregularized game
  const Vector mean_offset = -mean * target;

  Vector weights = Vector::Ones(options.samples);
  for (Index i = options.samples / 2; i < options.samples; ++i) weights[i] = options.heavy_scale;
  if (options.samples == 1) weights[0] = 1.0;
  std::vector<Matrix> matrices;
  Matrix offsets;
  add_samples(mean, mean_offset, weights, options.noise * ell / std::sqrt(double(big_d)),
              options.offset_noise, rng, matrices, offsets);
  std::vector<Block> blocks = {{"x", 0, d, false}, {"y", d, d, true}};
  return AffineGame(std::move(matrices), std::move(offsets), std::move(blocks),
                    std::move(regularizer), std::nullopt, "quadratic");
}

AffineGame generate_bilinear_game(const BilinearGameOptions& options,
                                  std::shared_ptr<const Regularizer> regularizer) {
  std::string error;
  if (!options.IsValid(&error)) throw InputError(error);
  Rng rng(options.seed);
  const Index d = options.dimension, big_d = 2 * d;
  Matrix coupling = gaussian(d, d, 1.0, rng);
  coupling *= options.coupling / spectral_norm(coupling);
  Matrix mean = options.mu * Matrix::Identity(big_d, big_d);
  mean.block(0, d, d, d) = coupling;
  mean.block(d, 0, d, d) = -coupling.transpose();
  const Vector target = gaussian(big_d, 1, 1.0, rng);
  const Vector mean_offset = -mean * target;

  // Perturb only the coupling, keeping each sample a bilinear game: noise with the skew pattern.
  const Index n = options.samples;
  const double scale = options.noise * options.coupling / std::sqrt(double(d));
  std::vector<Matrix> noise(static_cast<std::size_t>(n));
  Matrix noise_mean = Matrix::Zero(d, d);
  for (auto& e : noise) {
    e = gaussian(d, d, scale, rng);
    noise_mean += e / static_cast<double>(n);
  }
  std::vector<Matrix> matrices;
  Matrix offsets;
  add_samples(mean, mean_offset, Vector::Ones(n), 0.0, options.offset_noise, rng, matrices,
              offsets);
  for (Index i = 0; i < n; ++i) {
    const Matrix e = noise[static_cast<std::size_t>(i)] - noise_mean;
    matrices[static_cast<std::size_t>(i)].block(0, d, d, d) += e;
    matrices[static_cast<std::size_t>(i)].block(d, 0, d, d) -= e.transpose();
  }
  std::vector<Block> blocks = {{"x", 0, d, false}, {"y", d, d, true}};
  return AffineGame(std::move(matrices), std::move(offsets), std::move(blocks),
                    std::move(regularizer), std::nullopt, "bilinear");
}

}  // namespace sgda
