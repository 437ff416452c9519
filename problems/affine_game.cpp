#include "sgda/problems/affine_game.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <cmath>
#include <limits>

#include "sgda/error.hpp"

namespace sgda {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double largest_eigenvalue(const Matrix& symmetric) {
  Eigen::SelfAdjointEigenSolver<Matrix> solver(symmetric, Eigen::EigenvaluesOnly);
  return solver.eigenvalues().maxCoeff();
}

}  // namespace

namespace {

std::vector<const Matrix*> pointers_to(const std::vector<Matrix>& matrices) {
  std::vector<const Matrix*> pointers;
  for (const Matrix& m : matrices) pointers.push_back(&m);
  return pointers;
}

}  // namespace

AffineGame::AffineGame(std::vector<Matrix> matrices, Matrix offsets, std::vector<Block> blocks,
                       std::shared_ptr<const Regularizer> regularizer,
                       std::optional<Vector> solution, std::string name)
    : AffineGame(std::make_shared<const std::vector<Matrix>>(std::move(matrices)), {},
                 std::move(offsets), std::move(blocks), std::move(regularizer), std::move(solution),
                 std::move(name)) {}

AffineGame::AffineGame(std::shared_ptr<const std::vector<Matrix>> samples,
                       std::vector<const Matrix*> matrices, Matrix offsets,
                       std::vector<Block> blocks, std::shared_ptr<const Regularizer> regularizer,
                       std::optional<Vector> solution, std::string name)
    : Problem(std::move(regularizer)),
      samples_(std::move(samples)),
      matrices_(matrices.empty() ? pointers_to(*samples_) : std::move(matrices)),
      offsets_(std::move(offsets)),
      blocks_(std::move(blocks)),
      name_(std::move(name)) {
  const Index n = static_cast<Index>(matrices_.size());
  if (n == 0) throw InputError("affine game: needs at least one sample");
  const Index d = matrices_.front()->rows();
  if (d == 0) throw InputError("affine game: dimension must be at least 1");
  for (const Matrix* m : matrices_)
    if (m->rows() != d || m->cols() != d)
      throw InputError("affine game: every M_i must be " + std::to_string(d) + "x" +
                       std::to_string(d));
  if (offsets_.rows() != d || offsets_.cols() != n)
    throw InputError("affine game: offsets must be D x n = " + std::to_string(d) + "x" +
                     std::to_string(n));
  if (blocks_.empty()) blocks_.push_back(Block{"x", 0, d, false});
  Index next = 0;
  for (const Block& b : blocks_) {
    if (b.offset != next || b.size <= 0)
      throw InputError("affine game: blocks must be non-empty and partition the variable in order");
    next += b.size;
  }
  if (next != d) throw InputError("affine game: block sizes must add up to D");

  mean_matrix_ = Matrix::Zero(d, d);
  for (const Matrix* m : matrices_) mean_matrix_ += *m;
  mean_matrix_ /= static_cast<double>(n);
  mean_offset_ = offsets_.rowwise().mean();
  if (solution) {
    if (solution->size() != d) throw InputError("affine game: x* must have length D");
    solution_ = detail::Lazy<std::optional<Vector>>(std::move(solution));
  }
}

const Matrix& AffineGame::inverse_sqrt_sym() const {
  return inverse_sqrt_sym_.get([&]() -> Matrix {
    const Matrix sym = 0.5 * (mean_matrix_ + mean_matrix_.transpose());
    Eigen::SelfAdjointEigenSolver<Matrix> solver(sym);
    const Vector& lambda = solver.eigenvalues();
    const double scale = std::max(lambda.cwiseAbs().maxCoeff(), 1e-300);
    if (lambda.minCoeff() <= 1e-12 * scale)
      return Matrix();  // S singular or indefinite: star-cocoercivity fails
    return solver.eigenvectors() * lambda.cwiseInverse().cwiseSqrt().asDiagonal() *
           solver.eigenvectors().transpose();
  });
}

ProblemConstants AffineGame::constants() const {
  return constants_.get([&] { return compute_constants(); });
}

ProblemConstants AffineGame::compute_constants() const {
  {
    ProblemConstants c;
    const Matrix sym = 0.5 * (mean_matrix_ + mean_matrix_.transpose());
    Eigen::SelfAdjointEigenSolver<Matrix> solver(sym, Eigen::EigenvaluesOnly);
    c.mu = solver.eigenvalues().minCoeff();
    const Matrix& p = inverse_sqrt_sym();
    if (p.size() == 0) {
      c.ell = c.ell_hat = kInf;
    } else {
      // For affine F, F(x) − F(x*) = M̄(x − x*) and Φ = (x − x*)ᵀS(x − x*), so the sup over x of
      // ||M̄u||²/uᵀSu is the generalized eigenvalue λ_max(S^{-1/2} M̄ᵀM̄ S^{-1/2}).
      const Matrix mp = mean_matrix_ * p;
      c.ell = largest_eigenvalue(mp.transpose() * mp);
      const double n = static_cast<double>(num_samples());
      c.ell_hat = weighted_star_cocoercivity(Vector::Constant(num_samples(), 1.0 / n));
    }
    c.sample_lipschitz.resize(num_samples());
    for (Index i = 0; i < num_samples(); ++i) {
      const Matrix& m = sample_matrix(i);
      c.sample_lipschitz[i] = std::sqrt(std::max(0.0, largest_eigenvalue(m.transpose() * m)));
    }
    return c;
  }
}

