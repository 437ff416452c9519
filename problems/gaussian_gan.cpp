#include "sgda/problems/gaussian_gan.hpp"

#include <Eigen/Cholesky>
#include <Eigen/QR>
#include <cmath>
#include <cstdio>

#include "sgda/error.hpp"

namespace sgda {
namespace {

Matrix standard_normal(Index rows, Index cols, Rng& rng) {
  Matrix m(rows, cols);
  for (Index j = 0; j < cols; ++j)
    for (Index i = 0; i < rows; ++i) m(i, j) = rng.normal();
  return m;
}

// Sets the columns' sample mean to 0 and sample covariance (1/N) to I: Y ← L⁻¹(Y − ȳ1ᵀ), C = LLᵀ.
void whiten(Matrix& y) {
  y.colwise() -= Vector(y.rowwise().mean());
  const Matrix c = y * y.transpose() / static_cast<double>(y.cols());
  Eigen::LLT<Matrix> llt(c);
  llt.matrixL().solveInPlace(y);
}

Matrix lower_cholesky(const Matrix& spd) {
  Eigen::LLT<Matrix> llt(spd);
  if (llt.info() != Eigen::Success)
    throw InputError("gaussian-gan: the covariance is not positive definite");
  return llt.matrixL();
}

}  // namespace

const OptionTable<GaussianGanOptions>& GaussianGanOptions::table() {
  using O = GaussianGanOptions;
  static const OptionTable<O> table(
      "GaussianGanOptions",
      {
          field("dimension", &O::dimension, "d of the data").at_least(1),
          field("samples", &O::samples, "N draws, > d and a multiple of batch").at_least(1),
          field("batch", &O::batch, "draws per F_i (n = samples / batch)").at_least(1),
          field("lambda", &O::lambda,
                "the discriminator's ridge (without it the game has no equilibrium)")
              .above(0),
          field("exact_moments", &O::exact_moments,
                "whiten the draws to mean m and covariance Sigma exactly"),
          field("seed", &O::seed, "m, Sigma and the draws"),
      });
  return table;
}

std::optional<FieldError> GaussianGanOptions::Check() const {
  if (auto error = table().check(*this)) return error;
  if (samples <= dimension)
    return FieldError{"GaussianGanOptions::samples",
                      "must exceed the dimension " + std::to_string(dimension) +
                          " (the draws need a full-rank covariance), got " +
                          std::to_string(samples)};
  if (samples % batch != 0)
    return FieldError{"GaussianGanOptions::samples",
                      "must be a multiple of batch = " + std::to_string(batch) + ", got " +
                          std::to_string(samples)};
  // As for the affine games, at most 1e9 doubles (8 GB), checked before allocating: the draws
  // and noise (2·N·d), and about ten d×d matrices (covariance, its factors, the parameters).
  const double d = double(dimension), n = double(samples);
  const double draws = 2.0 * n * d, matrices = 10.0 * d * d;
  if (!(draws + matrices <= 1e9)) {
    char total[32];
    std::snprintf(total, sizeof total, "%.3g", draws + matrices);
    const char* field = matrices > draws ? "dimension" : "samples";
    return FieldError{std::string("GaussianGanOptions::") + field,
                      std::string("the draws and matrices would hold about ") + total +
                          " doubles; accepted sizes up to 1e9 doubles in all (8 GB): lower " +
                          field};
  }
  return std::nullopt;
}

GaussianGan::GaussianGan(const GaussianGanOptions& options,
                         std::shared_ptr<const Regularizer> regularizer)
    : Problem(std::move(regularizer)), options_(options) {
  if (const auto error = options_.Check()) throw InputError(*error);
  const Index d = options_.dimension;
  Rng rng(options_.seed);
  mean_.resize(d);
  for (Index i = 0; i < d; ++i) mean_[i] = rng.normal();
  Eigen::HouseholderQR<Matrix> qr(standard_normal(d, d, rng));
  Matrix q = qr.householderQ();
  for (Index j = 0; j < d; ++j)
    if (qr.matrixQR()(j, j) < 0) q.col(j) *= -1.0;  // Haar-distributed Q (Mezzadri 2007)
  Vector spectrum(d);
  for (Index k = 0; k < d; ++k)
    spectrum[k] = d == 1 ? 1.0 : 0.5 * std::pow(4.0, double(k) / double(d - 1));
  covariance_ = q * spectrum.asDiagonal() * q.transpose();
  build(rng);
}

GaussianGan::GaussianGan(const GaussianGanOptions& options, Vector mean, Matrix covariance,
                         std::shared_ptr<const Regularizer> regularizer)
    : Problem(std::move(regularizer)),
      options_(options),
      mean_(std::move(mean)),
      covariance_(std::move(covariance)) {
  if (const auto error = options_.Check()) throw InputError(*error);
  Rng rng(options_.seed);
  build(rng);
}

void GaussianGan::build(Rng& rng) {
  d_ = options_.dimension;
  const Index total = options_.samples, b = options_.batch;
  n_ = total / b;
  if (mean_.size() != d_ || covariance_.rows() != d_ || covariance_.cols() != d_)
    throw InputError("gaussian-gan: the mean and covariance must have the dimension " +
                     std::to_string(d_));
  covariance_ = 0.5 * (covariance_ + covariance_.transpose());
  const Matrix root = lower_cholesky(covariance_);

  Matrix data = standard_normal(d_, total, rng);
  Matrix noise = standard_normal(d_, total, rng);
  if (options_.exact_moments) {
    whiten(data);
    whiten(noise);
  }
  data = (root * data).colwise() + mean_;

  auto moments = [&](Index first, Index count) {
    const auto x = data.middleCols(first, count);
    const auto z = noise.middleCols(first, count);
    const double scale = 1.0 / static_cast<double>(count);
    return Moments{x.rowwise().mean(), z.rowwise().mean(), scale * x * x.transpose(),
                   scale * z * z.transpose()};
  };
  work_.az.resize(d_);
  work_.g_mean.resize(d_);
  work_.s.resize(d_, d_);
  work_.am.resize(d_, d_);
  batches_.clear();
  for (Index i = 0; i < n_; ++i) batches_.push_back(moments(i * b, b));
  all_ = moments(0, total);
}

void GaussianGan::evaluate(const Moments& m, ConstVectorRef x, VectorRef out) const {
  // With S = W + Wᵀ and G = Az + b (∇_g D(g) = v + S g), the minibatch means of
  //   ∂f/∂A = −E[(v + S G) zᵀ],  ∂f/∂b = −E[v + S G],
  //   ∂f/∂v = E x − E G − λv,    ∂f/∂W = E xxᵀ − E GGᵀ − λW,
  // through the moments: E G = A z̄ + b, E[G zᵀ] = A E zzᵀ + b z̄ᵀ,
  // E GGᵀ = A E zzᵀ Aᵀ + A z̄ bᵀ + b z̄ᵀAᵀ + bbᵀ. F = (∂_A f, ∂_b f, −∂_v f, −∂_W f).
  const Index d = d_, dd = d_ * d_;
  const Eigen::Map<const Matrix> a(x.data(), d, d);
  const auto b = x.segment(dd, d);
  const auto v = x.segment(dd + d, d);
  const Eigen::Map<const Matrix> w(x.data() + dd + 2 * d, d, d);
  Eigen::Map<Matrix> f_a(out.data(), d, d);
  auto f_b = out.segment(dd, d);
  auto f_v = out.segment(dd + d, d);
  Eigen::Map<Matrix> f_w(out.data() + dd + 2 * d, d, d);

  // Staged into workspaces sized in build(): no allocation per call.
  Work& k = work_;
  k.az.noalias() = a * m.noise_mean;
  k.g_mean = k.az + b;
  k.s = w + w.transpose();
  k.am.noalias() = a * m.noise_second;
  f_w.noalias() = k.am * a.transpose();  // E GGᵀ, then F_W = E GGᵀ − E xxᵀ + λW
  f_w.noalias() += k.az * b.transpose();
  f_w.noalias() += b * k.az.transpose();
  f_w.noalias() += b * b.transpose();
  f_w += options_.lambda * w - m.data_second;
  k.am.noalias() += b * m.noise_mean.transpose();  // E[G zᵀ]
  f_a.noalias() = k.s * k.am;
  f_a.noalias() += v * m.noise_mean.transpose();
  f_a = -f_a;
  f_b.noalias() = k.s * k.g_mean;
  f_b = -(f_b + v);
  f_v = k.g_mean - m.data_mean + options_.lambda * v;
}

void GaussianGan::sample(Index i, ConstVectorRef x, VectorRef out) const {
  evaluate(batches_[static_cast<std::size_t>(i)], x, out);
}

void GaussianGan::full(ConstVectorRef x, VectorRef out) const { evaluate(all_, x, out); }

std::vector<Block> GaussianGan::blocks() const {
  const Index dd = d_ * d_;
  return {Block{"generator.A", 0, dd, false}, Block{"generator.b", dd, d_, false},
          Block{"discriminator.v", dd + d_, d_, true},
          Block{"discriminator.W", dd + 2 * d_, dd, true}};
}

Vector GaussianGan::initial_point() const {
  Vector x = Vector::Zero(dim());
  Eigen::Map<Matrix>(x.data(), d_, d_).setIdentity();
  return x;
}

std::vector<std::pair<std::string, double>> GaussianGan::metrics(ConstVectorRef x) const {
  const Eigen::Map<const Matrix> a(x.data(), d_, d_);
  const auto b = x.segment(d_ * d_, d_);
  return {{"mean_error", (b - mean_).norm()},
          {"covariance_error", (a * a.transpose() - covariance_).norm() / covariance_.norm()}};
}

double GaussianGan::objective(ConstVectorRef x, Index i) const {
  const Moments& m = i < 0 ? all_ : batches_[static_cast<std::size_t>(i)];
  const Index dd = d_ * d_;
  const Eigen::Map<const Matrix> a(x.data(), d_, d_), w(x.data() + dd + 2 * d_, d_, d_);
  const Vector b = x.segment(dd, d_), v = x.segment(dd + d_, d_);
  const Vector g_mean = a * m.noise_mean + b;
  const Matrix cross = a * m.noise_mean * b.transpose();
  const Matrix g_second =
      a * m.noise_second * a.transpose() + cross + cross.transpose() + b * b.transpose();
  return v.dot(m.data_mean - g_mean) + (w.array() * (m.data_second - g_second).array()).sum() -
         0.5 * options_.lambda * (v.squaredNorm() + w.squaredNorm());
}

Vector GaussianGan::equilibrium() const {
  const Matrix cx = all_.data_second - all_.data_mean * all_.data_mean.transpose();
  const Matrix cz = all_.noise_second - all_.noise_mean * all_.noise_mean.transpose();
  // A = L_x L_z⁻¹ (lower triangular): A C_z Aᵀ = L_x L_z⁻¹ L_z L_zᵀ L_z⁻ᵀ L_xᵀ = C_x.
  const Matrix lz = lower_cholesky(cz);
  Matrix a = lower_cholesky(cx);
  lz.triangularView<Eigen::Lower>().solveInPlace<Eigen::OnTheRight>(a);
  Vector x = Vector::Zero(dim());
  Eigen::Map<Matrix>(x.data(), d_, d_) = a;
  x.segment(d_ * d_, d_) = all_.data_mean - a * all_.noise_mean;
  return x;
}

}  // namespace sgda
