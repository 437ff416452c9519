// Batch normalization (nn/batch_norm.cpp), the layer on its own: the training-mode gradients of
// γ, β and the input against central differences (h = 1e-5, relative error 1e-8 as in
// test_nn.cpp), the running statistics' update (torch's momentum 0.1, unbiased variance), and
// evaluation mode from the running statistics.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>

#include "gradient_check.hpp"
#include "sgda/nn/batch_norm.hpp"
#include "sgda/rng.hpp"

using namespace sgda;
using namespace sgda::nn;

namespace {

using sgda::testing::numeric_gradient;
using sgda::testing::random_matrix;
using sgda::testing::relative_error;

}  // namespace

TEST_CASE("batch norm: gradients of gain bias and input match finite differences", "[nn][norm]") {
  Rng rng(1);
  const BatchNorm norm{4, 3};
  const Vector params = random_matrix(3 + 8, 1, rng);
  const Matrix z = random_matrix(4, 6, rng, 2.0).array() + 1.0;
  const Matrix c = random_matrix(4, 6, rng);
  auto loss = [&](const Vector& p, const Matrix& in) {
    Matrix normalized(4, 6), out(4, 6);
    Vector inverse_std(4);
    norm.forward_training(p, in, normalized, inverse_std, out, nullptr);
    return c.cwiseProduct(out).sum();
  };
  Matrix normalized(4, 6), out(4, 6);
  Vector inverse_std(4);
  norm.forward_training(params, z, normalized, inverse_std, out, nullptr);
  for (Index i = 0; i < 4; ++i) CHECK(std::abs(normalized.row(i).mean()) < 1e-14);
  Vector grad = Vector::Zero(11);
  Matrix dz = c;  // in place
  norm.backward(params, normalized, inverse_std, dz, grad, dz);
  const Matrix numeric_params =
      numeric_gradient([&](const Matrix& p) { return loss(Vector(p), z); }, Matrix(params));
  const Matrix numeric_z = numeric_gradient([&](const Matrix& in) { return loss(params, in); }, z);
  const double error_params = relative_error(Matrix(grad), numeric_params);
  const double error_z = relative_error(dz, numeric_z);
  CAPTURE(error_params, error_z);
  CHECK(error_params < 1e-8);
  CHECK(error_z < 1e-8);
  CHECK(grad.head(3).isZero(0.0));
}

TEST_CASE("batch norm: running statistics and evaluation mode", "[nn][norm]") {
  Rng rng(2);
  const BatchNorm norm{3, 0};
  Vector params(6);
  norm.initialize(params);
  BatchNorm::RunningStatistics running = norm.initial_statistics();
  CHECK(running.mean.isZero(0.0));
  CHECK(running.variance.isOnes(0.0));
  const Matrix z = random_matrix(3, 5, rng, 2.0).array() + 3.0;
  Matrix normalized(3, 5), out(3, 5);
  Vector inverse_std(3);
  norm.forward_training(params, z, normalized, inverse_std, out, &running);
  for (Index i = 0; i < 3; ++i) {
    const double mean = z.row(i).mean();
    const double unbiased = (z.row(i).array() - mean).square().sum() / 4.0;
    CHECK(running.mean[i] == Approx(0.1 * mean).epsilon(1e-14));
    CHECK(running.variance[i] == Approx(0.9 + 0.1 * unbiased).epsilon(1e-14));
  }
  // Evaluation mode: (z − mean)/√(variance + ε), the same for each example whatever the batch.
  Matrix evaluated(3, 5);
  norm.forward_evaluation(params, z, running, evaluated);
  for (Index i = 0; i < 3; ++i)
    for (Index j = 0; j < 5; ++j)
      CHECK(evaluated(i, j) ==
            Approx((z(i, j) - running.mean[i]) / std::sqrt(running.variance[i] + norm.epsilon))
                .epsilon(1e-14));
  Matrix single(3, 1);
  norm.forward_evaluation(params, z.col(2), running, single);
  CHECK(single.col(0) == evaluated.col(2));
  // With the batch's own statistics as the running ones (m = 1, B/(B − 1) undone), evaluation
  // equals training.
  BatchNorm all = norm;
  all.momentum = 1.0;
  BatchNorm::RunningStatistics own = all.initial_statistics();
  all.forward_training(params, z, normalized, inverse_std, out, &own);
  own.variance *= 4.0 / 5.0;
  all.forward_evaluation(params, z, own, evaluated);
  CHECK((evaluated - out).cwiseAbs().maxCoeff() < 1e-12);
}
