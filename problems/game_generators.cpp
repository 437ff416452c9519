// Generators of affine games with prescribed constants (README, "Generated games").
#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "sgda/detail/huge_pages.hpp"
#include "sgda/detail/lanczos.hpp"
#include "sgda/error.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/problems/game_sampler.hpp"
#include "sgda/rng.hpp"

namespace sgda {
namespace {

// m(i, j) = scale·rng.normal() in column order. A large m is filled in two steps with the same
// values, bit for bit: this thread draws the accepted pairs (u, v) of the polar method (cheap
// uniforms and the rejection test) into m, then two threads turn each pair into
// (u·f, v·f)·scale, f = sqrt(−2 log(s)/s), the costly part. The spare normal of an odd count
// is left in rng as normal() would leave it.
void fill_gaussian(Matrix& m, double scale, Rng& rng) {
  constexpr Index kParallel = Index(1) << 18;
  const Index count = m.size();
  if (count < kParallel || std::thread::hardware_concurrency() < 2) {
    for (Index j = 0; j < m.cols(); ++j)
      for (Index i = 0; i < m.rows(); ++i) m(i, j) = scale * rng.normal();
    return;
  }
  double* out = m.data();  // column order
  Index k = 0;
  Rng::State state = rng.state();
  if (state.has_spare_normal) {
    out[k++] = scale * state.spare_normal;
    state.has_spare_normal = false;
    rng.set_state(state);
  }
  const Index pairs_end = k + (count - k) / 2 * 2;
  for (Index p = k; p < pairs_end; p += 2) {
    double u, v, s;
    do {  // as in Rng::normal()
      u = 2.0 * rng.uniform() - 1.0;
      v = 2.0 * rng.uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    out[p] = u;
    out[p + 1] = v;
  }
  const auto transform = [out, scale](Index begin, Index end) {
    for (Index p = begin; p < end; p += 2) {
      const double u = out[p], v = out[p + 1];
      const double s = u * u + v * v;
      const double factor = std::sqrt(-2.0 * std::log(s) / s);
      out[p] = scale * (u * factor);
      out[p + 1] = scale * (v * factor);
    }
  };
  const Index middle = k + (pairs_end - k) / 4 * 2;
  std::thread second(transform, middle, pairs_end);
  transform(k, middle);
  second.join();
  if (pairs_end < count) out[pairs_end] = scale * rng.normal();  // leaves the spare in rng
}

Matrix gaussian(Index rows, Index cols, double scale, Rng& rng) {
  Matrix m(rows, cols);
  fill_gaussian(m, scale, rng);
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

using Method = AffineGame::EigenMethod;

Method method_for(Index big_d, std::optional<Method> method) {
  if (method) return *method;
  return big_d <= detail::kDenseEigenDimension ? Method::kDense : Method::kLanczos;
}

// Spectral norm of a square matrix: dense, the eigenvalues of mᵀm (O(d³)); Lanczos on mᵀ(m v),
// O(k·d²).
double spectral_norm(const Matrix& m, Method method) {
  if (method == Method::kDense) {
    Eigen::SelfAdjointEigenSolver<Matrix> solver(m.transpose() * m, Eigen::EigenvaluesOnly);
    return std::sqrt(std::max(0.0, solver.eigenvalues().maxCoeff()));
  }
  Vector w(m.rows());
  const auto apply = [&](const Vector& v, Vector& out) {
    w.noalias() = m * v;
    out.noalias() = m.transpose() * w;
  };
  return std::sqrt(
      std::max(0.0, detail::lanczos(m.cols(), apply, detail::SpectrumEnd::kLargest).value));
}

// The samples around a given mean: M_i = c_i(M̄ + E_i − Ē_g), q_i = c_i(q̄ + e_i − ē_g), where the
// scale c_i is constant on each group g of samples (the light and the heavy half) and Ē_g, ē_g
// are the group means of the noise. With Σ_i c_i = n, (1/n) Σ M_i = M̄ and (1/n) Σ q_i = q̄ exactly
// in exact arithmetic, and L_i ≈ c_i ||M̄ + E_i||. The constructor draws every E_i, e_i from rng
// to learn the group means. Held (a game collected in memory): each E_i is kept, in the memory
// that becomes M_i, and next() turns it into M_i in place. Otherwise one E_i is held at a time
// and next() draws it again from a copy of rng's state at the start (the e_i are kept: D × n),
// so no two M_i are ever held together; the same values either way.
class NoisySamples {
 public:
  NoisySamples(Matrix mean, Vector mean_offset, Vector scales, std::vector<Index> group_of,
               double matrix_scale, double offset_scale, Rng& rng, bool held)
      : mean_(std::move(mean)),
        mean_offset_(std::move(mean_offset)),
        scales_(std::move(scales)),
        group_of_(std::move(group_of)),
        matrix_scale_(matrix_scale),
        offset_scale_(offset_scale),
        replay_(rng) {
    const Index n = scales_.size(), d = mean_.rows();
    const Index groups = 1 + *std::max_element(group_of_.begin(), group_of_.end());
    offset_noise_.resize(d, n);
    group_mean_.assign(static_cast<std::size_t>(groups), Matrix::Zero(d, d));
    group_offset_ = Matrix::Zero(d, groups);
    Vector group_size = Vector::Zero(groups);
    Matrix scratch;
    if (held) kept_.resize(static_cast<std::size_t>(n));
    for (Index i = 0; i < n; ++i) {
      const auto g = static_cast<std::size_t>(group_of_[static_cast<std::size_t>(i)]);
      // Held: one D × D allocation per sample (each a fresh page-faulted mapping, ~10 s per
      // 3 GB on a VM), advised to huge pages before it is first touched.
      Matrix& noise = held ? kept_[static_cast<std::size_t>(i)] : scratch;
      if (noise.size() == 0) {
        noise.resize(d, d);
        detail::advise_huge_pages(noise.data(), sizeof(double) * std::size_t(d * d));
      }
      fill_gaussian(noise, matrix_scale_, rng);
      offset_noise_.col(i) = gaussian(d, 1, offset_scale_, rng);
      group_mean_[g] += noise;
      group_offset_.col(static_cast<Index>(g)) += offset_noise_.col(i);
      group_size[static_cast<Index>(g)] += 1.0;
    }
    for (Index g = 0; g < groups; ++g) {
      group_mean_[static_cast<std::size_t>(g)] /= group_size[g];
      group_offset_.col(g) /= group_size[g];
    }
  }

  // M_i and q_i of the next sample (m drawn into in place: no D × D temporary).
  void next(Matrix& m, VectorRef q) {
    const Index i = next_++, d = mean_.rows();
    const auto g = static_cast<std::size_t>(group_of_[static_cast<std::size_t>(i)]);
    if (!kept_.empty()) {
      m.swap(kept_[static_cast<std::size_t>(i)]);
    } else {
      m.resize(d, d);
      fill_gaussian(m, matrix_scale_, replay_);
      static_cast<void>(gaussian(d, 1, offset_scale_, replay_));  // e_i, kept from the first pass
    }
    m = scales_[i] * (mean_ + m - group_mean_[g]);
    q = scales_[i] * (mean_offset_ + offset_noise_.col(i) - group_offset_.col(Index(g)));
  }

 private:
  Matrix mean_;
  Vector mean_offset_, scales_;
  std::vector<Index> group_of_;
  double matrix_scale_, offset_scale_;
  Rng replay_;  // the stream from the first E_i
  Index next_ = 0;
  Matrix offset_noise_, group_offset_;
  std::vector<Matrix> group_mean_;
  std::vector<Matrix> kept_;  // held: the E_i, until next() makes them the M_i
};

// The game of a sampler, every sample held (its n D × D matrices).
AffineGame collect(GameSampler sampler, std::shared_ptr<const Regularizer> regularizer) {
  const Index n = sampler.num_samples(), d = sampler.dim();
  std::vector<Matrix> matrices(static_cast<std::size_t>(n));
  Matrix offsets(d, n);
  for (Index i = 0; i < n; ++i) sampler.next(matrices[static_cast<std::size_t>(i)], offsets.col(i));
  return AffineGame(std::move(matrices), std::move(offsets), sampler.blocks(),
                    std::move(regularizer), std::nullopt, sampler.name());
}

std::string str(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// Limits of generated games. Scales within [1e-100, 1e100] keep every product the generators
// form (mu·ell, noise·ell, coupling·noise, ...) finite; the size limits keep memory and time
// sane: the game holds n·(2d)² doubles, and above D = 2d = 128 generating costs O(k·n·D²)
// (Lanczos, k ≈ 100 steps) plus a few O(D³) factorizations.
constexpr double kMaxScale = 1e100;
constexpr double kMinScale = 1e-100;
constexpr double kMaxEntries = 1e9;       // 8 GB
constexpr double kMaxFileEntries = 1e13;  // 80 TB
constexpr Index kMaxDimension = 2000;

template <class O>
Field<O> scale(Field<O> f) {
  return std::move(f).bounds(kMinScale, false, kMaxScale, false);
}

// The game's size: n·(2d)² doubles at most kMaxEntries in memory, kMaxFileEntries in a file.
std::optional<FieldError> size_problem(const std::string& options, Index samples, Index dimension,
                                       bool to_file) {
  const double entries = double(samples) * 4.0 * double(dimension) * double(dimension);
  if (entries <= (to_file ? kMaxFileEntries : kMaxEntries)) return std::nullopt;
  return FieldError{options + "::samples",
                    "the game would hold n*(2*dimension)^2 = " + str(entries) +
                        (to_file ? " doubles; accepted up to 1e13 (80 TB) in a file: lower "
                                   "samples or dimension"
                                 : " doubles; accepted up to 1e9 (8 GB) in memory: lower "
                                   "samples or dimension, or write it with sgda generate "
                                   "(sample by sample) and solve it over MPI ranks")};
}

}  // namespace

const OptionTable<QuadraticGameOptions>& QuadraticGameOptions::table() {
  using O = QuadraticGameOptions;
  static const OptionTable<O> table(
      "QuadraticGameOptions",
      {
          field("samples", &O::samples, "n, the samples F_i").at_least(1),
          field("dimension", &O::dimension,
                "d, per player (D = 2d); D > 128: Lanczos, ~30 s at d = 1000 and n = 100")
              .bounds(1, false, kMaxDimension, false),
          scale(field("mu", &O::mu, "strong monotonicity of the mean operator")),
          scale(field("ell", &O::ell, "star-cocoercivity of the mean operator, >= mu")),
          scale(field("noise", &O::noise, "per-sample matrix noise, relative to ell")).or_zero(),
          scale(field("offset_noise", &O::offset_noise, "per-sample offset noise")).or_zero(),
          scale(field("heavy_scale", &O::heavy_scale,
                      "L_i of the second half of the samples / L_i of the first; mean unchanged")),
          field("seed", &O::seed, "generator seed"),
      });
  return table;
}

std::optional<FieldError> QuadraticGameOptions::Check() const {
  if (auto error = CheckToFile()) return error;
  return size_problem("QuadraticGameOptions", samples, dimension, false);
}

std::optional<FieldError> QuadraticGameOptions::CheckToFile() const {
  if (auto error = table().check(*this)) return error;
  if (!(ell >= mu))
    return FieldError{"QuadraticGameOptions::ell",
                      "must be a number >= mu (" + str(mu) + "), got " + str(ell)};
  return size_problem("QuadraticGameOptions", samples, dimension, true);
}

const OptionTable<BilinearGameOptions>& BilinearGameOptions::table() {
  using O = BilinearGameOptions;
  static const OptionTable<O> table(
      "BilinearGameOptions",
      {
          field("samples", &O::samples, "n, the samples F_i").at_least(1),
          field("dimension", &O::dimension, "d, per player (D = 2d)")
              .bounds(1, false, kMaxDimension, false),
          scale(field("mu", &O::mu, "lambda of (lambda/2)(|x|^2 - |y|^2); 0: monotone only"))
              .or_zero(),
          scale(field("coupling", &O::coupling, "spectral norm of the mean coupling B")),
          scale(field("noise", &O::noise, "per-sample coupling noise, relative to coupling"))
              .or_zero(),
          scale(field("offset_noise", &O::offset_noise, "per-sample offset noise")).or_zero(),
          field("seed", &O::seed, "generator seed"),
      });
  return table;
}

std::optional<FieldError> BilinearGameOptions::Check() const {
  if (auto error = CheckToFile()) return error;
  return size_problem("BilinearGameOptions", samples, dimension, false);
}

std::optional<FieldError> BilinearGameOptions::CheckToFile() const {
  if (auto error = table().check(*this)) return error;
  return size_problem("BilinearGameOptions", samples, dimension, true);
}

namespace {

GameSampler::Next prepare_quadratic_game(const QuadraticGameOptions& options,
                                         std::optional<AffineGame::EigenMethod> eigen_method,
                                         bool held) {
  Rng rng(options.seed);
  const Index d = options.dimension, big_d = 2 * d;
  const Method method = method_for(big_d, eigen_method);
  const double mu = options.mu, ell = options.ell;

  // Symmetric part S = diag(S_x, S_y): log-spaced spectrum from μ to √(μℓ) for each player.
  const double top = std::sqrt(mu * ell);
  Vector spectrum(d);
  for (Index j = 0; j < d; ++j)
    spectrum[j] = d == 1 ? mu : mu * std::pow(top / mu, static_cast<double>(j) / (d - 1));
  Matrix sym = Matrix::Zero(big_d, big_d), inv_sqrt;
  Matrix basis[2];  // Q_x, Q_y: S = diag(Q_x Λ Q_xᵀ, Q_y Λ Q_yᵀ)
  if (method == Method::kDense) inv_sqrt = Matrix::Zero(big_d, big_d);
  for (Index player = 0; player < 2; ++player) {
    const Matrix q = random_orthogonal(d, rng);
    sym.block(player * d, player * d, d, d) = q * spectrum.asDiagonal() * q.transpose();
    if (method == Method::kDense)
      inv_sqrt.block(player * d, player * d, d, d) =
          q * spectrum.cwiseSqrt().cwiseInverse().asDiagonal() * q.transpose();
    else
      basis[player] = q;
  }
  // Skew coupling K = [[0, B], [−Bᵀ, 0]] with ||B|| = 1; it leaves sym(M̄) = S, so μ stays.
  Matrix coupling = gaussian(d, d, 1.0, rng);
  coupling /= spectral_norm(coupling, method);
  Matrix skew = Matrix::Zero(big_d, big_d);
  skew.block(0, d, d, d) = coupling;
  skew.block(d, 0, d, d) = -coupling.transpose();

  // ℓ(t) = λ_max(S^{-1/2} (S + tK)ᵀ(S + tK) S^{-1/2}) is continuous with ℓ(0) = √(μℓ) ≤ ℓ and
  // ℓ(t) → ∞: bracket and bisect for ℓ(t) = ℓ. Dense: an eigendecomposition per step, O(D³).
  // Lanczos: in the eigenbasis of S, S = Λ and K' = QᵀKQ has the block B' = Q_xᵀBQ_y (two
  // d³ products, once), so ℓ(t) = λ_max(Λ^{-1/2}(Λ + tK')ᵀ(Λ + tK')Λ^{-1/2}), applied as
  // products with B' and B'ᵀ: O(k·D²) per step.
  Matrix coupling_in_basis;
  Vector lambda, inv_sqrt_lambda;
  if (method == Method::kLanczos) {
    coupling_in_basis = basis[0].transpose() * coupling * basis[1];
    lambda = Vector(big_d);
    lambda << spectrum, spectrum;
    inv_sqrt_lambda = lambda.cwiseSqrt().cwiseInverse();
  }
  auto star_cocoercivity = [&](double t) {
    if (method == Method::kLanczos) {
      const Matrix& b = coupling_in_basis;
      Vector y(big_d), z(big_d);
      const auto apply = [&](const Vector& v, Vector& out) {
        y = inv_sqrt_lambda.cwiseProduct(v);
        // z = (Λ + tK')y, out = Λ^{-1/2}(Λ − tK')z (K'ᵀ = −K').
        z = lambda.cwiseProduct(y);
        z.head(d).noalias() += t * (b * y.tail(d));
        z.tail(d).noalias() -= t * (b.transpose() * y.head(d));
        out = lambda.cwiseProduct(z);
        out.head(d).noalias() -= t * (b * z.tail(d));
        out.tail(d).noalias() += t * (b.transpose() * z.head(d));
        out = inv_sqrt_lambda.cwiseProduct(out);
      };
      return detail::lanczos(big_d, apply, detail::SpectrumEnd::kLargest).value;
    }
    const Matrix mp = (sym + t * skew) * inv_sqrt;
    Eigen::SelfAdjointEigenSolver<Matrix> solver(mp.transpose() * mp, Eigen::EigenvaluesOnly);
    return solver.eigenvalues().maxCoeff();
  };
  double t = 0.0;
  if (const double at_zero = star_cocoercivity(0.0); at_zero < ell) {
    double lo = 0.0, hi = std::sqrt(mu * ell);
    double f_lo = at_zero - ell, f_hi = 0.0;
    while ((f_hi = star_cocoercivity(hi) - ell) < 0.0) {
      lo = hi;
      f_lo = f_hi;
      hi *= 2.0;
    }
    if (method == Method::kDense) {
      for (int it = 0; it < 200 && hi - lo > 1e-14 * hi; ++it) {
        const double mid = 0.5 * (lo + hi);
        (star_cocoercivity(mid) < ell ? lo : hi) = mid;
      }
      t = 0.5 * (lo + hi);
    } else {
      // Illinois regula falsi on the bracket (halving the value kept at a stale end): about 10
      // evaluations of the smooth ℓ(t) where bisection to 1e-14 takes ~47. It stops when ℓ(t)
      // is within 1e-14·ℓ of ℓ (the accuracy of the Lanczos values) or the bracket is that
      // narrow.
      t = 0.5 * (lo + hi);
      int side = 0;
      for (int it = 0; it < 200 && hi - lo > 1e-14 * hi; ++it) {
        t = hi - f_hi * (hi - lo) / (f_hi - f_lo);
        if (!(t > lo && t < hi)) t = 0.5 * (lo + hi);
        const double f = star_cocoercivity(t) - ell;
        if (std::abs(f) <= 1e-14 * ell) break;
        if (f < 0.0) {
          lo = t;
          f_lo = f;
          if (side == -1) f_hi *= 0.5;
          side = -1;
        } else {
          hi = t;
          f_hi = f;
          if (side == 1) f_lo *= 0.5;
          side = 1;
        }
      }
    }
  }
  const Matrix mean = sym + t * skew;
  const Vector target = gaussian(big_d, 1, 1.0, rng);  // x* of the unregularized game
  const Vector mean_offset = -mean * target;

  // Light and heavy halves: scales c and s·c with Σ c_i = n, so the mean stays M̄ and the L_i of
  // the two halves differ by the factor s = heavy_scale.
  const Index n = options.samples, light = n == 1 ? 1 : n / 2;
  const double s = options.heavy_scale;
  const double c = static_cast<double>(n) / (static_cast<double>(light) + s * double(n - light));
  Vector scales(n);
  std::vector<Index> group_of(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) {
    const bool heavy = i >= light;
    scales[i] = heavy ? s * c : c;
    group_of[static_cast<std::size_t>(i)] = heavy ? 1 : 0;
  }
  auto samples = std::make_shared<NoisySamples>(
      mean, mean_offset, std::move(scales), std::move(group_of),
      options.noise * ell / std::sqrt(double(big_d)), options.offset_noise, rng, held);
  return [samples](Matrix& m, VectorRef q) { samples->next(m, q); };
}

// held: the game will be collected (NoisySamples: each sample's noise drawn once, kept).
GameSampler make_quadratic_sampler(const QuadraticGameOptions& options,
                                   std::optional<AffineGame::EigenMethod> eigen_method, bool held) {
  if (const auto error = options.CheckToFile()) throw InputError(*error);
  const Index d = options.dimension;
  return GameSampler(options.samples, 2 * d, {{"x", 0, d, false}, {"y", d, d, true}}, "quadratic",
                     [options, eigen_method, held] {
                       return prepare_quadratic_game(options, eigen_method, held);
                     });
}

}  // namespace

GameSampler quadratic_game_sampler(const QuadraticGameOptions& options,
                                   std::optional<AffineGame::EigenMethod> eigen_method) {
  return make_quadratic_sampler(options, eigen_method, false);
}

AffineGame generate_quadratic_game(const QuadraticGameOptions& options,
                                   std::shared_ptr<const Regularizer> regularizer,
                                   std::optional<AffineGame::EigenMethod> eigen_method) {
  if (const auto error = options.Check()) throw InputError(*error);
  return collect(make_quadratic_sampler(options, eigen_method, true), std::move(regularizer));
}

namespace {

GameSampler::Next prepare_bilinear_game(const BilinearGameOptions& options,
                                        std::optional<AffineGame::EigenMethod> eigen_method,
                                        bool held) {
  Rng rng(options.seed);
  const Index d = options.dimension, big_d = 2 * d;
  Matrix coupling = gaussian(d, d, 1.0, rng);
  coupling *= options.coupling / spectral_norm(coupling, method_for(big_d, eigen_method));
  Matrix mean = options.mu * Matrix::Identity(big_d, big_d);
  mean.block(0, d, d, d) = coupling;
  mean.block(d, 0, d, d) = -coupling.transpose();
  const Vector target = gaussian(big_d, 1, 1.0, rng);
  const Vector mean_offset = -mean * target;

  // Perturb only the coupling, keeping each sample a bilinear game: noise E_i with the skew
  // pattern, drawn twice as the NoisySamples' (first for its mean Ē, then replayed by next()).
  const Index n = options.samples;
  const double scale = options.noise * options.coupling / std::sqrt(double(d));
  struct State {
    Rng replay;
    Matrix noise_mean;
    std::vector<Matrix> kept;  // held: every E_i
    std::unique_ptr<NoisySamples> base;
    Index next = 0;
  };
  auto state = std::make_shared<State>(State{rng, Matrix::Zero(d, d), {}, nullptr});
  for (Index i = 0; i < n; ++i) {
    Matrix e = gaussian(d, d, scale, rng);
    state->noise_mean += e / double(n);
    if (held) state->kept.push_back(std::move(e));
  }
  state->base = std::make_unique<NoisySamples>(mean, mean_offset, Vector::Ones(n),
                                               std::vector<Index>(std::size_t(n), 0), 0.0,
                                               options.offset_noise, rng, held);
  return [state, d, scale](Matrix& m, VectorRef q) {
    state->base->next(m, q);
    const auto i = static_cast<std::size_t>(state->next++);
    const Matrix e =
        (state->kept.empty() ? gaussian(d, d, scale, state->replay) : std::move(state->kept[i])) -
        state->noise_mean;
    m.block(0, d, d, d) += e;
    m.block(d, 0, d, d) -= e.transpose();
  };
}

GameSampler make_bilinear_sampler(const BilinearGameOptions& options,
                                  std::optional<AffineGame::EigenMethod> eigen_method, bool held) {
  if (const auto error = options.CheckToFile()) throw InputError(*error);
  const Index d = options.dimension;
  return GameSampler(
      options.samples, 2 * d, {{"x", 0, d, false}, {"y", d, d, true}}, "bilinear",
      [options, eigen_method, held] { return prepare_bilinear_game(options, eigen_method, held); });
}

}  // namespace

GameSampler bilinear_game_sampler(const BilinearGameOptions& options,
                                  std::optional<AffineGame::EigenMethod> eigen_method) {
  return make_bilinear_sampler(options, eigen_method, false);
}

AffineGame generate_bilinear_game(const BilinearGameOptions& options,
                                  std::shared_ptr<const Regularizer> regularizer,
                                  std::optional<AffineGame::EigenMethod> eigen_method) {
  if (const auto error = options.Check()) throw InputError(*error);
  return collect(make_bilinear_sampler(options, eigen_method, true), std::move(regularizer));
}

void GameSampler::next(Matrix& m, VectorRef q) {
  if (drawn_ >= samples_)
    throw std::logic_error("GameSampler::next: all " + std::to_string(samples_) +
                           " samples are drawn");
  if (!next_) next_ = prepare_();
  next_(m, q);
  ++drawn_;
}

}  // namespace sgda
