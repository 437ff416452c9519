// Checkpoint and resume in the library: a run stopped and resumed from its checkpoint ends with
// the same iterate and trace (every column but wall_time), bit for bit, as one never stopped.
#include <catch2/catch.hpp>
#include <functional>
#include <vector>

#include "sgda/problems/affine_game.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "stop_callbacks.hpp"

using namespace sgda;
using sgda::testing::StopAt;
using sgda::testing::StopBetweenLogs;

namespace {

AffineGame game() {
  QuadraticGameOptions o;
  o.samples = 20;
  o.dimension = 4;
  o.seed = 2;
  RegularizerOptions r;
  r.type = sgda::RegularizerType::kL1;
  r.lambda = 0.05;
  return generate_quadratic_game(o, make_regularizer(r));
}

EstimatorOptions method(const std::string& name) {
  EstimatorOptions e;
  if (name == "sgda adaptive") {  // its state: the learned norm estimates
    e.sampling = sgda::SamplingType::kAdaptive, e.batch_size = 3;
    return e;
  }
  if (name == "l-svrgda delayed") {  // the iterates kept, the workers and the inner state
    e.method = sgda::Method::kLSvrgda;
    e.delay = 3, e.delay_model = sgda::DelayModel::kWorkers, e.delay_workers = 3;
    return e;
  }
  e.method = sgda::parse_enum<sgda::Method>(name);
  if (name == "sgda") e.sampling = sgda::SamplingType::kNice, e.batch_size = 3;
  if (name != "sgda" && name != "l-svrgda" && name.find("coordinate") == std::string::npos &&
      name.find("sega") == std::string::npos) {
    e.workers = 4;
    e.local = name == "qsgda" ? sgda::LocalOracle::kExact : sgda::LocalOracle::kSample;
    e.compressor.type = sgda::CompressorType::kRandK;
    e.compressor.k = 3;
  }
  return e;
}

SolverOptions options() {
  SolverOptions o;
  o.max_iterations = 700;
  o.log_every = 7;
  o.seed = 11;
  return o;
}

void require_same_run(const Summary& a, const Summary& b) {
  CHECK(a.x == b.x);
  CHECK(a.reason == b.reason);
  CHECK(a.counters.iterations == b.counters.iterations);
  CHECK(a.counters.sample_evaluations == b.counters.sample_evaluations);
  CHECK(a.counters.coordinate_evaluations == b.counters.coordinate_evaluations);
  CHECK(a.counters.bits == b.counters.bits);
  CHECK(a.trace.iteration == b.trace.iteration);
  CHECK(a.trace.sample_evaluations == b.trace.sample_evaluations);
  CHECK(a.trace.coordinate_evaluations == b.trace.coordinate_evaluations);
  CHECK(a.trace.epochs == b.trace.epochs);
  CHECK(a.trace.bits == b.trace.bits);
  CHECK(a.trace.relative_distance_sq == b.trace.relative_distance_sq);
  CHECK(a.trace.residual_sq == b.trace.residual_sq);
  CHECK(a.trace.step_size == b.trace.step_size);
}

}  // namespace

TEST_CASE("resuming from a checkpoint continues bit for bit, for every method with state",
          "[checkpoint]") {
  const AffineGame problem = game();
  const Vector x0 = Vector::Zero(problem.dim());
  for (const std::string name : {"sgda", "sgda adaptive", "l-svrgda", "l-svrgda delayed", "qsgda",
                                 "diana-sgda", "vr-diana-sgda", "coordinate-sgda", "sega-sgda"}) {
    INFO(name);
    ProxStep step;
    auto reference_estimator = make_estimator(method(name), problem);
    const Summary reference = solve(problem, *reference_estimator, step, options(), x0);

    // (a) Interrupted at a logged iteration (as Ctrl-C does), resumed from the final checkpoint.
    Checkpoint last;
    CheckpointHooks save;
    save.save = [&](const Checkpoint& c, bool final) {
      if (final) last = c;
    };
    StopAt stop(350);
    auto first = make_estimator(method(name), problem);
    const Summary interrupted = solve(problem, *first, step, options(), x0, {&stop}, save);
    REQUIRE(interrupted.reason == TerminationReason::kStoppedByCallback);
    REQUIRE(last.counters.iterations == 350);
    CheckpointHooks resume;
    resume.resume = &last;
    auto second = make_estimator(method(name), problem);  // a fresh object, as after a restart
    require_same_run(reference, solve(problem, *second, step, options(), x0, {}, resume));

    // (b) A periodic checkpoint between log points (as a crash would leave), resumed.
    Checkpoint periodic;
    SolverOptions every = options();
    every.checkpoint_every = 250;
    CheckpointHooks keep;
    keep.save = [&](const Checkpoint& c, bool final) {
      if (!final && c.counters.iterations == 500) periodic = c;
    };
    auto third = make_estimator(method(name), problem);
    require_same_run(reference, solve(problem, *third, step, every, x0, {}, keep));
    REQUIRE(periodic.counters.iterations == 500);
    REQUIRE(periodic.trace.iteration.back() == 497);  // 500 is not a log point
    CheckpointHooks from_periodic;
    from_periodic.resume = &periodic;
    auto fourth = make_estimator(method(name), problem);
    require_same_run(reference, solve(problem, *fourth, step, every, x0, {}, from_periodic));

    // (c) Stopped between log points: the final checkpoint's trace ends with a row for its
    // iterate, which the continued run does not keep.
    StopBetweenLogs between(353);
    auto fifth = make_estimator(method(name), problem);
    const Summary off_grid = solve(problem, *fifth, step, options(), x0, {&between}, save);
    REQUIRE(off_grid.reason == TerminationReason::kStoppedByCallback);
    REQUIRE(last.counters.iterations == 353);
    REQUIRE(last.trace.iteration.back() == 353);  // 353 is not a log point
    auto sixth = make_estimator(method(name), problem);
    require_same_run(reference, solve(problem, *sixth, step, options(), x0, {}, resume));
  }
}

