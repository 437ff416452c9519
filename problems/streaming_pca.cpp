#include "sgda/problems/streaming_pca.hpp"

#include <cmath>

#include "sgda/error.hpp"
#include "sgda/rng.hpp"

namespace sgda {

const OptionTable<StreamingPcaOptions>& StreamingPcaOptions::table() {
  using O = StreamingPcaOptions;
  static const OptionTable<O> table(
      "StreamingPcaOptions",
      {
          field("dimension", &O::dimension, "d of the samples X ~ N(0, Sigma)")
              .bounds(2, false, 1e6, false),
          field("eigengap", &O::eigengap, "lambda_1 - lambda_2 of Sigma (lambda_1 = 1)")
              .bounds(0, true, 1, true),
          field("decay", &O::decay,
                "lambda_{j+1}/lambda_j for j >= 2 (1: Sigma = diag(1, 1 - eigengap, ..., "
                "1 - eigengap))")
              .bounds(0, true, 1, false),
          field("seed", &O::seed, "the samples X_i and the initial point"),
          field("oja", &O::oja,
                "Oja's operator -(I - vv')XX'v (self-normalizing) instead of -XX'v"),
      });
  return table;
}

StreamingPca::StreamingPca(const StreamingPcaOptions& options,
                           std::shared_ptr<const Regularizer> regularizer)
    : Problem(std::move(regularizer)), options_(options) {
  if (const auto error = options_.Check()) throw InputError(*error);
  const Index d = options_.dimension;
  eigenvalues_.resize(d);
  eigenvalues_[0] = 1.0;
  eigenvalues_[1] = 1.0 - options_.eigengap;
  for (Index j = 2; j < d; ++j) eigenvalues_[j] = eigenvalues_[j - 1] * options_.decay;
  root_ = eigenvalues_.cwiseSqrt();
}

void StreamingPca::draw(Index i, VectorRef out) const {
  Rng rng = Rng::stream(options_.seed, static_cast<std::uint64_t>(i));
  for (Index j = 0; j < out.size(); ++j) out[j] = root_[j] * rng.normal();
}

void StreamingPca::sample(Index i, ConstVectorRef x, VectorRef out) const {
  draw(i, out);  // X_i, then in place: −X_i (X_iᵀ x), or Oja's −(X_iᵀ x)(X_i − (X_iᵀ x) x)
  const double s = out.dot(x);
  if (options_.oja) out -= s * x;
  out *= -s;
}

void StreamingPca::full(ConstVectorRef x, VectorRef out) const {
  out = -eigenvalues_.cwiseProduct(x);
  if (options_.oja) out -= out.dot(x) * x;  // −(Σx − (xᵀΣx) x)
}

Vector StreamingPca::initial_point() const {
  // Index −1 (2^64 − 1) is outside the samples' range [0, 2^62): a stream of its own.
  Rng rng = Rng::stream(options_.seed, ~std::uint64_t{0});
  Vector x(dim());
  for (Index j = 0; j < dim(); ++j) x[j] = rng.normal();
  return x.normalized();
}

std::vector<std::pair<std::string, double>> StreamingPca::metrics(ConstVectorRef x) const {
  const double norm_sq = x.squaredNorm();
  const double error = norm_sq > 0.0 ? 1.0 - x[0] * x[0] / norm_sq : 1.0;
  return {{"pca_error", error}};
}

}  // namespace sgda
