#include "sgda/problems/affine_game.hpp"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <algorithm>
#include <cmath>
#include <exception>
#include <functional>
#include <limits>
#include <optional>
#include <thread>

#include "sgda/detail/lanczos.hpp"
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

const AffineGame::SymFactor& AffineGame::sym_factor() const {
  return sym_factor_.get([&]() -> SymFactor {
    // The same test of S as inverse_sqrt_sym(), λ_min(S) ≤ 1e-12·max|λ(S)|, from Lanczos values
    // (O(k·D²) each; λ_max to 1e-14·||S||, more than the test's scale needs), then a Cholesky
    // factor (O(D³/3)).
    const Matrix sym = 0.5 * (mean_matrix_ + mean_matrix_.transpose());
    const auto apply = [&](const Vector& v, Vector& out) { out.noalias() = sym * v; };
    SymFactor f;
    f.bottom = detail::lanczos(dim(), apply, detail::SpectrumEnd::kSmallest).value;
    const double top = detail::lanczos(dim(), apply, detail::SpectrumEnd::kLargest).value;
    const double scale = std::max({std::abs(f.bottom), std::abs(top), 1e-300});
    // μ certified: θ ≥ λ_min (a Rayleigh quotient), and a Cholesky factor of S − (θ − δ)I
    // exists only if λ_min > θ − δ (up to its backward error, ~D·ε·||S||), δ = 1e-11·||S||.
    // Otherwise (an unresolved cluster fooled the stopping rule) the dense eigenvalues.
    const Matrix shifted = sym - (f.bottom - 1e-11 * scale) * Matrix::Identity(dim(), dim());
    if (Eigen::LLT<Matrix>(shifted).info() != Eigen::Success) {
      Eigen::SelfAdjointEigenSolver<Matrix> solver(sym, Eigen::EigenvaluesOnly);
      f.bottom = solver.eigenvalues().minCoeff();
    }
    if (f.bottom <= 1e-12 * scale) return f;
    Eigen::LLT<Matrix> llt(sym);
    if (llt.info() == Eigen::Success) f.cholesky = llt.matrixL();
    return f;
  });
}

AffineGame::EigenMethod AffineGame::default_method() const {
  return dim() <= detail::kDenseEigenDimension ? EigenMethod::kDense : EigenMethod::kLanczos;
}

ProblemConstants AffineGame::constants() const {
  return constants_.get([&] { return compute_constants(default_method()); });
}

namespace {

// λ_max(L^{-1} G L^{-T}) for G applied by `gram`: the eigenvalues of S^{-1/2} G S^{-1/2}, as
// L^{-1}S^{1/2} is orthogonal. Per Lanczos step two triangular solves (O(D²)) and one product.
double top_in_metric(const Matrix& cholesky,
                     const std::function<void(const Vector&, Vector&)>& gram) {
  const auto lower = cholesky.triangularView<Eigen::Lower>();
  const Index d = cholesky.rows();
  Vector u(d), g(d);
  const auto apply = [&](const Vector& v, Vector& out) {
    u = lower.transpose().solve(v);
    gram(u, g);
    out = lower.solve(g);
  };
  return detail::lanczos(d, apply, detail::SpectrumEnd::kLargest).value;
}

// o1 = Mᵀ(M v1) and o2 = Mᵀ(M v2) in one pass over M: rows in blocks of 32 (a 32 × D block,
// 512 KB at D = 2000, stays in L2 for its four products), where Eigen's two products over all of
// M read it twice per vector. Eigen's kernels keep all four vectorized; Mᵀy sums each column's
// terms in lanes, which a plain loop summing them in order (no reassociation) cannot.
// Memory-bound: about the cost of one product with M.
void gram_products(const Matrix& m, const Vector& v1, const Vector& v2, Vector& o1, Vector& o2) {
  constexpr Index kRows = 32;
  using Rows = Eigen::Map<const Eigen::Matrix<double, kRows, Eigen::Dynamic>, Eigen::Unaligned,
                          Eigen::OuterStride<>>;
  const Index d = m.rows(), full = d - d % kRows;
  Eigen::Matrix<double, kRows, 1> y1, y2;
  o1.setZero();
  o2.setZero();
  for (Index r = 0; r < full; r += kRows) {
    const Rows rows(m.data() + r, kRows, d, Eigen::OuterStride<>(d));
    y1.noalias() = rows * v1;
    y2.noalias() = rows * v2;
    o1.noalias() += rows.transpose() * y1;
    o2.noalias() += rows.transpose() * y2;
  }
  if (full < d) {
    const auto rest = m.bottomRows(d - full);
    const Vector z1 = rest * v1, z2 = rest * v2;
    o1.noalias() += rest.transpose() * z1;
    o2.noalias() += rest.transpose() * z2;
  }
}

}  // namespace

