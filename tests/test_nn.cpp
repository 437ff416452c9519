// Neural building blocks: every activation, loss and layer against central finite differences,
// the reverse pass of whole networks (parameters and input), initialization statistics, and the
// parameter layout (one flat vector, one block per weight and bias).
//
// Tolerance: a central difference with step h has truncation error h²|f'''|/6 and rounding error
// about ε|f|/h (ε = 2.2e-16). With h = 1e-5 and |f|, |f'''| at most about 10 here, the sum is
// below 4e-10; we accept a relative error of 1e-8 (the 1e-6 usually quoted would hide real
// bugs of that size). Measured: 5e-12 to 7e-11 for every activation, loss, layer and network.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>

#include "gradient_check.hpp"
#include "sgda/nn/activation.hpp"
#include "sgda/nn/dense.hpp"
#include "sgda/nn/init.hpp"
#include "sgda/nn/loss.hpp"
#include "sgda/nn/network.hpp"
#include "sgda/rng.hpp"

using namespace sgda;
using namespace sgda::nn;

namespace {

using sgda::testing::numeric_gradient;
using sgda::testing::random_matrix;
using sgda::testing::relative_error;
constexpr double kTolerance = sgda::testing::kGradientTolerance;

const std::vector<Activation> kActivations = {Activation::kIdentity, Activation::kRelu,
                                              Activation::kLeakyRelu, Activation::kTanh,
                                              Activation::kSigmoid};

}  // namespace

TEST_CASE("activations: values and derivatives match finite differences", "[nn]") {
  Rng rng(1);
  Matrix z = random_matrix(4, 5, rng, 2.0);
  // Keep clear of the kinks of ReLU and LeakyReLU at 0, where no derivative exists.
  for (Index i = 0; i < z.size(); ++i)
    if (std::abs(z(i)) < 1e-2) z(i) = 0.5;
  const Matrix weights = random_matrix(4, 5, rng);
  for (const Activation a : kActivations) {
    INFO(to_string(a));
    Matrix y(4, 5), dz(4, 5);
    activate(a, z, y, 0.1);
    // L = ⟨R, σ(z)⟩ for a fixed random R: ∂L/∂z = R ⊙ σ'(z).
    activation_backward(a, z, y, weights, dz, 0.1);
    const Matrix numeric = numeric_gradient(
        [&](const Matrix& at) {
          Matrix out(at.rows(), at.cols());
          activate(a, at, out, 0.1);
          return weights.cwiseProduct(out).sum();
        },
        z);
    const double error = relative_error(dz, numeric);
    CAPTURE(error);
    CHECK(error < kTolerance);
  }
  Matrix y(1, 4), z2(1, 4);
  z2 << -3.0, -0.5, 0.0, 2.0;
  activate(Activation::kRelu, z2, y);
  CHECK(y(0, 0) == 0.0);
  CHECK(y(0, 3) == 2.0);
  activate(Activation::kLeakyRelu, z2, y, 0.2);
  CHECK(y(0, 0) == Approx(-0.6));
  activate(Activation::kSigmoid, Matrix::Constant(1, 2, -800.0), y.leftCols(2));
  CHECK(y(0, 0) == 0.0);  // no overflow to NaN
  CHECK(parse_enum<Activation>("leaky-relu") == Activation::kLeakyRelu);
  CHECK(to_string(Activation::kLeakyRelu) == "leaky-relu");
  CHECK_THROWS_WITH(parse_enum<Activation>("relu6"),
                    Catch::Contains("accepted: identity, relu, leaky-relu, tanh, sigmoid"));
}

