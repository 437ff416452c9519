// The solver's schemes against iterates computed by hand: alternating moves player by player
// (all of a player's blocks at once, one estimate per player, Gauss-Seidel), and stateful step
// rules keep their state per block and advance it once per iteration under alternation (as one
// torch optimizer per player does), and the averaged iterate's problem metrics.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "sgda/io/trace_file.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/problems/dirac_gan.hpp"
#include "sgda/problems/gaussian_gan.hpp"
#include "sgda/problems/mlp_gan.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"
#include "sgda/steps/blockwise_step.hpp"
#include "step_rules.hpp"

using namespace sgda;

namespace {

// min_x max_y of a quadratic game on z = (x.a, x.b, y.a, y.b): two players of two blocks each,
// with couplings inside each player and across. One sample, so g = F(z) exactly; the entries
// are small integers, so with γ = 1/2 every iterate is a dyadic rational computed exactly.
AffineGame two_block_players() {
  Matrix m(4, 4);
  m << 2, 1, 1, 2,  //
      1, 2, 0, 1,   //
      -1, 0, 2, 0,  //
      -2, -1, 0, 2;
  Matrix q(4, 1);
  q << 1, -1, 0, 2;
  return AffineGame({m}, q,
                    {Block{"x.a", 0, 1, false}, Block{"x.b", 1, 1, false}, Block{"y.a", 2, 1, true},
                     Block{"y.b", 3, 1, true}});
}

SolverOptions constant(double gamma, std::int64_t iterations) {
  SolverOptions o;
  o.step_size.rule = sgda::StepSizeRule::kConstant;
  o.step_size.gamma = gamma;
  o.max_iterations = iterations;
  o.log_every = 1;
  return o;
}

StepRuleOptions rule(const std::string& name) {
  StepRuleOptions o;
  o.rule = sgda::parse_enum<sgda::StepRuleType>(name);
  return o;
}

Summary run(const Problem& p, StepRule& step, const SolverOptions& o, ConstVectorRef x0) {
  EstimatorOptions e;  // sgda, uniform sampling: with n = 1, g = F_0(x)
  auto estimator = make_estimator(e, p);
  return solve(p, *estimator, step, o, x0);
}

const TraceColumn* column(const Trace& trace, const std::string& name) {
  for (const TraceColumn& c : trace.extra)
    if (c.name == name) return &c;
  return nullptr;
}

}  // namespace

TEST_CASE("alternating moves player by player: hand-computed iterates, one estimate per player",
          "[schemes]") {
  const AffineGame game = two_block_players();
  ProxStep step;
  SolverOptions options = constant(0.5, 1);
  options.scheme = sgda::Scheme::kAlternating;
  const Vector x0 = (Vector(4) << 1, 0, 0, 1).finished();
  // Iteration 1: F(x⁰) = (5, 1, −1, 2): x ← (1, 0) − ½(5, 1) = (−1.5, −0.5); then at
  // (−1.5, −0.5, 0, 1) F_y = (1.5, 7.5): y ← (0, 1) − ½(1.5, 7.5) = (−0.75, −2.75).
  Summary s = run(game, step, options, x0);
  CHECK(s.x == (Vector(4) << -1.5, -0.5, -0.75, -2.75).finished());
  CHECK(s.counters.sample_evaluations == 2);  // one estimate per player, not per block
  // Iteration 2: F_x = (−8.75, −6.25): x ← (2.875, 2.625); at the new x F_y = (−4.375,
  // −11.875): y ← (1.4375, 3.1875).
  options.max_iterations = 2;
  s = run(game, step, options, x0);
  CHECK(s.x == (Vector(4) << 2.875, 2.625, 1.4375, 3.1875).finished());
  CHECK(s.counters.sample_evaluations == 4);
}