TEST_CASE("resuming a run with a learning-rate schedule continues it bit for bit",
          "[checkpoint][schedule]") {
  const AffineGame problem = game();
  const Vector x0 = Vector::Zero(problem.dim());
  struct Case {
    const char* name;
    std::function<void(StepSizeOptions&)> set;
  };
  const std::vector<Case> cases = {
      {"warmup + cosine",
       [](StepSizeOptions& s) {
         s.warmup_iterations = 100, s.warmup_start_factor = 0.1;
         s.decay = StepDecay::kCosine, s.decay_end = 0.01;
       }},
      {"cosine with warm restarts",
       [](StepSizeOptions& s) {
         s.decay = StepDecay::kCosine, s.restart_period = 40, s.restart_mult = 2;
       }},
      {"step", [](StepSizeOptions& s) { s.decay = StepDecay::kStep, s.decay_every = 90; }},
      {"exponential",
       [](StepSizeOptions& s) { s.decay = StepDecay::kExponential, s.decay_rate = 0.997; }},
      {"polynomial",
       [](StepSizeOptions& s) { s.decay = StepDecay::kPolynomial, s.decay_power = 2; }},
      {"inverse-power",
       [](StepSizeOptions& s) { s.decay = StepDecay::kInversePower, s.decay_power = 0.6; }},
      {"custom",
       [](StepSizeOptions& s) {
         s.custom = [](std::int64_t k) { return k % 100 < 50 ? 1.0 : 0.25; };
       }},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    SolverOptions o = options();
    o.step_size.rule = StepSizeRule::kTheory;
    c.set(o.step_size);
    ProxStep step;
    auto reference_estimator = make_estimator(method("l-svrgda"), problem);
    const Summary reference = solve(problem, *reference_estimator, step, o, x0);
    REQUIRE(reference.trace.step_size.front() != reference.trace.step_size.back());

    // Stopped between log points (as a clock reading finding Ctrl-C does), resumed.
    Checkpoint last;
    CheckpointHooks save;
    save.save = [&](const Checkpoint& ck, bool final) {
      if (final) last = ck;
    };
    StopBetweenLogs between(353);
    auto first = make_estimator(method("l-svrgda"), problem);
    REQUIRE(solve(problem, *first, step, o, x0, {&between}, save).reason ==
            TerminationReason::kStoppedByCallback);
    REQUIRE(last.counters.iterations == 353);
    CheckpointHooks resume;
    resume.resume = &last;
    auto second = make_estimator(method("l-svrgda"), problem);
    require_same_run(reference, solve(problem, *second, step, o, x0, {}, resume));
  }
}

TEST_CASE("skip_non_finite skips and counts bad steps instead of stopping", "[checkpoint]") {
  // A problem whose sample 0 is non-finite everywhere: uniform SGDA draws it now and then.
  const AffineGame base = game();
  std::vector<Matrix> matrices;
  for (Index i = 0; i < base.num_samples(); ++i) matrices.push_back(base.sample_matrix(i));
  Matrix offsets = base.offsets();
  offsets(0, 0) = std::numeric_limits<double>::infinity();
  // Construction computes no solution until asked; give one so that metrics stay finite.
  const AffineGame broken(matrices, offsets, base.blocks(), nullptr, Vector::Zero(base.dim()));
  EstimatorOptions e;
  auto estimator = make_estimator(e, broken);
  ProxStep step;
  SolverOptions o;
  o.max_iterations = 400;
  o.step_size.rule = sgda::StepSizeRule::kConstant;
  o.step_size.gamma = 1e-3;
  const Summary stopped = solve(broken, *estimator, step, o, Vector::Zero(broken.dim()));
  CHECK(stopped.reason == TerminationReason::kNonFinite);
  CHECK(stopped.x.allFinite());
  o.skip_non_finite = true;
  const Summary skipped = solve(broken, *estimator, step, o, Vector::Zero(broken.dim()));
  CHECK(skipped.reason == TerminationReason::kIterationLimit);
  CHECK(skipped.x.allFinite());
  // Sample 0 is drawn with probability 1/20: about 20 of 400 steps (binomial sd ≈ 4.4).
  CHECK(skipped.skipped_steps > 0);
  CHECK(skipped.skipped_steps < 60);
}