TEST_CASE("losses: values and gradients match finite differences", "[nn]") {
  Rng rng(2);
  const Index k = 3, batch = 6;
  const Matrix logits = random_matrix(k, batch, rng, 3.0);
  Matrix grad(k, batch);

  SECTION("mse") {
    const Matrix target = random_matrix(k, batch, rng);
    const double value = mse_loss(logits, target, grad);
    CHECK(value == Approx((logits - target).squaredNorm() / double(k * batch)));
    Matrix scratch(k, batch);
    const Matrix numeric =
        numeric_gradient([&](const Matrix& p) { return mse_loss(p, target, scratch); }, logits);
    CHECK(relative_error(grad, numeric) < kTolerance);
  }
  SECTION("logistic, labels in [0, 1] and a constant label") {
    const Matrix scores = logits.topRows(1);
    Matrix labels(1, batch);
    for (Index j = 0; j < batch; ++j) labels(0, j) = rng.uniform();
    Matrix g(1, batch), scratch(1, batch);
    const double value = logistic_loss(scores, labels, g);
    double expected = 0.0;
    for (Index j = 0; j < batch; ++j) {
      const double p = 1.0 / (1.0 + std::exp(-scores(0, j)));
      expected -= labels(0, j) * std::log(p) + (1.0 - labels(0, j)) * std::log(1.0 - p);
    }
    CHECK(value == Approx(expected / double(batch)));
    const Matrix numeric = numeric_gradient(
        [&](const Matrix& s) { return logistic_loss(s, labels, scratch); }, scores);
    CHECK(relative_error(g, numeric) < kTolerance);
    for (const double label : {0.0, 1.0}) {
      logistic_loss(scores, label, g);
      const Matrix n = numeric_gradient(
          [&](const Matrix& s) { return logistic_loss(s, label, scratch); }, scores);
      CHECK(relative_error(g, n) < kTolerance);
    }
    // Stable for large logits: softplus(800) − 800 = 0, not inf − inf.
    CHECK(logistic_loss(Matrix::Constant(1, 1, 800.0), 1.0, g.leftCols(1)) == 0.0);
  }
  SECTION("softmax cross-entropy, distributions and class indices") {
    Matrix targets = random_matrix(k, batch, rng).cwiseAbs();
    targets.array().rowwise() /= targets.colwise().sum().array();
    Matrix scratch(k, batch);
    softmax_cross_entropy(logits, targets, grad);
    const Matrix numeric = numeric_gradient(
        [&](const Matrix& s) { return softmax_cross_entropy(s, targets, scratch); }, logits);
    CHECK(relative_error(grad, numeric) < kTolerance);

    const std::vector<Index> labels = {0, 2, 1, 1, 0, 2};
    Matrix one_hot = Matrix::Zero(k, batch);
    for (Index j = 0; j < batch; ++j) one_hot(labels[std::size_t(j)], j) = 1.0;
    Matrix g2(k, batch);
    const double by_index = softmax_cross_entropy(logits, labels, grad);
    const double by_one_hot = softmax_cross_entropy(logits, one_hot, g2);
    CHECK(by_index == Approx(by_one_hot).epsilon(1e-14));
    CHECK(relative_error(grad, g2) < 1e-14);
    // Shift invariance and no overflow: logits of 1000 give a finite loss.
    CHECK(std::isfinite(softmax_cross_entropy(Matrix::Constant(k, 1, 1000.0), std::vector<Index>{1},
                                              grad.leftCols(1))));
    CHECK_THROWS_WITH(softmax_cross_entropy(logits, std::vector<Index>{0, 1, 2, 3, 0, 1}, grad),
                      Catch::Contains("label 3 out of range"));
  }
}

