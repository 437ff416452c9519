// The theorem in action (docs/theory.md, "The unified assumption and the theorem"): L-SVRGDA
// converges linearly to x* at its theory step size, no slower than predicted; SGDA with a constant
// step stalls at a neighbourhood ∝ γ below the predicted one; importance sampling beats uniform
// sampling when the L_i differ by 1e4; runs are bitwise reproducible.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <numeric>
#include <vector>

#include "sgda/estimators/l_svrgda.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "theory_helpers.hpp"

using namespace sgda;
using namespace sgda::testing;

namespace {

AffineGame default_game(std::uint64_t seed) {
  QuadraticGameOptions o;  // n = 100, d = 10, μ = 1, ℓ = 10, noise 0.3
  o.seed = seed;
  return generate_quadratic_game(o);
}

std::shared_ptr<const Regularizer> l1_linf(double lambda, double radius) {
  RegularizerOptions r;
  r.type = sgda::RegularizerType::kL1Linf;
  r.lambda = lambda;
  r.radius = radius;
  return make_regularizer(r);
}

std::unique_ptr<Estimator> estimator_for(const Problem& game, const std::string& method,
                                         const std::string& sampling = "uniform", Index batch = 1) {
  EstimatorOptions e;
  e.method = sgda::parse_enum<sgda::Method>(method);
  e.sampling = sgda::parse_enum<sgda::SamplingType>(sampling);
  e.batch_size = batch;
  return make_estimator(e, game);
}

Summary run(const Problem& game, Estimator& estimator, const SolverOptions& options) {
  ProxStep step;
  return solve(game, estimator, step, options, Vector::Zero(game.dim()));
}

// A game whose per-sample Lipschitz constants differ by 1e4 and whose mean is well conditioned
// (μ = 1, ℓ = 10): the generator scales the two halves of the samples by c and 1e4·c with the
// mean unchanged (the paper's importance-sampling game). Small per-sample noise makes the
// samples nearly agree at x*, so the neighbourhood is far below the target and the race is run
// in the linear phase.
AffineGame scaled_halves_game(std::uint64_t seed) {
  QuadraticGameOptions o;
  o.samples = 100;
  o.dimension = 5;
  o.noise = 1e-3;
  o.offset_noise = 1e-3;
  o.heavy_scale = 1e4;
  o.seed = seed;
  return generate_quadratic_game(o);
}

}  // namespace

