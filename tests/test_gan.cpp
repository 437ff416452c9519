// GAN-style games: the operators against hand-derived formulas and finite differences, their
// equilibria, and training dynamics: the Dirac-GAN (Mescheder et al. 2018) under simultaneous
// GDA, extragradient, optimistic GDA and R1; the linear-quadratic Gaussian game learning a mean
// and covariance from minibatches; the MLP GAN covering the modes of the ring.
// The training loops are written out here from the Problem API only, so each test shows the
// update it claims (the library's schemes are exercised once, through solve()).
#include <Eigen/Cholesky>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>

#include "sgda/error.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/io/trace_file.hpp"
#include "sgda/nn/loss.hpp"
#include "sgda/problems/dirac_gan.hpp"
#include "sgda/problems/gaussian_gan.hpp"
#include "sgda/problems/mlp_gan.hpp"
#include "sgda/registry.hpp"
#include "sgda/rng.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"

using namespace sgda;

namespace {

// Central differences of f at x, h = 1e-5: errors about 1e-11 (see test_nn.cpp), checked at 1e-8.
Vector numeric_gradient(const std::function<double(const Vector&)>& f, Vector x) {
  Vector g(x.size());
  const double h = 1e-5;
  for (Index i = 0; i < x.size(); ++i) {
    const double keep = x[i];
    x[i] = keep + h;
    const double up = f(x);
    x[i] = keep - h;
    const double down = f(x);
    x[i] = keep;
    g[i] = (up - down) / (2.0 * h);
  }
  return g;
}

double relative_error(const Vector& a, const Vector& b) {
  return (a - b).cwiseAbs().maxCoeff() / std::max(1.0, b.cwiseAbs().maxCoeff());
}

// The VI operator from objectives: ∂f/∂x for minimizing blocks, −∂f/∂x for maximizing ones.
Vector signed_gradient(const Problem& p, const Vector& gradient) {
  Vector out = gradient;
  for (const Block& b : p.blocks())
    if (b.maximize) out.segment(b.offset, b.size) *= -1.0;
  return out;
}

// ∂f/∂θ = ψ φ'(ψθ), ∂f/∂ψ = θ φ'(ψθ) with φ'(t) = 1/(1 + e^t), written out by hand.
Vector dirac_by_hand(double theta, double psi, double r1) {
  const double slope = 1.0 / (1.0 + std::exp(psi * theta));
  Vector f(2);
  f << psi * slope, -(theta * slope - r1 * psi);
  return f;
}

double metric(const Problem& p, const Vector& x, const std::string& name) {
  for (const auto& [key, value] : p.metrics(x))
    if (key == name) return value;
  FAIL("no metric " << name);
  return 0.0;
}

}  // namespace

TEST_CASE("Dirac-GAN: the operator matches the hand-derived formulas", "[gan]") {
  for (const double r1 : {0.0, 0.7}) {
    DiracGanOptions o;
    o.r1 = r1;
    const DiracGan game(o);
    Vector f(2), g(2);
    for (const auto& [theta, psi] : {std::pair{1.0, 1.0}, {-0.3, 2.0}, {5.0, -4.0}, {0.0, 0.0}}) {
      Vector x(2);
      x << theta, psi;
      game.full(x, f);
      game.sample(0, x, g);
      CHECK(f == g);
      CHECK(relative_error(f, dirac_by_hand(theta, psi, r1)) < 1e-15);
      // And F = (∂f/∂θ, −∂f/∂ψ) of the objective f(θ, ψ) = φ(ψθ) + φ(0) − (γ/2)ψ².
      const Vector numeric =
          numeric_gradient([&](const Vector& at) { return game.objective(at); }, x);
      CHECK(relative_error(f, signed_gradient(game, numeric)) < 1e-8);
    }
    // The equilibrium (0, 0) is a zero of F; the value there is 2φ(0) = −2 log 2.
    game.full(Vector::Zero(2), f);
    CHECK(f.isZero(0.0));
    CHECK(game.objective(Vector::Zero(2)) == Approx(-2.0 * std::log(2.0)));
  }
  const DiracGan game;
  CHECK(game.blocks()[0].name == "generator");
  CHECK_FALSE(game.blocks()[0].maximize);
  CHECK(game.blocks()[1].maximize);
  CHECK(*game.solution() == Vector::Zero(2));
  CHECK(game.initial_point() == Vector::Ones(2));
  DiracGanOptions bad;
  bad.r1 = -1.0;
  CHECK_THROWS_WITH(DiracGan(bad),
                    "DiracGanOptions::r1: must be a number >= 0 (0 = no R1 penalty), got -1");
}

