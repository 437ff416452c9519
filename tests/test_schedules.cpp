// Learning-rate schedules (StepSizeOptions::decay, warmup, custom; sgda/schedule.hpp): values at
// chosen iterations against numbers worked out by hand, their options' checks, the theory's
// verdict, and a user-defined schedule during a real solve (the k's it is called with, the trace's
// step_size column). Resuming a scheduled run: tests/test_checkpoint.cpp; files and flags:
// tests/cli/test_solve.cpp and tests/cli/test_malformed_inputs.cpp.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <vector>

#include "sgda/problems/affine_game.hpp"
#include "sgda/registry.hpp"
#include "sgda/schedule.hpp"
#include "sgda/solver.hpp"
#include "sgda/theory.hpp"

using namespace sgda;

namespace {

constexpr double kGamma = 0.5;

// γ_k of the schedule `o` with base step kGamma over `total` iterations.
double step_at(const StepSizeOptions& o, std::int64_t total, std::int64_t k) {
  return StepSchedule::scheduled(kGamma, o, total)(k);
}

StepSizeOptions decay(StepDecay d) {
  StepSizeOptions o;
  o.rule = StepSizeRule::kConstant;
  o.gamma = kGamma;
  o.decay = d;
  return o;
}

AffineGame game() {
  QuadraticGameOptions o;
  o.samples = 20;
  o.dimension = 4;
  o.seed = 2;
  return generate_quadratic_game(o, make_regularizer(RegularizerOptions{}));
}

}  // namespace

TEST_CASE("no schedule: the base step at every k", "[schedule]") {
  StepSizeOptions o = decay(StepDecay::kConstant);
  CHECK_FALSE(o.scheduled());
  for (std::int64_t k : {0, 1, 99, 100, 1000000}) CHECK(step_at(o, 100, k) == kGamma);
  CHECK(StepSchedule::scheduled(kGamma, o, 100).initial() == kGamma);
}

TEST_CASE("step decay: f^floor(k/E), constant within a period", "[schedule]") {
  StepSizeOptions o = decay(StepDecay::kStep);
  o.decay_every = 10;
  o.decay_factor = 0.5;
  CHECK(step_at(o, 100, 0) == 0.5);
  CHECK(step_at(o, 100, 9) == 0.5);
  CHECK(step_at(o, 100, 10) == 0.25);
  CHECK(step_at(o, 100, 19) == 0.25);
  CHECK(step_at(o, 100, 20) == 0.125);
  CHECK(step_at(o, 100, 99) == Approx(0.5 / 512).epsilon(1e-15));
}

TEST_CASE("exponential decay: r^k", "[schedule]") {
  StepSizeOptions o = decay(StepDecay::kExponential);
  o.decay_rate = 0.9;
  CHECK(step_at(o, 100, 0) == 0.5);
  CHECK(step_at(o, 100, 1) == Approx(0.45).epsilon(1e-15));
  CHECK(step_at(o, 100, 3) == Approx(0.3645).epsilon(1e-15));
}

TEST_CASE("polynomial decay to an end value, and the summable inverse power", "[schedule]") {
  StepSizeOptions o = decay(StepDecay::kPolynomial);
  o.decay_power = 2.0;
  o.decay_end = 0.1;
  CHECK(step_at(o, 100, 0) == 0.5);
  CHECK(step_at(o, 100, 50) == Approx(0.1625).epsilon(1e-15));  // 0.5 (0.1 + 0.9/4)
  CHECK(step_at(o, 100, 100) == Approx(0.05).epsilon(1e-15));
  CHECK(step_at(o, 100, 150) == Approx(0.05).epsilon(1e-15));  // stays at the end
  o.decay_power = 1.0;
  o.decay_end = 0.0;  // torch's PolynomialLR: linear to 0
  CHECK(step_at(o, 100, 25) == Approx(0.375).epsilon(1e-15));

  StepSizeOptions p = decay(StepDecay::kInversePower);
  p.decay_power = 2.0;  // γ0 (k+1)^-2: summable
  CHECK(step_at(p, 100, 0) == 0.5);
  CHECK(step_at(p, 100, 1) == Approx(0.125).epsilon(1e-15));
  CHECK(step_at(p, 100, 9) == Approx(0.005).epsilon(1e-15));
  CHECK(step_at(p, 100, 999) == Approx(5e-7).epsilon(1e-15));  // the run's K does not matter
  p.decay_power = 0.5;
  CHECK(step_at(p, 100, 3) == Approx(0.25).epsilon(1e-15));
}

TEST_CASE("cosine annealing: gamma at 0, half at K/2, the end value at K", "[schedule]") {
  StepSizeOptions o = decay(StepDecay::kCosine);
  CHECK(step_at(o, 100, 0) == 0.5);
  CHECK(step_at(o, 100, 25) == Approx(0.42677669529663687).epsilon(1e-15));  // (1 + √½)/4
  CHECK(step_at(o, 100, 50) == Approx(0.25).epsilon(1e-15));
  CHECK(step_at(o, 100, 75) == Approx(0.07322330470336313).epsilon(1e-14));  // (1 − √½)/4
  CHECK(step_at(o, 100, 100) == Approx(0.0).margin(1e-17));
  CHECK(step_at(o, 100, 200) == Approx(0.0).margin(1e-17));  // no restart without restarts
  o.decay_end = 0.2;
  CHECK(step_at(o, 100, 50) == Approx(0.3).epsilon(1e-15));  // 0.5 (0.2 + 0.8/2)
  CHECK(step_at(o, 100, 100) == Approx(0.1).epsilon(1e-15));
}

