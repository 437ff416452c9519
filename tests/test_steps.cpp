// The step core: every rule against its formula and on convex/concave quadratics, per-player
// rules, checkpointed state, and the solver's schemes (alternating, extragradient) and averaging.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "sgda/problems/affine_game.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"
#include "sgda/steps/adam_step.hpp"
#include "sgda/steps/blockwise_step.hpp"
#include "step_rules.hpp"

using namespace sgda;

namespace {

// F(z) = A z − b on one block: A SPD. Minimizing f(z) = ½zᵀAz − bᵀz, or, with `maximize`,
// maximizing the concave h(z) = −½zᵀAz + bᵀz (F = −∇h, the VI operator of a maximizing player).
AffineGame quadratic(bool maximize) {
  Matrix a(3, 3);
  a << 3, 1, 0, 1, 2, 0.5, 0, 0.5, 1;
  Matrix b(3, 1);
  b << 1, -2, 0.5;
  return AffineGame({a}, -b, {Block{"z", 0, 3, maximize}});
}

double objective(const AffineGame& q, const Vector& z) {
  // f for a minimizing block, h = −f for a maximizing one.
  const double f = 0.5 * z.dot(q.mean_matrix() * z) + q.mean_offset().dot(z);
  return q.blocks()[0].maximize ? -f : f;
}

SolverOptions constant(double gamma, std::int64_t iterations) {
  SolverOptions o;
  o.step_size.rule = sgda::StepSizeRule::kConstant;
  o.step_size.gamma = gamma;
  o.max_iterations = iterations;
  o.log_every = 1;
  return o;
}

Summary run(const Problem& p, StepRule& step, const SolverOptions& o,
            const std::string& method = "sgda") {
  EstimatorOptions e;
  e.method = sgda::parse_enum<sgda::Method>(method);
  auto estimator = make_estimator(e, p);
  return solve(p, *estimator, step, o, Vector::Zero(p.dim()));
}

StepRuleOptions rule(const std::string& name) {
  StepRuleOptions o;
  o.rule = sgda::parse_enum<sgda::StepRuleType>(name);
  return o;
}

}  // namespace

TEST_CASE("every step rule decreases a convex quadratic and increases a concave one", "[steps]") {
  for (const std::string& name : sgda::testing::game_step_rules()) {
    for (const bool maximize : {false, true}) {
      INFO(name << (maximize ? " maximizing" : " minimizing"));
      const AffineGame q = quadratic(maximize);
      const Vector solution = *q.solution();
      StepRuleOptions o = rule(name);
      // A trust-ratio rule moves a block by about γ·ratio·‖x‖ per step, however small g is:
      // LARS at a larger η to get there in time, LAMB at a smaller step to end nearer x*.
      o.trust_coefficient = 0.02;
      auto step = make_step_rule(o);
      // RMSprop has no bias correction: at 0.05 its nearly sign-like steps end farther off.
      const double gamma = name == "lamb" ? 0.005 : name == "rmsprop" ? 0.01 : 0.05;
      const Summary s = run(q, *step, constant(gamma, 2000));
      const double start = objective(q, Vector::Zero(3)), end = objective(q, s.x);
      const double best = objective(q, solution);
      if (maximize) {
        CHECK(end > start);
        CHECK(best - end <= 1e-3 * (best - start));  // within 0.1% of the way to the maximum
      } else {
        CHECK(end < start);
        CHECK(end - best <= 1e-3 * (start - best));
      }
    }
  }
}