TEST_CASE("Dirac-GAN: GDA spirals out, extragradient, optimistic and GDA with R1 converge",
          "[gan]") {
  const DiracGan plain;
  Vector x = plain.initial_point(), f(2), half(2), f_half(2), previous(2);

  SECTION("simultaneous GDA: ||x − x*|| grows at every step") {
    // ‖x − γF(x)‖² = ‖x‖² + γ²‖F(x)‖² since ⟨F(x), x⟩ = 0 without R1.
    double distance = x.norm();
    for (int k = 0; k < 2000; ++k) {
      plain.full(x, f);
      x -= 0.1 * f;
      REQUIRE(x.norm() > distance);
      distance = x.norm();
    }
    CHECK(distance > 2.0 * std::sqrt(2.0));  // from √2 at (1, 1); 3.1 measured
  }
  SECTION("extragradient: x½ = x − γF(x), x ← x − γF(x½)") {
    for (int k = 0; k < 1000; ++k) {
      plain.full(x, f);
      half = x - 0.5 * f;
      plain.full(half, f_half);
      x -= 0.5 * f_half;
    }
    CHECK(x.norm() < 1e-10);  // 1.2e-13 measured
  }
  SECTION("optimistic GDA: x ← x − γ(2F(x_k) − F(x_{k−1}))") {
    plain.full(x, previous);
    for (int k = 0; k < 2500; ++k) {
      plain.full(x, f);
      x -= 0.3 * (2.0 * f - previous);
      previous = f;
    }
    CHECK(x.norm() < 1e-10);  // 3.4e-13 measured
  }
  SECTION("simultaneous GDA with the R1 penalty, gamma = 1") {
    DiracGanOptions o;
    o.r1 = 1.0;
    const DiracGan regularized(o);
    for (int k = 0; k < 1000; ++k) {
      regularized.full(x, f);
      x -= 0.1 * f;
    }
    CHECK(x.norm() < 1e-10);  // 3.3e-21 measured
  }
}

TEST_CASE("Dirac-GAN through solve(): the extragradient scheme and the optimistic rule", "[gan]") {
  const DiracGan game;
  EstimatorOptions e;
  e.method = sgda::Method::kSgda;
  SolverOptions o;
  o.max_iterations = 2000;
  o.log_every = 2000;
  o.step_size.rule = sgda::StepSizeRule::kConstant;
  o.step_size.gamma = 0.3;
  for (const std::string how : {"extragradient", "optimistic", "simultaneous"}) {
    INFO(how);
    StepRuleOptions r;
    r.rule = how == "optimistic" ? StepRuleType::kOptimistic : StepRuleType::kProx;
    o.scheme = how == "extragradient" ? Scheme::kExtragradient : Scheme::kSimultaneous;
    auto estimator = make_estimator(e, game);
    auto step = make_step_rule(r);
    const Summary s = solve(game, *estimator, *step, o, game.initial_point());
    const double distance = s.trace.relative_distance_sq.back();
    if (how == "simultaneous") {
      CHECK(distance > 1.0);  // spirals out
    } else {
      CHECK(distance < 1e-12);
    }
  }
}

