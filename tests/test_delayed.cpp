// The delay wrapper (estimators/delayed.hpp): the estimate of step k is the wrapped estimator's
// at the iterate of step k − τ_k, with τ_k fixed, uniform on {0..τ} or from simulated workers;
// deterministic for a seed; delay = 0 is the wrapped estimator itself. Checkpoints:
// test_checkpoint.cpp.
#include <catch2/catch.hpp>
#include <map>
#include <memory>
#include <vector>

#include "sgda/estimators/delayed.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"

using namespace sgda;

namespace {

AffineGame game() {
  QuadraticGameOptions o;
  o.samples = 10;
  o.dimension = 3;
  o.seed = 4;
  return generate_quadratic_game(o);
}

// A deterministic inner estimator: SGDA with the n-nice sampling, g = F(x) exactly.
EstimatorOptions full_batch(Index delay, DelayModel model, Index workers = 4) {
  EstimatorOptions e;
  e.sampling = SamplingType::kNice;
  e.batch_size = 10;
  e.delay = delay;
  e.delay_model = model;
  e.delay_workers = workers;
  return e;
}

Vector point(Index d, int k) {
  Vector x(d);
  for (Index j = 0; j < d; ++j) x[j] = 0.1 * k + 0.01 * double(j * j) - 0.3;
  return x;
}

}  // namespace

TEST_CASE("delayed estimates are the wrapped estimator's at the iterate tau_k steps before",
          "[delayed]") {
  const AffineGame g = game();
  const Index d = g.dim();
  for (const DelayModel model : {DelayModel::kFixed, DelayModel::kUniform, DelayModel::kWorkers}) {
    INFO(to_string(model));
    constexpr Index tau = 3;
    auto estimator = make_estimator(full_batch(tau, model), g);
    const auto* delayed = dynamic_cast<const DelayedEstimator*>(estimator.get());
    REQUIRE(delayed != nullptr);
    CHECK_FALSE(estimator->parameters(g).not_covered.empty());
    Rng rng(9);
    Counters counters;
    estimator->reset(g, point(d, 0), rng, counters);
    std::vector<Vector> iterates;
    std::map<Index, int> seen;
    Vector out(d), expected(d);
    for (int k = 0; k < 400; ++k) {
      iterates.push_back(point(d, k));
      estimator->estimate(iterates.back(), out, rng, counters);
      const Index delay = delayed->last_delay();
      REQUIRE(delay >= 0);
      REQUIRE(delay <= std::min<Index>(tau, k));
      if (model == DelayModel::kFixed) REQUIRE(delay == std::min<Index>(tau, k));
      ++seen[delay];
      g.full(iterates[std::size_t(k - delay)], expected);
      REQUIRE((out - expected).norm() <= 1e-12 * (1 + expected.norm()));
    }
    if (model == DelayModel::kUniform) {
      for (Index t = 0; t <= tau; ++t) CHECK(seen[t] > 60);  // about 100 each
    }
    if (model == DelayModel::kWorkers) CHECK(seen.size() >= 3);  // 4 workers: delays vary
  }
}

TEST_CASE("delays are deterministic for a seed, one worker has none, delay 0 is no wrapper",
          "[delayed]") {
  const AffineGame g = game();
  const Index d = g.dim();
  auto delays = [&](EstimatorOptions e, std::uint64_t seed) {
    auto estimator = make_estimator(e, g);
    const auto& delayed = dynamic_cast<const DelayedEstimator&>(*estimator);
    Rng rng(seed);
    Counters counters;
    estimator->reset(g, Vector::Zero(d), rng, counters);
    std::vector<Index> out;
    Vector x = Vector::Zero(d), gk(d);
    for (int k = 0; k < 200; ++k) {
      estimator->estimate(x, gk, rng, counters);
      out.push_back(delayed.last_delay());
    }
    return out;
  };
  for (const DelayModel model : {DelayModel::kUniform, DelayModel::kWorkers}) {
    CHECK(delays(full_batch(5, model), 1) == delays(full_batch(5, model), 1));
    CHECK(delays(full_batch(5, model), 1) != delays(full_batch(5, model), 2));
  }
  for (const Index delay : delays(full_batch(5, DelayModel::kWorkers, 1), 3)) CHECK(delay == 0);
  // P workers in turn: each step's worker read the iterate about P − 1 steps before.
  const std::vector<Index> many = delays(full_batch(50, DelayModel::kWorkers, 8), 3);
  double mean = 0;
  for (std::size_t k = 100; k < many.size(); ++k) mean += double(many[k]) / 100.0;
  CHECK(mean > 4.0);
  CHECK(mean < 12.0);

  // delay = 0: the wrapped estimator itself, so runs are those of the plain method.
  auto plain = make_estimator(full_batch(0, DelayModel::kUniform), g);
  CHECK(dynamic_cast<const DelayedEstimator*>(plain.get()) == nullptr);
}

TEST_CASE("delayed SGDA runs through the solver, larger delays need smaller steps", "[delayed]") {
  const AffineGame g = game();
  SolverOptions o;
  o.max_iterations = 3000;
  o.log_every = 3000;
  o.seed = 2;
  o.step_size.rule = StepSizeRule::kConstant;
  const double ell = g.constants().ell;
  auto final_distance = [&](Index delay, double gamma) {
    o.step_size.gamma = gamma;
    auto e = make_estimator(full_batch(delay, DelayModel::kFixed), g);
    ProxStep step;
    const Summary s = solve(g, *e, step, o, Vector::Zero(g.dim()));
    return s.reason == TerminationReason::kNonFinite ? 1e300 : s.trace.relative_distance_sq.back();
  };
  // A step that converges without delay diverges with a fixed delay of 20, and a step 20 times
  // smaller converges again (3000 iterations, deterministic g = F).
  const double gamma = 0.5 / ell;
  CHECK(final_distance(0, gamma) < 1e-12);
  CHECK_FALSE(final_distance(20, gamma) < 1e-6);
  // Measured: gamma/5 still diverges (3e9), gamma/20 reaches 9e-8.
  CHECK(final_distance(20, gamma / 5) > 1.0);
  CHECK(final_distance(20, gamma / 20) < 1e-6);
}
