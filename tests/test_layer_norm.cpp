// Layer normalization (nn/layer_norm.cpp) and networks that use it: gradients of γ, β and the
// input against central differences (h = 1e-5, relative error 1e-8 as in test_nn.cpp), the
// normalized columns' moments, the parameter layout, and the training option.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>

#include "gradient_check.hpp"
#include "sgda/nn/layer_norm.hpp"
#include "sgda/nn/loss.hpp"
#include "sgda/nn/network.hpp"
#include "sgda/problems/training.hpp"
#include "sgda/rng.hpp"
#include "training_data.hpp"

using namespace sgda;
using namespace sgda::nn;

namespace {

using sgda::testing::numeric_gradient;
using sgda::testing::random_matrix;
using sgda::testing::relative_error;
constexpr double kTolerance = sgda::testing::kGradientTolerance;

}  // namespace

TEST_CASE("layer norm: zero mean and unit variance per column, then gain and bias", "[nn][norm]") {
  Rng rng(1);
  const LayerNorm norm{6, 2};
  Vector params = random_matrix(2 + 12, 1, rng);
  const Matrix z = random_matrix(6, 4, rng, 3.0).array() + 5.0;
  Matrix normalized(6, 4), out(6, 4);
  Vector inverse_std(4);
  norm.forward(params, z, normalized, inverse_std, out);
  for (Index j = 0; j < 4; ++j) {
    CHECK(std::abs(normalized.col(j).mean()) < 1e-14);
    // (1/n) Σ ẑ² = σ²/(σ² + ε).
    const double variance = (z.col(j).array() - z.col(j).mean()).square().mean();
    CHECK(normalized.col(j).squaredNorm() / 6.0 ==
          Approx(variance / (variance + norm.epsilon)).epsilon(1e-13));
  }
  CHECK((out - ((normalized.array().colwise() * norm.gain(params).array()).colwise() +
                norm.bias(params).array())
                   .matrix())
            .cwiseAbs()
            .maxCoeff() < 1e-14);
  Vector fresh = Vector::Constant(14, 7.0);
  norm.initialize(fresh);
  CHECK(norm.gain(fresh).isOnes(0.0));
  CHECK(norm.bias(fresh).isZero(0.0));
  CHECK(fresh.head(2) == Vector::Constant(2, 7.0));
}

TEST_CASE("layer norm: gradients of gain bias and input match finite differences", "[nn][norm]") {
  // L = Σ c ⊙ y for a random c, so ∂L/∂y = c.
  Rng rng(2);
  const LayerNorm norm{5, 1};
  const Vector params = random_matrix(1 + 10, 1, rng);
  const Matrix z = random_matrix(5, 3, rng, 2.0);
  const Matrix c = random_matrix(5, 3, rng);
  auto loss = [&](const Vector& p, const Matrix& in) {
    Matrix normalized(5, 3), out(5, 3);
    Vector inverse_std(3);
    norm.forward(p, in, normalized, inverse_std, out);
    return c.cwiseProduct(out).sum();
  };
  Matrix normalized(5, 3), out(5, 3);
  Vector inverse_std(3);
  norm.forward(params, z, normalized, inverse_std, out);
  Vector grad = Vector::Zero(11);
  Matrix dz = c;  // in place: dz aliases dy
  norm.backward(params, normalized, inverse_std, dz, grad, dz);
  const Matrix numeric_params =
      numeric_gradient([&](const Matrix& p) { return loss(Vector(p), z); }, Matrix(params));
  const Matrix numeric_z = numeric_gradient([&](const Matrix& in) { return loss(params, in); }, z);
  CHECK(relative_error(Matrix(grad), numeric_params) < kTolerance);
  CHECK(relative_error(dz, numeric_z) < kTolerance);
  CHECK(grad[0] == 0.0);  // only its own parameters are written
}