ProblemConstants AffineGame::compute_constants(EigenMethod method) const {
  if (method == EigenMethod::kLanczos) {
    const auto visit = [this](Index begin, Index end, const std::function<bool(Index)>& wanted,
                              const std::function<void(Index, const Matrix&)>& each) {
      for (Index i = begin; i < end; ++i)
        if (wanted(i)) each(i, sample_matrix(i));
    };
    return constants_of_samples(num_samples(), visit, std::thread::hardware_concurrency() >= 2);
  }
  // Dense: eigendecompositions, O(n·D³) in all.
  ProblemConstants c;
  const Matrix sym = 0.5 * (mean_matrix_ + mean_matrix_.transpose());
  bool positive = false;  // S positive definite: ℓ and ℓ̂ finite
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
    positive = true;
  }
  c.sample_lipschitz.resize(num_samples());
  for (Index i = 0; i < num_samples(); ++i) {
    const Matrix& m = sample_matrix(i);
    c.sample_lipschitz[i] = std::sqrt(std::max(0.0, largest_eigenvalue(m.transpose() * m)));
  }
  if (positive) {
    const double n = static_cast<double>(num_samples());
    std::vector<std::vector<Index>> singletons(static_cast<std::size_t>(num_samples()));
    for (Index i = 0; i < num_samples(); ++i) singletons[static_cast<std::size_t>(i)] = {i};
    c.ell_hat =
        grouped_star_cocoercivity(singletons, Vector::Constant(num_samples(), 1.0 / n), method);
  }
  return c;
}

ProblemConstants AffineGame::constants_of_samples(Index n, const SampleVisitor& visit,
                                                  bool threaded) const {
  ProblemConstants c;
  const Index d = dim();
  bool positive = false;  // S positive definite: ℓ and ℓ̂ finite
  // μ = λ_min(S) by Lanczos on S: O(k·D²). ℓ as above in the metric of L: O(k·D²).
  const SymFactor& factor = sym_factor();
  c.mu = factor.bottom;
  const Matrix& l = factor.cholesky;
  if (l.size() == 0) {
    c.ell = c.ell_hat = kInf;
  } else {
    Vector w(d);
    c.ell = top_in_metric(l, [&](const Vector& v, Vector& out) {
      w.noalias() = mean_matrix_ * v;
      out.noalias() = mean_matrix_.transpose() * w;
    });
    positive = true;
  }
  // L_i = sqrt(λ_max(M_iᵀM_i)) and ℓ̂ = λ_max(L^{-1}((1/n)Σ M_iᵀM_i)L^{-T}) by n + 1 Lanczos
  // runs advanced together: each pass reads every M_i once (gram_products) for the step of its
  // own run and its term of ℓ̂'s. O(k·n·D²) for k passes, never a D³ Gram. The samples are swept
  // in two halves, in two threads when `threaded`; the halves' sums are added in a fixed order,
  // so the result does not depend on the threads.
  std::vector<detail::Lanczos> runs;
  for (Index i = 0; i < n; ++i) runs.emplace_back(d, detail::SpectrumEnd::kLargest);
  std::optional<detail::Lanczos> hat;
  if (positive) hat.emplace(d, detail::SpectrumEnd::kLargest);
  const auto lower = l.triangularView<Eigen::Lower>();
  const Vector zero = Vector::Zero(d);
  Vector u = zero;
  struct Half {
    Index begin, end;
    Vector sum, own, term;
    bool active = true;
  };
  Half halves[2] = {{0, n / 2, Vector(d), Vector(d), Vector(d)},
                    {n / 2, n, Vector(d), Vector(d), Vector(d)}};
  threaded = threaded && n >= 2;
  for (bool active = true; active;) {
    const bool hat_active = hat && !hat->done();
    if (hat_active) u = lower.transpose().solve(hat->vector());
    const auto sweep = [&](Half& h) {
      h.active = false;
      h.sum.setZero();
      const auto wanted = [&](Index i) {
        return hat_active || !runs[static_cast<std::size_t>(i)].done();
      };
      visit(h.begin, h.end, wanted, [&](Index i, const Matrix& m) {
        detail::Lanczos& run = runs[static_cast<std::size_t>(i)];
        gram_products(m, run.done() ? zero : run.vector(), u, h.own, h.term);
        if (!run.done()) run.push(h.own);
        if (hat_active) h.sum.noalias() += h.term / static_cast<double>(n);
        h.active = h.active || !run.done();
      });
    };
    if (threaded) {
      std::exception_ptr failure;  // rethrown here: an exception must not leave the thread
      std::thread second([&] {
        try {
          sweep(halves[1]);
        } catch (...) {
          failure = std::current_exception();
        }
      });
      try {
        sweep(halves[0]);
      } catch (...) {
        second.join();
        throw;
      }
      second.join();
      if (failure) std::rethrow_exception(failure);
    } else {
      sweep(halves[0]);
      sweep(halves[1]);
    }
    active = halves[0].active || halves[1].active;
    if (hat_active) {
      hat->push(lower.solve(halves[0].sum + halves[1].sum));
      active = active || !hat->done();
    }
  }
  c.sample_lipschitz.resize(n);
  for (Index i = 0; i < n; ++i)
    c.sample_lipschitz[i] =
        std::sqrt(std::max(0.0, runs[static_cast<std::size_t>(i)].result().value));
  if (hat) c.ell_hat = hat->result().value;
  return c;
}

