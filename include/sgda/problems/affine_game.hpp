// Affine finite-sum games F_i(z) = M_i z + q_i on R^D (Beznosikov et al. 2023, Sec. 7).
// Individual M_i need not be monotone: the theory only uses averaged conditions on the mean.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "sgda/detail/lazy.hpp"
#include "sgda/options.hpp"
#include "sgda/problem.hpp"

namespace sgda {

class AffineGame final : public Problem {
 public:
  // matrices: n matrices of size D×D; offsets: D×n (column i is q_i); blocks partition R^D.
  // `solution` is x* of the regularized problem if the caller knows it; otherwise it is
  // computed on first use (a linear solve when R = 0, forward-backward splitting otherwise).
  AffineGame(std::vector<Matrix> matrices, Matrix offsets, std::vector<Block> blocks,
             std::shared_ptr<const Regularizer> regularizer = nullptr,
             std::optional<Vector> solution = std::nullopt, std::string name = "affine");

  std::string name() const override { return name_; }
  Index dim() const override { return mean_offset_.size(); }
  Index num_samples() const override { return static_cast<Index>(matrices_.size()); }

  // F_i(x) = q_i + M_i x and F(x) = q̄ + M̄x; the products accumulate into the offsets, with no
  // zeroing pass. Templates over Eigen vector types, inline: the solver's fused path calls them
  // with its own aligned vectors (sgda::sample_of), the virtual entry points with Refs.
  template <class X, class Out>
  void sample_into(Index i, const X& x, Out& out) const {
    out = offsets_.col(i);
    out.noalias() += *matrices_[static_cast<std::size_t>(i)] * x;
  }
  // F_i(x) − F_i(w) = M_i(x − w): one product where two calls make two (the offsets cancel).
  template <class X, class W, class Out, class Work>
  void sample_difference_into(Index i, const X& x, const W& w, Out& out, Work& workspace) const {
    workspace = x - w;
    out.noalias() = *matrices_[static_cast<std::size_t>(i)] * workspace;
  }
  template <class X, class Out>
  void full_into(const X& x, Out& out) const {
    out = mean_offset_;
    out.noalias() += mean_matrix_ * x;
  }
  void sample(Index i, ConstVectorRef x, VectorRef out) const override { sample_into(i, x, out); }
  void full(ConstVectorRef x, VectorRef out) const override { full_into(x, out); }
  void sample_difference(Index i, ConstVectorRef x, ConstVectorRef w, VectorRef out,
                         VectorRef workspace) const override {
    sample_difference_into(i, x, w, out, workspace);
  }
  // O(D): one row of the mean, read from a row-major copy of M̄ made on first use (a row of the
  // column-major M̄ is D cache lines apart).
  double coordinate(Index j, ConstVectorRef x) const override {
    // Once: D² copies, then contiguous rows.
    const RowMajorMatrix& rows = mean_rows_.get([&] { return RowMajorMatrix(mean_matrix_); });
    return rows.row(j).dot(x) + mean_offset_[j];
  }
  bool coordinates_are_cheap() const override { return true; }
  // ‖F_i(x)‖∞ ≤ slope·‖x‖∞ + offset for every sample i and x, as computed: slope = max_i ‖M_i‖∞
  // (the largest absolute row sum) and offset = max_i ‖q_i‖∞, both times 1 + 2(D + 3)ε for the
  // rounding of a length-D product and of the bound (Higham 2002, §3.1). The solver's fused
  // path moves with it without a finiteness test. O(n·D²) on first use.
  struct LinearBound {
    double slope = 0.0, offset = 0.0;
  };
  const LinearBound& sample_bound() const;

