// Initializations (nn/init.cpp) and the training option that picks one: orthogonal weights are
// exactly (semi-)orthogonal with the gain, the naive normal has its σ², every draw is
// reproducible from the seed, and the default stays He normal / Xavier uniform.
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>

#include "sgda/io/run_config.hpp"
#include "sgda/nn/init.hpp"
#include "sgda/problems/training.hpp"
#include "sgda/rng.hpp"
#include "training_data.hpp"

using namespace sgda;
using namespace sgda::nn;

TEST_CASE("orthogonal initialization gives gain times a semi-orthogonal matrix", "[nn][init]") {
  // Tall W: WᵀW = gain² I; wide W: WWᵀ = gain² I; square: both. Gram-Schmidt twice keeps the
  // loss of orthogonality at a few ε (measured below 1e-14).
  const double gain = std::sqrt(2.0);
  InitScale scale;
  scale.orthogonal_gain = gain;
  for (const auto& [rows, cols] : {std::pair<Index, Index>{64, 64}, {100, 30}, {30, 100}}) {
    INFO(rows << " x " << cols);
    Matrix w(rows, cols);
    Rng rng(11);
    initialize_weight(Init::kOrthogonal, w, rng, scale);
    const Matrix gram = rows >= cols ? Matrix(w.transpose() * w) : Matrix(w * w.transpose());
    const Index k = std::min(rows, cols);
    const double error = (gram - gain * gain * Matrix::Identity(k, k)).cwiseAbs().maxCoeff();
    CAPTURE(error);
    CHECK(error < 1e-12);
    // The mean squared entry is exactly init_variance: gain² min/(rows·cols) = gain²/max.
    CHECK(w.squaredNorm() / double(w.size()) ==
          Approx(init_variance(Init::kOrthogonal, cols, rows, scale)).epsilon(1e-12));
    // The same seed, the same matrix; another seed, another one.
    Matrix again(rows, cols), other(rows, cols);
    Rng same(11), different(12);
    initialize_weight(Init::kOrthogonal, again, same, scale);
    initialize_weight(Init::kOrthogonal, other, different, scale);
    CHECK(again == w);
    CHECK(other != w);
  }
}

TEST_CASE("orthogonal initialization has positive diag R: Q of the Gaussian's QR", "[nn][init]") {
  // The sign fix: the draws a (column by column) satisfy a = Q R with R = Qᵀ a upper
  // triangular with a positive diagonal (Mezzadri 2007).
  const Index rows = 20, cols = 8;
  Matrix a(rows, cols);
  Rng rng(3);
  for (Index j = 0; j < cols; ++j)
    for (Index i = 0; i < rows; ++i) a(i, j) = rng.normal();
  Matrix q(rows, cols);
  Rng same(3);
  initialize_weight(Init::kOrthogonal, q, same);
  const Matrix r = q.transpose() * a;
  for (Index j = 0; j < cols; ++j) {
    CHECK(r(j, j) > 0.0);
    for (Index i = j + 1; i < cols; ++i) CHECK(std::abs(r(i, j)) < 1e-12 * r(j, j));
  }
  CHECK((q * r - a).cwiseAbs().maxCoeff() < 1e-12);
}

TEST_CASE("the naive normal initialization has variance init_std squared", "[nn][init]") {
  // 300 × 400 = 120000 normal entries: the sample variance has standard error σ²√(2/N); accept
  // 5 standard errors. The mean: σ/√N, 5 of them.
  InitScale scale;
  scale.normal_std = 0.5;
  Matrix w(300, 400);
  Rng rng(8);
  initialize_weight(Init::kNormal, w, rng, scale);
  const double n = double(w.size()), expected = 0.25;
  const double mean = w.mean();
  const double variance = (w.array() - mean).square().sum() / (n - 1.0);
  CAPTURE(variance, mean);
  CHECK(init_variance(Init::kNormal, 400, 300, scale) == expected);
  CHECK(std::abs(variance - expected) < 5.0 * expected * std::sqrt(2.0 / n));
  CHECK(std::abs(mean) < 5.0 * 0.5 / std::sqrt(n));
}