TEST_CASE("step rules follow their formulas", "[steps]") {
  const AffineGame q = quadratic(false);
  const Vector x = (Vector(3) << 0.5, -1.0, 2.0).finished();
  Vector g1 = (Vector(3) << 1.0, -0.5, 0.25).finished(), g2 = (Vector(3) << -2, 1, 3).finished();
  Vector next(3), next2(3);

  SECTION("Adam: bias-corrected moments, first step is γ·sign(g) up to ε") {
    auto adam = make_step_rule(rule("adam"));
    adam->reset(q);
    adam->apply(0.1, g1, x, next);
    // t = 1: m̂ = g, v̂ = g², so the step is γ g/(|g| + ε).
    CHECK(next.isApprox(x - 0.1 * (g1.array() / (g1.array().abs() + 1e-8)).matrix(), 1e-14));
    adam->apply(0.1, g2, next, next2);
    const Vector m = (0.9 * 0.1 * g1 + 0.1 * g2) / (1 - 0.81);
    const Vector v = (0.999 * 0.001 * g1.cwiseAbs2() + 0.001 * g2.cwiseAbs2()) / (1 - 0.998001);
    CHECK(next2.isApprox(next - 0.1 * (m.array() / (v.array().sqrt() + 1e-8)).matrix(), 1e-12));
  }
  SECTION("AdamW decays decoupled from the moments; Adam's weight decay enters g") {
    StepRuleOptions o = rule("adamw");
    o.adamw_weight_decay = 0.5;
    auto adamw = make_step_rule(o);
    adamw->reset(q);
    adamw->apply(0.1, g1, x, next);
    CHECK(next.isApprox(x - 0.1 * (g1.array() / (g1.array().abs() + 1e-8)).matrix() - 0.1 * 0.5 * x,
                        1e-14));
    o.rule = sgda::StepRuleType::kAdam;
    o.weight_decay = 0.5;
    auto adam = make_step_rule(o);
    adam->reset(q);
    adam->apply(0.1, g1, x, next);
    const Vector d = g1 + 0.5 * x;
    CHECK(next.isApprox(x - 0.1 * (d.array() / (d.array().abs() + 1e-8)).matrix(), 1e-14));
  }
  SECTION("heavy ball in velocity form equals x_{k+1} = x_k − γ g_k + μ(x_k − x_{k−1})") {
    auto momentum = make_step_rule(rule("momentum"));
    momentum->reset(q);
    Vector a = x, previous = x, b = x;
    for (int k = 0; k < 5; ++k) {
      const Vector g = (k % 2 ? g1 : g2) * (k + 1);
      momentum->apply(0.1, g, a, next);
      const Vector two_iterate = b - 0.1 * g + 0.9 * (b - previous);
      previous = b;
      b = two_iterate;
      a = next;
      CHECK(a.isApprox(b, 1e-13));
    }
  }
  SECTION("Nesterov: x − γ(g + μ v) with v = μ v + g") {
    auto nesterov = make_step_rule(rule("nesterov"));
    nesterov->reset(q);
    nesterov->apply(0.1, g1, x, next);
    CHECK(next.isApprox(x - 0.1 * (g1 + 0.9 * g1), 1e-14));
    nesterov->apply(0.1, g2, next, next2);
    const Vector v = 0.9 * g1 + g2;
    CHECK(next2.isApprox(next - 0.1 * (g2 + 0.9 * v), 1e-14));
  }
  SECTION("optimistic: x − γ(2 g_k − g_{k−1}), the first step plain") {
    auto optimistic = make_step_rule(rule("optimistic"));
    optimistic->reset(q);
    optimistic->apply(0.1, g1, x, next);
    CHECK(next.isApprox(x - 0.1 * g1, 1e-15));
    optimistic->apply(0.1, g2, next, next2);
    CHECK(next2.isApprox(next - 0.1 * (2 * g2 - g1), 1e-15));
  }
}

TEST_CASE("per-player rules and scales, a single-player step leaves the others", "[steps]") {
  QuadraticGameOptions o;
  o.samples = 5;
  o.dimension = 2;
  const AffineGame game = generate_quadratic_game(o);  // players x (min) and y (max)
  std::vector<BlockwiseStep::Part> parts;
  parts.push_back({{"x"}, make_step_rule(rule("adam")), 1.0});
  parts.push_back({{}, make_step_rule(rule("prox")), 0.25});  // y: the rest, at a quarter step
  BlockwiseStep two_scales(std::move(parts));
  two_scales.reset(game);
  const Vector x = Vector::LinSpaced(4, -1, 2), g = Vector::LinSpaced(4, 3, -1);
  Vector next(4);
  two_scales.apply(0.2, g, x, next);
  CHECK(next.head(2).isApprox(
      x.head(2) - 0.2 * (g.head(2).array() / (g.head(2).array().abs() + 1e-8)).matrix(), 1e-14));
  CHECK(next.tail(2).isApprox(x.tail(2) - 0.05 * g.tail(2), 1e-15));

  const Player y = game.players()[1];
  REQUIRE(y.name == "y");
  auto prox = make_step_rule(rule("prox"));
  prox->reset(game);
  prox->step(0.2, g, x, next, &y);
  CHECK(next.head(2) == x.head(2));
  CHECK(next.tail(2).isApprox(x.tail(2) - 0.2 * g.tail(2), 1e-15));

  std::vector<BlockwiseStep::Part> wrong;
  wrong.push_back({{"generator"}, make_step_rule(rule("adam")), 1.0});
  BlockwiseStep bad(std::move(wrong));
  CHECK_THROWS_WITH(bad.reset(game), Catch::Contains("step.generator") && Catch::Contains("x, y"));
}

