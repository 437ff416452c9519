// Noisy XOR (problems/noisy_xor.hpp): the data generator's properties, the network's gradient
// against finite differences, and the findings at a fixed step count with fixed seeds:
// full-batch GD on a two-layer ReLU network with small initialization generalizes (Frei,
// Chatterji & Bartlett 2022) where a linear classifier stays at chance.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "sgda/error.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/problems/noisy_xor.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"

using namespace sgda;

namespace {

// The calibrated setting: p = 100, |mu| = 5, n = 1000, m = 256, omega = 1e-3.
NoisyXorOptions calibrated(NoisyXorModel model, std::uint64_t seed) {
  NoisyXorOptions o;
  o.model = model;
  o.seed = seed;
  o.test_samples = 4000;
  return o;
}

// Full-batch gradient descent as a run does it: sgda, sampling = "nice", batch_size = n,
// constant step `gamma`, `steps` iterations; the final iterate.
Vector full_batch_gd(const NoisyXor& problem, double gamma, std::int64_t steps) {
  EstimatorOptions e;
  e.sampling = SamplingType::kNice;
  e.batch_size = problem.num_samples();
  auto estimator = make_estimator(e, problem);
  auto step = make_step_rule(StepRuleOptions{});
  SolverOptions o;
  o.max_iterations = steps;
  o.log_every = steps;
  o.step_size.rule = StepSizeRule::kConstant;
  o.step_size.gamma = gamma;
  return solve(problem, *estimator, *step, o, problem.initial_point()).x;
}

}  // namespace

TEST_CASE("noisy XOR data: orthogonal means and clusters and a flip rate as asked", "[noisy-xor]") {
  NoisyXorDataSpec spec;
  spec.dimension = 50;
  spec.mean_norm = 4.0;
  spec.samples = 20000;
  spec.test_samples = 20000;
  spec.flip = 0.15;
  spec.seed = 7;
  const NoisyXorData d = generate_noisy_xor(spec);
  CHECK(d.mean1.norm() == Approx(4.0));
  CHECK(d.mean2.norm() == Approx(4.0));
  CHECK(std::abs(d.mean1.dot(d.mean2)) < 1e-12);

  // Each example is its cluster's mean plus N(0, I): along its own mean's direction it sits at
  // ±|mu| (+ N(0, 1)), along the other's at 0 (+ N(0, 1)). Four clusters, a quarter each.
  const Vector u1 = d.mean1.normalized(), u2 = d.mean2.normalized();
  const double N = double(spec.samples);
  double plus = 0.0, own = 0.0, other = 0.0, flipped = 0.0, test_flipped = 0.0;
  double positive_side = 0.0;
  for (Index i = 0; i < spec.samples; ++i) {
    const bool first = d.clean_labels[i] > 0;
    const double a = d.features.col(i).dot(first ? u1 : u2);
    const double b = d.features.col(i).dot(first ? u2 : u1);
    plus += first ? 1.0 : 0.0;
    positive_side += a > 0 ? 1.0 : 0.0;
    own += std::abs(a);
    other += b;
    flipped += d.labels[i] != d.clean_labels[i] ? 1.0 : 0.0;
    test_flipped += d.test_labels[i] != d.test_clean_labels[i] ? 1.0 : 0.0;
  }
  // Binomial proportions of 20000: standard deviation at most 0.0036; 5 of them.
  CHECK(std::abs(plus / N - 0.5) < 0.018);
  CHECK(std::abs(positive_side / N - 0.5) < 0.018);
  CHECK(std::abs(flipped / N - 0.15) < 0.013);  // sd = sqrt(0.15 * 0.85 / 20000) = 0.0025
  CHECK(std::abs(test_flipped / N - 0.15) < 0.013);
  CHECK(own / N == Approx(4.0).margin(0.05));  // E|4 + z| = 4.0 to 1e-4; sd of the mean 0.007
  CHECK(std::abs(other / N) < 0.05);

  // Reproducible example by example: a smaller set is a prefix of a larger one.
  NoisyXorDataSpec small = spec;
  small.samples = 10;
  small.test_samples = 3;
  const NoisyXorData s = generate_noisy_xor(small);
  CHECK(s.mean1 == d.mean1);
  CHECK(s.features == d.features.leftCols(10));
  CHECK(s.labels == d.labels.head(10));
  CHECK(s.test_features == d.test_features.leftCols(3));
  small.seed = 8;
  CHECK(generate_noisy_xor(small).features != s.features);
}

