// Streaming PCA (problems/streaming_pca.hpp), the test problem of Async-MSGD (Liu et al. 2018):
// fresh samples as a pure function of (seed, i) with second moment Σ, the exact mean operator,
// SGD on the sphere finding u_1, and the momentum/asynchrony trade-off on Oja's operator.
#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "sgda/error.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/problems/streaming_pca.hpp"
#include "sgda/registry.hpp"
#include "sgda/rng.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"

using namespace sgda;

namespace {

std::shared_ptr<const Regularizer> sphere() {
  RegularizerOptions r;
  r.type = RegularizerType::kSphere;
  return make_regularizer(r);
}

StreamingPcaOptions small(bool oja) {
  StreamingPcaOptions o;
  o.dimension = 10;
  o.decay = 0.5;
  o.seed = 3;
  o.oja = oja;
  return o;
}

double pca_error(const Problem& problem, const Vector& x) { return problem.metrics(x)[0].second; }

// The final pca_error of momentum SGD with a fixed delay τ (+infinity when the run diverged).
double final_error(const StreamingPca& problem, Index delay, double momentum, double gamma,
                   std::uint64_t seed) {
  EstimatorOptions e;
  e.delay = delay;
  auto estimator = make_estimator(e, problem);
  StepRuleOptions r;
  r.rule = StepRuleType::kMomentum;
  r.momentum = momentum;
  auto step = make_step_rule(r);
  SolverOptions o;
  o.max_iterations = 20000;
  o.log_every = 20000;
  o.seed = seed;
  o.step_size.rule = StepSizeRule::kConstant;
  o.step_size.gamma = gamma;
  const Summary s = solve(problem, *estimator, *step, o, problem.initial_point());
  if (s.reason == TerminationReason::kNonFinite) return INFINITY;
  return pca_error(problem, s.x);
}

}  // namespace

TEST_CASE("streaming PCA samples are a pure function of the seed and the index", "[pca]") {
  const StreamingPca a(small(false)), b(small(false));
  StreamingPcaOptions other = small(false);
  other.seed = 4;
  const StreamingPca c(other);
  Vector x1(10), x2(10), x3(10);
  for (const Index i : {Index{0}, Index{7}, Index{1} << 40, a.num_samples() - 1}) {
    a.draw(i, x1);
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
  // The initial point: a unit vector, neither e_1 nor a coordinate axis.
  const Vector x0 = a.initial_point();
  CHECK(x0.norm() == Approx(1.0).epsilon(1e-14));
  CHECK(x0 == b.initial_point());
  CHECK(pca_error(a, x0) > 0.1);
  CHECK(pca_error(a, x0) < 1.0);
}

TEST_CASE("streaming PCA samples have second moment Sigma", "[pca]") {
  StreamingPcaOptions o = small(false);
  o.dimension = 5;
  o.eigengap = 0.3;
  const StreamingPca p(o);
  const Vector& lambda = p.eigenvalues();
  CHECK(lambda[0] == 1.0);
  CHECK(lambda[1] == Approx(0.7));
  CHECK(lambda[4] == Approx(0.7 * 0.125));
  // The mean of X Xᵀ over N draws: entry (j, k) has standard deviation
  // sqrt((λ_j λ_k + [j = k] λ_j²)/N) for Gaussian X; 5 of them are allowed.
  constexpr Index n = 20000;
  Matrix moment = Matrix::Zero(5, 5);
  Vector x(5);
  for (Index i = 0; i < n; ++i) {
    p.draw(i, x);
    moment += x * x.transpose();
  }
  moment /= double(n);
  for (Index j = 0; j < 5; ++j)
    for (Index k = 0; k < 5; ++k) {
      INFO("entry " << j << ", " << k);
      const double variance = (lambda[j] * lambda[k] + (j == k ? lambda[j] * lambda[j] : 0.0));
      const double expected = j == k ? lambda[j] : 0.0;
      CHECK(std::abs(moment(j, k) - expected) < 5.0 * std::sqrt(variance / double(n)));
    }
}

TEST_CASE("streaming PCA operators: F_i from the draw, F = -Sigma v exactly", "[pca]") {
  for (const bool oja : {false, true}) {
    INFO("oja " << oja);
    const StreamingPca p(small(oja));
    const Vector& lambda = p.eigenvalues();
    Rng rng(1);
    Vector v(10), f(10), fi(10), xi(10);
    for (auto& value : v) value = rng.normal();
    p.full(v, f);
    Vector expected = -lambda.cwiseProduct(v);
    if (oja) expected += v.dot(lambda.cwiseProduct(v)) * v;  // −(Σv − (vᵀΣv)v)
    CHECK(f.isApprox(expected, 1e-14));
    for (const Index i : {Index{0}, Index{5}}) {
      p.sample(i, v, fi);
      p.draw(i, xi);
      Vector sample = -xi * xi.dot(v);
      if (oja) sample += xi.dot(v) * xi.dot(v) * v;
      CHECK(fi.isApprox(sample, 1e-14));
    }
    // u_1 = e_1 is a fixed point of F (Oja's) or of the projected step (the gradient form).
    const Vector e1 = Vector::Unit(10, 0);
    p.full(e1, f);
    CHECK(f.isApprox(oja ? Vector::Zero(10) : Vector(-e1), 1e-14));
    CHECK(pca_error(p, e1) == 0.0);
    CHECK(pca_error(p, 3.0 * Vector::Unit(10, 1)) == 1.0);
  }
}

TEST_CASE("every step rule projects onto the sphere after its move", "[pca][steps]") {
  // The sphere is the problem's regularizer: the rules apply its prox after their move, the
  // momentum rules included (the heavy ball's x <- prox(x - gamma buf)).
  const StreamingPca p(small(false), sphere());
  const Vector x = p.initial_point();
  Vector g(10), next(10);
  for (const std::string name : {"prox", "sgd", "momentum", "nesterov", "adam"}) {
    INFO(name);
    StepRuleOptions r;
    r.rule = parse_enum<StepRuleType>(name);
    auto step = make_step_rule(r);
    step->reset(p);
    Vector current = x;
    for (Index i = 0; i < 3; ++i) {
      p.sample(i, current, g);
      step->apply(0.1, g, current, next);
      CHECK(next.norm() == Approx(1.0).epsilon(1e-14));
      CHECK((next - current).norm() > 1e-6);  // it moved
      current = next;
    }
  }
}

TEST_CASE("SGD on the sphere finds the top eigenvector from a random start", "[pca]") {
  // Plain projected SGD (no delay, no momentum), normalizing after every step.
  const StreamingPca p(small(false), sphere());
  CHECK(pca_error(p, p.initial_point()) > 0.4);
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    INFO("seed " << seed);
    CHECK(final_error(p, 0, 0.0, 0.005, seed) < 0.15);
  }
}

