// The distributed methods against their theory (docs/theory.md, "Distributed methods").
#include <catch2/catch.hpp>
#include <cmath>

#include <unistd.h>
#include "sgda/error.hpp"

#include <cstdio>

#include "sgda/estimators/distributed.hpp"
#include "sgda/io/game_file.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "theory_helpers.hpp"

using namespace sgda;

namespace {

// Heterogeneous workers: every sample has its own operator, and each worker owns a contiguous
// block of samples, so the local operators F_m differ (ζ*² > 0).
AffineGame game(Index samples, Index dimension, std::uint64_t seed, double noise = 0.3) {
  QuadraticGameOptions o;
  o.samples = samples;
  o.dimension = dimension;
  o.noise = noise;
  o.offset_noise = noise;
  o.seed = seed;
  return generate_quadratic_game(o);
}

EstimatorOptions distributed(const std::string& method, Index workers, const std::string& local,
                             const std::string& compressor = "rand-k", Index k = 4) {
  EstimatorOptions e;
  e.method = sgda::parse_enum<sgda::Method>(method);
  e.workers = workers;
  e.local = sgda::parse_enum<sgda::LocalOracle>(local);
  e.compressor.type = sgda::parse_enum<sgda::CompressorType>(compressor);
  e.compressor.k = k;
  e.compressor.levels = 2;
  return e;
}

Summary run(const Problem& problem, const EstimatorOptions& e, std::int64_t iterations,
            double tolerance, std::uint64_t seed = 1) {
  auto estimator = make_estimator(e, problem);
  ProxStep step;
  SolverOptions o;
  o.max_iterations = iterations;
  o.tolerance = tolerance;
  o.log_every = 1;
  o.seed = seed;
  return solve(problem, *estimator, step, o, Vector::Zero(problem.dim()));
}

// Advances an estimator `steps` iterations of its method at the theory step size from x.
void advance(const Problem& problem, Estimator& estimator, Vector& x, int steps, Rng& rng) {
  const double gamma = theory_step_size(problem, estimator);
  Counters counters;
  Vector g(problem.dim()), next(problem.dim());
  ProxStep step;
  step.reset(problem);
  for (int k = 0; k < steps; ++k) {
    estimator.estimate(x, g, rng, counters);
    step.apply(gamma, g, x, next);
    x.swap(next);
  }
}

}  // namespace

TEST_CASE(
    "every distributed method is unbiased and satisfies both inequalities of the unified "
    "assumption with its reported constants",
    "[distributed][theory]") {
  const AffineGame problem = game(20, 5, 3);  // n = 20, D = 10, W = 5, m_loc = 4
  const Vector x_star = *problem.solution();
  const Index d = problem.dim();
  const std::vector<EstimatorOptions> methods = {
      distributed("qsgda", 5, "exact"),
      distributed("qsgda", 5, "sample", "qsgd"),
      distributed("diana-sgda", 5, "exact"),
      distributed("diana-sgda", 5, "sample", "natural"),
      distributed("vr-diana-sgda", 5, "sample"),
      distributed("diana-sgda", 1, "exact", "rand-k", 2)};
  for (const EstimatorOptions& options : methods) {
    auto base = make_estimator(options, problem);
    const TheoryParameters t = base->parameters(problem);
    REQUIRE(t.known());
    Rng rng(7);
    Counters counters;
    Vector x = Vector::Zero(d);
    base->reset(problem, x, rng, counters);
    // Several states along a run: the start (h = 0, w = x⁰), then after 3 and 30 more steps.
    for (int stage = 0; stage < 3; ++stage) {
      advance(problem, *base, x, stage == 0 ? 0 : (stage == 1 ? 3 : 30), rng);
      INFO(base->describe() << " at stage " << stage);
      testing::check_unified_assumption(problem, *base, t, x, x_star, 4000, 1000);
    }
  }
}

TEST_CASE(
    "with heterogeneous workers and exact local operators QSGDA stalls, DIANA-SGDA "
    "reaches the solution",
    "[distributed][convergence]") {
  const AffineGame problem = game(100, 10, 1);
  const Summary qsgda = run(problem, distributed("qsgda", 5, "exact"), 20000, 1e-10);
  const Summary diana = run(problem, distributed("diana-sgda", 5, "exact"), 20000, 1e-10);
  CHECK(diana.reason == TerminationReason::kConverged);
  CHECK(diana.final_relative_distance_sq <= 1e-10);
  CHECK(qsgda.reason == TerminationReason::kIterationLimit);
  // Stalled: over the second half of the run it never gets within 1e-5 of x*.
  const auto& r = qsgda.trace.relative_distance_sq;
  CHECK(*std::min_element(r.begin() + static_cast<long>(r.size() / 2), r.end()) > 1e-5);
}

TEST_CASE("with stochastic local operators VR-DIANA-SGDA reaches the solution, DIANA-SGDA stalls",
          "[distributed][convergence]") {
  const AffineGame problem = game(100, 10, 1);
  const Summary vr = run(problem, distributed("vr-diana-sgda", 5, "sample"), 60000, 1e-10);
  const Summary diana = run(problem, distributed("diana-sgda", 5, "sample"), 60000, 1e-10);
  CHECK(vr.reason == TerminationReason::kConverged);
  CHECK(vr.final_relative_distance_sq <= 1e-10);
  const auto& r = diana.trace.relative_distance_sq;
  CHECK(diana.reason == TerminationReason::kIterationLimit);
  CHECK(*std::min_element(r.begin() + static_cast<long>(r.size() / 2), r.end()) > 1e-5);
}

