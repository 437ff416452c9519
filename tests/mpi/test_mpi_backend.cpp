// The MPI backend against the in-process one: every rank solves the same game twice, once with
// all W workers in this process and once with its block of workers talking over MPI, and the
// two runs must agree bit for bit (iterates, trace, counted bits and oracle calls). Run under
// `mpirun -np 4` (tests/CMakeLists.txt). CHECK, not REQUIRE, between collective calls: a rank
// that left a test early would leave the others waiting.
#include <catch2/catch.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "mpi_session.hpp"
#include "sgda/estimators/distributed.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"

using namespace sgda;
using sgda::testing::mpi_session;

namespace {

AffineGame game(Index samples) {
  QuadraticGameOptions o;
  o.samples = samples;
  o.dimension = 6;  // D = 12
  o.noise = 0.3;
  o.offset_noise = 0.3;
  o.seed = 5;
  return generate_quadratic_game(o);
}

EstimatorOptions method(const std::string& name, Index workers, const std::string& local,
                        const std::string& compressor) {
  EstimatorOptions e;
  e.method = parse_enum<Method>(name);
  e.workers = workers;
  e.local = parse_enum<LocalOracle>(local);
  e.compressor.type = parse_enum<CompressorType>(compressor);
  e.compressor.k = 3;
  e.compressor.levels = 2;
  return e;
}

// The estimator of `e`, its workers over MPI when `over_mpi`.
std::unique_ptr<Estimator> estimator(const EstimatorOptions& e, const Problem& problem,
                                     bool over_mpi) {
  auto made = make_estimator(e, problem);
  if (over_mpi)
    dynamic_cast<DistributedEstimator&>(*made).set_communicator(
        mpi_session->communicator(e.workers));
  return made;
}

SolverOptions options(std::int64_t iterations) {
  SolverOptions o;
  o.max_iterations = iterations;
  o.log_every = 10;
  o.seed = 7;
  o.checkpoint_seconds = 0.0;
  o.step_size.rule = StepSizeRule::kConstant;
  o.step_size.gamma = 0.02;
  return o;
}

Summary run(const Problem& problem, const EstimatorOptions& e, bool over_mpi,
            SolverOptions o = options(60), const CheckpointHooks& hooks = {}) {
  auto est = estimator(e, problem, over_mpi);
  ProxStep step;
  if (over_mpi) o.processes = &mpi_session->processes();
  return solve(problem, *est, step, o, Vector::Zero(problem.dim()), {}, hooks);
}

void check_same_run(const Summary& mpi, const Summary& in_process) {
  CHECK(mpi.x == in_process.x);  // bit for bit
  CHECK(mpi.trace.relative_distance_sq == in_process.trace.relative_distance_sq);
  CHECK(mpi.trace.bits == in_process.trace.bits);
  CHECK(mpi.trace.sample_evaluations == in_process.trace.sample_evaluations);
  CHECK(mpi.counters.bits > 0);
  CHECK(mpi.reason == in_process.reason);
}

}  // namespace

TEST_CASE("every distributed method and compressor gives the in-process iterates over MPI",
          "[mpi]") {
  REQUIRE(mpi_session->size() == 4);  // the same on every rank: no rank leaves alone
  const AffineGame problem = game(24);
  for (const char* compressor : {"identity", "rand-k", "qsgd", "natural", "top-k"})
    for (const auto& [name, local] :
         std::vector<std::pair<std::string, std::string>>{{"qsgda", "exact"},
                                                          {"qsgda", "sample"},
                                                          {"diana-sgda", "exact"},
                                                          {"diana-sgda", "sample"},
                                                          {"vr-diana-sgda", "svrg"}})
      for (Index workers : {4, 6, 12}) {  // one per rank, and uneven blocks (2, 1, 2, 1 ...)
        // Top-k is biased: outside the theory, which DIANA's shift step comes from.
        if (compressor == std::string("top-k") && name != "qsgda") continue;
        INFO(name << " local=" << local << " compressor=" << compressor << " workers=" << workers);
        const EstimatorOptions e = method(name, workers, local, compressor);
        check_same_run(run(problem, e, true), run(problem, e, false));
      }
}

TEST_CASE("a checkpoint over MPI holds every worker's state and resumes bit for bit", "[mpi]") {
  const AffineGame problem = game(24);
  for (const char* name : {"diana-sgda", "vr-diana-sgda"}) {
    INFO(name);
    const EstimatorOptions e =
        method(name, 6, name == std::string("diana-sgda") ? "sample" : "svrg", "rand-k");
    // The checkpoint at iteration 30, taken over MPI on every rank ...
    std::optional<Checkpoint> mid, mid_in_process;
    CheckpointHooks keep;
    keep.save = [&](const Checkpoint& c, bool) {
      if (c.counters.iterations == 30) mid = c;
    };
    SolverOptions o = options(60);
    o.checkpoint_every = 30;
    const Summary whole = run(problem, e, true, o, keep);
    REQUIRE(mid);  // deterministic: the same on every rank
    // ... holds what the in-process run's holds, every worker's shift and snapshot.
    CheckpointHooks keep_in_process;
    keep_in_process.save = [&](const Checkpoint& c, bool) {
      if (c.counters.iterations == 30) mid_in_process = c;
    };
    run(problem, e, false, o, keep_in_process);
    REQUIRE(mid_in_process);
    CHECK(mid->estimator.vectors() == mid_in_process->estimator.vectors());
    // Resumed over MPI from it: the uninterrupted run's end.
    CheckpointHooks resume;
    resume.resume = &*mid;
    const Summary resumed = run(problem, e, true, options(60), resume);
    CHECK(resumed.x == whole.x);
    CHECK(resumed.trace.bits == whole.trace.bits);
  }
}

TEST_CASE("an interrupt on one rank stops every rank at the same iteration", "[mpi]") {
  const AffineGame problem = game(24);
  const EstimatorOptions e = method("qsgda", 4, "exact", "rand-k");
  std::atomic<bool> flag{mpi_session->rank() == 2};
  SolverOptions o = options(1000000);
  o.interrupt = &flag;
  const Summary s = run(problem, e, true, o);
  CHECK(s.reason == TerminationReason::kInterrupted);
  std::int64_t iterations[2] = {s.counters.iterations, -s.counters.iterations};
  mpi_session->processes().agree_max(iterations);
  CHECK(iterations[0] == -iterations[1]);  // max = min over the ranks
  CHECK(s.counters.iterations < 1000000);
}

TEST_CASE("the payload bytes on the wire are the counted bits rounded up per message", "[mpi]") {
  const AffineGame problem = game(24);
  for (const char* compressor : {"identity", "rand-k", "qsgd", "natural"}) {
    INFO(compressor);
    const mpi::WireBytes before = mpi_session->wire_bytes();
    const Summary s = run(problem, method("diana-sgda", 8, "exact", compressor), true);
    const mpi::WireBytes after = mpi_session->wire_bytes();
    const std::int64_t payload = after.payload - before.payload;
    const std::int64_t messages = after.messages - before.messages;
    CHECK(messages == 8 * s.counters.iterations);
    CHECK(8 * payload >= s.counters.bits);
    CHECK(8 * payload < s.counters.bits + 8 * messages);
    // Per round, each rank's oracle calls and each worker's two sizes.
    CHECK(after.header - before.header == s.counters.iterations * (8 * 4 + 16 * 8));
  }
}

TEST_CASE("fewer workers than ranks is refused", "[mpi]") {
  CHECK_THROWS_WITH(mpi_session->communicator(3),
                    Catch::Contains("must be at least the number of MPI ranks (4)"));
}