TEST_CASE("cosine warm restarts: cycles T0, T0 m, T0 m^2", "[schedule]") {
  StepSizeOptions o = decay(StepDecay::kCosine);
  o.restart_period = 10;
  o.restart_mult = 2;  // cycles [0, 10), [10, 30), [30, 70), [70, 150)
  for (std::int64_t k : {0, 10, 30, 70}) {
    INFO("restart at " << k);
    CHECK(step_at(o, 1000, k) == 0.5);
    CHECK(step_at(o, 1000, k - 1) < (k == 0 ? 1.0 : 0.02));
  }
  CHECK(step_at(o, 1000, 5) == Approx(0.25).epsilon(1e-15));
  CHECK(step_at(o, 1000, 9) == Approx(0.012235870926211).epsilon(1e-12));  // (1 + cos .9π)/4
  CHECK(step_at(o, 1000, 20) == Approx(0.25).epsilon(1e-15));
  CHECK(step_at(o, 1000, 50) == Approx(0.25).epsilon(1e-15));
  CHECK(step_at(o, 1000, 110) == Approx(0.25).epsilon(1e-15));
  o.restart_mult = 1;  // period 10 throughout
  CHECK(step_at(o, 1000, 20) == 0.5);
  CHECK(step_at(o, 1000, 25) == Approx(0.25).epsilon(1e-15));
  CHECK(step_at(o, 1000, 995) == Approx(0.25).epsilon(1e-15));
}

TEST_CASE("linear warmup, then the decay over the remaining iterations", "[schedule]") {
  StepSizeOptions o = decay(StepDecay::kConstant);
  o.warmup_iterations = 4;  // from 0: k/W
  CHECK(o.scheduled());
  CHECK(step_at(o, 100, 0) == 0.0);
  CHECK(step_at(o, 100, 1) == 0.125);
  CHECK(step_at(o, 100, 3) == 0.375);
  CHECK(step_at(o, 100, 4) == 0.5);
  CHECK(step_at(o, 100, 99) == 0.5);

  // W = 10 from 0.1, then cosine over K' = 110 − 10 = 100: the cosine sees j = k − W.
  o.decay = StepDecay::kCosine;
  o.warmup_iterations = 10;
  o.warmup_start_factor = 0.1;
  const std::int64_t total = 110;
  CHECK(step_at(o, total, 0) == Approx(0.05).epsilon(1e-15));
  CHECK(step_at(o, total, 9) == Approx(0.455).epsilon(1e-15));  // 0.5 (0.1 + 0.9 · 9/10)
  CHECK(step_at(o, total, 10) == 0.5);
  CHECK(step_at(o, total, 35) == Approx(0.42677669529663687).epsilon(1e-15));
  CHECK(step_at(o, total, 60) == Approx(0.25).epsilon(1e-15));  // W + (K − W)/2
  CHECK(step_at(o, total, 110) == Approx(0.0).margin(1e-17));
  CHECK(StepSchedule::scheduled(kGamma, o, total).initial() == Approx(0.05).epsilon(1e-15));

  // With step decay, the first decay comes E iterations after the warmup.
  o.decay = StepDecay::kStep;
  o.decay_every = 5;
  CHECK(step_at(o, total, 14) == 0.5);
  CHECK(step_at(o, total, 15) == Approx(0.05).epsilon(1e-15));
}

TEST_CASE("the switching rule is unchanged", "[schedule]") {
  // h = 4, μ = 0.5, K = 101: k0 = 51; 1/h up to k0, then 2/(2h + μ(k − k0)).
  const StepSchedule s = StepSchedule::switching(4.0, 0.5, 101);
  CHECK(s.initial() == 0.25);
  CHECK(s(51) == 0.25);
  CHECK(s(52) == 2.0 / 8.5);
  CHECK(s(61) == 2.0 / 13.0);
  // K ≤ h/μ: constant throughout.
  CHECK(StepSchedule::switching(4.0, 0.5, 8)(7) == 0.25);
  // μ = 0: constant.
  CHECK(StepSchedule::switching(4.0, 0.0, 101)(100) == 0.25);
}