TEST_CASE("a dense layer: gradients of W, b and the input match finite differences", "[nn]") {
  Rng rng(3);
  const Dense layer{4, 3, 5};  // parameters start at offset 5 of the vector
  Vector params = Vector::Zero(5 + layer.num_parameters() + 2);
  params.segment(5, layer.num_parameters()) = random_matrix(layer.num_parameters(), 1, rng);
  const Matrix x = random_matrix(4, 7, rng);
  const Matrix r = random_matrix(3, 7, rng);  // L = ⟨R, z⟩, so ∂L/∂z = R
  Matrix z(3, 7), dx(4, 7);
  Vector grad = Vector::Zero(params.size());
  layer.forward(params, x, z);
  CHECK(relative_error(z, (layer.weight(params) * x).colwise() + Vector(layer.bias(params))) <
        1e-15);
  layer.backward(params, x, r, grad, dx);
  auto loss = [&](const Vector& p, const Matrix& input) {
    Matrix out(3, input.cols());
    layer.forward(p, input, out);
    return r.cwiseProduct(out).sum();
  };
  const Matrix numeric_params =
      numeric_gradient([&](const Matrix& p) { return loss(Vector(p), x); }, Matrix(params));
  const Matrix numeric_x = numeric_gradient([&](const Matrix& in) { return loss(params, in); }, x);
  CHECK(relative_error(Matrix(grad), numeric_params) < kTolerance);
  CHECK(relative_error(dx, numeric_x) < kTolerance);
  // Only the layer's own parameters are written.
  CHECK(grad.head(5).isZero(0.0));
  CHECK(grad.tail(2).isZero(0.0));
}

TEST_CASE("networks: the reverse pass gives every weight, bias and input gradient", "[nn]") {
  // Every hidden activation, with each loss on top; a batch of 5 examples.
  Rng rng(4);
  const Index batch = 5;
  for (const Activation hidden : kActivations) {
    const Network net({3, 6, 5, 4}, hidden, Activation::kIdentity, 0.1);
    Vector params(net.num_parameters());
    net.initialize(params, Init::kXavierNormal, rng);
    params += 0.1 * Vector(random_matrix(net.num_parameters(), 1, rng));  // biases not zero
    const Matrix x = random_matrix(3, batch, rng);
    const Matrix target = random_matrix(4, batch, rng);
    const std::vector<Index> labels = {0, 3, 1, 2, 3};
    const Matrix binary = (random_matrix(1, batch, rng).array() > 0.0).cast<double>();
    Tape tape;
    for (const std::string loss : {"mse", "softmax", "logistic"}) {
      INFO(to_string(hidden) << " network, " << loss << " loss");
      // The logistic loss looks at the first output only.
      auto value = [&](const Matrix& out, Matrix& grad) {
        grad.setZero();
        if (loss == "mse") return mse_loss(out, target, grad);
        if (loss == "softmax") return softmax_cross_entropy(out, labels, grad);
        return logistic_loss(out.topRows(1), binary, grad.topRows(1));
      };
      Matrix grad_out(4, batch);
      value(net.forward(params, x, tape), grad_out);
      Vector grad(net.num_parameters());
      const Matrix grad_x = net.backward(params, grad_out, tape, grad, true);

      Tape scratch_tape;
      Matrix scratch(4, batch);
      const Matrix numeric_params = numeric_gradient(
          [&](const Matrix& p) { return value(net.forward(Vector(p), x, scratch_tape), scratch); },
          Matrix(params));
      const Matrix numeric_x = numeric_gradient(
          [&](const Matrix& in) { return value(net.forward(params, in, scratch_tape), scratch); },
          x);
      const double error_params = relative_error(Matrix(grad), numeric_params);
      const double error_x = relative_error(grad_x, numeric_x);
      CAPTURE(error_params, error_x);
      CHECK(error_params < kTolerance);
      CHECK(error_x < kTolerance);
    }
  }
}

TEST_CASE("networks: parameters are one flat vector with a block per weight and bias", "[nn]") {
  const Network net({2, 8, 8, 1}, Activation::kRelu);
  CHECK(net.num_parameters() == (2 * 8 + 8) + (8 * 8 + 8) + (8 * 1 + 1));
  const std::vector<Block> blocks = net.blocks("discriminator.", 100, true);
  REQUIRE(blocks.size() == 6);
  CHECK(blocks[0].name == "discriminator.layer0.weight");
  CHECK(blocks[1].name == "discriminator.layer0.bias");
  CHECK(blocks[5].name == "discriminator.layer2.bias");
  Index next = 100;
  for (const Block& b : blocks) {
    CHECK(b.offset == next);  // contiguous, in order, covering everything
    CHECK(b.maximize);
    next += b.size;
  }
  CHECK(next == 100 + net.num_parameters());
  // A weight block is the layer's W, column-major, viewed in place.
  Vector params = Vector::LinSpaced(net.num_parameters(), 0.0, double(net.num_parameters() - 1));
  CHECK(net.layer(1).weight(params)(3, 2) == params[net.layer(1).offset + 2 * 8 + 3]);
  CHECK(net.layer(1).bias(params)[0] == params[blocks[3].offset - 100]);
}

