// The constant target (problems/constant_target.hpp), the setting of Jentzen et al.: a deep ReLU
// network regressing ξ from fresh samples X ~ U[0, 1]^d. Samples as a pure function of
// (seed, i), gradients against finite differences, the batched sum against single samples,
// and the finding: with steps γ (n+1)^{-1/2} the risk falls towards 0, with summable steps
// γ (n+1)^{-2} it freezes at a positive value.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "sgda/error.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/problems/constant_target.hpp"
#include "sgda/registry.hpp"
#include "sgda/rng.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"
#include "stop_callbacks.hpp"

using namespace sgda;
using sgda::testing::StopBetweenLogs;

namespace {

ConstantTargetOptions small() {
  ConstantTargetOptions o;
  o.seed = 5;
  o.eval_samples = 2000;
  return o;
}

double risk_of(const ConstantTarget& p, const Vector& x) { return p.metrics(x)[0].second; }

// (net_x(X_i) − ξ)², from a forward pass of the problem's network.
double sample_loss(const ConstantTarget& p, Index i, const Vector& x) {
  Matrix input(p.options().dimension, 1);
  p.draw(i, input.col(0));
  nn::Tape tape;
  const double residual = p.network().forward(x, input, tape)(0, 0) - p.options().target;
  return residual * residual;
}

// A point away from the initialization, with nonzero biases (ReLU kinks at 0 have measure 0).
Vector random_point(const ConstantTarget& p, std::uint64_t seed) {
  Rng rng(seed);
  Vector x = p.initial_point();
  for (auto& v : x) v += 0.3 * rng.normal();
  return x;
}

// The risk after `iterations` steps of one-sample SGD with γ_n = γ (n+1)^{−α}.
double final_risk(const ConstantTarget& p, double alpha, std::int64_t iterations,
                  std::uint64_t seed) {
  auto estimator = make_estimator(EstimatorOptions{}, p);
  auto step = make_step_rule(StepRuleOptions{});
  SolverOptions o;
  o.max_iterations = iterations;
  o.log_every = iterations;
  o.seed = seed;
  o.step_size.rule = StepSizeRule::kConstant;
  o.step_size.gamma = 0.05;
  o.step_size.decay = StepDecay::kInversePower;
  o.step_size.decay_power = alpha;
  const Summary s = solve(p, *estimator, *step, o, p.initial_point());
  REQUIRE(s.reason != TerminationReason::kNonFinite);
  return risk_of(p, s.x);
}

}  // namespace

TEST_CASE("constant target samples are a pure function of the seed and the index",
          "[constant-target]") {
  const ConstantTarget a(small()), b(small());
  ConstantTargetOptions other = small();
  other.seed = 6;
  const ConstantTarget c(other);
  Vector x1(2), x2(2), x3(2);
  for (const Index i : {Index{0}, Index{7}, Index{1} << 40, a.num_samples() - 1}) {
    a.draw(i, x1);
    CHECK((x1.array() >= 0.0).all());
    CHECK((x1.array() < 1.0).all());
    b.draw(i, x2);  // another object, the same draw
    CHECK(x1 == x2);
    a.draw(i, x2);  // again: no state advances
    CHECK(x1 == x2);
    c.draw(i, x3);  // another seed, another draw
    CHECK(x1 != x3);
    a.draw(i + (i == 0 ? 1 : -1), x3);  // another index, another draw
    CHECK(x1 != x3);
  }
  CHECK(a.num_samples() == Index{1} << 62);
  // The same seed, the same network; F_i evaluated twice is the same.
  CHECK(a.initial_point() == b.initial_point());
  CHECK(a.initial_point() != c.initial_point());
  const Vector x = random_point(a, 1);
  Vector f1(a.dim()), f2(a.dim());
  a.sample(3, x, f1);
  b.sample(3, x, f2);
  CHECK(f1 == f2);
  // d = 2, 8-8-1 with biases: 2·8 + 8 + 8·8 + 8 + 8 + 1 = 105 parameters, six blocks.
  CHECK(a.dim() == 105);
  CHECK(a.blocks().size() == 6);
  // The initial risk is that of a He-initialized network against ξ = 0.7: of order ξ².
  CHECK(risk_of(a, a.initial_point()) > 0.05);
}

TEST_CASE("constant target gradients match finite differences", "[constant-target]") {
  ConstantTargetOptions o = small();
  o.dimension = 3;
  o.hidden = "5,4,3";
  o.target = -0.4;
  const ConstantTarget p(o);
  const Vector x = random_point(p, 2);
  Vector g(p.dim()), full(p.dim()), none(0);
  constexpr double h = 1e-6;
  for (const Index i : {Index{0}, Index{11}}) {
    p.sample(i, x, g);
    Vector fd(p.dim());
    for (Index j = 0; j < p.dim(); ++j) {
      Vector plus = x, minus = x;
      plus[j] += h;
      minus[j] -= h;
      fd[j] = (sample_loss(p, i, plus) - sample_loss(p, i, minus)) / (2 * h);
    }
    INFO("sample " << i);
    CHECK((g - fd).norm() <= 1e-6 * (1.0 + fd.norm()));
    CHECK(g.norm() > 1e-3);  // not vacuous
  }
  // full(x) is the gradient of the evaluation sample's risk, which metrics() reports.
  p.full(x, full);
  CHECK(risk_of(p, x) == Approx(p.risk(x, none)).epsilon(1e-14));
  Vector fd(p.dim());
  for (Index j = 0; j < p.dim(); ++j) {
    Vector plus = x, minus = x;
    plus[j] += h;
    minus[j] -= h;
    fd[j] = (p.risk(plus, none) - p.risk(minus, none)) / (2 * h);
  }
  CHECK((full - fd).norm() <= 1e-6 * (1.0 + fd.norm()));
}