TEST_CASE("Gaussian game: the operator is the signed gradient of f, a finite sum", "[gan]") {
  for (const bool exact : {true, false}) {
    GaussianGanOptions o;
    o.dimension = 3;
    o.samples = 240;
    o.batch = 16;
    o.lambda = 0.5;
    o.exact_moments = exact;
    o.seed = 11;
    const GaussianGan game(o);
    REQUIRE(game.num_samples() == 15);
    REQUIRE(game.dim() == 2 * 9 + 2 * 3);
    Rng rng(3);
    Vector x(game.dim()), f(game.dim()), fi(game.dim()), mean = Vector::Zero(game.dim());
    for (Index i = 0; i < x.size(); ++i) x[i] = rng.normal();
    game.full(x, f);
    for (const Index i : {Index(0), Index(7)}) {
      game.sample(i, x, fi);
      const Vector numeric =
          numeric_gradient([&](const Vector& at) { return game.objective(at, i); }, x);
      CHECK(relative_error(fi, signed_gradient(game, numeric)) < 1e-8);
    }
    for (Index i = 0; i < game.num_samples(); ++i) {
      game.sample(i, x, fi);
      mean += fi / double(game.num_samples());
    }
    CHECK(relative_error(mean, f) < 1e-13);
    const Vector numeric =
        numeric_gradient([&](const Vector& at) { return game.objective(at); }, x);
    CHECK(relative_error(f, signed_gradient(game, numeric)) < 1e-8);
  }
}

TEST_CASE("Gaussian game: every equilibrium b = m, AAᵀ = Σ, v = W = 0 is a zero of F", "[gan]") {
  GaussianGanOptions o;
  o.dimension = 3;
  o.samples = 300;
  o.batch = 30;
  const GaussianGan game(o);
  Vector f(game.dim());
  const Vector star = game.equilibrium();
  const Index d = 3;
  // With whitened draws, the finite sum's equilibrium is the truth: b = m, A = chol(Σ).
  const Matrix root = game.covariance().llt().matrixL();
  CHECK((Eigen::Map<const Matrix>(star.data(), d, d) - root).norm() < 1e-12);
  CHECK((star.segment(d * d, d) - game.mean()).norm() < 1e-12);
  game.full(star, f);
  CHECK(f.norm() < 1e-12);
  CHECK(metric(game, star, "mean_error") < 1e-12);
  CHECK(metric(game, star, "covariance_error") < 1e-12);
  // Any A Q with Q orthogonal is an equilibrium too: a rotation by 0.7 in the first two axes.
  Matrix q = Matrix::Identity(d, d);
  q.topLeftCorner(2, 2) << std::cos(0.7), -std::sin(0.7), std::sin(0.7), std::cos(0.7);
  Vector rotated = star;
  Eigen::Map<Matrix>(rotated.data(), d, d) = root * q;
  game.full(rotated, f);
  CHECK(f.norm() < 1e-12);
  // Off the equilibrium F is not zero: the generator's mean moved by 0.1.
  Vector moved = star;
  moved[d * d] += 0.1;
  game.full(moved, f);
  CHECK(f.norm() > 1e-2);
  // Without whitening, equilibrium() is the finite sum's equilibrium (the sample moments).
  o.exact_moments = false;
  const GaussianGan raw(o);
  raw.full(raw.equilibrium(), f);
  CHECK(f.norm() < 1e-12);
  CHECK(metric(raw, raw.equilibrium(), "mean_error") > 1e-3);  // sampling error of m̂
  o.lambda = 0.0;
  CHECK_THROWS_WITH(GaussianGan(o), "GaussianGanOptions::lambda: must be a number > 0, got 0");
}