  std::vector<Block> blocks() const override { return blocks_; }
  std::optional<Vector> solution() const override;
  // μ = λ_min(S), ℓ = λ_max(S^{-1/2} M̄ᵀM̄ S^{-1/2}), ℓ̂ = λ_max(S^{-1/2}((1/n)Σ M_iᵀM_i)S^{-1/2})
  // with S = sym(M̄); exact for affine operators. ℓ = ℓ̂ = +∞ when S is singular.
  ProblemConstants constants() const override;
  double grouped_star_cocoercivity(const std::vector<std::vector<Index>>& groups,
                                   const Vector& weights) const override;
  // How the constants are computed. kDense: eigendecompositions of S, S^{-1/2}M̄ᵀM̄S^{-1/2},
  // the weighted Gram and every M_iᵀM_i, O(n·D³) in all. kLanczos: extreme eigenvalues by
  // Lanczos (sgda/detail/lanczos.hpp) on the operators applied as products, never formed, with
  // a Cholesky factor S = LLᵀ (O(D³/3), once) in place of S^{-1/2}: O(k·D²) for μ and ℓ,
  // O(k·n·D²) for ℓ̂ and for the n L_i, k ≈ tens of steps; within ~1e-14·||A|| of the dense
  // values. constants() and grouped_star_cocoercivity() take kDense for
  // D ≤ detail::kDenseEigenDimension (unchanged bits for small games), kLanczos above.
  enum class EigenMethod { kDense, kLanczos };
  ProblemConstants compute_constants(EigenMethod method) const;
  double grouped_star_cocoercivity(const std::vector<std::vector<Index>>& groups,
                                   const Vector& weights, EigenMethod method) const;
  // Samples met one at a time: visit(begin, end, wanted, each) calls each(i, M_i) for the i in
  // [begin, end) that wanted(i) accepts, in order (a game on disk, read pass by pass).
  using SampleVisitor =
      std::function<void(Index begin, Index end, const std::function<bool(Index)>& wanted,
                         const std::function<void(Index, const Matrix&)>& each)>;
  // The kLanczos constants of a game of n samples whose mean is this game's M̄ (a game written
  // sample by sample and never held, save_generated_game): μ and ℓ from M̄, the L_i and ℓ̂ by
  // passes over the samples `visit` gives, each pass visiting every sample once; `threaded`:
  // two threads visit the two halves at once. compute_constants(kLanczos) is this with the
  // game's own samples, so both give the same bits.
  ProblemConstants constants_of_samples(Index n, const SampleVisitor& visit, bool threaded) const;
  std::unique_ptr<Problem> subproblem(const std::vector<Index>& samples) const override;
  std::vector<std::vector<Index>> worker_partition() const override { return workers_; }
  // Records which samples each worker owns (validated by the distributed estimators).
  void set_worker_partition(std::vector<std::vector<Index>> workers) {
    workers_ = std::move(workers);
  }

  const Matrix& sample_matrix(Index i) const { return *matrices_[static_cast<std::size_t>(i)]; }
  const Matrix& offsets() const { return offsets_; }
  const Matrix& mean_matrix() const { return mean_matrix_; }
  const Vector& mean_offset() const { return mean_offset_; }
  // The same game with another regularizer (x* recomputed).
  AffineGame with_regularizer(std::shared_ptr<const Regularizer> regularizer) const;

 private:
  // The game of the M_i that `matrices` points to in `samples` (all of them when empty), which it
  // shares with the game it was taken from: subproblems and with_regularizer copy no M_i.
  AffineGame(std::shared_ptr<const std::vector<Matrix>> samples,
             std::vector<const Matrix*> matrices, Matrix offsets, std::vector<Block> blocks,
             std::shared_ptr<const Regularizer> regularizer, std::optional<Vector> solution,
             std::string name);