TEST_CASE("noisy XOR gradients match finite differences of the logistic risk", "[noisy-xor]") {
  for (const Index depth : {1, 3}) {
    for (const NoisyXorModel model : {NoisyXorModel::kRelu, NoisyXorModel::kLinear}) {
      NoisyXorOptions o;
      o.model = model;
      o.dimension = 6;
      o.samples = 30;
      o.test_samples = 5;
      o.width = 7;
      o.depth = depth;
      o.init_std = 0.0;  // He: a point with O(1) logits, not the linear regime of omega = 1e-3
      o.seed = 11;
      const NoisyXor problem(o);
      INFO("depth " << depth << " model " << to_string(model));
      const Vector x = problem.initial_point();
      REQUIRE(x.size() == problem.dim());
      CHECK(problem.dim() == (model == NoisyXorModel::kLinear ? 6 : 7 * 6 + (depth - 1) * 49));
      Vector g(problem.dim());
      problem.full(x, g);
      const double h = 1e-6;
      Vector xp = x, fd(problem.dim());
      for (Index j = 0; j < x.size(); ++j) {
        xp[j] = x[j] + h;
        const double up = problem.evaluate_training(xp).loss;
        xp[j] = x[j] - h;
        const double down = problem.evaluate_training(xp).loss;
        xp[j] = x[j];
        fd[j] = (up - down) / (2 * h);
      }
      CHECK((g - fd).norm() <= 1e-6 * g.norm());

      // F = (1/n) Σ F_i, and a weighted batch is the weighted sum of its samples.
      Vector sum = Vector::Zero(problem.dim()), gi(problem.dim());
      for (Index i = 0; i < o.samples; ++i) {
        problem.sample(i, x, gi);
        sum += gi / double(o.samples);
      }
      CHECK((sum - g).norm() <= 1e-12 * g.norm());
      SampleDraw draw{{3, 17, 3}, {0.5, 2.0, 0.25}};
      Vector batch(problem.dim()), workspace(problem.dim()), expected(problem.dim());
      problem.sample_sum(draw, x, batch, workspace);
      problem.sample(3, x, gi);
      expected = 0.75 * gi;
      problem.sample(17, x, gi);
      expected += 2.0 * gi;
      CHECK((batch - expected).norm() <= 1e-12 * expected.norm());
    }
  }
}

TEST_CASE("noisy XOR: output weights are frozen at +-1/sqrt(m) and the metrics are named",
          "[noisy-xor]") {
  NoisyXorOptions o;
  o.dimension = 4;
  o.samples = 10;
  o.test_samples = 10;
  o.width = 8;
  o.depth = 2;
  const NoisyXor problem(o);
  CHECK(problem.output_weights().sum() == Approx(0.0).margin(1e-15));
  CHECK(problem.output_weights().cwiseAbs().maxCoeff() == Approx(1.0 / std::sqrt(8.0)));
  const std::vector<Block> blocks = problem.blocks();
  REQUIRE(blocks.size() == 2);
  CHECK(blocks[0].name == "layer0.weight");
  CHECK(blocks[0].size == 32);
  CHECK(blocks[1].name == "layer1.weight");
  CHECK(blocks[1].offset == 32);
  CHECK(covers(blocks, problem.dim()));
  const Vector x0 = problem.initial_point();
  CHECK(x0.cwiseAbs().maxCoeff() < 1e-2);  // N(0, 1e-6)
  std::vector<std::string> names;
  for (const auto& [name, value] : problem.metrics(x0)) names.push_back(name);
  CHECK(names == std::vector<std::string>{"train_loss", "train_error", "test_error",
                                          "test_error_clean", "weight_movement"});
  CHECK(problem.metrics(x0).back().second == 0.0);
}