TEST_CASE("Oja's PCA with a long delay converges without momentum and diverges with 0.9",
          "[pca][delayed]") {
  // More asynchrony requires less momentum (Liu et al. 2018): at η = 0.005 and a fixed delay of
  // 64 steps, μ = 0 reaches the top eigenvector, μ = 0.9 blows up, for every seed. (Measured
  // boundaries at this η: μ = 0.9 already fails at τ = 32; μ = 0 holds well beyond τ = 64.)
  const StreamingPca p(small(true));
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    INFO("seed " << seed);
    CHECK(final_error(p, 64, 0.0, 0.005, seed) < 0.2);
    CHECK(final_error(p, 64, 0.9, 0.005, seed) > 0.5);
  }
}

TEST_CASE("streaming-pca problem files need the sphere and fresh-sample SGD", "[pca][io]") {
  const std::string head = "[problem]\ntype = \"streaming-pca\"\ndimension = 4\n";
  const std::string sgd = "[method]\nname = \"sgda\"\n";
  const std::string on_sphere = "[regularizer]\ntype = \"sphere\"\n";
  // Valid: the sphere, or Oja's operator without it.
  CHECK(make_problem(parse_run_config(head + on_sphere + sgd, "p.toml"))->dim() == 4);
  CHECK(make_problem(parse_run_config(head + "oja = true\n" + sgd, "p.toml"))->name() ==
        "streaming-pca");
  CHECK_THROWS_WITH(parse_run_config(head + sgd, "p.toml"),
                    Catch::Contains("regularizer.type: problem.type = \"streaming-pca\" needs "
                                    "the sphere") &&
                        Catch::Contains("got \"none\""));
  CHECK_THROWS_WITH(
      parse_run_config(head + on_sphere + sgd + "sampling = \"nice\"\nbatch_size = 2\n", "p.toml"),
      Catch::Contains("p.toml:8: method.sampling") && Catch::Contains("accepted \"uniform\""));
  CHECK_THROWS_WITH(
      parse_run_config(head + on_sphere + "[method]\nname = \"l-svrgda\"\n", "p.toml"),
      Catch::Contains("method.name") && Catch::Contains("accepted \"sgda\""));
  CHECK_THROWS_WITH(parse_run_config(head + "decay = 0\n" + on_sphere + sgd, "p.toml"),
                    Catch::Contains("p.toml:4: problem.decay"));
}