TEST_CASE("training init: the default is unchanged and every choice applies", "[training][init]") {
  const auto data = testing::blobs(40, 5, 3, 1);
  TrainingOptions o;
  o.hidden = "16,8";
  o.seed = 4;
  const TrainingProblem by_default(TrainingTask::kClassifier, o, data);
  o.init = Init::kHeNormal;
  const TrainingProblem he(TrainingTask::kClassifier, o, data);
  CHECK(by_default.initial_point() == he.initial_point());  // ReLU: He normal
  TrainingOptions tanh = o;
  tanh.init.reset();
  tanh.activation = Activation::kTanh;
  const TrainingProblem tanh_default(TrainingTask::kClassifier, tanh, data);
  tanh.init = Init::kXavierUniform;
  CHECK(tanh_default.initial_point() ==
        TrainingProblem(TrainingTask::kClassifier, tanh, data).initial_point());

  // Orthogonal with ReLU: gain √2 in every layer (16×5 tall: WᵀW = 2I; 8×16 wide: WWᵀ = 2I).
  o.init = Init::kOrthogonal;
  const TrainingProblem orthogonal(TrainingTask::kClassifier, o, data);
  const Vector x = orthogonal.initial_point();
  const Matrix w0 = orthogonal.network().layer(0).weight(x);
  const Matrix w1 = orthogonal.network().layer(1).weight(x);
  CHECK((w0.transpose() * w0 - 2.0 * Matrix::Identity(5, 5)).cwiseAbs().maxCoeff() < 1e-12);
  CHECK((w1 * w1.transpose() - 2.0 * Matrix::Identity(8, 8)).cwiseAbs().maxCoeff() < 1e-12);

  // The naive normal: init_std scales the same draws.
  o.init = Init::kNormal;
  o.init_std = 1.0;
  const Vector unit = TrainingProblem(TrainingTask::kClassifier, o, data).initial_point();
  o.init_std = 0.1;
  const Vector tenth = TrainingProblem(TrainingTask::kClassifier, o, data).initial_point();
  CHECK((tenth - 0.1 * unit).cwiseAbs().maxCoeff() < 1e-15);
  o.init_std = 0.0;
  CHECK_THROWS_WITH(TrainingProblem(TrainingTask::kClassifier, o, data),
                    Catch::Contains("init_std"));
}

TEST_CASE("training init and gradient norms from problem files", "[training][init][run_config]") {
  namespace fs = std::filesystem;
  const fs::path file = fs::path(SGDA_SOURCE_DIR) / "examples" / "dnn" / "deep_relu.toml";
  const RunConfig config = load_run_config(file.string());
  CHECK(config.problem.training.init == Init::kHeNormal);
  CHECK(config.problem.training.layer_gradient_norms);
  CHECK(config.problem.training.hidden_widths(TrainingTask::kClassifier).size() == 19);
  const RunConfig again = parse_run_config(to_toml(config), config.source);
  CHECK(to_settings(again) == to_settings(config));
  // init_std applies only to the naive normal; unknown choices name the key.
  const std::string head = "[problem]\ntype = \"classifier\"\n";
  const std::string tail = "[method]\nname = \"sgda\"\n";
  CHECK_THROWS_WITH(parse_run_config(head + "init_std = 0.5\n" + tail, "x.toml"),
                    Catch::Contains("init_std"));
  CHECK_THROWS_WITH(parse_run_config(head + "init = \"lecun\"\n" + tail, "x.toml"),
                    Catch::Contains("init") && Catch::Contains("orthogonal"));
  const RunConfig normal =
      parse_run_config(head + "init = \"normal\"\ninit_std = 0.5\n" + tail, "x.toml");
  CHECK(normal.problem.training.init == Init::kNormal);
  CHECK(normal.problem.training.init_std == 0.5);
}

TEST_CASE("the gradient-norm metrics are the layers' weight gradients", "[training][init]") {
  const auto data = testing::blobs(50, 5, 3, 1);
  TrainingOptions o;
  o.hidden = "16,8";
  o.seed = 2;
  o.layer_gradient_norms = true;
  const TrainingProblem p(TrainingTask::kClassifier, o, data);
  const Vector x = p.initial_point();
  Vector g(p.dim());
  p.full(x, g);
  const auto metrics = p.metrics(x);
  const std::vector<double> norms = p.layer_gradient_norms(x);
  REQUIRE(norms.size() == 3);
  for (Index l = 0; l < 3; ++l) {
    const double expected = p.network().layer(l).weight(g).norm();
    CHECK(norms[std::size_t(l)] == Approx(expected).epsilon(1e-14));
    bool found = false;
    for (const auto& [name, value] : metrics)
      if (name == "grad_norm.layer" + std::to_string(l)) {
        found = true;
        CHECK(value == Approx(expected).epsilon(1e-14));
      }
    CHECK(found);
  }
  // On a subset: the mean loss over the first 10 examples.
  Vector subset = Vector::Zero(p.dim()), one(p.dim());
  for (Index i = 0; i < 10; ++i) {
    p.sample(i, x, one);
    subset += one / 10.0;
  }
  const std::vector<double> first10 = p.layer_gradient_norms(x, 10);
  CHECK(first10[0] == Approx(p.network().layer(0).weight(subset).norm()).epsilon(1e-12));
}
