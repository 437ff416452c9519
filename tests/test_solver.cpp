#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>

#include "configurations.hpp"
#include "sgda/error.hpp"
#include "sgda/estimators/l_svrgda.hpp"
#include "sgda/estimators/sgda.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "step_rules.hpp"

using namespace sgda;

// Counts every heap allocation of the process, Eigen's included (they go through malloc), by
// interposing malloc with glibc's own entry points. Sanitizer builds bring their own malloc:
// GCC says so with __SANITIZE_ADDRESS__, clang only through __has_feature.
#if defined(__SANITIZE_ADDRESS__)
#define SGDA_OWN_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || \
    __has_feature(thread_sanitizer)
#define SGDA_OWN_MALLOC 1
#endif
#endif
#if !defined(SGDA_OWN_MALLOC) && defined(__GLIBC__)
#define SGDA_COUNT_ALLOCATIONS 1
extern "C" void* __libc_malloc(std::size_t);
extern "C" void* __libc_calloc(std::size_t, std::size_t);
extern "C" void* __libc_realloc(void*, std::size_t);
static std::atomic<long> g_allocations{0};
extern "C" void* malloc(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_malloc(size);
}
extern "C" void* calloc(std::size_t count, std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_calloc(count, size);
}
extern "C" void* realloc(void* p, std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  return __libc_realloc(p, size);
}
#endif

namespace {

AffineGame small_game(std::uint64_t seed = 1) {
  QuadraticGameOptions o;
  o.samples = 20;
  o.dimension = 4;
  o.seed = seed;
  return generate_quadratic_game(o);
}

Summary run(const Problem& game, const std::string& method, SolverOptions options,
            const std::vector<Callback*>& callbacks = {}) {
  EstimatorOptions e;
  e.method = sgda::parse_enum<sgda::Method>(method);
  auto estimator = make_estimator(e, game);
  ProxStep step;
  return solve(game, *estimator, step, options, Vector::Zero(game.dim()), callbacks);
}

class StopAfter : public Callback {
 public:
  explicit StopAfter(int calls) : left_(calls) {}
  CallbackResult logged(const LogEntry&) override {
    return --left_ > 0 ? CallbackResult::kContinue : CallbackResult::kStop;
  }
  int left_;
};

}  // namespace

TEST_CASE("invalid options are refused with the field's name", "[solver]") {
  const AffineGame game = small_game();
  SolverOptions o;
  std::string error;
  o.max_iterations = 0;
  CHECK_FALSE(o.IsValid(&error));
  CHECK(error == "SolverOptions::max_iterations: must be a positive integer (>= 1), got 0");
  CHECK_THROWS_AS(run(game, "sgda", o), InputError);
  o = SolverOptions{};
  o.step_size.rule = sgda::StepSizeRule::kConstant;
  o.step_size.gamma = -1;
  CHECK_THROWS_WITH(run(game, "sgda", o),
                    Catch::Contains("SolverOptions::step_size.rule: \"constant\" needs"));
  o = SolverOptions{};
  o.tolerance = std::nan("");
  CHECK_THROWS_WITH(run(game, "sgda", o),
                    "SolverOptions::tolerance: must be a number >= 0 (0 = off), got nan");
}