double AffineGame::grouped_star_cocoercivity(const std::vector<std::vector<Index>>& groups,
                                             const Vector& weights) const {
  return grouped_star_cocoercivity(groups, weights, default_method());
}

double AffineGame::grouped_star_cocoercivity(const std::vector<std::vector<Index>>& groups,
                                             const Vector& weights, EigenMethod method) const {
  // F_g(x) − F_g(x*) = M̄_g u: the sup is λ_max(S^{-1/2} (Σ_g w_g M̄_gᵀM̄_g) S^{-1/2}).
  const Index d = dim();
  if (method == EigenMethod::kLanczos) {
    // The Gram applied as Σ_g w_g M̄_gᵀ(M̄_g v): O(k·n·D²) for k steps, where forming it costs
    // O(n·D³). Group means of several samples are formed once (O(n·D²)).
    const Matrix& l = sym_factor().cholesky;
    if (l.size() == 0) return kInf;
    std::vector<std::pair<double, const Matrix*>> terms;
    std::vector<Matrix> means;
    means.reserve(groups.size());
    for (std::size_t g = 0; g < groups.size(); ++g) {
      const double w = weights[static_cast<Index>(g)];
      if (w == 0.0 || groups[g].empty()) continue;
      if (groups[g].size() == 1) {
        terms.emplace_back(w, &sample_matrix(groups[g].front()));
        continue;
      }
      Matrix& mean = means.emplace_back(Matrix::Zero(d, d));
      for (Index i : groups[g]) mean += sample_matrix(i);
      mean /= static_cast<double>(groups[g].size());
      terms.emplace_back(w, &mean);
    }
    Vector w(d);
    return top_in_metric(l, [&](const Vector& v, Vector& out) {
      out.setZero();
      for (const auto& [weight, m] : terms) {
        w.noalias() = *m * v;
        out.noalias() += weight * (m->transpose() * w);
      }
    });
  }
  const Matrix& p = inverse_sqrt_sym();
  if (p.size() == 0) return kInf;
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

const AffineGame::LinearBound& AffineGame::sample_bound() const {
  return sample_bound_.get([&] {
    LinearBound bound;
    for (const Matrix* m : matrices_)
      bound.slope = std::max(bound.slope, m->cwiseAbs().rowwise().sum().maxCoeff());
    if (offsets_.size() > 0) bound.offset = offsets_.cwiseAbs().maxCoeff();
    const double rounding = 1.0 + 2.0 * double(dim() + 3) * std::numeric_limits<double>::epsilon();
    bound.slope *= rounding;
    bound.offset *= rounding;
    return bound;
  });
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
