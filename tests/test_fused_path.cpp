// The solver's fused path (an affine game; SGDA, L-SVRGDA, coordinate SGDA, SEGA-SGDA or a
// distributed method; the prox step; simultaneous updates) must be the generic loop made faster,
// not a second algorithm: the same iterates, trace and stopping, bit for bit.
#include <catch2/catch.hpp>
#include <cstring>

#include "../solvers/fused_move.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/problems/sharded_game.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "sgda/state.hpp"

using namespace sgda;

namespace {

// Forwards every call to the estimator it wraps. Being none of the types the fused path knows,
// it makes the solver take the generic loop through the interfaces.
class Opaque final : public Estimator {
 public:
  explicit Opaque(std::unique_ptr<Estimator> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  std::unique_ptr<Estimator> clone() const override {
    return std::make_unique<Opaque>(inner_->clone());
  }
  std::string describe() const override { return inner_->describe(); }
  void reset(const Problem& p, ConstVectorRef x0, Rng& rng, Counters& c) override {
    inner_->reset(p, x0, rng, c);
  }
  void estimate(ConstVectorRef x, VectorRef g, Rng& rng, Counters& c) override {
    inner_->estimate(x, g, rng, c);
  }
  TheoryParameters parameters(const Problem& p) const override { return inner_->parameters(p); }

 private:
  std::unique_ptr<Estimator> inner_;
};

// A generated quadratic game: `samples` samples, two players of `dimension` each.
AffineGame quadratic_game(Index samples, Index dimension, std::uint64_t seed) {
  QuadraticGameOptions g;
  g.samples = samples;
  g.dimension = dimension;
  g.seed = seed;
  return generate_quadratic_game(g);
}

// A run from x = 1 with the prox step; through the generic loop unless `fused`.
Summary run(const AffineGame& game, const EstimatorOptions& e, const SolverOptions& options,
            bool fused) {
  std::unique_ptr<Estimator> estimator = make_estimator(e, game);
  if (!fused) estimator = std::make_unique<Opaque>(std::move(estimator));
  ProxStep step;
  return solve(game, *estimator, step, options, Vector::Ones(game.dim()));
}

// "sgda", "sgda/nice", "sgda/importance", "l-svrgda", ...
Summary run(const AffineGame& game, const std::string& method, const SolverOptions& options,
            bool fused) {
  EstimatorOptions e;
  e.method = sgda::parse_enum<sgda::Method>(method.substr(0, method.find('/')));
  if (method.find('/') != std::string::npos)
    e.sampling = sgda::parse_enum<sgda::SamplingType>(method.substr(method.find('/') + 1));
  e.batch_size =
      e.sampling == sgda::SamplingType::kNice || e.sampling == sgda::SamplingType::kAdaptive ? 4
                                                                                             : 1;
  return run(game, e, options, fused);
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

void check_identical(const Summary& fused, const Summary& generic) {
  CHECK(fused.reason == generic.reason);
  CHECK(fused.message == generic.message);
  CHECK(fused.skipped_steps == generic.skipped_steps);
  CHECK(fused.counters.iterations == generic.counters.iterations);
  CHECK(fused.counters.sample_evaluations == generic.counters.sample_evaluations);
  CHECK(fused.counters.coordinate_evaluations == generic.counters.coordinate_evaluations);
  REQUIRE(fused.x.size() == generic.x.size());
  CHECK(std::memcmp(fused.x.data(), generic.x.data(), sizeof(double) * fused.x.size()) == 0);
  const Trace &a = fused.trace, &b = generic.trace;
  CHECK(same_bits(a.iteration, b.iteration));
  CHECK(same_bits(a.sample_evaluations, b.sample_evaluations));
  CHECK(same_bits(a.coordinate_evaluations, b.coordinate_evaluations));
  CHECK(same_bits(a.relative_distance_sq, b.relative_distance_sq));
  CHECK(same_bits(a.residual_sq, b.residual_sq));
  CHECK(same_bits(a.step_size, b.step_size));
}

}  // namespace

TEST_CASE("the fused path is taken exactly for the configurations it knows", "[solver][fused]") {
  QuadraticGameOptions g;
  g.samples = 10;
  g.dimension = 3;
  const AffineGame game = generate_quadratic_game(g);
  auto fused_for = [&](const std::string& method, const std::string& rule, bool opaque) {
    EstimatorOptions e;
    e.method = sgda::parse_enum<sgda::Method>(method);
    std::unique_ptr<Estimator> estimator = make_estimator(e, game);
    if (opaque) estimator = std::make_unique<Opaque>(std::move(estimator));
    StepRuleOptions s;
    s.rule = sgda::parse_enum<sgda::StepRuleType>(rule);
    const std::unique_ptr<StepRule> step = make_step_rule(s);
    step->reset(game);
    return with_fused_move(game, *estimator, *step, [](const auto&) {});
  };
  CHECK(fused_for("sgda", "prox", false));
  CHECK(fused_for("l-svrgda", "prox", false));
  CHECK(fused_for("coordinate-sgda", "prox", false));
  CHECK(fused_for("sega-sgda", "prox", false));
  CHECK(fused_for("qsgda", "prox", false));
  CHECK(fused_for("diana-sgda", "prox", false));
  CHECK(fused_for("vr-diana-sgda", "prox", false));
  CHECK_FALSE(fused_for("sgda", "prox", true));        // an estimator it does not know
  CHECK_FALSE(fused_for("diana-sgda", "prox", true));  // nor a wrapped distributed one
  CHECK_FALSE(fused_for("sgda", "momentum", false));   // a step rule it does not know
  CHECK_FALSE(fused_for("diana-sgda", "adam", false));
}

TEST_CASE("a game split over ranks takes the fused path for the distributed methods",
          "[solver][fused][distributed]") {
  QuadraticGameOptions g;
  g.samples = 8;
  g.dimension = 3;
  const AffineGame game = generate_quadratic_game(g);
  GamePart part;  // every sample, as a single rank holds them
  for (Index i = 0; i < game.num_samples(); ++i) {
    part.samples.push_back(i);
    part.matrices.push_back(game.sample_matrix(i));
  }
  part.num_samples = game.num_samples();
  part.offsets = game.offsets();
  part.blocks = game.blocks();
  const ShardedGame sharded(part, game.mean_matrix(), nullptr);
  auto fused_for = [&](const std::string& method) {
    EstimatorOptions e;
    e.method = sgda::parse_enum<sgda::Method>(method);
    e.workers = 2;
    const std::unique_ptr<Estimator> estimator = make_estimator(e, sharded);
    ProxStep step;
    step.reset(sharded);
    Rng rng(1);
    Counters counters;
    estimator->reset(sharded, Vector::Zero(sharded.dim()), rng, counters);
    return with_fused_move(sharded, *estimator, step, [](const auto&) {});
  };
  CHECK(fused_for("diana-sgda"));
  CHECK(fused_for("qsgda"));
  CHECK_FALSE(fused_for("sgda"));  // its samples are the whole game's: not all held in general
}

TEST_CASE("the fused path gives the generic loop's run bit for bit", "[solver][fused]") {
  const AffineGame plain = quadratic_game(30, 5, 11);
  for (const std::string type : {"none", "l1", "l1-linf", "l2-ball"}) {
    RegularizerOptions r;
    r.type = sgda::parse_enum<sgda::RegularizerType>(type);
    r.lambda = 0.05;
    r.radius = 0.5;  // the ℓ2 ball's prox is per player: the fused step takes the blocks
    const AffineGame game = plain.with_regularizer(make_regularizer(r));
    for (const std::string method : {"sgda", "sgda/nice", "sgda/importance", "sgda/adaptive",
                                     "l-svrgda", "coordinate-sgda", "sega-sgda"}) {
      INFO(method << " with " << type);
      SolverOptions o;
      o.max_iterations = 3000;
      o.log_every = 250;
      o.seed = 5;
      o.step_size.rule = sgda::StepSizeRule::kTheory;
      const Summary fused = run(game, method, o, true);
      const Summary generic = run(game, method, o, false);
      CHECK(fused.reason == TerminationReason::kIterationLimit);
      check_identical(fused, generic);
    }
  }
}

TEST_CASE("the distributed methods' fused path gives the generic loop's run bit for bit",
          "[solver][fused][distributed]") {
  // Fused: the workers' local problems and the identity and rand-k compressors are typed;
  // generic: every call goes through Problem and Compressor.
  QuadraticGameOptions g;
  g.samples = 24;
  g.dimension = 5;
  g.seed = 13;
  RegularizerOptions r;
  r.type = sgda::RegularizerType::kL1;
  r.lambda = 0.05;
  const AffineGame game = generate_quadratic_game(g, make_regularizer(r));
  for (const std::string method : {"qsgda", "diana-sgda", "vr-diana-sgda"}) {
    for (const std::string compressor : {"identity", "rand-k", "qsgd"}) {
      for (const std::string local : {"exact", "sample"}) {
        if (method == "vr-diana-sgda" && local == "sample") continue;  // always its SVRG
        INFO(method << ", " << compressor << ", local " << local);
        EstimatorOptions e;
        e.method = sgda::parse_enum<sgda::Method>(method);
        e.workers = 4;
        e.local = sgda::parse_enum<sgda::LocalOracle>(local);
        e.compressor.type = sgda::parse_enum<sgda::CompressorType>(compressor);
        e.compressor.k = 3;
        e.compressor.levels = 2;
        SolverOptions o;
        o.max_iterations = 2000;
        o.log_every = 200;
        o.seed = 9;
        o.step_size.rule = sgda::StepSizeRule::kTheory;
        const Summary fused = run(game, e, o, true), generic = run(game, e, o, false);
        CHECK(fused.reason == TerminationReason::kIterationLimit);
        CHECK(fused.counters.bits == generic.counters.bits);
        check_identical(fused, generic);
      }
    }
  }
}

TEST_CASE("the fused path stops or skips at a non-finite step exactly as the generic loop",
          "[solver][fused]") {
  const AffineGame game = quadratic_game(20, 4, 3);
  for (const bool skip : {false, true}) {
    for (const std::string method : {"sgda", "l-svrgda", "coordinate-sgda", "sega-sgda"}) {
      INFO(method << (skip ? " skipping" : " stopping"));
      SolverOptions o;
      o.max_iterations = 20000;
      o.log_every = 1000;
      o.step_size.rule = sgda::StepSizeRule::kConstant;
      o.step_size.gamma = 1e3;  // diverges within a few hundred iterations
      o.skip_non_finite = skip;
      const Summary fused = run(game, method, o, true);
      const Summary generic = run(game, method, o, false);
      CHECK(fused.reason ==
            (skip ? TerminationReason::kIterationLimit : TerminationReason::kNonFinite));
      if (skip) CHECK(fused.skipped_steps > 0);
      CHECK(fused.x.allFinite());
      check_identical(fused, generic);
    }
  }
}

TEST_CASE("coordinate moves through next and in place give the generic run bit for bit",
          "[solver][fused]") {
  // SEGA without a regularizer: at D = 140 next = x − γh without a finiteness pass, at D = 1040
  // the same in place in x. Coordinate SGDA: through next at D = 140, in place at D = 1040.
  QuadraticGameOptions q;
  q.samples = 4;
  q.dimension = 70;
  q.seed = 8;
  BilinearGameOptions b;
  b.samples = 2;
  b.dimension = 520;
  b.mu = 0.5;
  b.seed = 8;
  const AffineGame small = generate_quadratic_game(q), large = generate_bilinear_game(b);
  RegularizerOptions l1;
  l1.type = sgda::RegularizerType::kL1;
  l1.lambda = 0.05;
  const AffineGame small_l1 = small.with_regularizer(make_regularizer(l1));
  const AffineGame large_l1 = large.with_regularizer(make_regularizer(l1));

  // One move: the iterate x − γh with coordinate j replaced, in x itself exactly when D >= 1024
  // and R = 0; with R the prox step through next.
  EstimatorOptions e;
  e.method = sgda::Method::kSegaSgda;
  for (const AffineGame* game : {&small, &large, &small_l1, &large_l1}) {
    INFO("D = " << game->dim() << (game->regularizer().is_zero() ? "" : ", l1"));
    auto estimator = make_estimator(e, *game);
    auto& sega = dynamic_cast<SegaSgdaEstimator&>(*estimator);
    ProxStep step;
    step.reset(*game);
    Counters counters;
    Rng rng(3);
    Vector x = Vector::Ones(game->dim()), g_work(game->dim()), next(game->dim());
    estimator->reset(*game, x, rng, counters);
    const Vector h = Vector::LinSpaced(game->dim(), -0.5, 0.5);  // a non-zero shift
    StateArchive state;
    state.put("shift", h);
    sega.load_state(state);
    FusedMove<AffineGame, SegaSgdaEstimator> move{*game, sega, step};
    Rng copy = rng;
    const auto [j, f_j] = sega.coordinate_with(*game, x, copy, counters);
    Vector expected = x - 0.01 * h;
    expected[j] = x[j] - 0.01 * (h[j] + double(game->dim()) * (f_j - h[j]));
    const StepOutcome outcome = move(0.01, x, g_work, next, rng, counters);
    if (!game->regularizer().is_zero()) {
      CHECK(outcome == StepOutcome::kFinite);  // through the prox
      CHECK(next.allFinite());
    } else if (game == &large) {
      CHECK(outcome == StepOutcome::kFiniteInPlace);
      CHECK(x == expected);
    } else {
      CHECK(outcome == StepOutcome::kFinite);
      CHECK(next == expected);
    }
  }

  // Whole runs, converging and diverging (stopping or skipping at the non-finite step).
  for (const std::string method : {"sega-sgda", "coordinate-sgda"}) {
    for (const AffineGame* game : {&small, &large, &small_l1}) {
      for (const double gamma : {0.0, 1e3}) {
        for (const bool skip : {false, true}) {
          if (gamma == 0.0 && skip) continue;
          INFO(method << ", D = " << game->dim() << (game->regularizer().is_zero() ? "" : ", l1")
                      << ", gamma " << gamma << (skip ? ", skip" : ""));
          SolverOptions o;
          o.max_iterations = game == &large ? 4000 : 20000;
          o.log_every = 1000;
          o.seed = 2;
          o.skip_non_finite = skip;
          o.step_size.rule =
              sgda::StepSizeRule::kConstant;  // gamma 0 stands for 1/(20 D), a step that converges
          o.step_size.gamma = gamma > 0.0 ? gamma : 1.0 / (20.0 * double(game->dim()));
          const Summary fused = run(*game, method, o, true);
          const Summary generic = run(*game, method, o, false);
          if (gamma > 0.0 && !skip) CHECK(fused.reason == TerminationReason::kNonFinite);
          if (gamma == 0.0)
            CHECK(fused.trace.relative_distance_sq.back() <
                  fused.trace.relative_distance_sq.front());
          check_identical(fused, generic);
        }
      }
    }
  }
}

namespace {

// The game's operator through Problem's defaults alone: F_i(x) − F_i(w) as two sample() calls,
// where the game itself forms one product M_i(x − w).
class TwoCalls final : public Problem {
 public:
  explicit TwoCalls(const AffineGame& game) : Problem(game.shared_regularizer()), game_(game) {}
  std::string name() const override { return game_.name(); }
  Index dim() const override { return game_.dim(); }
  Index num_samples() const override { return game_.num_samples(); }
  void sample(Index i, ConstVectorRef x, VectorRef out) const override { game_.sample(i, x, out); }
  void full(ConstVectorRef x, VectorRef out) const override { game_.full(x, out); }
  std::vector<Block> blocks() const override { return game_.blocks(); }
  std::optional<Vector> solution() const override { return game_.solution(); }
  ProblemConstants constants() const override { return game_.constants(); }