TEST_CASE("each termination reason is reached and reported", "[solver]") {
  const AffineGame game = small_game();
  SolverOptions o;
  o.max_iterations = 500;
  o.log_every = 10;

  Summary s = run(game, "sgda", o);
  CHECK(s.reason == TerminationReason::kIterationLimit);
  CHECK(s.counters.iterations == 500);
  CHECK(s.counters.sample_evaluations == 500);  // metrics are not counted as oracle calls
  CHECK(s.trace.size() == 51);                  // x⁰ and every 10th iterate
  CHECK(s.trace.iteration.back() == 500);

  o.max_oracle_calls = 123;
  s = run(game, "sgda", o);
  CHECK(s.reason == TerminationReason::kOracleLimit);
  CHECK(s.counters.sample_evaluations == 123);
  CHECK(s.trace.iteration.back() == 123);  // the final iterate is always logged

  o = SolverOptions{};
  o.max_iterations = 1000000000;
  o.max_time_seconds = 0.05;
  s = run(game, "sgda", o);
  CHECK(s.reason == TerminationReason::kTimeLimit);
  CHECK(s.solve_seconds >= 0.05);

  o = SolverOptions{};
  o.tolerance = 1e-6;
  o.log_every = 1;
  s = run(game, "l-svrgda", o);
  CHECK(s.reason == TerminationReason::kConverged);
  CHECK(s.final_relative_distance_sq <= 1e-6);
  CHECK(s.trace.relative_distance_sq[s.trace.size() - 2] > 1e-6);  // stopped at the first hit

  o.tolerance = 0;
  o.residual_tolerance = 1e-8;
  s = run(game, "l-svrgda", o);
  CHECK(s.reason == TerminationReason::kConverged);
  CHECK(s.final_residual_sq <= 1e-8);

  o = SolverOptions{};
  o.log_every = 5;
  StopAfter stop(3);
  s = run(game, "sgda", o, {&stop});
  CHECK(s.reason == TerminationReason::kStoppedByCallback);
  CHECK(s.counters.iterations == 10);  // logged at 0, 5, 10; the third call stops
}

TEST_CASE("a step size far too large stops as non-finite with the last finite iterate",
          "[solver]") {
  const AffineGame game = small_game();
  SolverOptions o;
  o.step_size.rule = sgda::StepSizeRule::kConstant;
  o.step_size.gamma = 1e3;
  o.max_iterations = 100000;
  const Summary s = run(game, "sgda", o);
  CHECK(s.reason == TerminationReason::kNonFinite);
  CHECK(s.x.allFinite());
  CHECK(s.counters.iterations < 100000);
  CHECK_THAT(s.message, Catch::Contains("iteration") && Catch::Contains("theory step size"));
}

TEST_CASE("theory and switching step sizes follow Theorem 2.2", "[solver]") {
  const AffineGame game = small_game();
  const ProblemConstants c = game.constants();
  LSvrgdaEstimator svrg;  // p = 1/n: γ = 1/(2(ℓ̂ + 2·2·(pℓ̂/2)/p)) = 1/(6ℓ̂)
  CHECK(theory_step_size(game, svrg) == Approx(1.0 / (6.0 * c.ell_hat)).epsilon(1e-12));

  SolverOptions o;
  o.max_iterations = 10;
  o.step_size.factor = 0.5;
  const Summary s = run(game, "l-svrgda", o);
  CHECK(s.initial_step_size == Approx(0.5 / (6.0 * c.ell_hat)).epsilon(1e-12));

  // Switching: constant 1/h up to k0 = ⌈K/2⌉, then 2/(2h + μ(k − k0)) when K > h/μ.
  const double h = 40.0, mu = 1.0;
  const StepSchedule sched = StepSchedule::switching(h, mu, 101);
  CHECK(sched(0) == 1.0 / h);
  CHECK(sched(51) == 1.0 / h);
  CHECK(sched(61) == Approx(2.0 / (2.0 * h + mu * 10.0)));
  const StepSchedule short_run = StepSchedule::switching(h, mu, 30);  // K ≤ h/μ: stays 1/h
  CHECK(short_run(29) == 1.0 / h);
}

#ifdef SGDA_COUNT_ALLOCATIONS
TEST_CASE("the iteration loop allocates nothing, for every method, step rule and scheme",
          "[solver]") {
  // Every configuration of tests/configurations.hpp: each method with each sampling, local
  // oracle and compressor, each step rule, each scheme and averaging, with and without a
  // regularizer, on an affine game and on the Dirac-GAN. No exceptions are known: a
  // configuration that allocates per iteration fails here by name.
  const std::vector<testing::Configuration> configurations = testing::all_configurations();
  REQUIRE(configurations.size() >= 60);
  for (const testing::Configuration& c : configurations) {
    INFO("configuration: " << c.name);
    // Allocations of a whole run may not grow with its length (metrics logged twice in each).
    auto allocations_of_run = [&](std::int64_t iterations) {
      SolverOptions o;
      o.max_iterations = iterations;
      o.log_every = iterations;
      o.seed = 5;
      testing::game_of(c.game).solution();  // computed once, outside the measurement
      const long before = g_allocations.load();
      const Summary s = testing::run_configuration(c, o);
      const long allocations = g_allocations.load() - before;
      REQUIRE(s.counters.iterations == iterations);
      return allocations;
    };
    // A first run pays one-time costs (static tables such as the registry's catalog, lazy
    // caches of the game such as the row-major copy for coordinate methods), which depend on
    // what ran before in this process; then compare a short run with one ten times longer.
    allocations_of_run(10);
    const long short_run = allocations_of_run(200);
    const long long_run = allocations_of_run(2000);
    CHECK(short_run > 0);  // the counter sees the run's set-up (the estimator, the trace)
    CHECK(long_run == short_run);
  }
}