TEST_CASE("bits are what rand-k puts on the wire: k indices and k values per worker",
          "[distributed]") {
  const AffineGame problem = game(100, 10, 1);  // D = 20: indices take 5 bits
  const Summary s = run(problem, distributed("diana-sgda", 5, "exact", "rand-k", 4), 37, 0.0);
  CHECK(s.counters.bits == 37 * 5 * 4 * (5 + 64));
  const Summary identity = run(problem, distributed("qsgda", 5, "exact", "identity"), 37, 0.0);
  CHECK(identity.counters.bits == 37 * 5 * 20 * 64);
  for (std::size_t row = 1; row < s.trace.size(); ++row)
    CHECK(s.trace.bits[row] == s.trace.iteration[row] * 5 * 4 * 69);
}

TEST_CASE("compression pays only where the theory says: many similar workers, not two",
          "[distributed][convergence]") {
  // Similar workers (small per-sample noise), exact local operators, D = 40, rand-4 (ω = 9),
  // both methods at their theory step sizes; uncompressed = QSGDA with the identity compressor.
  for (const Index workers : {Index{100}, Index{2}}) {
    const AffineGame problem = game(workers, 20, 2, 0.05);
    const Summary plain =
        run(problem, distributed("qsgda", workers, "exact", "identity"), 100000, 1e-6);
    const Summary diana =
        run(problem, distributed("diana-sgda", workers, "exact", "rand-k", 4), 100000, 1e-6);
    REQUIRE(plain.converged());
    REQUIRE(diana.converged());
    const double ratio = double(plain.counters.bits) / double(diana.counters.bits);
    INFO("W = " << workers << ": uncompressed " << plain.counters.bits << " bits, DIANA rand-4 "
                << diana.counters.bits << " bits, ratio " << ratio);
    if (workers == 100)
      CHECK(ratio >= 2.0);
    else
      CHECK(ratio < 1.0);
  }
}

TEST_CASE("distributed runs are reproducible for a seed, for any number of workers",
          "[distributed]") {
  const AffineGame problem = game(20, 5, 4);
  for (const Index workers : {Index{1}, Index{4}, Index{20}}) {
    for (const std::string method : {"qsgda", "diana-sgda", "vr-diana-sgda"}) {
      const auto options = distributed(method, workers, "sample", "qsgd");
      const Summary a = run(problem, options, 200, 0.0, 5);
      const Summary b = run(problem, options, 200, 0.0, 5);
      const Summary c = run(problem, options, 200, 0.0, 6);
      INFO(method << " W = " << workers);
      CHECK(a.x == b.x);
      CHECK(a.trace.relative_distance_sq == b.trace.relative_distance_sq);
      CHECK(a.trace.residual_sq == b.trace.residual_sq);
      CHECK(a.trace.bits == b.trace.bits);
      CHECK(a.trace.sample_evaluations == b.trace.sample_evaluations);
      CHECK(a.x != c.x);
    }
  }
}

TEST_CASE("bad distributed options are refused naming the field", "[distributed]") {
  const AffineGame problem = game(20, 5, 4);
  CHECK_THROWS_WITH(make_estimator(distributed("diana-sgda", 3, "exact"), problem),
                    "EstimatorOptions::workers: must divide the number of samples (20) so every "
                    "worker owns as many, got 3");
  CHECK_THROWS_WITH(make_estimator(distributed("diana-sgda", 4, "exact", "rand-k", 11), problem),
                    "EstimatorOptions::compressor.k: must be at most the dimension 10, got 11");
  // svrg is vr-diana-sgda's own local estimator, not a choice of qsgda's.
  CHECK_THROWS_WITH(make_estimator(distributed("qsgda", 4, "svrg"), problem),
                    "EstimatorOptions::local: unknown \"svrg\"; accepted: exact, sample");
  CHECK_THROWS_WITH(parse_enum<CompressorType>("zip"),
                    "unknown \"zip\"; accepted: identity, rand-k, qsgd, natural, top-k");
}

TEST_CASE("a game file can give each worker its own samples", "[distributed][io]") {
  // Interleaved ownership (sample i belongs to worker i mod 4) differs from the contiguous split,
  // so the local operators, and with them ℓ̂_W and ζ*², change.
  AffineGame problem = game(20, 5, 4);
  const auto contiguous = make_estimator(distributed("diana-sgda", 4, "exact"), problem);
  const double zeta_contiguous =
      static_cast<DistributedEstimator&>(*contiguous).constants(problem).zeta_sq;
  WorkerPartition interleaved(4);
  for (Index i = 0; i < 20; ++i) interleaved[static_cast<std::size_t>(i % 4)].push_back(i);
  problem.set_worker_partition(interleaved);
  const std::string path = "/tmp/sgda_test_workers_" + std::to_string(::getpid()) + ".h5";
  save_affine_game(path, problem);
  const AffineGame loaded = load_affine_game(path);
  std::remove(path.c_str());
  CHECK(loaded.worker_partition() == interleaved);
  const auto from_file = make_estimator(distributed("diana-sgda", 4, "exact"), loaded);
  const DistributedConstants c = static_cast<DistributedEstimator&>(*from_file).constants(loaded);
  CHECK(c.zeta_sq != Approx(zeta_contiguous));
  // The partition is used by the run: DIANA still reaches the solution.
  const Summary s = run(loaded, distributed("diana-sgda", 4, "exact"), 20000, 1e-10);
  CHECK(s.converged());
  // Unequal workers are refused: (1/W) Σ F_m would not be F.
  WorkerPartition unequal = {{0, 1, 2}, {3}};
  for (Index i = 4; i < 20; ++i) unequal[0].push_back(i);
  problem.set_worker_partition(unequal);
  CHECK_THROWS_WITH(make_estimator(distributed("diana-sgda", 2, "exact"), problem),
                    Catch::Contains("EstimatorOptions::workers") && Catch::Contains("same number"));
}