 private:
  const AffineGame& game_;
};

}  // namespace

TEST_CASE("one product per operator difference gives the two-call run to rounding",
          "[solver][fused][estimators]") {
  const AffineGame game = quadratic_game(24, 6, 17);
  const TwoCalls two_calls(game);
  // The difference itself: M_i(x − w) against (q_i + M_i x) − (q_i + M_i w).
  const Index d = game.dim();
  const Vector x = Vector::LinSpaced(d, -1.0, 2.0), w = Vector::LinSpaced(d, 0.5, -0.5);
  Vector one(d), two(d), workspace(d);
  for (Index i = 0; i < game.num_samples(); ++i) {
    game.sample_difference(i, x, w, one, workspace);
    two_calls.sample_difference(i, x, w, two, workspace);
    CHECK((one - two).norm() <= 1e-14 * (1.0 + two.norm()));
  }
  for (const std::string method : {"l-svrgda", "vr-diana-sgda"}) {
    INFO(method);
    EstimatorOptions e;
    e.method = sgda::parse_enum<sgda::Method>(method);
    e.workers = 4;
    SolverOptions o;
    o.max_iterations = 4000;
    o.seed = 3;
    o.step_size.rule = sgda::StepSizeRule::kTheory;
    auto solve_on = [&](const Problem& problem) {
      const std::unique_ptr<Estimator> estimator = make_estimator(e, problem);
      ProxStep step;
      return solve(problem, *estimator, step, o, Vector::Ones(game.dim()));
    };
    // The theory step of the game (the wrapper's workers know no constants), then a constant.
    o.step_size.gamma = solve_on(game).initial_step_size;
    o.step_size.rule = sgda::StepSizeRule::kConstant;
    const Summary fast = solve_on(game), reference = solve_on(two_calls);
    // Same draws, same counted oracle calls; iterates apart by rounding only.
    CHECK(fast.counters.sample_evaluations == reference.counters.sample_evaluations);
    CHECK(fast.counters.iterations == reference.counters.iterations);
    const double scale = (Vector::Ones(game.dim()) - *game.solution()).norm();
    CHECK((fast.x - *game.solution()).norm() < 1e-3 * scale);  // both converge
    CHECK((fast.x - reference.x).norm() <= 1e-12 * scale);
  }
}

TEST_CASE("an affine game's sample bound holds at every sample and is attained",
          "[solver][fused]") {
  const AffineGame game = quadratic_game(12, 6, 21);
  const Index dim = game.dim();
  const AffineGame::LinearBound& bound = game.sample_bound();
  const double rounding = 1.0 + 2.0 * double(dim + 3) * std::numeric_limits<double>::epsilon();
  double row_sum = 0.0, offset = 0.0;
  for (Index i = 0; i < 12; ++i) {
    row_sum = std::max(row_sum, game.sample_matrix(i).cwiseAbs().rowwise().sum().maxCoeff());
    offset = std::max(offset, game.offsets().col(i).cwiseAbs().maxCoeff());
  }
  CHECK(bound.slope == Approx(row_sum * rounding).epsilon(1e-15));
  CHECK(bound.slope >= row_sum);
  CHECK(bound.offset == Approx(offset * rounding).epsilon(1e-15));
  CHECK(bound.offset >= offset);
  Rng rng(4);
  Vector x(dim), f(dim);
  double attained = 0.0;  // the largest ||F_i(x)||∞ / ||x||∞ at x = ±s, s large
  for (int trial = 0; trial < 100; ++trial) {
    const double scale = std::pow(10.0, 12.0 * rng.uniform() - 6.0);
    for (auto& e : x) e = scale * rng.normal();
    for (Index i = 0; i < 12; ++i) {
      game.sample(i, x, f);
      CHECK(f.lpNorm<Eigen::Infinity>() <=
            bound.slope * x.lpNorm<Eigen::Infinity>() + bound.offset);
    }
  }
  for (Index i = 0; i < 12; ++i)
    for (Index r = 0; r < dim; ++r) {  // x = 1e12 sign(row r of M_i) attains that row's sum
      x = 1e12 * game.sample_matrix(i).row(r).transpose().array().sign().matrix();
      game.sample(i, x, f);
      attained = std::max(attained, f.lpNorm<Eigen::Infinity>() / 1e12);
    }
  CHECK(attained == Approx(row_sum).epsilon(1e-10));
}

TEST_CASE("the moves the bounds show finite stay below overflow", "[solver][fused]") {
  // The worst case the count allows: every move at the bounds, X_{k+1} = (X_k + γ(sX_k + t))
  // (1 + 1e-12) + c, and ||g_k||∞ at sX_k + t; all of it must stay below 1e300 for K moves.
  const AffineGame::LinearBound bounds[] = {{2.0, 1.0}, {0.0, 5.0}, {1e150, 1e140}, {30.0, 0.0}};
  for (const AffineGame::LinearBound b : bounds) {
    for (const double gamma : {1e-3, 0.1, 10.0}) {
      for (const double x0 : {0.0, 1.0, 1e200}) {
        for (const double c : {0.0, 2.0}) {
          INFO("slope " << b.slope << ", offset " << b.offset << ", gamma " << gamma << ", X " << x0
                        << ", c " << c);
          const std::int64_t moves = moves_shown_finite(x0, gamma, b, c);
          CHECK(moves >= 0);
          CHECK(moves <= (std::int64_t{1} << 20));
          double x = x0, g = 0.0;
          for (std::int64_t k = 0; k < moves && x <= 1e300 && g <= 1e300; ++k) {
            g = b.slope * x + b.offset;
            x = (x + gamma * g) * (1.0 + 1e-12) + c;
          }
          CHECK(g <= 1e300);
          CHECK(x <= 1e300);
        }
      }
    }
  }
  CHECK(moves_shown_finite(1.0, 0.01, {2.0, 1.0}, 0.0) > 10000);  // not needlessly short
  CHECK(moves_shown_finite(6e299, 0.01, {2.0, 1.0}, 0.0) == 0);   // X·max(1, s) > 1e300
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(moves_shown_finite(1.0, 0.01, {inf, 1.0}, 0.0) == 0);
  CHECK(moves_shown_finite(1.0, 0.01, {2.0, std::nan("")}, 0.0) == 0);
}

TEST_CASE("the fused move goes in place exactly when its bounds show the move finite",
          "[solver][fused]") {
  const AffineGame game = quadratic_game(10, 4, 2);
  ProxStep step;
  step.bind(game, game.blocks());
  for (const std::string method : {"sgda", "sgda/nice", "l-svrgda"}) {
    INFO(method);
    EstimatorOptions e;
    e.method = sgda::parse_enum<sgda::Method>(method.substr(0, method.find('/')));
    if (method == "sgda/nice") e.sampling = SamplingType::kNice, e.batch_size = 2;
    for (const double scale : {1.0, 1e299}) {
      const std::unique_ptr<Estimator> estimator = make_estimator(e, game);
      Rng rng(1);
      Counters counters;
      const Index dim = game.dim();
      Vector x = Vector::Constant(dim, scale), gradient(dim), next(dim);
      estimator->reset(game, x, rng, counters);
      auto take = [&](auto move) { return move(0.01, x, gradient, next, rng, counters); };
      StepOutcome outcome;
      if (auto* sgda = dynamic_cast<SgdaEstimator*>(estimator.get()))
        outcome = take(FusedMove<AffineGame, SgdaEstimator>{game, *sgda, step});
      else
        outcome = take(FusedMove<AffineGame, LSvrgdaEstimator>{
            game, dynamic_cast<LSvrgdaEstimator&>(*estimator), step});
      // In place at x = 1 for a bound it knows (uniform sampling, L-SVRGDA); through next
      // otherwise, and near overflow, where the bounds show nothing.
      const bool in_place = scale == 1.0 && method != "sgda/nice";
      CHECK((outcome == StepOutcome::kFiniteInPlace) == in_place);
    }
  }
}

TEST_CASE("operators near overflow: the fused path stops where the generic loop does",
          "[solver][fused]") {
  // M_i and q_i scaled by 1e150, steps by 1e-150: the run is the unscaled one's while γ‖M‖ is
  // small, and with ‖g‖ = 1e150‖x‖ it overflows with x near 1e158 once it diverges. The bounds
  // must hand the last moves to the tested path (s = 1e150 ≫ 1 in moves_shown_finite).
  const AffineGame plain = quadratic_game(8, 4, 6);
  std::vector<Matrix> matrices;
  for (Index i = 0; i < 8; ++i) matrices.push_back(1e150 * plain.sample_matrix(i));
  const AffineGame game(std::move(matrices), 1e150 * plain.offsets(), plain.blocks());
  for (const std::string method : {"sgda", "l-svrgda"}) {
    for (const double gamma : {1e-153, 1e-148}) {  // converging, diverging
      INFO(method << " with step " << gamma);
      SolverOptions o;
      o.max_iterations = 4000;
      o.log_every = 500;
      o.step_size.rule = sgda::StepSizeRule::kConstant;
      o.step_size.gamma = gamma;
      const Summary fused = run(game, method, o, true);
      const Summary generic = run(game, method, o, false);
      CHECK(fused.reason ==
            (gamma > 1e-150 ? TerminationReason::kNonFinite : TerminationReason::kIterationLimit));
      CHECK(fused.x.allFinite());
      check_identical(fused, generic);
    }
  }
}

TEST_CASE("runs with per-iteration bookkeeping give the generic loop's run bit for bit",
          "[solver][fused]") {
  // A constant step, no average and no oracle limit let the fused loop run the moves between
  // events back to back (FusedMove::stretch); each of these needs its iteration's bookkeeping.
  const AffineGame game = quadratic_game(20, 4, 17);
  for (const std::string setting : {"quiet", "average", "ema", "oracle limit", "warmup", "decay"}) {
    for (const std::string method : {"sgda", "l-svrgda"}) {
      INFO(method << ", " << setting);
      SolverOptions o;
      o.max_iterations = 5000;
      o.log_every = 700;
      o.seed = 3;
      o.step_size.rule = sgda::StepSizeRule::kConstant;
      o.step_size.gamma = 0.02;
      if (setting == "average") o.averaging = Averaging::kUniform;
      if (setting == "ema") o.averaging = Averaging::kEma;
      if (setting == "oracle limit") o.max_oracle_calls = 4321;  // between two log rows
      if (setting == "warmup") o.step_size.warmup_iterations = 1000;
      if (setting == "decay") o.step_size.decay = StepDecay::kCosine;
      const Summary fused = run(game, method, o, true);
      const Summary generic = run(game, method, o, false);
      CHECK(fused.reason == (setting == "oracle limit" ? TerminationReason::kOracleLimit
                                                       : TerminationReason::kIterationLimit));
      check_identical(fused, generic);
      REQUIRE(fused.x_average.size() == generic.x_average.size());
      if (fused.x_average.size() > 0)  // empty without an average (data() is null)
        CHECK(std::memcmp(fused.x_average.data(), generic.x_average.data(),
                          sizeof(double) * fused.x_average.size()) == 0);
    }
  }
}

TEST_CASE("a stretch makes the moves its bounds show finite and stops at a new snapshot",
          "[solver][fused]") {
  const AffineGame game = quadratic_game(10, 4, 2);
  ProxStep step;
  step.bind(game, game.blocks());
  const Index dim = game.dim();
  for (const std::string method : {"sgda", "sgda/nice", "l-svrgda"}) {
    INFO(method);
    EstimatorOptions e;
    e.method = sgda::parse_enum<sgda::Method>(method.substr(0, method.find('/')));
    if (method == "sgda/nice") e.sampling = SamplingType::kNice, e.batch_size = 2;
    const std::unique_ptr<Estimator> estimator = make_estimator(e, game);
    Rng rng(1);
    Counters counters;
    Vector x = Vector::Ones(dim), gradient(dim);
    estimator->reset(game, x, rng, counters);
    // The same moves one by one through the interfaces, from the same state.
    Rng rng_one = rng;
    Counters counters_one = counters;
    const std::unique_ptr<Estimator> one = estimator->clone();
    Vector x_one = x, g_one(dim), next(dim);
    std::int64_t made = 0;
    auto take = [&](auto move) { made = move.stretch(300, 0.01, x, gradient, rng, counters); };
    if (auto* sgda = dynamic_cast<SgdaEstimator*>(estimator.get()))
      take(FusedMove<AffineGame, SgdaEstimator>{game, *sgda, step});
    else
      take(FusedMove<AffineGame, LSvrgdaEstimator>{
          game, dynamic_cast<LSvrgdaEstimator&>(*estimator), step});
    if (method == "sgda") CHECK(made == 300);
    if (method == "sgda/nice") CHECK(made == 0);  // no bound: every move is operator()'s
    if (method == "l-svrgda") {                   // p = 1/10: a new snapshot well before 300 moves
      CHECK(made > 0);
      CHECK(made < 300);
      CHECK(counters.full_evaluations == 2);  // reset's and the one that ended the stretch
    }
    for (std::int64_t k = 0; k < made; ++k) {
      one->estimate(x_one, g_one, rng_one, counters_one);
      REQUIRE(step.checked_step(0.01, g_one, x_one, next, nullptr) == StepOutcome::kFinite);
      x_one.swap(next);
    }
    CHECK(std::memcmp(x.data(), x_one.data(), sizeof(double) * dim) == 0);
    CHECK(counters.sample_evaluations == counters_one.sample_evaluations);
    CHECK(rng.uniform() == rng_one.uniform());  // the streams at the same place
  }
}