TEST_CASE("players are the blocks grouped by the name before the first '.'", "[schemes]") {
  const std::vector<Player> players =
      players_of({Block{"g.layer0.weight", 0, 2, false}, Block{"d", 2, 1, true},
                  Block{"g.layer0.bias", 3, 1, false}, Block{"g", 4, 1, false}});
  REQUIRE(players.size() == 2);
  CHECK(players[0].name == "g");  // in the order of each player's first block
  REQUIRE(players[0].blocks.size() == 3);
  CHECK(players[0].blocks[1].name == "g.layer0.bias");
  CHECK(players[0].blocks[2].name == "g");
  CHECK(players[1].name == "d");
  CHECK(players[0].contains(Block{"g.layer0.bias", 3, 1, false}));
  CHECK_FALSE(players[0].contains(Block{"d", 2, 1, true}));

  // The MLP GAN: 12 blocks (a weight and a bias per layer), 2 players, 2 estimates per iteration.
  MlpGanOptions o;
  o.samples = 64;
  o.batch = 16;
  o.generator_width = o.discriminator_width = 4;
  o.eval_samples = 50;
  const MlpGan gan(o);
  REQUIRE(gan.blocks().size() == 12);
  const std::vector<Player> gan_players = gan.players();
  REQUIRE(gan_players.size() == 2);
  CHECK(gan_players[0].name == "generator");
  CHECK(gan_players[0].blocks.size() == 6);
  CHECK(gan_players[1].name == "discriminator");
  auto adam = make_step_rule(rule("adam"));
  SolverOptions options = constant(1e-3, 3);
  options.scheme = sgda::Scheme::kAlternating;
  const Summary s = run(gan, *adam, options, gan.initial_point());
  CHECK(s.counters.sample_evaluations == 2 * 3);
  StateArchive state;
  adam->save_state(state);
  CHECK(state.vector("t") == Vector::Constant(12, 3.0));
}

TEST_CASE("alternating Adam: the bias correction counts iterations, not blocks (Dirac-GAN)",
          "[schemes]") {
  // torch.optim.Adam with one optimizer per player, lr = 0.1, one alternating iteration from
  // (1, 1): each player's first Adam step is γ·sign(g) up to ε, so x¹ = (0.9, 1.1). A step
  // counter advanced per block gave the discriminator t = 2: ψ = 1.07441.
  const DiracGan game;
  auto adam = make_step_rule(rule("adam"));
  SolverOptions options = constant(0.1, 1);
  options.scheme = sgda::Scheme::kAlternating;
  const Summary s = run(game, *adam, options, game.initial_point());
  CHECK(s.x[0] == Approx(0.9).margin(1e-7));
  CHECK(s.x[1] == Approx(1.1).margin(1e-7));
}

TEST_CASE("alternating with a stateful rule equals one instance of the rule per player",
          "[schemes]") {
  // What training each player with its own optimizer does: at each iteration, for each player
  // in order, g = F(x) at the current x, then that player's optimizer steps its blocks.
  const AffineGame game = two_block_players();
  const std::vector<Block> blocks = game.blocks();
  const std::vector<std::vector<Block>> players = {{blocks[0], blocks[1]}, {blocks[2], blocks[3]}};
  const Vector x0 = (Vector(4) << 1, 0, 0, 1).finished();
  const double gamma = 0.05;
  const int iterations = 7;
  for (const std::string& name : sgda::testing::game_step_rules()) {
    INFO(name);
    std::vector<std::unique_ptr<StepRule>> own;
    for (const auto& player : players) {
      own.push_back(make_step_rule(rule(name)));
      own.back()->bind(game, player);
    }
    Vector z = x0, next(4), g(4);
    for (int k = 0; k < iterations; ++k) {
      for (auto& optimizer : own) {
        game.sample(0, z, g);
        next = z;
        optimizer->apply(gamma, g, z, next);  // writes its own player's blocks only
        z = next;
      }
    }
    auto step = make_step_rule(rule(name));
    SolverOptions options = constant(gamma, iterations);
    options.scheme = sgda::Scheme::kAlternating;
    const Summary s = run(game, *step, options, x0);
    CHECK(s.x == z);
    CHECK(s.counters.sample_evaluations == 2 * iterations);
    if (name == "adam" || name == "adamw") {  // every block has taken one step per iteration
      StateArchive state;
      step->save_state(state);
      CHECK(state.vector("t") == Vector::Constant(4, iterations));
    }
  }
}