TEST_CASE("full-batch GD on noisy XOR: the ReLU network generalizes and a linear one cannot",
          "[noisy-xor]") {
  // Frei, Chatterji & Bartlett's setting at the calibrated size, 50 steps of lr 0.5, 5 seeds.
  for (std::uint64_t seed = 0; seed < 5; ++seed) {
    INFO("seed " << seed);
    const NoisyXor relu(calibrated(NoisyXorModel::kRelu, seed));
    const NoisyXor::Evaluation r = relu.evaluate_test(full_batch_gd(relu, 0.5, 50));
    CHECK(r.error < 0.14);  // flip = 0.1: the Bayes error against noisy labels is 0.1
    CHECK(r.clean_error < 0.03);
    const NoisyXor linear(calibrated(NoisyXorModel::kLinear, seed));
    const NoisyXor::Evaluation l = linear.evaluate_test(full_batch_gd(linear, 0.5, 50));
    CHECK(l.clean_error > 0.4);
    CHECK(l.clean_error < 0.6);
  }
}

TEST_CASE("noisy-xor problem files build the problem and name bad fields", "[noisy-xor][io]") {
  const std::string head = "[problem]\ntype = \"noisy-xor\"\ndimension = 5\nsamples = 20\n";
  const std::string method = "[method]\nname = \"sgda\"\nsampling = \"nice\"\nbatch_size = 20\n";
  const auto problem = make_problem(parse_run_config(head + "width = 4\n" + method, "p.toml"));
  CHECK(problem->name() == "noisy-xor");
  CHECK(problem->dim() == 20);
  CHECK(make_problem(parse_run_config(head + "model = \"linear\"\n" + method, "p.toml"))->dim() ==
        5);
  CHECK_THROWS_WITH(parse_run_config(head + "flip = 0.5\n" + method, "p.toml"),
                    Catch::Contains("p.toml:5: problem.flip"));
  CHECK_THROWS_WITH(parse_run_config(head + "width = 1\n" + method, "p.toml"),
                    Catch::Contains("p.toml:5: problem.width"));
}

TEST_CASE("wider deep ReLU networks fit the data and move less from their initialization",
          "[noisy-xor][overparameterized]") {
  // Zou, Cao, Zhou & Gu 2020: depth-2 ReLU networks with He initialization and a frozen output
  // layer, full-batch GD on the logistic loss of overlapping clusters (|mu| = 1 in p = 10, no
  // label noise: fitting all 100 labels means memorizing). Measured at 800 steps of lr 0.2:
  // both widths at 0 training error; weight_movement about 0.45 at m = 64, 0.19 at m = 256.
  for (std::uint64_t seed = 0; seed < 2; ++seed) {
    INFO("seed " << seed);
    NoisyXorOptions o;
    o.dimension = 10;
    o.mean_norm = 1.0;
    o.samples = 100;
    o.test_samples = 1;
    o.flip = 0.0;
    o.depth = 2;
    o.init_std = 0.0;
    o.seed = seed;
    double movement[2];
    for (int k = 0; k < 2; ++k) {
      o.width = k == 0 ? 64 : 256;
      const NoisyXor problem(o);
      const Vector x = full_batch_gd(problem, 0.2, 800);
      CHECK(problem.evaluate_training(x).error == 0.0);
      movement[k] = (x - problem.initial_point()).norm() / problem.initial_point().norm();
    }
    CHECK(movement[1] < 0.7 * movement[0]);
  }
}