TEST_CASE("Gaussian game: full GDA converges, minibatch SGDA learns mean and covariance", "[gan]") {
  // Tolerances: mean ‖b − m‖ ≤ 1e-2, covariance ‖AAᵀ − Σ‖_F/‖Σ‖_F ≤ 2e-2.
  GaussianGanOptions o;
  o.dimension = 3;
  o.samples = 1024;
  o.batch = 32;
  o.lambda = 1.0;
  const GaussianGan game(o);
  Vector x = game.initial_point(), g(game.dim());

  SECTION("deterministic GDA, gamma = 0.05: to rounding level") {
    for (int k = 0; k < 20000; ++k) {
      game.full(x, g);
      x -= 0.05 * g;
    }
    game.full(x, g);
    CHECK(g.norm() < 1e-12);
    CHECK(metric(game, x, "mean_error") < 1e-12);        // 1e-15 measured
    CHECK(metric(game, x, "covariance_error") < 1e-12);  // 1e-15 measured
  }
  SECTION("SGDA on minibatches of 32: constant step, then γ/k, averaging the second half") {
    // Constant steps stall in a noise ball (‖b − m‖ ~ 0.05 at γ = 0.005); a decreasing step
    // with iterate averaging removes it (Polyak & Juditsky 1992).
    Rng rng(1);
    const std::int64_t iterations = 400000, half = iterations / 2;
    Vector average = Vector::Zero(game.dim());
    for (std::int64_t k = 0; k < iterations; ++k) {
      game.sample(static_cast<Index>(rng.index(std::uint64_t(game.num_samples()))), x, g);
      const double gamma = k < half ? 0.005 : 0.005 * double(half) / double(k);
      x -= gamma * g;
      if (k >= half) average += x / double(iterations - half);
    }
    const double mean_error = metric(game, average, "mean_error");
    const double covariance_error = metric(game, average, "covariance_error");
    CAPTURE(mean_error, covariance_error);
    CHECK(mean_error < 1e-2);        // 1.1e-3 measured
    CHECK(covariance_error < 2e-2);  // 2.6e-3 measured
  }
}

TEST_CASE("MLP GAN: minibatch operators are the signed gradients of the losses", "[gan]") {
  for (const std::string loss : {"minimax", "non-saturating"}) {
    INFO(loss);
    MlpGanOptions o;
    o.samples = 40;
    o.batch = 8;
    o.noise_dimension = 3;
    o.generator_width = o.discriminator_width = 5;
    o.generator_activation =
        sgda::nn::Activation::kTanh;  // smooth: no kinks for finite differences to cross
    o.discriminator_activation = sgda::nn::Activation::kTanh;
    o.loss = sgda::parse_enum<sgda::GanLoss>(loss);
    o.seed = 4;
    const MlpGan gan(o);
    const Index pg = gan.generator().num_parameters();
    REQUIRE(gan.num_samples() == 5);
    REQUIRE(gan.dim() == pg + gan.discriminator().num_parameters());
    const Vector x = gan.initial_point();
    const Index i = 2, b = o.batch;
    // V = mean log σ(D(x)) + mean log(1 − σ(D(G(z)))) and the generator's loss, by hand.
    auto losses = [&](const Vector& at) {
      nn::Tape tg, td;
      const Matrix fake =
          gan.generator().forward(at.head(pg), gan.noise().middleCols(i * b, b), tg);
      const Matrix real_logits =
          gan.discriminator().forward(at.tail(at.size() - pg), gan.data().middleCols(i * b, b), td);
      const Matrix fake_logits = gan.discriminator().forward(at.tail(at.size() - pg), fake, td);
      double v = 0.0, generator = 0.0;
      for (Index j = 0; j < b; ++j) {
        v -= nn::softplus(-real_logits(0, j)) + nn::softplus(fake_logits(0, j));
        generator += nn::softplus(-fake_logits(0, j));  // −log σ(s)
      }
      return std::pair{v / double(b), generator / double(b)};
    };
    Vector f(gan.dim());
    gan.sample(i, x, f);
    const Vector dv = numeric_gradient([&](const Vector& at) { return losses(at).first; }, x);
    const Vector dg = numeric_gradient([&](const Vector& at) { return losses(at).second; }, x);
    // Discriminator: F_ψ = −∇_ψ V. Generator: ∇_θ V (minimax) or ∇_θ of its own loss.
    CHECK(relative_error(f.tail(gan.dim() - pg), -dv.tail(gan.dim() - pg)) < 1e-8);
    const Vector expected_theta = loss == "minimax" ? Vector(dv.head(pg)) : Vector(dg.head(pg));
    CHECK(relative_error(f.head(pg), expected_theta) < 1e-8);
    // full() is the mean of the F_i.
    Vector mean = Vector::Zero(gan.dim()), fi(gan.dim());
    for (Index k = 0; k < gan.num_samples(); ++k) {
      gan.sample(k, x, fi);
      mean += fi / double(gan.num_samples());
    }
    gan.full(x, f);
    CHECK(relative_error(f, mean) < 1e-13);
  }
}