TEST_CASE("alternating with per-player rules and scales equals one optimizer per player",
          "[schemes]") {
  const AffineGame game = two_block_players();
  const std::vector<Block> blocks = game.blocks();
  const Vector x0 = (Vector(4) << 1, 0, 0, 1).finished();
  const double gamma = 0.05;
  // x: Adam at γ; y: momentum at γ/2, and y.b (a block named on its own) optimistic at 2γ.
  std::vector<BlockwiseStep::Part> parts;
  parts.push_back({{"x"}, make_step_rule(rule("adam")), 1.0});
  parts.push_back({{"y.b"}, make_step_rule(rule("optimistic")), 2.0});
  parts.push_back({{}, make_step_rule(rule("momentum")), 0.5});
  BlockwiseStep step(std::move(parts));
  auto adam = make_step_rule(rule("adam"));
  auto optimistic = make_step_rule(rule("optimistic"));
  auto momentum = make_step_rule(rule("momentum"));
  adam->bind(game, {blocks[0], blocks[1]});
  optimistic->bind(game, {blocks[3]});
  momentum->bind(game, {blocks[2]});
  Vector z = x0, next(4), g(4);
  for (int k = 0; k < 6; ++k) {
    game.sample(0, z, g);  // player x
    next = z;
    adam->apply(gamma, g, z, next);
    z = next;
    game.sample(0, z, g);  // player y: both its blocks from one estimate
    optimistic->apply(2 * gamma, g, z, next);
    momentum->apply(0.5 * gamma, g, z, next);
    z = next;
  }
  SolverOptions options = constant(gamma, 6);
  options.scheme = sgda::Scheme::kAlternating;
  CHECK(run(game, step, options, x0).x == z);
}

namespace {

// A run interrupted at the checkpoint of iteration 150 and resumed from it ends where the run
// without interruption ends, bit for bit.
void check_resume(const Problem& game, const std::string& rule_name, SolverOptions options) {
  options.max_iterations = 300;
  options.log_every = 10;
  options.averaging = sgda::Averaging::kUniform;
  EstimatorOptions e;
  auto reference_step = make_step_rule(rule(rule_name));
  auto reference_estimator = make_estimator(e, game);
  const Summary reference =
      solve(game, *reference_estimator, *reference_step, options, game.initial_point());
  options.checkpoint_every = 150;
  Checkpoint middle;
  CheckpointHooks keep;
  keep.save = [&](const Checkpoint& c, bool final) {
    if (!final && c.counters.iterations == 150) middle = c;
  };
  auto step = make_step_rule(rule(rule_name));
  auto estimator = make_estimator(e, game);
  solve(game, *estimator, *step, options, game.initial_point(), {}, keep);
  REQUIRE(middle.counters.iterations == 150);
  CheckpointHooks resume;
  resume.resume = &middle;
  auto fresh_step = make_step_rule(rule(rule_name));
  auto fresh_estimator = make_estimator(e, game);
  const Summary resumed =
      solve(game, *fresh_estimator, *fresh_step, options, game.initial_point(), {}, resume);
  CHECK(resumed.x == reference.x);
  CHECK(resumed.x_average == reference.x_average);
  CHECK(resumed.counters.sample_evaluations == reference.counters.sample_evaluations);
  CHECK(resumed.trace.relative_distance_sq == reference.trace.relative_distance_sq);
  CHECK(resumed.trace.residual_sq == reference.trace.residual_sq);
  REQUIRE(resumed.trace.extra.size() == reference.trace.extra.size());
  for (std::size_t c = 0; c < reference.trace.extra.size(); ++c)
    CHECK(resumed.trace.extra[c].values == reference.trace.extra[c].values);
}

}  // namespace