TEST_CASE("the alternating and Extra-Adam loops allocate nothing", "[solver]") {
  // Players of two blocks each (x.0, x.1, y.0, y.1), so alternation moves several blocks at once.
  const AffineGame game = small_game();
  std::vector<Matrix> matrices;
  for (Index i = 0; i < game.num_samples(); ++i) matrices.push_back(game.sample_matrix(i));
  const Index half = game.dim() / 2, quarter = half / 2;
  const AffineGame split(
      matrices, game.offsets(),
      {Block{"x.0", 0, quarter, false}, Block{"x.1", quarter, half - quarter, false},
       Block{"y.0", half, quarter, true}, Block{"y.1", half + quarter, half - quarter, true}});
  struct Case {
    std::string scheme, extrapolation, rule;
  };
  for (const Case& c : std::vector<Case>{{"alternating", "prox", "prox"},
                                         {"alternating", "prox", "adam"},
                                         {"alternating", "prox", "optimistic"},
                                         {"extragradient", "step", "adam"},
                                         {"extragradient-same-sample", "step", "adam"},
                                         {"extragradient", "step", "momentum"}}) {
    INFO(c.scheme << ", extrapolation " << c.extrapolation << ", " << c.rule);
    auto allocations_of_run = [&](std::int64_t iterations) {
      SolverOptions o;
      o.max_iterations = iterations;
      o.log_every = iterations;
      o.step_size.rule = sgda::StepSizeRule::kConstant;
      o.step_size.gamma = 1e-3;
      o.scheme = sgda::parse_enum<sgda::Scheme>(c.scheme);
      o.extrapolation = sgda::parse_enum<sgda::Extrapolation>(c.extrapolation);
      o.averaging = sgda::Averaging::kUniform;
      split.solution();
      EstimatorOptions e;
      StepRuleOptions r;
      r.rule = sgda::parse_enum<sgda::StepRuleType>(c.rule);
      const long before = g_allocations.load();
      auto estimator = make_estimator(e, split);
      auto step = make_step_rule(r);
      const Summary s = solve(split, *estimator, *step, o, Vector::Zero(split.dim()));
      REQUIRE(s.counters.iterations == iterations);
      return g_allocations.load() - before;
    };
    allocations_of_run(10);
    const long short_run = allocations_of_run(200);
    const long long_run = allocations_of_run(20000);
    CHECK(long_run == short_run);
  }
}