TEST_CASE("networks with layer norm: the reverse pass matches finite differences", "[nn][norm]") {
  Rng rng(3);
  const Index batch = 4;
  for (const Activation hidden : {Activation::kRelu, Activation::kTanh, Activation::kSigmoid}) {
    INFO(to_string(hidden));
    const Network net({3, 6, 5, 4}, hidden, Activation::kIdentity, 0.1, Normalization::kLayer);
    Vector params(net.num_parameters());
    net.initialize(params, Init::kXavierNormal, rng);
    params += 0.3 * Vector(random_matrix(net.num_parameters(), 1, rng));  // γ ≠ 1, β ≠ 0
    const Matrix x = random_matrix(3, batch, rng);
    const std::vector<Index> labels = {0, 3, 1, 2};
    Tape tape;
    Matrix grad_out(4, batch);
    softmax_cross_entropy(net.forward(params, x, tape), labels, grad_out);
    Vector grad(net.num_parameters());
    const Matrix grad_x = net.backward(params, grad_out, tape, grad, true);
    Tape scratch_tape;
    Matrix scratch(4, batch);
    const Matrix numeric_params = numeric_gradient(
        [&](const Matrix& p) {
          return softmax_cross_entropy(net.forward(Vector(p), x, scratch_tape), labels, scratch);
        },
        Matrix(params));
    const Matrix numeric_x = numeric_gradient(
        [&](const Matrix& in) {
          return softmax_cross_entropy(net.forward(params, in, scratch_tape), labels, scratch);
        },
        x);
    const double error_params = relative_error(Matrix(grad), numeric_params);
    const double error_x = relative_error(grad_x, numeric_x);
    CAPTURE(error_params, error_x);
    CHECK(error_params < kTolerance);
    CHECK(error_x < kTolerance);
  }
}

TEST_CASE("networks with layer norm: gain and bias blocks after each hidden layer", "[nn][norm]") {
  const Network net({2, 8, 8, 1}, Activation::kRelu, Activation::kIdentity, 0.2,
                    Normalization::kLayer);
  CHECK(net.num_parameters() == (2 * 8 + 8 + 16) + (8 * 8 + 8 + 16) + (8 * 1 + 1));
  CHECK(net.normalized(0));
  CHECK(net.normalized(1));
  CHECK_FALSE(net.normalized(2));  // not after the output layer
  const std::vector<Block> blocks = net.blocks();
  REQUIRE(blocks.size() == 10);
  CHECK(blocks[2].name == "layer0.norm.gain");
  CHECK(blocks[3].name == "layer0.norm.bias");
  CHECK(blocks[9].name == "layer2.bias");
  Index next = 0;
  for (const Block& b : blocks) {
    CHECK(b.offset == next);
    next += b.size;
  }
  CHECK(next == net.num_parameters());
  // The weights are drawn as without normalization: the same seed, the same W_l.
  const Network plain({2, 8, 8, 1}, Activation::kRelu);
  Vector a(net.num_parameters()), b(plain.num_parameters());
  Rng r1(5), r2(5);
  net.initialize(a, Init::kHeNormal, r1);
  plain.initialize(b, Init::kHeNormal, r2);
  for (Index l = 0; l < 3; ++l) CHECK(net.layer(l).weight(a) == plain.layer(l).weight(b));
  CHECK(net.layer_norm(1).gain(a).isOnes(0.0));
}

TEST_CASE("training with layer norm: batched sums equal per-example gradients",
          "[training][norm]") {
  const auto data = testing::blobs(30, 4, 3, 2);
  TrainingOptions o;
  o.hidden = "8,8";
  o.seed = 3;
  o.normalization = Normalization::kLayer;
  const TrainingProblem p(TrainingTask::kClassifier, o, data);
  CHECK(p.dim() == (4 * 8 + 8 + 16) + (8 * 8 + 8 + 16) + (8 * 3 + 3));
  Rng rng(4);
  const Vector x = p.initial_point() + 0.2 * Vector(random_matrix(p.dim(), 1, rng));
  SampleDraw draw;
  draw.indices = {3, 17, 9};
  draw.weights = {0.5, 1.0, 2.0};
  Vector batched(p.dim()), workspace(p.dim()), one(p.dim());
  p.sample_sum(draw, x, batched, workspace);
  Vector sum = Vector::Zero(p.dim());
  for (std::size_t k = 0; k < 3; ++k) {
    p.sample(draw.indices[k], x, one);
    sum += draw.weights[k] * one;
  }
  CHECK((batched - sum).cwiseAbs().maxCoeff() < 1e-13 * std::max(1.0, sum.cwiseAbs().maxCoeff()));
}