TEST_CASE("alternating resumes from a checkpoint bit for bit", "[schemes][checkpoint]") {
  QuadraticGameOptions o;  // a stochastic game: the random stream is part of the state
  o.samples = 10;
  o.dimension = 3;
  const AffineGame game = generate_quadratic_game(o);
  SolverOptions options = constant(0.01, 300);
  options.scheme = sgda::Scheme::kAlternating;
  for (const std::string name : {"prox", "momentum", "adam", "optimistic"}) {
    INFO(name);
    check_resume(game, name, options);
  }
}

TEST_CASE("averaging logs the averaged iterate's problem metrics as average_<metric>",
          "[schemes][gan]") {
  GaussianGanOptions o;
  o.dimension = 2;
  o.samples = 256;
  o.batch = 32;
  const GaussianGan game(o);
  // Every iterate through a callback, to average by hand.
  struct Recorder final : Callback {
    std::vector<Vector> iterates;
    CallbackResult logged(const LogEntry& e) override {
      iterates.push_back(e.x);
      return CallbackResult::kContinue;
    }
  };
  for (const std::string averaging : {"uniform", "ema"}) {
    INFO(averaging);
    SolverOptions options = constant(0.05, 60);
    options.averaging = sgda::parse_enum<sgda::Averaging>(averaging);
    options.ema_decay = 0.9;
    ProxStep step;
    Recorder recorder;
    EstimatorOptions e;
    auto estimator = make_estimator(e, game);
    const Summary s = solve(game, *estimator, step, options, game.initial_point(), {&recorder});
    REQUIRE(s.x_average.size() == game.dim());
    REQUIRE(recorder.iterates.size() == s.trace.size());
    // x* is unknown (A only up to a rotation): no all-NaN average distance column.
    CHECK(column(s.trace, "average_relative_distance_sq") == nullptr);
    REQUIRE(column(s.trace, "average_residual_sq") != nullptr);
    const auto names = game.metrics(game.initial_point());
    REQUIRE(names.size() == 2);  // mean_error, covariance_error
    for (std::size_t m = 0; m < names.size(); ++m) {
      const std::string& name = names[m].first;
      INFO(name);
      const TraceColumn* average = column(s.trace, "average_" + name);
      const TraceColumn* last = column(s.trace, name);  // the last iterate's, as before
      REQUIRE(average != nullptr);
      REQUIRE(last != nullptr);
      REQUIRE(average->values.size() == s.trace.size());
      // The final row: the metric recomputed at Summary::x_average, bit for bit.
      CHECK(average->values.back() == game.metrics(s.x_average)[m].second);
      CHECK(last->values.back() == game.metrics(s.x)[m].second);
      CHECK(average->values.back() != last->values.back());
      // Every row: the metric at the average of the iterates so far, averaged by hand.
      Vector expected = recorder.iterates[0];
      for (std::size_t k = 0; k < recorder.iterates.size(); ++k) {
        if (k > 0)
          expected = averaging == "uniform"
                         ? Vector(expected + (recorder.iterates[k] - expected) / double(k))
                         : Vector(0.9 * expected + 0.1 * recorder.iterates[k]);
        CHECK(average->values[k] == Approx(game.metrics(expected)[m].second).epsilon(1e-9));
      }
    }
  }
}