TEST_CASE("networks: a tape reused at one batch size keeps its buffers", "[nn]") {
  // No reallocation after the first pass: the workspaces keep their addresses.
  Rng rng(5);
  const Network net({3, 16, 2}, Activation::kTanh);
  Vector params(net.num_parameters()), grad(net.num_parameters());
  net.initialize(params, Init::kXavierUniform, rng);
  const Matrix x = random_matrix(3, 32, rng), g = random_matrix(2, 32, rng);
  Tape tape;
  net.forward(params, x, tape);
  net.backward(params, g, tape, grad, true);
  std::vector<const double*> before;
  for (auto* list : {&tape.pre, &tape.post, &tape.delta, &tape.grad})
    for (const Matrix& m : *list) before.push_back(m.data());
  for (int k = 0; k < 3; ++k) {
    net.forward(params, x, tape);
    net.backward(params, g, tape, grad, true);
  }
  std::vector<const double*> after;
  for (auto* list : {&tape.pre, &tape.post, &tape.delta, &tape.grad})
    for (const Matrix& m : *list) after.push_back(m.data());
  CHECK(before == after);
}

TEST_CASE("He and Xavier initialization have the stated variance and are reproducible", "[nn]") {
  // 600 × 400 = 240000 entries: the sample variance s² has standard error σ²√(κ − 1)/√N with
  // κ = E w⁴/σ⁴ (3 for normals, 9/5 for uniforms); accept 5 standard errors.
  const Index fan_out = 600, fan_in = 400;
  for (const std::string name : {"he-normal", "he-uniform", "xavier-normal", "xavier-uniform"}) {
    INFO(name);
    const Init init = init_from_string(name);
    Matrix w(fan_out, fan_in);
    Rng rng(6);
    initialize_weight(init, w, rng);
    const double expected =
        name.starts_with("he") ? 2.0 / double(fan_in) : 2.0 / double(fan_in + fan_out);
    CHECK(init_variance(init, fan_in, fan_out) == Approx(expected));
    const double n = double(w.size());
    const double mean = w.mean();
    const double variance = (w.array() - mean).square().sum() / (n - 1.0);
    const double kurtosis = name.ends_with("normal") ? 3.0 : 9.0 / 5.0;
    CAPTURE(variance, expected);
    CHECK(std::abs(variance - expected) < 5.0 * expected * std::sqrt((kurtosis - 1.0) / n));
    CHECK(std::abs(mean) < 5.0 * std::sqrt(expected / n));
    if (name.ends_with("uniform")) {
      CHECK(w.cwiseAbs().maxCoeff() <= std::sqrt(3.0 * expected));
    }
    Matrix again(fan_out, fan_in);
    Rng same(6);
    initialize_weight(init, again, same);
    CHECK(again == w);
  }
  // A network: weights per layer from its fans, biases zero.
  const Network net({50, 200, 10}, Activation::kRelu);
  Vector params(net.num_parameters());
  Rng rng(7);
  net.initialize(params, Init::kHeNormal, rng);
  CHECK(net.layer(0).bias(params).isZero(0.0));
  const double v0 = net.layer(0).weight(params).squaredNorm() / double(50 * 200);
  const double v1 = net.layer(1).weight(params).squaredNorm() / double(200 * 10);
  CHECK(v0 == Approx(2.0 / 50).epsilon(0.05));
  CHECK(v1 == Approx(2.0 / 200).epsilon(0.15));
  CHECK_THROWS_WITH(init_from_string("lecun"), Catch::Contains("accepted: he-normal"));
}
