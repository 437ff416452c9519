// The solver's observers and stops: callbacks every N iterations independent of logging, what
// their results do, the interrupt flag, what the Summary records, and the estimator bound to
// its problem.
#include <atomic>
#include <catch2/catch.hpp>
#include <vector>

#include "sgda/error.hpp"
#include "sgda/estimators/sampling.hpp"
#include "sgda/estimators/sgda.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "sgda/steps/adam_step.hpp"

using namespace sgda;

namespace {

AffineGame game(Index samples = 20, std::uint64_t seed = 3) {
  QuadraticGameOptions o;
  o.samples = samples;
  o.dimension = 3;
  o.seed = seed;
  return generate_quadratic_game(o);
}

SolverOptions constant(std::int64_t iterations, std::int64_t log_every) {
  SolverOptions o;
  o.max_iterations = iterations;
  o.log_every = log_every;
  o.step_size.rule = StepSizeRule::kConstant;
  o.step_size.gamma = 0.01;
  return o;
}

// Records the iterations of every hook call; returns `result` at iteration `at`.
class Recorder final : public Callback {
 public:
  Recorder(std::int64_t period, std::int64_t at = -1,
           CallbackResult result = CallbackResult::kContinue)
      : period_(period), at_(at), result_(result) {}
  std::int64_t period() const override { return period_; }
  CallbackResult iteration(const IterationEntry& e) override {
    iterations.push_back(e.counters.iterations);
    return e.counters.iterations == at_ ? result_ : CallbackResult::kContinue;
  }
  CallbackResult logged(const LogEntry& e) override {
    logged_at.push_back(e.counters.iterations);
    return CallbackResult::kContinue;
  }
  void end(const Summary& summary) override { ended_with = summary.counters.iterations; }

  std::vector<std::int64_t> iterations, logged_at;
  std::int64_t ended_with = -1;

 private:
  std::int64_t period_, at_;
  CallbackResult result_;
};

Summary run(const Problem& problem, const SolverOptions& options,
            const std::vector<Callback*>& callbacks) {
  const auto estimator = make_estimator(EstimatorOptions{}, problem);
  ProxStep step;
  return solve(problem, *estimator, step, options, Vector::Zero(problem.dim()), callbacks);
}

}  // namespace

TEST_CASE("iteration() runs every period() iterations, whatever log_every is", "[callbacks]") {
  const AffineGame g = game();
  Recorder every_7(7), every_1(1), never(0);
  const Summary s = run(g, constant(50, 20), {&every_7, &every_1, &never});
  CHECK(s.reason == TerminationReason::kIterationLimit);
  CHECK(every_7.iterations == std::vector<std::int64_t>{7, 14, 21, 28, 35, 42, 49});
  REQUIRE(every_1.iterations.size() == 50);
  for (std::size_t k = 0; k < 50; ++k) CHECK(every_1.iterations[k] == std::int64_t(k) + 1);
  CHECK(never.iterations.empty());
  // logged() at the log rows, and the last iterate; end() once with the summary.
  CHECK(every_7.logged_at == std::vector<std::int64_t>{0, 20, 40, 50});
  CHECK(every_7.ended_with == 50);
}

TEST_CASE("a callback stops a run, or ends it as converged, at the iteration it says",
          "[callbacks]") {
  const AffineGame g = game();
  Recorder stop(5, 35, CallbackResult::kStop);
  Summary s = run(g, constant(1000, 100), {&stop});
  CHECK(s.reason == TerminationReason::kStoppedByCallback);
  CHECK(s.counters.iterations == 35);
  CHECK(s.message == "stopped by a callback at iteration 35");
  CHECK(s.trace.iteration.back() == 35);  // the final iterate is logged

  Recorder done(1, 12, CallbackResult::kConverged);
  s = run(g, constant(1000, 100), {&done});
  CHECK(s.converged());
  CHECK(s.counters.iterations == 12);
  CHECK(s.message == "converged: a callback reported it at iteration 12");
}

TEST_CASE("the interrupt flag stops a run as interrupted, not as stopped by a callback",
          "[callbacks]") {
  const AffineGame g = game();
  std::atomic<bool> flag{false};
  SolverOptions o = constant(1000000, 10);
  o.interrupt = &flag;
  // Set from a callback at iteration 55, as a signal handler would: the run stops at the next
  // check, a clock reading (about every millisecond) or the log row at 60 at the latest.
  class SetFlag final : public Callback {
   public:
    explicit SetFlag(std::atomic<bool>& flag) : flag_(flag) {}
    std::int64_t period() const override { return 55; }
    CallbackResult iteration(const IterationEntry&) override {
      flag_.store(true);
      return CallbackResult::kContinue;
    }

   private:
    std::atomic<bool>& flag_;
  } setter(flag);
  const Summary s = run(g, o, {&setter});
  CHECK(s.reason == TerminationReason::kInterrupted);
  CHECK(s.counters.iterations >= 55);
  CHECK(s.counters.iterations <= 60);
  CHECK(to_string(s.reason) == "interrupted");
  // Set before the run: it stops at the first check, the row of x⁰.
  const Summary at_once = run(g, o, {});
  CHECK(at_once.reason == TerminationReason::kInterrupted);
  CHECK(at_once.counters.iterations == 0);
}

TEST_CASE("the summary records the step rule, scheme, extrapolation and averaging", "[callbacks]") {
  const AffineGame g = game();
  SolverOptions o = constant(20, 10);
  o.scheme = Scheme::kExtragradient;
  o.extrapolation = Extrapolation::kStep;
  o.averaging = Averaging::kEma;
  const auto estimator = make_estimator(EstimatorOptions{}, g);
  StepRuleOptions adam;
  adam.rule = StepRuleType::kAdam;
  const auto step = make_step_rule(adam);
  const Summary s = solve(g, *estimator, *step, o, Vector::Zero(g.dim()));
  CHECK(s.step_rule == "adam");
  CHECK(s.scheme == Scheme::kExtragradient);
  CHECK(s.extrapolation == Extrapolation::kStep);
  CHECK(s.averaging == Averaging::kEma);
  CHECK(s.BriefReport().find("[adam, extragradient (extrapolation step), ema averaging]") !=
        std::string::npos);
  CHECK(s.FullReport().find("adam, extragradient") != std::string::npos);
}

TEST_CASE("an estimator made for one problem is refused on another", "[callbacks]") {
  const AffineGame small = game(10, 1), large = game(40, 2);
  EstimatorOptions importance;
  importance.sampling = SamplingType::kImportance;
  const auto estimator = make_estimator(importance, small);
  CHECK(estimator->bound_problem() == &small);
  ProxStep step;
  CHECK_THROWS_WITH(solve(large, *estimator, step, constant(10, 10), Vector::Zero(large.dim())),
                    Catch::Contains("the estimator was made for another problem"));
  CHECK_NOTHROW(solve(small, *estimator, step, constant(10, 10), Vector::Zero(small.dim())));
  // Built by hand (no binding), a sampling for n = 10 still cannot run on n = 40 samples: before
  // this check it drew only samples 0..9.
  SgdaEstimator by_hand(make_uniform_sampling(10));
  CHECK_THROWS_WITH(
      solve(large, by_hand, step, constant(10, 10), Vector::Zero(large.dim())),
      "sgda: the sampling draws from n = 10 samples, the problem has n = 40; accepted a "
      "sampling made for this problem (make_estimator)");
}