TEST_CASE("Dirac-GAN: the averaged iterate's distance to x* = 0 is logged and finite",
          "[schemes][gan]") {
  const DiracGan game;  // x* = (0, 0) is known
  for (const std::string averaging : {"uniform", "ema"}) {
    for (const std::string scheme : {"simultaneous", "alternating", "extragradient"}) {
      INFO(averaging << ", " << scheme);
      SolverOptions options = constant(0.2, 100);
      options.log_every = 10;
      options.averaging = sgda::parse_enum<sgda::Averaging>(averaging);
      options.scheme = sgda::parse_enum<sgda::Scheme>(scheme);
      ProxStep step;
      const Summary s = run(game, step, options, game.initial_point());
      const TraceColumn* distance = column(s.trace, "average_relative_distance_sq");
      const TraceColumn* residual = column(s.trace, "average_residual_sq");
      REQUIRE(distance != nullptr);
      REQUIRE(residual != nullptr);
      for (const double v : distance->values) CHECK(std::isfinite(v));
      for (const double v : residual->values) CHECK(std::isfinite(v));
      // ||x̄ − x*||² / ||x⁰ − x*||² with x* = 0 and ||x⁰||² = 2, at Summary::x_average.
      CHECK(distance->values.back() == s.x_average.squaredNorm() / 2.0);
      Vector work(2);
      CHECK(residual->values.back() == natural_residual_sq(game, s.x_average, work));
      CHECK(distance->values.front() == 1.0);
    }
  }
}

TEST_CASE("a checkpoint whose trace has other columns is refused", "[schemes][checkpoint]") {
  GaussianGanOptions o;
  o.samples = 64;
  o.batch = 8;
  const GaussianGan game(o);
  SolverOptions options = constant(0.01, 20);
  options.checkpoint_every = 10;
  Checkpoint middle;
  CheckpointHooks keep;
  keep.save = [&](const Checkpoint& c, bool final) {
    if (!final && c.counters.iterations == 10) middle = c;
  };
  ProxStep step;
  EstimatorOptions e;
  auto estimator = make_estimator(e, game);
  solve(game, *estimator, step, options, game.initial_point(), {}, keep);
  REQUIRE(middle.trace.extra.size() == 2);        // mean_error, covariance_error
  options.averaging = sgda::Averaging::kUniform;  // would log six columns
  CheckpointHooks resume;
  resume.resume = &middle;
  CHECK_THROWS_WITH(solve(game, *estimator, step, options, game.initial_point(), {}, resume),
                    Catch::Contains("checkpoint") && Catch::Contains("columns"));
}

TEST_CASE("extrapolation = step with the prox rule is the plain extragradient, bit for bit",
          "[schemes]") {
  QuadraticGameOptions o;
  o.samples = 20;
  o.dimension = 3;
  const AffineGame plain = generate_quadratic_game(o);
  RegularizerOptions r;
  r.type = sgda::RegularizerType::kL1;
  r.lambda = 0.1;
  const AffineGame l1 = plain.with_regularizer(make_regularizer(r));
  for (const AffineGame* game : {&plain, &l1}) {
    for (const std::string scheme : {"extragradient", "extragradient-same-sample"}) {
      INFO(scheme << " with " << game->regularizer().describe());
      SolverOptions options = constant(0.02, 500);
      options.log_every = 25;
      options.scheme = sgda::parse_enum<sgda::Scheme>(scheme);
      options.averaging = sgda::Averaging::kEma;
      ProxStep a, b;
      const Summary reference = run(*game, a, options, Vector::Zero(game->dim()));
      options.extrapolation = sgda::Extrapolation::kStep;
      const Summary s = run(*game, b, options, Vector::Zero(game->dim()));
      CHECK(s.x == reference.x);
      CHECK(s.x_average == reference.x_average);
      CHECK(s.counters.sample_evaluations == reference.counters.sample_evaluations);
      CHECK(s.trace.relative_distance_sq == reference.trace.relative_distance_sq);
      CHECK(s.trace.residual_sq == reference.trace.residual_sq);
    }
  }
}