  // The mean first: with the object's header it shares one cache line, which is all that a
  // distributed worker's exact local operator reads besides the data.
  Matrix mean_matrix_;
  Vector mean_offset_;
  std::shared_ptr<const std::vector<Matrix>> samples_;  // the M_i, shared with subsets
  std::vector<const Matrix*> matrices_;                 // this game's M_i, in samples_
  Matrix offsets_;
  std::vector<Block> blocks_;
  std::string name_;
  std::vector<std::vector<Index>> workers_;
  // Computed on first use, safely from several threads (see Problem: thread safety).
  detail::Lazy<std::optional<Vector>> solution_;  // x*, or nullopt when it cannot be found
  detail::Lazy<ProblemConstants> constants_;
  detail::Lazy<Matrix> inverse_sqrt_sym_;  // S^{-1/2}, empty matrix if S singular
  // The Lanczos path's S: λ_min(S) and L of S = LLᵀ (empty if S is singular).
  struct SymFactor {
    double bottom = 0.0;
    Matrix cholesky;
  };
  detail::Lazy<SymFactor> sym_factor_;
  using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  detail::Lazy<RowMajorMatrix> mean_rows_;  // M̄, row-major, for coordinate()
  detail::Lazy<LinearBound> sample_bound_;
  const Matrix& inverse_sqrt_sym() const;
  const SymFactor& sym_factor() const;
  EigenMethod default_method() const;
  std::optional<Vector> compute_solution() const;
};

// Two-player strongly monotone quadratic game min_x max_y with players of dimension d
// (D = 2d). The mean operator M̄ = S + t·K has symmetric part S = diag(S_x, S_y) with spectrum
// from μ to √(μℓ) and skew coupling K = [[0, B], [−Bᵀ, 0]]; t is set by bisection so that the
// star-cocoercivity constant of M̄ equals ℓ. λ_min(S) = μ exactly. Samples add zero-mean
// perturbations and are scaled by half: M_i = c_i(M̄ + E_i − Ē_half), c_i = c on the first half
// and s·c on the second (s = heavy_scale, Σ c_i = n), so the mean is exactly M̄, the L_i of the
// halves differ by about s (the paper's importance-sampling game), and individual M_i are
// typically not monotone.
struct QuadraticGameOptions {
  Index samples = 100;        // n ≥ 1
  Index dimension = 10;       // d, per player ≥ 1
  double mu = 1.0;            // strong monotonicity of the mean operator, > 0
  double ell = 10.0;          // star-cocoercivity of the mean operator, ≥ μ
  double noise = 0.3;         // per-sample perturbation: entries N(0, (noise·ℓ)²/D); ≥ 0
  double offset_noise = 1.0;  // per-sample offsets q_i − q̄: entries N(0, offset_noise²); ≥ 0
  double heavy_scale = 1.0;   // L_i of the second half / L_i of the first half (> 0)
  std::uint64_t seed = 0;

  static const OptionTable<QuadraticGameOptions>& table();
  std::optional<FieldError> Check() const;  // the table's ranges, ell >= mu, n·D² <= 1e9
  // The same for a game written sample by sample (quadratic_game_sampler): n·D² <= 1e13.
  std::optional<FieldError> CheckToFile() const;
  bool IsValid(std::string* error) const { return passes(Check(), error); }
};
// `method`: how ℓ(t) and ||B|| are evaluated in the bisection (AffineGame::EigenMethod; by
// default dense for D ≤ detail::kDenseEigenDimension, Lanczos above).
AffineGame generate_quadratic_game(const QuadraticGameOptions& options,
                                   std::shared_ptr<const Regularizer> regularizer = nullptr,
                                   std::optional<AffineGame::EigenMethod> method = std::nullopt);

// Bilinear game min_x max_y xᵀB y + aᵀx − bᵀy + (λ/2)(||x||² − ||y||²) with players of
// dimension d: M = [[λI, B], [−Bᵀ, λI]]. λ = 0 gives a monotone, not strongly monotone game.
struct BilinearGameOptions {
  Index samples = 100;        // n ≥ 1
  Index dimension = 10;       // d, per player ≥ 1
  double mu = 0.1;            // λ ≥ 0
  double coupling = 1.0;      // spectral norm of the mean coupling B̄, > 0
  double noise = 1.0;         // per-sample B_i − B̄: entries N(0, (noise·coupling)²/d); ≥ 0
  double offset_noise = 1.0;  // per-sample offsets: entries N(0, offset_noise²); ≥ 0
  std::uint64_t seed = 0;

  static const OptionTable<BilinearGameOptions>& table();
  std::optional<FieldError> Check() const;  // the table's ranges, n·D² <= 1e9
  // The same for a game written sample by sample (bilinear_game_sampler): n·D² <= 1e13.
  std::optional<FieldError> CheckToFile() const;
  bool IsValid(std::string* error) const { return passes(Check(), error); }
};
AffineGame generate_bilinear_game(const BilinearGameOptions& options,
                                  std::shared_ptr<const Regularizer> regularizer = nullptr,
                                  std::optional<AffineGame::EigenMethod> method = std::nullopt);

}  // namespace sgda