double AffineGame::grouped_star_cocoercivity(const std::vector<std::vector<Index>>& groups,
                                             const Vector& weights) const {
  // F_g(x) − F_g(x*) = M̄_g u: the sup is λ_max(S^{-1/2} (Σ_g w_g M̄_gᵀM̄_g) S^{-1/2}).
  const Matrix& p = inverse_sqrt_sym();
  if (p.size() == 0) return kInf;
  const Index d = dim();
  Matrix gram = Matrix::Zero(d, d), group_mean(d, d);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const double w = weights[static_cast<Index>(g)];
    if (w == 0.0 || groups[g].empty()) continue;
    group_mean.setZero();
    for (Index i : groups[g]) group_mean += sample_matrix(i);
    group_mean /= static_cast<double>(groups[g].size());
    gram.noalias() += w * (group_mean.transpose() * group_mean);
  }
  return largest_eigenvalue(p * gram * p);
}

std::unique_ptr<Problem> AffineGame::subproblem(const std::vector<Index>& samples) const {
  if (samples.empty()) throw InputError("affine game: a subproblem needs at least one sample");
  std::vector<const Matrix*> matrices;
  Matrix offsets(dim(), static_cast<Index>(samples.size()));
  for (std::size_t k = 0; k < samples.size(); ++k) {
    matrices.push_back(matrices_[static_cast<std::size_t>(samples[k])]);
    offsets.col(static_cast<Index>(k)) = offsets_.col(samples[k]);
  }
  // Not make_unique: the constructor that shares the samples is private.
  return std::unique_ptr<Problem>(new AffineGame(samples_, std::move(matrices), std::move(offsets),
                                                 blocks_, shared_regularizer(), std::nullopt,
                                                 name_ + "[subset]"));
}

std::optional<Vector> AffineGame::solution() const {
  return solution_.get([&] { return compute_solution(); });
}

std::optional<Vector> AffineGame::compute_solution() const {
  const Index d = dim();
  std::optional<Vector> result;
  if (regularizer().is_zero()) {
    // R = 0: x* solves M̄ x = −q̄.
    Eigen::PartialPivLU<Matrix> lu(mean_matrix_);
    if (lu.rcond() > 1e-13) result = Vector(lu.solve(-mean_offset_));
  } else {
    // Forward-backward splitting x ← prox_{γR}(x − γF(x)) with γ = 1/ℓ contracts ||x − x*||² by
    // 1 − μ/ℓ per step for star-cocoercive, μ-strongly monotone F; run it to machine precision.
    const ProblemConstants c = constants();
    if (c.mu > 0.0 && std::isfinite(c.ell)) {
      const double gamma = 1.0 / c.ell;
      const double q = std::sqrt(std::max(0.0, 1.0 - c.mu / c.ell));  // contraction of the norm
      const auto max_steps = static_cast<std::int64_t>(100.0 * c.ell / c.mu) + 10000;
      Vector x = Vector::Zero(d), f(d), next(d);
      for (std::int64_t k = 0; k < max_steps; ++k) {
        full(x, f);
        next = x - gamma * f;
        prox_blocks(*this, blocks_, gamma, next);
        const double step = (next - x).norm();
        x.swap(next);
        // ||x − x*|| ≤ step / (1 − q): stop when that is at rounding level.
        if (step <= 1e-15 * (1.0 - q) * std::max(1.0, x.norm())) {
          result = x;
          break;
        }
      }
      if (!result) {
        // Rounding may keep the step above the threshold; accept a tiny natural residual.
        Vector work(d);
        if (natural_residual_sq(*this, x, work) <= 1e-26 * std::max(1.0, x.squaredNorm()))
          result = x;
      }
    }
  }
  return result;
}

AffineGame AffineGame::with_regularizer(std::shared_ptr<const Regularizer> regularizer) const {
  std::optional<Vector> known;
  if ((!regularizer || regularizer->is_zero()) && this->regularizer().is_zero()) known = solution();
  AffineGame game(samples_, matrices_, offsets_, blocks_, std::move(regularizer), known, name_);
  game.set_worker_partition(workers_);
  return game;
}

}  // namespace sgda