TEST_CASE("Extra-Adam: two iterations on a bilinear game against Algorithm 4 by hand",
          "[schemes]") {
  // min_x max_y xy: F(x, y) = (y, −x), one sample; blocks x and y, one player each.
  Matrix m(2, 2);
  m << 0, 1, -1, 0;
  const AffineGame game({m}, Matrix::Zero(2, 1), {Block{"x", 0, 1, false}, Block{"y", 1, 1, true}});
  const double gamma = 0.1, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
  // Adam on one coordinate (Kingma & Ba), its moments and step count advanced at every call.
  struct Adam {
    double beta1, beta2, epsilon, m = 0.0, v = 0.0;
    int t = 0;
    double direction(double g) {
      ++t;
      m = beta1 * m + (1 - beta1) * g;
      v = beta2 * v + (1 - beta2) * g * g;
      const double m_hat = m / (1 - std::pow(beta1, t)), v_hat = v / (1 - std::pow(beta2, t));
      return m_hat / (std::sqrt(v_hat) + epsilon);
    }
  };
  auto operator_at = [](const Vector& z) { return Vector((Vector(2) << z[1], -z[0]).finished()); };
  // Algorithm 4: from x_k, extrapolate with Adam (moments and count advanced: t = 2k − 1) to
  // x_{k+½}; then from x_k again with g(x_{k+½}) (advanced again: t = 2k).
  Adam adam[2] = {{beta1, beta2, epsilon}, {beta1, beta2, epsilon}};
  Vector z = (Vector(2) << 1.0, 0.5).finished();
  const Vector x0 = z;
  std::vector<Vector> by_hand;
  for (int k = 0; k < 2; ++k) {
    const Vector g = operator_at(z);
    Vector half(2);
    for (int i = 0; i < 2; ++i) half[i] = z[i] - gamma * adam[i].direction(g[i]);
    const Vector g_half = operator_at(half);
    for (int i = 0; i < 2; ++i) z[i] -= gamma * adam[i].direction(g_half[i]);
    by_hand.push_back(z);
  }
  // The first extrapolation is γ·sign(g) up to ε: x½ ≈ (1 − 0.1, 0.5 + 0.1) = (0.9, 0.6).
  // The update's bias corrections are 1 − β1² = 0.19 and 1 − β2² = 0.001999.
  CHECK(by_hand[0][0] == Approx(1.0 - 0.1 * ((0.09 * 0.5 + 0.1 * 0.6) / 0.19) /
                                          std::sqrt((0.000999 * 0.25 + 0.001 * 0.36) / 0.001999))
                             .epsilon(1e-7));
  for (const std::string scheme : {"extragradient", "extragradient-same-sample"}) {
    for (std::int64_t iterations : {1, 2}) {
      INFO(scheme << ", " << iterations << " iterations");
      auto step = make_step_rule(rule("adam"));
      SolverOptions options = constant(gamma, iterations);
      options.scheme = sgda::parse_enum<sgda::Scheme>(scheme);
      options.extrapolation = sgda::Extrapolation::kStep;
      const Summary s = run(game, *step, options, x0);
      const Vector& expected = by_hand[static_cast<std::size_t>(iterations - 1)];
      CHECK(s.x[0] == Approx(expected[0]).epsilon(1e-13));
      CHECK(s.x[1] == Approx(expected[1]).epsilon(1e-13));
      CHECK(s.counters.sample_evaluations == 2 * iterations);
      StateArchive state;
      step->save_state(state);
      CHECK(state.vector("t") == Vector::Constant(2, 2.0 * double(iterations)));
    }
  }
  // With the plain extrapolation the same rule moves elsewhere: the extrapolation is γ·g.
  auto step = make_step_rule(rule("adam"));
  SolverOptions options = constant(gamma, 1);
  options.scheme = sgda::Scheme::kExtragradient;
  CHECK(run(game, *step, options, x0).x[0] != Approx(by_hand[0][0]).epsilon(1e-6));
}

