// Coordinate SGDA and SEGA-SGDA against their theory (docs/theory.md).
#include <catch2/catch.hpp>
#include <cmath>

#include "sgda/problems/affine_game.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "theory_helpers.hpp"

using namespace sgda;

namespace {

AffineGame l1_game() {
  QuadraticGameOptions o;
  o.samples = 100;
  o.dimension = 10;
  o.seed = 1;
  RegularizerOptions r;
  r.type = sgda::RegularizerType::kL1;
  r.lambda = 0.1;
  return generate_quadratic_game(o, make_regularizer(r));
}

Summary run(const Problem& problem, const std::string& method, std::int64_t iterations,
            std::uint64_t seed = 1) {
  EstimatorOptions e;
  e.method = sgda::parse_enum<sgda::Method>(method);
  auto estimator = make_estimator(e, problem);
  ProxStep step;
  SolverOptions o;
  o.max_iterations = iterations;
  o.tolerance = 1e-10;
  o.log_every = 10;
  o.seed = seed;
  return solve(problem, *estimator, step, o, Vector::Zero(problem.dim()));
}

// The same operator without cheap coordinates: every coordinate costs a full evaluation.
class WithoutCheapCoordinates final : public Problem {
 public:
  explicit WithoutCheapCoordinates(const AffineGame& game)
      : Problem(game.shared_regularizer()), game_(game) {}
  std::string name() const override { return "wrapped"; }
  Index dim() const override { return game_.dim(); }
  Index num_samples() const override { return game_.num_samples(); }
  void sample(Index i, ConstVectorRef x, VectorRef out) const override { game_.sample(i, x, out); }
  void full(ConstVectorRef x, VectorRef out) const override { game_.full(x, out); }

 private:
  const AffineGame& game_;
};

}  // namespace

TEST_CASE("SEGA-SGDA reaches the solution with an l1 regularizer where coordinate SGDA stalls",
          "[coordinate][convergence]") {
  const AffineGame problem = l1_game();
  const Summary sega = run(problem, "sega-sgda", 100000);
  const Summary coordinate = run(problem, "coordinate-sgda", 100000);
  CHECK(sega.reason == TerminationReason::kConverged);
  CHECK(sega.final_relative_distance_sq <= 1e-10);
  CHECK(coordinate.reason == TerminationReason::kIterationLimit);
  const auto& r = coordinate.trace.relative_distance_sq;
  CHECK(*std::min_element(r.begin() + static_cast<long>(r.size() / 2), r.end()) > 1e-7);
  // One coordinate (O(D) on an affine game) per iteration: epochs = iterations / d.
  CHECK(sega.counters.coordinate_evaluations == sega.counters.iterations);
  CHECK(sega.counters.sample_evaluations == 0);
  CHECK(sega.epochs == Approx(double(sega.counters.iterations) / double(problem.dim())));
}

TEST_CASE("coordinates of a problem without cheap coordinates are counted as full evaluations",
          "[coordinate]") {
  const AffineGame game = l1_game();
  const WithoutCheapCoordinates problem(game);  // it knows no constants: constant step
  EstimatorOptions e;
  e.method = sgda::Method::kSegaSgda;
  auto estimator = make_estimator(e, problem);
  ProxStep step;
  SolverOptions o;
  o.max_iterations = 50;
  o.step_size.rule = sgda::StepSizeRule::kConstant;
  o.step_size.gamma = 1e-3;
  const Summary s = solve(problem, *estimator, step, o, Vector::Zero(problem.dim()));
  CHECK(s.counters.coordinate_evaluations == 0);
  CHECK(s.counters.full_evaluations == 50);
  CHECK(s.counters.sample_evaluations == 50 * game.num_samples());
}

TEST_CASE("coordinate estimators are unbiased and satisfy the unified assumption",
          "[coordinate][theory]") {
  const AffineGame problem = l1_game();
  const Vector x_star = *problem.solution();
  const Index d = problem.dim();
  Vector f_star(d), g(d), next(d);
  problem.full(x_star, f_star);
  REQUIRE(f_star.norm() > 0.1);  // the regularizer makes F(x*) ≠ 0: the interesting case
  for (const std::string method : {"coordinate-sgda", "sega-sgda"}) {
    EstimatorOptions e;
    e.method = sgda::parse_enum<sgda::Method>(method);
    auto base = make_estimator(e, problem);
    const TheoryParameters t = base->parameters(problem);
    REQUIRE(t.known());
    Rng rng(3);
    Counters counters;
    Vector x = Vector::Zero(d);
    base->reset(problem, x, rng, counters);
    ProxStep step;
    step.reset(problem);
    const double gamma = theory_step_size(problem, *base);
    for (int stage = 0; stage < 3; ++stage) {
      for (int k = 0; k < (stage == 0 ? 0 : 200); ++k) {
        base->estimate(x, g, rng, counters);
        step.apply(gamma, g, x, next);
        x.swap(next);
      }
      INFO(method << " at stage " << stage);
      testing::check_unified_assumption(problem, *base, t, x, x_star, 20000, 500);
    }
  }
}

TEST_CASE("coordinate runs are reproducible for a seed", "[coordinate]") {
  const AffineGame problem = l1_game();
  for (const std::string method : {"coordinate-sgda", "sega-sgda"}) {
    const Summary a = run(problem, method, 500, 9), b = run(problem, method, 500, 9);
    const Summary c = run(problem, method, 500, 10);
    INFO(method);
    CHECK(a.x == b.x);
    CHECK(a.trace.relative_distance_sq == b.trace.relative_distance_sq);
    CHECK(a.trace.residual_sq == b.trace.residual_sq);
    CHECK(a.trace.coordinate_evaluations == b.trace.coordinate_evaluations);
    CHECK(a.x != c.x);
  }
}