TEST_CASE("constant target sample_sum is the weighted sum of single samples", "[constant-target]") {
  const ConstantTarget p(small());
  const Vector x = random_point(p, 3);
  SampleDraw draw;
  draw.indices = {4, 9, 4, 123456789};
  draw.weights = {0.5, -1.0, 0.25, 2.0};
  Vector sum(p.dim()), expected = Vector::Zero(p.dim()), fi(p.dim()), work(p.dim());
  p.sample_sum(draw, x, sum, work);
  for (std::size_t k = 0; k < draw.indices.size(); ++k) {
    p.sample(draw.indices[k], x, fi);
    expected += draw.weights[k] * fi;
  }
  CHECK(sum.isApprox(expected, 1e-12));
}

TEST_CASE("constant target risk falls with non-summable steps and freezes with summable ones",
          "[constant-target][finding]") {
  // Jentzen et al.: SGD with Σγ_n = ∞ drives the risk of a ReLU network towards 0 on a constant
  // target; summable steps stop at a positive risk. The prototype's setting (d = 2, 8-8,
  // ξ = 0.7, batch 1, γ_n = 0.05 (n+1)^{−α}) for 5000 steps instead of 2·10^5. Measured on this
  // network (problem seed 5, initial risk 1.68), run seeds 0 and 1: α = 1/2 reaches 3.4e-4 and
  // 2.8e-4, α = 2 freezes at 0.547 and 0.554 (and at 2·10^4 steps: 2.0e-4, 0.547). The bounds
  // leave a factor 10 and 5.
  const ConstantTarget p(small());
  const double initial = risk_of(p, p.initial_point());
  CHECK(initial > 1.0);
  for (const std::uint64_t seed : {0, 1}) {
    INFO("seed " << seed);
    const double decaying = final_risk(p, 0.5, 5000, seed);
    const double summable = final_risk(p, 2.0, 5000, seed);
    CHECK(decaying < 5e-3);
    CHECK(summable > 0.1);
    CHECK(summable < initial);  // it moved, then froze
  }
}

TEST_CASE("a constant target run resumes from a checkpoint bit for bit", "[constant-target]") {
  // The samples are a function of (seed, i) and the drawn indices come from the run's
  // checkpointed stream, so a resumed run draws the same fresh samples.
  const ConstantTarget p(small());
  SolverOptions o;
  o.max_iterations = 3000;
  o.log_every = 500;
  o.seed = 4;
  o.step_size.rule = StepSizeRule::kConstant;
  o.step_size.gamma = 0.05;
  o.step_size.decay = StepDecay::kInversePower;
  o.step_size.decay_power = 0.5;
  ProxStep step;
  auto estimator = make_estimator(EstimatorOptions{}, p);
  const Summary reference = solve(p, *estimator, step, o, p.initial_point());
  Checkpoint last;
  CheckpointHooks save;
  save.save = [&](const Checkpoint& ck, bool final) {
    if (final) last = ck;
  };
  StopBetweenLogs stop(1234);
  auto first = make_estimator(EstimatorOptions{}, p);
  REQUIRE(solve(p, *first, step, o, p.initial_point(), {&stop}, save).reason ==
          TerminationReason::kStoppedByCallback);
  REQUIRE(last.counters.iterations == 1234);
  CheckpointHooks resume;
  resume.resume = &last;
  auto second = make_estimator(EstimatorOptions{}, p);
  const Summary resumed = solve(p, *second, step, o, p.initial_point(), {}, resume);
  CHECK(resumed.x == reference.x);
  REQUIRE(resumed.trace.extra.size() == 1);  // the risk column
  CHECK(resumed.trace.extra[0].name == "risk");
  CHECK(resumed.trace.extra[0].values == reference.trace.extra[0].values);
  CHECK((reference.x - p.initial_point()).norm() > 0.1);  // it moved
}

TEST_CASE("constant-target problem files draw fresh samples with SGD", "[constant-target][io]") {
  const std::string head =
      "[problem]\ntype = \"constant-target\"\ndimension = 3\nhidden = "
      "\"4,4\"\neval_samples = 100\n";
  const std::string sgd = "[method]\nname = \"sgda\"\n";
  const auto problem = make_problem(parse_run_config(head + sgd, "p.toml"));
  CHECK(problem->name() == "constant-target");
  CHECK(problem->dim() == 3 * 4 + 4 + 4 * 4 + 4 + 4 + 1);
  CHECK(problem->metrics(problem->initial_point())[0].first == "risk");
  CHECK_THROWS_WITH(parse_run_config(head + "[method]\nname = \"l-svrgda\"\n", "p.toml"),
                    Catch::Contains("method.name: problem.type = \"constant-target\" draws fresh "
                                    "samples"));
  CHECK_THROWS_WITH(parse_run_config(head + "hidden2 = 3\n" + sgd, "p.toml"),
                    Catch::Contains("hidden2"));
  CHECK_THROWS_WITH(
      make_problem(parse_run_config(
          "[problem]\ntype = \"constant-target\"\nhidden = \"8,x\"\n" + sgd, "p.toml")),
      Catch::Contains("hidden") && Catch::Contains("positive widths"));
}