TEST_CASE("L-SVRGDA at its theory step reaches 1e-10, no slower than the theorem predicts",
          "[convergence]") {
  for (const bool regularized : {false, true}) {
    const AffineGame plain = default_game(0);
    const AffineGame game = regularized ? plain.with_regularizer(l1_linf(0.1, 0.1)) : plain;
    INFO("regularizer " << game.regularizer().describe());
    const Vector x_star = *game.solution();
    const Vector x0 = Vector::Zero(game.dim());
    const double mu = game.constants().mu;

    // Theorem 2.2 with M = 2B/ρ: E V_k ≤ (1 − min{γμ, ρ/2})^k V_0 with V_0 = ||x0 − x*||² +
    // Mγ²σ_0², σ_0² at the initial snapshot w⁰ = x0; and ||x − x*||² ≤ V_k.
    auto prototype = estimator_for(game, "l-svrgda");
    const TheoryParameters t = prototype->parameters(game);
    const double gamma = t.step_size(mu);
    const double q = t.contraction(gamma, mu);
    Rng unused(0);
    Counters counters;
    prototype->reset(game, x0, unused, counters);
    const double d0 = (x0 - x_star).squaredNorm();
    const double v0 = d0 + t.lyapunov_m() * gamma * gamma * prototype->sigma_squared(x_star);
    // The iteration where the bound itself reaches 1e-10 relative, rounded up to a logged one.
    const std::int64_t log_every = 10;
    const auto steps =
        static_cast<std::int64_t>(std::ceil(std::log(1e-10 * d0 / v0) / std::log(q)));
    const std::int64_t horizon = (steps + log_every - 1) / log_every * log_every;

    // Five seeds; the check is on their mean at every logged k, against the theorem's bound
    // (it predicts 4700 iterations to 1e-10; the runs take 810-1290 without and 40-160 with R).
    const int seeds = 5;
    std::vector<double> mean_distance;
    std::vector<std::int64_t> to_tolerance;
    for (int seed = 0; seed < seeds; ++seed) {
      SolverOptions o;  // step_size.rule = sgda::StepSizeRule::kTheory by default
      o.max_iterations = horizon;
      o.log_every = log_every;
      o.seed = std::uint64_t(seed);
      auto estimator = estimator_for(game, "l-svrgda");
      const Summary s = run(game, *estimator, o);
      REQUIRE(s.initial_step_size == gamma);
      REQUIRE(s.trace.size() == std::size_t(horizon / log_every + 1));
      CHECK(s.final_relative_distance_sq <= 1e-10);
      if (mean_distance.empty()) mean_distance.assign(s.trace.size(), 0.0);
      std::int64_t first = -1;
      for (std::size_t r = 0; r < s.trace.size(); ++r) {
        mean_distance[r] += s.trace.relative_distance_sq[r] * d0 / seeds;
        if (first < 0 && s.trace.relative_distance_sq[r] <= 1e-10) first = s.trace.iteration[r];
      }
      to_tolerance.push_back(first);
      // The same run stops by itself once the tolerance is met.
      o.tolerance = 1e-10;
      auto again = estimator_for(game, "l-svrgda");
      const Summary stopped = run(game, *again, o);
      CHECK(stopped.converged());
      CHECK(stopped.counters.iterations == first);
    }
    // The worst ratio of the seeds' mean to the bound over every logged iteration: at most 1, as
    // the theorem says of the expectation. Measured: 0.60, at k = 0, where it is ||x0 − x*||²/V_0
    // exactly (no randomness); from k = 10 on at most 0.42 without and 0.016 with R, so the
    // five seeds' deviation from the expectation has a margin of 2.4 and more.
    double worst = 0;
    for (std::size_t r = 0; r < mean_distance.size(); ++r)
      worst = std::max(worst, mean_distance[r] / (std::pow(q, double(r) * log_every) * v0));
    double mean_to_tolerance = 0;
    for (const std::int64_t k : to_tolerance) mean_to_tolerance += double(k) / seeds;
    INFO("gamma " << gamma << ", contraction " << q << ", horizon " << horizon
                  << "; iterations to 1e-10: " << to_tolerance[0] << " " << to_tolerance[1] << " "
                  << to_tolerance[2] << " " << to_tolerance[3] << " " << to_tolerance[4]
                  << " (mean " << mean_to_tolerance << "); worst ratio to the bound " << worst);
    CHECK(worst <= 1.0);
    // That bound cannot see a slower method: it is 4.5 times loose, and its worst ratio is the
    // one at k = 0, whatever the speed (L-SVRGDA at a third of its step stays below 0.6 of it
    // everywhere). So the speed is held to the measurement: the seeds' mean iterations to 1e-10,
    // measured 1056 without R (seeds 1060, 1090, 810, 1280, 1040; standard error of the mean
    // 75) and 86 with R (50, 160, 120, 40, 60; standard error 23), may exceed it by at most six
    // standard errors: 1500 and 225. A change of the random streams draws another such mean, a
    // standard error or two away; L-SVRGDA at a third of its step size takes 2320 iterations
    // without R and fails (with R the prox finds the solution's face within about 90 iterations at
    // either step, so that case checks only for a gross slowdown).
    CHECK(mean_to_tolerance <= (regularized ? 225.0 : 1500.0));
  }
}