TEST_CASE("stateful step rules resume from a checkpoint bit for bit", "[steps][checkpoint]") {
  QuadraticGameOptions o;
  o.samples = 10;
  o.dimension = 3;
  const AffineGame game = generate_quadratic_game(o);
  SolverOptions options = constant(0.01, 400);
  options.log_every = 10;
  options.averaging = sgda::Averaging::kUniform;
  for (const std::string& name : sgda::testing::game_step_rules()) {
    INFO(name);
    auto reference_step = make_step_rule(rule(name));
    const Summary reference = run(game, *reference_step, options);
    Checkpoint middle;
    SolverOptions every = options;
    every.checkpoint_every = 150;
    CheckpointHooks keep;
    keep.save = [&](const Checkpoint& c, bool final) {
      if (!final && c.counters.iterations == 150) middle = c;
    };
    auto step = make_step_rule(rule(name));
    EstimatorOptions e;
    auto estimator = make_estimator(e, game);
    solve(game, *estimator, *step, every, Vector::Zero(game.dim()), {}, keep);
    CheckpointHooks resume;
    resume.resume = &middle;
    auto fresh_step = make_step_rule(rule(name));
    auto fresh_estimator = make_estimator(e, game);
    const Summary resumed =
        solve(game, *fresh_estimator, *fresh_step, every, Vector::Zero(game.dim()), {}, resume);
    CHECK(resumed.x == reference.x);
    CHECK(resumed.x_average == reference.x_average);
    CHECK(resumed.trace.relative_distance_sq == reference.trace.relative_distance_sq);
    CHECK(resumed.trace.extra[0].values == reference.trace.extra[0].values);
  }
}

TEST_CASE("on a bilinear game GDA spirals out while extragradient and optimistic converge",
          "[steps][convergence]") {
  // min_x max_y xᵀBy + aᵀx − bᵀy: monotone, not strongly; B = diag(1, 0.5, 0.25), one sample.
  Matrix m = Matrix::Zero(6, 6);
  const Vector sigma = (Vector(3) << 1.0, 0.5, 0.25).finished();
  m.topRightCorner(3, 3) = sigma.asDiagonal();
  m.bottomLeftCorner(3, 3) = -Matrix(sigma.asDiagonal());
  const Vector target = Vector::LinSpaced(6, -1.0, 1.5);
  const AffineGame game({m}, -m * target, {{"x", 0, 3, false}, {"y", 3, 3, true}});
  REQUIRE(game.solution()->isApprox(target, 1e-14));
  // Per iteration on the eigen-direction of a singular value σ of B̄ (‖B̄‖ = 1): GDA multiplies
  // the distance by |1 + iγσ| > 1, extragradient by |1 − γ²σ² + iγσ| < 1 (≈ 1 − γ²σ²/2 for
  // small γσ); with γ = 0.5 and the smallest σ = 0.25, 20000 iterations are plenty.
  auto prox = make_step_rule(rule("prox"));
  SolverOptions options = constant(0.5, 20000);
  options.log_every = 100;
  const Summary gda = run(game, *prox, options);
  CHECK(gda.final_relative_distance_sq > 10.0);  // |1 + iγσ| > 1: the distance grows
  options.scheme = sgda::Scheme::kExtragradient;
  const Summary eg = run(game, *prox, options);
  CHECK(eg.final_relative_distance_sq < 1e-8);
  options.scheme = sgda::Scheme::kSimultaneous;
  auto optimistic = make_step_rule(rule("optimistic"));
  const Summary og = run(game, *optimistic, options);
  CHECK(og.final_relative_distance_sq < 1e-8);
  // Alternating GDA neither spirals out nor converges on bilinear games (a symplectic map).
  options.scheme = sgda::Scheme::kAlternating;
  const Summary alt = run(game, *prox, options);
  CHECK(alt.final_relative_distance_sq < 10.0);
  CHECK(alt.final_relative_distance_sq > 1e-3);
  CHECK(alt.counters.sample_evaluations == 2 * 20000);  // one estimate per player
}

TEST_CASE("averaging: the uniform average and the EMA of the iterates", "[steps]") {
  QuadraticGameOptions o;
  o.samples = 20;
  o.dimension = 2;
  const AffineGame game = generate_quadratic_game(o);
  // Record every iterate through a callback and average by hand.
  struct Recorder final : Callback {
    std::vector<Vector> iterates;
    CallbackResult logged(const LogEntry& e) override {
      iterates.push_back(e.x);
      return CallbackResult::kContinue;
    }
  };
  for (const std::string averaging : {"uniform", "ema"}) {
    INFO(averaging);
    Recorder recorder;
    SolverOptions options = constant(0.02, 300);
    options.averaging = sgda::parse_enum<sgda::Averaging>(averaging);
    options.ema_decay = 0.9;
    EstimatorOptions e;
    auto estimator = make_estimator(e, game);
    ProxStep step;
    const Summary s = solve(game, *estimator, step, options, Vector::Zero(4), {&recorder});
    Vector expected = Vector::Zero(4);
    for (std::size_t k = 1; k < recorder.iterates.size(); ++k)
      expected = averaging == "uniform"
                     ? Vector(expected + (recorder.iterates[k] - expected) / double(k))
                     : Vector(0.9 * expected + 0.1 * recorder.iterates[k]);
    CHECK(s.x_average.isApprox(expected, 1e-12));
    CHECK(s.trace.extra.size() == 2);
    CHECK(s.trace.extra[0].name == "average_relative_distance_sq");
    CHECK(s.trace.extra[0].values.size() == s.trace.size());
  }
}