TEST_CASE("Extra-Adam resumes from a checkpoint bit for bit", "[schemes][checkpoint]") {
  QuadraticGameOptions o;
  o.samples = 10;
  o.dimension = 3;
  const AffineGame game = generate_quadratic_game(o);
  for (const std::string scheme : {"extragradient", "extragradient-same-sample"}) {
    for (const std::string name : {"adam", "momentum", "prox"}) {
      INFO(scheme << ", " << name);
      SolverOptions options = constant(0.01, 300);
      options.scheme = sgda::parse_enum<sgda::Scheme>(scheme);
      options.extrapolation = sgda::Extrapolation::kStep;
      check_resume(game, name, options);
    }
  }
}

TEST_CASE("extrapolation is validated with the scheme", "[schemes]") {
  SolverOptions o;
  std::string error;
  CHECK_THROWS_WITH(parse_enum<Extrapolation>("adam"), "unknown \"adam\"; accepted: prox, step");
  o.extrapolation = sgda::Extrapolation::kStep;
  CHECK_FALSE(o.IsValid(&error));  // the default scheme is simultaneous
  CHECK(error ==
        "SolverOptions::extrapolation: \"step\" needs the scheme extragradient or "
        "extragradient-same-sample, not \"simultaneous\"");
  for (const std::string scheme : {"extragradient", "extragradient-same-sample"}) {
    o.scheme = sgda::parse_enum<sgda::Scheme>(scheme);
    CHECK(o.IsValid(&error));
  }
}

TEST_CASE("resuming from a run file: Adam's per-block state and the columns, whatever their order",
          "[schemes][checkpoint][io]") {
  // A run file lists its trace columns by name, not in the order the solver logs them: the
  // resumed run must still append each value to its own column.
  GaussianGanOptions o;
  o.samples = 64;
  o.batch = 8;
  const GaussianGan game(o);  // metrics mean_error, covariance_error: not in name order
  SolverOptions options = constant(0.01, 60);
  options.log_every = 5;
  options.scheme = sgda::Scheme::kAlternating;
  options.averaging = sgda::Averaging::kUniform;
  EstimatorOptions e;
  auto reference_step = make_step_rule(rule("adam"));
  auto reference_estimator = make_estimator(e, game);
  const Summary reference =
      solve(game, *reference_estimator, *reference_step, options, game.initial_point());
  options.checkpoint_every = 30;
  const std::string path = "sgda_test_schemes_resume_" + std::to_string(::getpid()) + ".h5";
  CheckpointHooks keep;
  keep.save = [&](const Checkpoint& c, bool final) {
    if (!final && c.counters.iterations == 30) save_checkpoint(path, c, {{"test", "resume"}});
  };
  auto step = make_step_rule(rule("adam"));
  auto estimator = make_estimator(e, game);
  solve(game, *estimator, *step, options, game.initial_point(), {}, keep);
  const RunRecord record = load_run(path);
  std::remove(path.c_str());
  REQUIRE(record.checkpoint);
  std::vector<std::string> names;
  for (const TraceColumn& c : record.checkpoint->trace.extra) names.push_back(c.name);
  REQUIRE(names.size() == reference.trace.extra.size());
  CHECK(names.front() != reference.trace.extra.front().name);  // the order did change
  CheckpointHooks resume;
  resume.resume = &*record.checkpoint;
  auto fresh_step = make_step_rule(rule("adam"));
  auto fresh_estimator = make_estimator(e, game);
  const Summary resumed =
      solve(game, *fresh_estimator, *fresh_step, options, game.initial_point(), {}, resume);
  CHECK(resumed.x == reference.x);
  CHECK(resumed.x_average == reference.x_average);
  REQUIRE(resumed.trace.extra.size() == reference.trace.extra.size());
  for (std::size_t c = 0; c < reference.trace.extra.size(); ++c) {
    INFO(reference.trace.extra[c].name);
    CHECK(resumed.trace.extra[c].name == reference.trace.extra[c].name);
    CHECK(resumed.trace.extra[c].values == reference.trace.extra[c].values);
  }
}