TEST_CASE("SGDA with a constant step stalls at a neighbourhood proportional to the step",
          "[convergence]") {
  const AffineGame game = default_game(0);
  const Vector x_star = *game.solution();
  const double d0 = x_star.squaredNorm();  // x0 = 0
  const double mu = game.constants().mu;
  const TheoryParameters t = estimator_for(game, "sgda")->parameters(game);
  const double gamma = t.step_size(mu);  // 1/(2ℓ̂) ≈ 0.028

  const std::int64_t iterations = 40000, log_every = 10;
  const int seeds = 8;
  // The stationary mean of ||x − x*||²: the trace averaged over the second half of each run (the
  // first half forgets x0: (1 − γμ)^20000 ≤ e^-140 at γ/2), then over 8 seeds, with the
  // standard error of that mean from the spread between seeds.
  struct Stationary {
    double mean, standard_error, final_transient;
  };
  auto stationary = [&](double step) {
    std::vector<double> per_seed;
    for (int seed = 0; seed < seeds; ++seed) {
      SolverOptions o;
      o.max_iterations = iterations;
      o.log_every = log_every;
      o.step_size.rule = sgda::StepSizeRule::kConstant;
      o.step_size.gamma = step;
      o.seed = std::uint64_t(100 + seed);
      auto estimator = estimator_for(game, "sgda");
      const Summary s = run(game, *estimator, o);
      const auto& r = s.trace.relative_distance_sq;
      const std::size_t from = r.size() / 2;
      per_seed.push_back(std::accumulate(r.begin() + std::ptrdiff_t(from), r.end(), 0.0) /
                         double(r.size() - from) * d0);
    }
    const double mean = std::accumulate(per_seed.begin(), per_seed.end(), 0.0) / seeds;
    double var = 0;
    for (double v : per_seed) var += (v - mean) * (v - mean) / (seeds - 1);
    return Stationary{mean, std::sqrt(var / seeds),
                      std::pow(1 - step * mu, double(iterations / 2)) * d0};
  };
  const Stationary full = stationary(gamma), half = stationary(gamma / 2);
  const double ratio = half.mean / full.mean;
  INFO("SGDA uniform: stationary E||x - x*||^2 = "
       << full.mean << " at gamma = " << gamma << ", " << half.mean << " at gamma/2: ratio "
       << ratio << "; theorem's bounds " << t.neighbourhood(gamma, mu) << ", "
       << t.neighbourhood(gamma / 2, mu));
  // Precision: the seeds' spread gives standard errors below 1% of each mean, so the ratio is
  // known to ≈ 1.5%; a failure of the window below is not noise.
  CHECK(full.standard_error <= 0.01 * full.mean);
  CHECK(half.standard_error <= 0.01 * half.mean);
  // Stationary covariance Σ of x − x* solves γ(M̄Σ + ΣM̄ᵀ) = γ²(C + M̄ΣM̄ᵀ) with C the noise
  // covariance near x*, so Σ = γΣ₁ + O(γ²): the ratio is 1/2 + O(γℓ̂), and γℓ̂ ≤ 1/2 at the
  // theory step bounds the correction well inside ±0.15 (measured 0.47; 0.485 one halving lower).
  CHECK(ratio >= 0.35);
  CHECK(ratio <= 0.65);
  // Below the theorem's bound (1 − γμ)^k V_0 + γ²D1/(γμ) (measured ≈ 1/6 of it), with the
  // Monte Carlo error and the transient of the second half's first point added to the mean.
  CHECK(full.mean + 6 * full.standard_error <= t.neighbourhood(gamma, mu) + full.final_transient);
  CHECK(half.mean + 6 * half.standard_error <=
        t.neighbourhood(gamma / 2, mu) + half.final_transient);
  // It is a neighbourhood, not convergence: far above the rounding floor.
  CHECK(half.mean >= 1e-3 * d0);
}