TEST_CASE("extragradient-same-sample replays the first estimate's samples", "[steps]") {
  QuadraticGameOptions o;
  o.samples = 50;
  o.dimension = 2;
  const AffineGame game = generate_quadratic_game(o);
  // Records which samples the estimator asks for.
  struct Recording final : Problem {
    explicit Recording(const AffineGame& g) : inner(g) {}
    std::string name() const override { return "recording"; }
    Index dim() const override { return inner.dim(); }
    Index num_samples() const override { return inner.num_samples(); }
    void sample(Index i, ConstVectorRef x, VectorRef out) const override {
      drawn.push_back(i);
      inner.sample(i, x, out);
    }
    void full(ConstVectorRef x, VectorRef out) const override { inner.full(x, out); }  // metrics
    std::vector<Block> blocks() const override { return inner.blocks(); }
    const AffineGame& inner;
    mutable std::vector<Index> drawn;
  };
  for (const std::string scheme : {"extragradient-same-sample", "extragradient"}) {
    Recording problem(game);
    SolverOptions options = constant(0.01, 200);
    options.scheme = sgda::parse_enum<sgda::Scheme>(scheme);
    options.log_every = 1000;
    EstimatorOptions e;
    auto estimator = make_estimator(e, problem);
    ProxStep step;
    solve(problem, *estimator, step, options, Vector::Zero(4));
    REQUIRE(problem.drawn.size() == 400);
    int equal_pairs = 0;
    for (std::size_t k = 0; k < 400; k += 2)
      equal_pairs += problem.drawn[k] == problem.drawn[k + 1];
    if (scheme == "extragradient-same-sample")
      CHECK(equal_pairs == 200);
    else
      CHECK(equal_pairs < 20);  // independent draws agree with probability 1/50: ≈ 4 of 200
  }
}

TEST_CASE("a per-player step names a player or every block under it", "[steps]") {
  // Blocks as a network lays them out: g.layer0.weight, g.layer0.bias, d.layer0.weight.
  const AffineGame game({Matrix::Identity(5, 5)}, Matrix::Zero(5, 1),
                        {{"g.layer0.weight", 0, 2, false},
                         {"g.layer0.bias", 2, 1, false},
                         {"d.layer0.weight", 3, 2, true}});
  std::vector<BlockwiseStep::Part> parts;
  parts.push_back({{"g"}, make_step_rule(rule("prox")), 0.5});
  parts.push_back({{}, make_step_rule(rule("prox")), 1.0});
  BlockwiseStep step(std::move(parts));
  step.reset(game);
  const Vector x = Vector::Zero(5), g = Vector::Ones(5);
  Vector next(5);
  step.apply(0.1, g, x, next);
  CHECK(next.head(3).isApprox(Vector::Constant(3, -0.05), 1e-15));  // every g.* block at 0.5·γ
  CHECK(next.tail(2).isApprox(Vector::Constant(2, -0.1), 1e-15));
}

TEST_CASE("the checked step is x − γg and finds every non-finite entry", "[steps]") {
  // Lengths that end the four-wide loop exactly, and with a scalar tail of 1, 2 or 3.
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double gamma = 0.25;
  for (Index n = 0; n <= 13; ++n) {
    Vector x(n), g(n), out(n);
    for (Index i = 0; i < n; ++i) {
      x[i] = 1.0 + 0.5 * double(i);
      g[i] = 3.0 - double(i);
    }
    REQUIRE(detail::subtract_scaled_checked(x, gamma, g, out));
    for (Index i = 0; i < n; ++i) CHECK(out[i] == x[i] - gamma * g[i]);  // the same rounding

    for (Index bad = 0; bad < n; ++bad) {  // one non-finite estimate entry at every position
      for (double value : {inf, -inf, nan}) {
        Vector h = g;
        h[bad] = value;
        CHECK_FALSE(detail::subtract_scaled_checked(x, gamma, h, out));
      }
    }
    if (n >= 2) {  // finite entries whose sum overflows: the second look accepts them
      Vector big = Vector::Constant(n, 1.5e308), zero = Vector::Zero(n);
      CHECK(detail::subtract_scaled_checked(big, gamma, zero, out));
      CHECK(out == big);
    }
    if (n >= 1) {  // finite x and g whose difference overflows: refused
      Vector big = Vector::Constant(n, 1.7e308);
      CHECK_FALSE(detail::subtract_scaled_checked(big, 1.0, -big, out));
    }
  }
}
