// Minimal-variance adaptive sampling (sampling = "adaptive", estimators/sampling.hpp):
//  - its inclusion probabilities are the clipped, mixed MVS probabilities of its estimates;
//  - it is unbiased, and draws each sample with its inclusion probability (Monte Carlo, fixed
//    seeds, z = 6 tolerances from the number of draws: tests/theory_helpers.hpp);
//  - the constants it reports bound what it does (the unified assumption's first inequality);
//  - on a state learned at x its variance at x is at most uniform sampling's (measured);
//  - on the heavy-tailed importance game it learns probabilities as good as the oracle
//    importance sampling's (p_i ∝ L_i) without being told the L_i.
// Its checkpoints are in test_checkpoint.cpp, its fused path and golden runs through
// tests/configurations.hpp.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>
#include <vector>

#include "sgda/estimators/sampling.hpp"
#include "sgda/estimators/sgda.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "theory_helpers.hpp"

using namespace sgda;
using namespace sgda::testing;

namespace {

AffineGame small_game(double heavy_scale) {
  QuadraticGameOptions o;
  o.samples = 40;
  o.dimension = 4;
  o.heavy_scale = heavy_scale;
  o.seed = 3;
  return generate_quadratic_game(o);
}

// The game of examples/experiments/importance.toml: half the samples 1e4 times larger.
AffineGame importance_game() {
  QuadraticGameOptions o;
  o.samples = 100;
  o.dimension = 10;
  o.mu = 1.0;
  o.ell = 10.0;
  o.noise = 1e-3;
  o.offset_noise = 1e-3;
  o.heavy_scale = 1e4;
  o.seed = 1;
  return generate_quadratic_game(o);
}

EstimatorOptions sampling_options(SamplingType sampling, Index batch) {
  EstimatorOptions o;
  o.sampling = sampling;
  o.batch_size = batch;
  return o;
}

// The norms ||F_i(x)|| of every sample.
Vector sample_norms(const Problem& game, const Vector& x) {
  Vector norms(game.num_samples()), fi(game.dim());
  for (Index i = 0; i < game.num_samples(); ++i) {
    game.sample(i, x, fi);
    norms[i] = fi.norm();
  }
  return norms;
}

// Tells `sampling` the norms of every sample (as if each had just been drawn).
void observe_all(const Sampling& sampling, const Vector& norms) {
  SampleDraw all;
  std::vector<double> values;
  for (Index i = 0; i < norms.size(); ++i) {
    all.indices.push_back(i);
    all.weights.push_back(1.0);
    values.push_back(norms[i]);
  }
  sampling.observe(all, values);
}

// The estimator's adaptive sampling.
const AdaptiveSampling& adaptive_of(const Estimator& estimator) {
  const auto* sgda = dynamic_cast<const SgdaEstimator*>(&estimator);
  REQUIRE(sgda != nullptr);
  const auto* adaptive = dynamic_cast<const AdaptiveSampling*>(&sgda->sampling());
  REQUIRE(adaptive != nullptr);
  return *adaptive;
}

// Single-sample variance E||g − F(x)||² of sampling i w.p. p_i with weight 1/(n p_i), at x.
double single_sample_variance(const Problem& game, const Vector& x, const Vector& p) {
  const Index n = game.num_samples();
  Vector f(game.dim()), fi(game.dim());
  game.full(x, f);
  double v = 0;
  for (Index i = 0; i < n; ++i) {
    game.sample(i, x, fi);
    v += p[i] * (fi / (double(n) * p[i]) - f).squaredNorm();
  }
  return v;
}

}  // namespace