TEST_CASE("schedule options are checked", "[schedule]") {
  auto problem_of = [](const SolverOptions& o) {
    const std::optional<FieldError> e = o.Check();
    return e ? e->message() : std::string();
  };
  SolverOptions o;
  o.max_iterations = 100;
  o.step_size = decay(StepDecay::kStep);  // decay_every not set
  CHECK(problem_of(o).find("SolverOptions::step_size.decay_every") == 0);
  o.step_size.decay_every = 10;
  CHECK(problem_of(o).empty());
  o.step_size.decay_factor = -0.5;
  CHECK(problem_of(o).find("SolverOptions::step_size.decay_factor") == 0);

  o.step_size = decay(StepDecay::kExponential);
  o.step_size.decay_rate = 0.0;
  CHECK(problem_of(o).find("SolverOptions::step_size.decay_rate") == 0);

  o.step_size = decay(StepDecay::kCosine);
  o.step_size.decay_end = 1.5;
  CHECK(problem_of(o).find("SolverOptions::step_size.decay_end") == 0);
  o.step_size.decay_end = 0.0;
  o.step_size.restart_mult = 0;
  CHECK(problem_of(o).find("SolverOptions::step_size.restart_mult") == 0);

  o.step_size = decay(StepDecay::kConstant);
  o.step_size.warmup_iterations = 100;  // the whole run
  CHECK(problem_of(o).find("SolverOptions::step_size.warmup_iterations: is 100, not less than "
                           "the run's 100 iterations; accepted 0 (no warmup) to 99") == 0);
  o.step_size.warmup_iterations = 99;
  CHECK(problem_of(o).empty());
  o.step_size.warmup_start_factor = 2.0;
  CHECK(problem_of(o).find("SolverOptions::step_size.warmup_start_factor") == 0);

  o.step_size = decay(StepDecay::kCosine);
  o.step_size.rule = StepSizeRule::kSwitching;
  CHECK(problem_of(o).find("SolverOptions::step_size.decay: the switching rule") == 0);

  o.step_size = decay(StepDecay::kCosine);
  o.step_size.custom = [](std::int64_t) { return 1.0; };
  CHECK(problem_of(o).find("SolverOptions::step_size.decay: is \"cosine\" beside a custom") == 0);
}

TEST_CASE("a scheduled step is outside Theorem 2.2", "[schedule][theory]") {
  const AffineGame problem = game();
  const Vector x0 = Vector::Zero(problem.dim());
  auto estimator = make_estimator(EstimatorOptions{}, problem);
  ProxStep step;
  step.reset(problem);
  SolverOptions o;
  o.max_iterations = 100;
  o.step_size.rule = StepSizeRule::kTheory;
  REQUIRE(analyse_theory(problem, *estimator, step, o, x0).applies);
  o.step_size.decay = StepDecay::kCosine;
  const Theory t = analyse_theory(problem, *estimator, step, o, x0);
  CHECK_FALSE(t.applies);
  CHECK(t.why_not.find("schedule") != std::string::npos);
  CHECK(std::isnan(t.iterations_to_target));
}

TEST_CASE("a user-defined schedule is called with each iteration's k during a solve",
          "[schedule][solver]") {
  const AffineGame problem = game();
  const Vector x0 = Vector::Zero(problem.dim());
  for (const bool fused : {true, false}) {
    INFO((fused ? "the fused loop" : "the interfaces (extragradient)"));
    std::vector<std::int64_t> calls;
    SolverOptions o;
    o.max_iterations = 30;
    o.log_every = 1;
    o.scheme = fused ? Scheme::kSimultaneous : Scheme::kExtragradient;
    o.step_size.rule = StepSizeRule::kConstant;
    o.step_size.gamma = 0.02;
    o.step_size.custom = [&calls](std::int64_t k) {
      calls.push_back(k);
      return 1.0 / double(k + 1);
    };
    auto estimator = make_estimator(EstimatorOptions{}, problem);
    ProxStep step;
    const Summary s = solve(problem, *estimator, step, o, x0);
    REQUIRE(s.counters.iterations == 30);
    // Before the loop for Summary::initial_step_size (k = 0) and the first trace row (the first
    // k), then once per iteration k = 0, ..., K − 1.
    std::vector<std::int64_t> expected = {0, 0, 0};
    for (std::int64_t k = 1; k < 30; ++k) expected.push_back(k);
    CHECK(calls == expected);
    CHECK(s.initial_step_size == 0.02);
    // Row k > 0 shows the step that led to x^k: γ_{k−1}; row 0 shows γ_0.
    REQUIRE(s.trace.step_size.size() == 31);
    for (std::size_t row = 0; row < 31; ++row) {
      const std::int64_t k = std::max<std::int64_t>(0, s.trace.iteration[row] - 1);
      CHECK(s.trace.step_size[row] == 0.02 * (1.0 / double(k + 1)));
    }
  }

  // A value the step cannot take stops the run with an error naming the schedule and the k.
  SolverOptions bad;
  bad.max_iterations = 10;
  bad.step_size.rule = StepSizeRule::kConstant;
  bad.step_size.gamma = 0.02;
  bad.step_size.custom = [](std::int64_t k) { return k < 5 ? 1.0 : -1.0; };
  auto estimator = make_estimator(EstimatorOptions{}, problem);
  ProxStep step;
  CHECK_THROWS_WITH(solve(problem, *estimator, step, bad, x0),
                    Catch::Contains("SolverOptions::step_size.custom: returned -1 at k = 5"));
}