TEST_CASE("MLP GAN: blocks, reproducibility and the mode metrics", "[gan]") {
  MlpGanOptions o;
  o.samples = 256;
  o.batch = 32;
  const MlpGan gan(o);
  const std::vector<Block> blocks = gan.blocks();
  REQUIRE(blocks.size() == 12);  // 3 layers per network, weight and bias each
  CHECK(blocks[0].name == "generator.layer0.weight");
  CHECK_FALSE(blocks[5].maximize);
  CHECK(blocks[6].name == "discriminator.layer0.weight");
  CHECK(blocks[11].maximize);
  CHECK(blocks[11].offset + blocks[11].size == gan.dim());
  CHECK(MlpGan(o).initial_point() == gan.initial_point());  // from the seed
  CHECK(MlpGan(o).data() == gan.data());

  // A linear generator (no hidden layer) G(z) = Wz + b: W = 0 puts every sample on b.
  o.generator_depth = 0;
  const MlpGan linear(o);
  Vector x = Vector::Zero(linear.dim());
  const Index pg = linear.generator().num_parameters();
  x.segment(pg - 2, 2) = linear.mode_centres().col(3);  // the bias
  CHECK(metric(linear, x, "modes_covered") == 1.0);
  CHECK(metric(linear, x, "good_fraction") == 1.0);
  x.segment(pg - 2, 2) += Vector::Constant(2, 3.0 * o.std);  // 3√2 σ away: not good
  CHECK(metric(linear, x, "good_fraction") == 0.0);
  CHECK(metric(linear, x, "modes_covered") == 0.0);
}