TEST_CASE("adaptive sampling: its probabilities are the clipped, mixed MVS probabilities",
          "[sampling]") {
  const AffineGame game = small_game(100.0);
  const Index n = game.num_samples();
  Rng rng(1);
  const Vector x = random_vector(game.dim(), rng);
  const Vector norms = sample_norms(game, x);
  for (const Index b : {Index{1}, Index{8}, Index{30}}) {
    for (const double mixing : {0.1, 0.5, 1.0}) {
      INFO("batch " << b << ", mixing " << mixing);
      AdaptiveSampling sampling(n, b, 0.5, mixing);
      // Nothing observed: uniform.
      CHECK((sampling.inclusion_probabilities().array() - double(b) / n).abs().maxCoeff() < 1e-15);
      observe_all(sampling, norms);
      CHECK(sampling.estimates() == norms);  // the first observation is taken as it is
      const Vector pi = sampling.inclusion_probabilities();
      CHECK(std::abs(pi.sum() - double(b)) < 1e-12);
      CHECK(pi.maxCoeff() <= 1.0 + 1e-15);
      CHECK(pi.minCoeff() >= mixing * b / n * (1 - 1e-15));
      // Undo the mixing: q = min(1, c ||F_i||) with Σq = b.
      const Vector q = (pi.array() - mixing * b / n) / (1 - mixing);
      if (mixing == 1.0) continue;
      double c = 0;  // from the unclipped samples
      for (Index i = 0; i < n; ++i)
        if (q[i] < 1 - 1e-12) c = std::max(c, q[i] / norms[i]);
      for (Index i = 0; i < n; ++i) {
        INFO("sample " << i << ": ||F_i|| " << norms[i] << ", q " << q[i]);
        CHECK(std::abs(q[i] - std::min(1.0, c * norms[i])) < 1e-12);
      }
      if (b == 30) CHECK((q.array() > 1 - 1e-12).count() > 0);  // the heavy half is clipped
    }
  }
  // Later observations are decayed averages; samples never drawn count as the largest.
  AdaptiveSampling sampling(n, 1, 0.25, 0.2);
  SampleDraw one{{3}, {1.0}};
  sampling.observe(one, {2.0});
  sampling.observe(one, {6.0});
  CHECK(sampling.estimates()[3] == 0.25 * 2.0 + 0.75 * 6.0);
  CHECK(sampling.estimates()[0] == -1.0);
  const Vector pi = sampling.inclusion_probabilities();
  CHECK(pi[0] == Approx(pi[3]).epsilon(1e-14));  // the optimist's view of the unseen
  sampling.restart();
  CHECK(sampling.estimates()[3] == -1.0);
}