TEST_CASE("every step rule, with its options and clipping, allocates nothing per step",
          "[solver]") {
  // Weight and bias blocks per player, so the parameter groups and trust ratios take both paths.
  const AffineGame game = small_game();
  std::vector<Matrix> matrices;
  for (Index i = 0; i < game.num_samples(); ++i) matrices.push_back(game.sample_matrix(i));
  const Index half = game.dim() / 2, quarter = half / 2;
  const AffineGame layers(matrices, game.offsets(),
                          {Block{"x.layer0.weight", 0, quarter, false},
                           Block{"x.layer0.bias", quarter, half - quarter, false},
                           Block{"y.layer0.weight", half, quarter, true},
                           Block{"y.layer0.bias", half + quarter, half - quarter, true}});
  std::vector<StepRuleOptions> rules;
  for (const StepRuleType type :
       {StepRuleType::kProx, StepRuleType::kSgd, StepRuleType::kMomentum, StepRuleType::kNesterov,
        StepRuleType::kAdagrad, StepRuleType::kRmsprop, StepRuleType::kAdam, StepRuleType::kAdamW,
        StepRuleType::kNadam, StepRuleType::kLars, StepRuleType::kLamb,
        StepRuleType::kOptimistic}) {
    StepRuleOptions r;
    r.rule = type;
    r.weight_decay = type == StepRuleType::kProx || type == StepRuleType::kOptimistic ? 0.0 : 0.01;
    rules.push_back(r);
  }
  REQUIRE(rules.size() == sgda::testing::game_step_rules().size());
  StepRuleOptions variant;
  variant.rule = StepRuleType::kMomentum;
  variant.dampening = 0.5;
  variant.decoupled_weight_decay = true;
  variant.weight_decay = 0.01;
  variant.clip_norm = 0.5;
  rules.push_back(variant);
  variant = {};
  variant.rule = StepRuleType::kRmsprop;
  variant.centered = true;
  variant.rmsprop_momentum = 0.5;
  variant.clip_block_norm = 0.5;
  variant.clip_value = 0.1;
  rules.push_back(variant);
  variant = {};
  variant.rule = StepRuleType::kAdam;
  variant.amsgrad = true;
  rules.push_back(variant);
  variant = {};
  variant.rule = StepRuleType::kLamb;
  variant.phi = TrustNorm::kClip;
  variant.bias_correction = false;
  variant.clip_norm = 1.0;
  rules.push_back(variant);
  for (const StepRuleOptions& r : rules) {
    for (const std::string scheme : {"simultaneous", "alternating"}) {
      INFO(to_string(r.rule) << ", " << scheme << ", clip_norm " << r.clip_norm);
      auto allocations_of_run = [&](std::int64_t iterations) {
        SolverOptions o;
        o.max_iterations = iterations;
        o.log_every = iterations;
        o.step_size.rule = sgda::StepSizeRule::kConstant;
        o.step_size.gamma = 1e-3;
        o.scheme = sgda::parse_enum<sgda::Scheme>(scheme);
        layers.solution();
        EstimatorOptions e;
        const long before = g_allocations.load();
        auto estimator = make_estimator(e, layers);
        auto step = make_step_rule(r);
        const Summary s = solve(layers, *estimator, *step, o, Vector::Ones(layers.dim()));
        REQUIRE(s.counters.iterations == iterations);
        return g_allocations.load() - before;
      };
      allocations_of_run(10);
      const long short_run = allocations_of_run(200);
      const long long_run = allocations_of_run(2000);
      CHECK(long_run == short_run);
    }
  }
}
#endif

TEST_CASE("a problem's metrics become trace columns, logged with the other metrics", "[solver]") {
  // The game with one extra measure: ||x||², a metric of the iterate, never an oracle call.
  struct Measured final : Problem {
    explicit Measured(const AffineGame& g) : game(g) {}
    std::string name() const override { return "measured"; }
    Index dim() const override { return game.dim(); }
    Index num_samples() const override { return game.num_samples(); }
    void sample(Index i, ConstVectorRef x, VectorRef out) const override { game.sample(i, x, out); }
    void full(ConstVectorRef x, VectorRef out) const override { game.full(x, out); }
    std::vector<std::pair<std::string, double>> metrics(ConstVectorRef x) const override {
      return {{"norm_sq", x.squaredNorm()}};
    }
    const AffineGame& game;
  };
  const AffineGame game = small_game();
  const Measured problem(game);
  struct Recorder final : Callback {
    std::vector<double> norms;
    CallbackResult logged(const LogEntry& e) override {
      norms.push_back(e.x.squaredNorm());
      return CallbackResult::kContinue;
    }
  } recorder;
  SolverOptions o;
  o.max_iterations = 100;
  o.log_every = 10;
  o.step_size.rule = sgda::StepSizeRule::kConstant;
  o.step_size.gamma = 1e-2;
  EstimatorOptions e;
  auto estimator = make_estimator(e, problem);
  ProxStep step;
  const Summary s = solve(problem, *estimator, step, o, Vector::Ones(problem.dim()), {&recorder});
  REQUIRE(s.trace.extra.size() == 1);
  CHECK(s.trace.extra[0].name == "norm_sq");
  CHECK(s.trace.extra[0].values == recorder.norms);
  CHECK(s.counters.sample_evaluations == 100);
}