TEST_CASE("importance sampling needs fewer sample evaluations when the L_i differ by 1e4",
          "[convergence]") {
  for (const std::uint64_t game_seed : {0, 1, 2}) {
    INFO("game seed " << game_seed);
    const AffineGame game = scaled_halves_game(game_seed);
    const ProblemConstants c = game.constants();
    CHECK(c.mu == Approx(1.0).epsilon(1e-8));
    CHECK(c.ell == Approx(10.0).epsilon(1e-8));
    const Vector& l = c.sample_lipschitz;
    // L_i differ by 1e4: the halves are separated by > 1e3 and the extremes by 1e3 to 1e5
    // (measured 1.1–1.9e1 against 1.1–1.7e-3).
    CHECK(l.tail(50).minCoeff() >= 1e3 * l.head(50).maxCoeff());
    CHECK(l.tail(50).maxCoeff() >= 1e3 * l.head(50).minCoeff());
    CHECK(l.tail(50).maxCoeff() <= 1e5 * l.head(50).minCoeff());

    // Each sampling at its own theory step 1/(2ℓ_D); mean sample evaluations over five seeds to
    // relative squared distance 1e-6 (the neighbourhoods are ≈ 1e-8, far below).
    double evaluations[2] = {0, 0}, steps[2] = {0, 0};
    const std::string samplings[2] = {"uniform", "importance"};
    for (int k = 0; k < 2; ++k) {
      steps[k] = theory_step_size(game, *estimator_for(game, "sgda", samplings[k]));
      for (int seed = 0; seed < 5; ++seed) {
        SolverOptions o;
        o.max_iterations = 100000;
        o.log_every = 1;
        o.tolerance = 1e-6;
        o.seed = std::uint64_t(50 + seed);
        auto estimator = estimator_for(game, "sgda", samplings[k]);
        const Summary s = run(game, *estimator, o);
        REQUIRE(s.converged());
        evaluations[k] += double(s.counters.sample_evaluations) / 5;
      }
    }
    const double gain = evaluations[0] / evaluations[1], predicted = steps[1] / steps[0];
    INFO("game seed " << game_seed << ": sample evaluations to 1e-6: uniform " << evaluations[0]
                      << ", importance " << evaluations[1] << "; gain " << gain
                      << ", predicted (ratio of theory steps) " << predicted);
    CHECK(evaluations[1] < evaluations[0]);
    // In the linear phase one step decreases E||x − x*||² by 2γΦ − γ²E||F_ξ(x) − F_ξ(x*)||²; at
    // γ = 1/(2ℓ_D) with ℓ_D ∝ the second moment's form this is ∝ γ for both samplings, so the
    // iterations to a target scale as 1/γ and the gain is γ_IS/γ_U ≈ 2 (reference: mean L²/
    // (mean L)²). First-hit times of five runs fluctuate by a few %: ±25% (measured 1.00–1.09).
    CHECK(gain >= 0.75 * predicted);
    CHECK(gain <= 1.25 * predicted);
    CHECK(predicted >= 1.5);
  }
}

TEST_CASE("the same seed gives bitwise identical runs, another seed another run", "[convergence]") {
  const AffineGame game = default_game(3);
  struct Method {
    std::string method, sampling;
    Index batch;
  };
  for (const Method& m : {Method{"sgda", "uniform", 1}, Method{"sgda", "nice", 5},
                          Method{"sgda", "importance", 1}, Method{"l-svrgda", "uniform", 1}}) {
    INFO(m.method << " " << m.sampling);
    SolverOptions o;
    o.max_iterations = 3000;
    o.log_every = 7;
    o.seed = 11;
    auto estimator = estimator_for(game, m.method, m.sampling, m.batch);
    const Summary a = run(game, *estimator, o);
    const Summary b = run(game, *estimator_for(game, m.method, m.sampling, m.batch), o);
    const Summary again = run(game, *estimator, o);  // the same estimator object, reset by solve
    o.seed = 12;
    const Summary other = run(game, *estimator_for(game, m.method, m.sampling, m.batch), o);
    for (const Summary* s : {&b, &again}) {
      CHECK(s->x == a.x);  // every coefficient, exactly
      CHECK(s->counters.sample_evaluations == a.counters.sample_evaluations);
      CHECK(s->trace.iteration == a.trace.iteration);
      CHECK(s->trace.sample_evaluations == a.trace.sample_evaluations);
      CHECK(s->trace.coordinate_evaluations == a.trace.coordinate_evaluations);
      CHECK(s->trace.epochs == a.trace.epochs);
      CHECK(s->trace.bits == a.trace.bits);
      CHECK(s->trace.relative_distance_sq == a.trace.relative_distance_sq);
      CHECK(s->trace.residual_sq == a.trace.residual_sq);
      CHECK(s->trace.step_size == a.trace.step_size);
    }
    CHECK(other.x != a.x);
    CHECK(other.trace.relative_distance_sq != a.trace.relative_distance_sq);
    // L-SVRGDA's snapshot times depend on the seed, so its counters differ too.
    if (m.method == "l-svrgda")
      CHECK(other.counters.sample_evaluations != a.counters.sample_evaluations);
  }
}