TEST_CASE("adaptive sampling: unbiased, draws each sample with its inclusion probability",
          "[sampling][theory]") {
  for (const double heavy : {1.0, 100.0}) {
    const AffineGame game = small_game(heavy);
    const Index n = game.num_samples(), d = game.dim();
    const Vector x_star = *game.solution();
    for (const Index b : {Index{1}, Index{8}, Index{30}}) {
      INFO("heavy_scale " << heavy << ", batch " << b);
      auto estimator = make_estimator(sampling_options(SamplingType::kAdaptive, b), game);
      Rng rng(7);
      Counters counters;
      estimator->reset(game, Vector::Zero(d), rng, counters);
      // A learned state: estimates from draws at points around x*, of all ages.
      Vector g(d);
      for (int k = 0; k < 60; ++k)
        estimator->estimate(x_star + random_vector(d, rng), g, rng, counters);
      const Vector x = x_star + random_vector(d, rng);
      Vector f(d);
      game.full(x, f);

      const AdaptiveSampling& sampling = adaptive_of(*estimator);
      const Vector pi = sampling.inclusion_probabilities();
      REQUIRE(std::abs(pi.sum() - double(b)) < 1e-12);
      REQUIRE((pi.array() > 0).all());

      // Inclusion frequencies: |count_i − N π_i| ≤ z √(N π_i (1 − π_i)); b samples, distinct.
      constexpr int kDraws = 40000;
      std::vector<int> counts(static_cast<std::size_t>(n), 0);
      SampleDraw draw{std::vector<Index>(std::size_t(b)), std::vector<double>(std::size_t(b))};
      Rng draws(11);
      bool all_full = true, all_distinct = true, weights_right = true;
      for (int k = 0; k < kDraws; ++k) {
        sampling.draw(draws, draw);
        all_full = all_full && Index(draw.indices.size()) == b;
        for (std::size_t j = 0; j < draw.indices.size(); ++j) {
          ++counts[std::size_t(draw.indices[j])];
          for (std::size_t m = 0; m < j; ++m)
            all_distinct = all_distinct && draw.indices[m] != draw.indices[j];
          weights_right =
              weights_right && std::abs(draw.weights[j] * n * pi[draw.indices[j]] - 1.0) < 1e-12;
        }
        draw.indices.resize(std::size_t(b));
        draw.weights.resize(std::size_t(b));
      }
      CHECK(all_full);
      CHECK(all_distinct);
      CHECK(weights_right);  // 1/(n pi_i)
      for (Index i = 0; i < n; ++i) {
        const double expected = kDraws * pi[i];
        INFO("sample " << i << ": count " << counts[std::size_t(i)] << ", N pi_i " << expected);
        CHECK(std::abs(counts[std::size_t(i)] - expected) <=
              kZ * std::sqrt(expected * std::max(0.0, 1 - pi[i])) + 1e-9);
      }

      // Unbiased, and within the reported constants, from this one state (a clone per draw).
      const TheoryParameters t = estimator->parameters(game);
      CHECK(t.not_covered.empty());
      CHECK(t.A == Approx(game.constants().ell_hat / 0.1));
      check_unified_assumption(game, *estimator, t, x, x_star, kDraws, 23);
    }
  }
}

TEST_CASE("adaptive sampling: at a state learned at x its variance is at most uniform's",
          "[sampling][theory]") {
  for (const double heavy : {1.0, 100.0}) {
    const AffineGame game = small_game(heavy);
    const Index n = game.num_samples(), d = game.dim();
    Rng rng(5);
    const Vector x = *game.solution() + random_vector(d, rng);
    Vector f(d);
    game.full(x, f);
    const Vector norms = sample_norms(game, x);
    for (const Index b : {Index{1}, Index{4}, Index{16}}) {
      INFO("heavy_scale " << heavy << ", batch " << b);
      auto adaptive = make_estimator(sampling_options(SamplingType::kAdaptive, b), game);
      auto uniform = make_estimator(
          sampling_options(b == 1 ? SamplingType::kUniform : SamplingType::kNice, b), game);
      Counters counters;
      adaptive->reset(game, Vector::Zero(d), rng, counters);
      uniform->reset(game, Vector::Zero(d), rng, counters);
      observe_all(adaptive_of(*adaptive), norms);  // the same state: norms at x

      constexpr int kDraws = 40000;
      auto measure = [&](const Estimator& base, std::uint64_t seed) {
        std::uint64_t k = 0;
        return monte_carlo(d, kDraws, f, [&](VectorRef g) {
          auto copy = base.clone();
          Rng r(seed + k++);
          copy->estimate(x, g, r, counters);
        });
      };
      const MonteCarlo a = measure(*adaptive, 100), u = measure(*uniform, 100);
      const double se = kZ * (a.sq_sd + u.sq_sd) / std::sqrt(double(kDraws));
      INFO("E||g - F(x)||^2: adaptive " << a.sq_mean << ", uniform " << u.sq_mean);
      CHECK(a.sq_mean <= u.sq_mean + se);
      if (heavy > 1) CHECK(a.sq_mean < 0.8 * u.sq_mean);  // the measured gain, not noise
      if (b == 1) {  // the exact single-sample variances agree with the measurements
        const Vector pi = adaptive_of(*adaptive).inclusion_probabilities();
        const double exact_a = single_sample_variance(game, x, pi);
        const double exact_u = single_sample_variance(game, x, Vector::Constant(n, 1.0 / n));
        CHECK(exact_a <= exact_u);
        CHECK(std::abs(a.sq_mean - exact_a) <= kZ * a.sq_sd / std::sqrt(double(kDraws)));
      }
    }
  }
}