TEST_CASE("MLP GAN on the ring of 8 Gaussians: Adam covers at least 6 modes", "[gan]") {
  // Seed 0, generator 2-64-64-2 (ReLU), discriminator 2-64-64-1 (LeakyReLU), non-saturating
  // loss, minibatches of 64 from 8192 draws, σ = 0.02 on a ring of radius 2. Adam (β1 = 0.5,
  // β2 = 0.999, as in DCGAN, Radford et al. 2016) at 1e-3 for both players, 5000 simultaneous
  // steps: 8 modes, 40 % good samples; 1.7 s in Release on an idle core.
  MlpGanOptions o;
  o.samples = 8192;
  o.batch = 64;
  const MlpGan gan(o);
  StepRuleOptions r;
  r.rule = sgda::StepRuleType::kAdam;
  r.beta1 = 0.5;
  r.beta2 = 0.999;
  auto adam = make_step_rule(r);
  adam->reset(gan);
  Vector x = gan.initial_point(), next(gan.dim()), g(gan.dim());
  Rng rng(1);
  const auto start = std::chrono::steady_clock::now();
  for (int k = 0; k < 5000; ++k) {
    gan.sample(static_cast<Index>(rng.index(std::uint64_t(gan.num_samples()))), x, g);
    adam->apply(1e-3, g, x, next);
    x.swap(next);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double modes = metric(gan, x, "modes_covered");
  const double good = metric(gan, x, "good_fraction");
  CAPTURE(modes, good, seconds);
  CHECK(modes >= 6.0);
  CHECK(good > 0.2);
}

TEST_CASE("problem files: the GAN types, their keys and their errors", "[gan][run_config]") {
  const std::filesystem::path examples =
      std::filesystem::path(SGDA_SOURCE_DIR) / "examples" / "gan";
  for (const std::string file : {"dirac.toml", "dirac_r1.toml", "gaussian.toml", "mlp_ring.toml"}) {
    INFO(file);
    const RunConfig config = load_run_config((examples / file).string());
    const std::shared_ptr<Problem> problem = make_problem(config);
    CHECK(problem->name() == to_string(config.problem.type));
    // The settings read back to the same problem.
    const RunConfig again = parse_run_config(to_toml(config), config.source);
    CHECK(to_settings(again) == to_settings(config));
    CHECK_THROWS_WITH(build_problem(config), Catch::Contains("is not an affine game"));
  }
  const RunConfig mlp = load_run_config((examples / "mlp_ring.toml").string());
  CHECK(mlp.problem.mlp.discriminator_activation == sgda::nn::Activation::kLeakyRelu);
  CHECK(make_problem(mlp)->dim() == MlpGan(mlp.problem.mlp).dim());
  const RunConfig gaussian = load_run_config((examples / "gaussian.toml").string());
  CHECK(make_problem(gaussian)->num_samples() == 8);

  auto error = [](const std::string& problem) {
    try {
      parse_run_config("[problem]\n" + problem + "\n[method]\nname = \"sgda\"\n", "gan.toml");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error("type = \"dirac-gan\"\nr1 = -1") ==
        "gan.toml:3: problem.r1: must be a number >= 0 (0 = no R1 penalty), got -1");
  CHECK(error("type = \"dirac-gan\"\nbatch = 4") ==
        "gan.toml:3: problem.batch: applies only to type = \"gaussian-gan\" or \"mlp-gan\" "
        "(here type = \"dirac-gan\", whose keys are r1, theta0, psi0)");
  CHECK(error("type = \"gaussian-gan\"\nlambda = 0") ==
        "gan.toml:3: problem.lambda: must be a number > 0, got 0");
  CHECK(error("type = \"gaussian-gan\"\nsamples = 100\nbatch = 32") ==
        "gan.toml:3: problem.samples: must be a multiple of batch = 32, got 100");
  CHECK(error("type = \"gaussian-gan\"\nexact_moments = 1") ==
        "gan.toml:3: problem.exact_moments: must be true or false, got the integer 1");
  CHECK(error("type = \"mlp-gan\"\ngenerator_activation = \"relu6\"") ==
        "gan.toml:3: problem.generator_activation: unknown \"relu6\" (did you mean \"relu\"?); "
        "accepted: identity, relu, leaky-relu, tanh, sigmoid");
  CHECK(error("type = \"mlp-gan\"\nloss = \"wasserstein\"") ==
        "gan.toml:3: problem.loss: unknown \"wasserstein\"; accepted: non-saturating, minimax");
  CHECK(error("type = \"mlp-gan\"\nnoise = 3") ==
        "gan.toml:3: problem.noise: applies only to type = \"quadratic\" or \"bilinear\" (here "
        "type = \"mlp-gan\", whose keys are modes, radius, std, samples, batch, "
        "noise_dimension, generator_width, generator_depth, discriminator_width, "
        "discriminator_depth, generator_activation, discriminator_activation, loss, "
        "eval_samples, mode_threshold, seed)");
  CHECK(error("type = \"mlp-gan\"\ngenerator_depth = -1") ==
        "gan.toml:3: problem.generator_depth: must be an integer from 0 to 1000, got -1");
  CHECK(error("type = \"dirac\"")
            .find("accepted: quadratic, bilinear, file, dirac-gan, "
                  "gaussian-gan, mlp-gan") != std::string::npos);
}
