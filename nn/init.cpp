#include "sgda/nn/init.hpp"

#include <cmath>

#include "sgda/error.hpp"

namespace sgda {

template <>
const std::vector<EnumValue<nn::Init>>& enum_values<nn::Init>() {
  using nn::Init;
  static const std::vector<EnumValue<Init>> values = {
      {Init::kHeNormal, "he-normal", "N(0, 2/fan_in) (He et al. 2015)"},
      {Init::kHeUniform, "he-uniform", "uniform with variance 2/fan_in"},
      {Init::kXavierNormal, "xavier-normal", "N(0, 2/(fan_in + fan_out)) (Glorot & Bengio 2010)"},
      {Init::kXavierUniform, "xavier-uniform", "uniform with variance 2/(fan_in + fan_out)"},
      {Init::kOrthogonal, "orthogonal",
       "gain * Q of the QR of a Gaussian matrix (Saxe et al. 2014); gain sqrt(2) for "
       "relu/leaky-relu, 1 otherwise"},
      {Init::kNormal, "normal", "naive N(0, init_std^2), whatever the fan-in"},
  };
  return values;
}

namespace nn {

std::vector<std::string> init_names() { return enum_names<Init>(); }

Init init_from_string(const std::string& name) {
  try {
    return parse_enum<Init>(name);
  } catch (const InputError& e) {
    throw InputError(std::string("init: ") + e.what());
  }
}

double init_variance(Init init, Index fan_in, Index fan_out, const InitScale& scale) {
  switch (init) {
    case Init::kHeNormal:
    case Init::kHeUniform:
      return 2.0 / static_cast<double>(fan_in);
    case Init::kXavierNormal:
    case Init::kXavierUniform:
      return 2.0 / static_cast<double>(fan_in + fan_out);
    case Init::kOrthogonal:
      return scale.orthogonal_gain * scale.orthogonal_gain /
             static_cast<double>(std::max(fan_in, fan_out));
    case Init::kNormal:
      return scale.normal_std * scale.normal_std;
  }
  return 0.0;
}

void orthonormalize_columns(MatrixRef a) {
  const Index rows = a.rows();
  for (Index j = 0; j < a.cols(); ++j) {
    // Two passes of modified Gram-Schmidt against the earlier columns, then normalize: the
    // coefficient of column j on itself, r_jj = ‖·‖, is positive, which is the sign fix.
    for (int pass = 0; pass < 2; ++pass)
      for (Index k = 0; k < j; ++k) {
        double dot = 0.0;
        for (Index i = 0; i < rows; ++i) dot += a(i, k) * a(i, j);
        for (Index i = 0; i < rows; ++i) a(i, j) -= dot * a(i, k);
      }
    double norm_sq = 0.0;
    for (Index i = 0; i < rows; ++i) norm_sq += a(i, j) * a(i, j);
    const double inverse = 1.0 / std::sqrt(norm_sq);
    for (Index i = 0; i < rows; ++i) a(i, j) *= inverse;
  }
}

void initialize_weight(Init init, MatrixRef w, Rng& rng, const InitScale& scale) {
  if (init == Init::kOrthogonal) {
    // A Gaussian matrix of the taller shape, its Q; a wide W is the transpose.
    const bool tall = w.rows() >= w.cols();
    Matrix q(tall ? w.rows() : w.cols(), tall ? w.cols() : w.rows());
    for (Index j = 0; j < q.cols(); ++j)
      for (Index i = 0; i < q.rows(); ++i) q(i, j) = rng.normal();
    orthonormalize_columns(q);
    if (tall)
      w = scale.orthogonal_gain * q;
    else
      w = scale.orthogonal_gain * q.transpose();
    return;
  }
  const double variance = init_variance(init, w.cols(), w.rows(), scale);
  const bool uniform = init == Init::kHeUniform || init == Init::kXavierUniform;
  const double factor = uniform ? std::sqrt(3.0 * variance) : std::sqrt(variance);
  for (Index j = 0; j < w.cols(); ++j)
    for (Index i = 0; i < w.rows(); ++i)
      w(i, j) = uniform ? factor * (2.0 * rng.uniform() - 1.0) : factor * rng.normal();
}

}  // namespace nn
}  // namespace sgda