TEST_CASE("adaptive sampling approaches oracle importance sampling on the heavy-tailed game",
          "[sampling][theory]") {
  // The game of examples/experiments/importance.toml; every sampling at the oracle importance
  // sampling's theory step 1/(2 l_D), 600 iterations from 0, three seeds.
  const AffineGame game = importance_game();
  const Index n = game.num_samples(), d = game.dim();
  const Vector x_star = *game.solution();
  auto importance = make_estimator(sampling_options(SamplingType::kImportance, 1), game);
  const double l_importance = importance->parameters(game).A;
  const double l_uniform = game.constants().ell_hat;
  SolverOptions options;
  options.max_iterations = 600;
  options.log_every = 600;
  options.step_size.rule = StepSizeRule::kConstant;
  options.step_size.gamma = 1.0 / (2.0 * l_importance);

  auto final_distance = [&](SamplingType sampling, const Estimator** learned,
                            std::unique_ptr<Estimator>& keep) {
    double sum = 0;
    for (const std::uint64_t seed : {0, 1, 2}) {
      options.seed = seed;
      keep = make_estimator(sampling_options(sampling, 1), game);
      ProxStep step;
      const Summary s = solve(game, *keep, step, options, Vector::Zero(d));
      sum += s.trace.relative_distance_sq.back();
    }
    if (learned) *learned = keep.get();
    return sum / 3;
  };
  std::unique_ptr<Estimator> kept;
  const Estimator* learned = nullptr;
  const double r_adaptive = final_distance(SamplingType::kAdaptive, &learned, kept);
  const Vector pi = adaptive_of(*learned).inclusion_probabilities();
  std::unique_ptr<Estimator> other;
  const double r_importance = final_distance(SamplingType::kImportance, nullptr, other);
  const double r_uniform = final_distance(SamplingType::kUniform, nullptr, other);

  // What it learned, measured as the oracle's constants: l_D = sup (1/n²)Σ||ΔF_i||²/(p_i Φ), and
  // the variance at x*.
  const double l_adaptive = game.weighted_star_cocoercivity(pi.cwiseInverse() / double(n * n));
  const Vector l = game.constants().sample_lipschitz;
  const Vector floored = l.cwiseMax(1e-3 * l.mean());  // as make_lipschitz_importance_sampling
  const Vector p_importance = floored / floored.sum();
  const double v_adaptive = single_sample_variance(game, x_star, pi);
  const double v_importance = single_sample_variance(game, x_star, p_importance);
  const double v_uniform = single_sample_variance(game, x_star, Vector::Constant(n, 1.0 / n));
  INFO("l_D: uniform " << l_uniform << ", importance " << l_importance << ", learned "
                       << l_adaptive);
  INFO("sigma*^2: uniform " << v_uniform << ", importance " << v_importance << ", learned "
                            << v_adaptive);
  INFO("relative distance after 600 iterations: uniform "
       << r_uniform << ", importance " << r_importance << ", adaptive " << r_adaptive);
  // Measured (seeds 0, 1, 2): l_D 20.0 / 10.0 / 10.7, sigma*^2 4.07e-3 / 2.03e-3 / 2.10e-3,
  // final distance 3.9e-6 / 1.6e-6 / 1.9e-6 (uniform / importance / adaptive).
  CHECK(l_adaptive <= 1.25 * l_importance);
  CHECK(l_adaptive <= 0.6 * l_uniform);
  CHECK(v_adaptive <= 1.25 * v_importance);
  CHECK(v_adaptive <= 0.6 * v_uniform);
  CHECK(r_adaptive <= 1.5 * r_importance);
  CHECK(r_adaptive <= 0.6 * r_uniform);
}
