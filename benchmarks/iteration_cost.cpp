// Per-iteration cost of SGDA (uniform sampling) and L-SVRGDA through the library (sgda::solve)
// against a hand-written Eigen loop doing the same arithmetic on the same data: the same RNG calls
// (sgda::Rng::index, ::bernoulli), the same matrix-vector products, the same prox.
//
//   build/sgda_benchmark          (a Release build: cmake -DCMAKE_BUILD_TYPE=Release)
//   build/sgda_benchmark 0.2      (scales every iteration count, for a quick look)
//
// Each measurement is repeated (library and hand loop alternating, order swapped every other
// repetition); the table shows the median ns per iteration and the ratio library / hand loop.
// The library time is Summary::solve_seconds, the whole solver loop with nothing subtracted (the
// two logged rows, at iteration 0 and at the end, included); set-up (estimator reset: L-SVRGDA's
// first full evaluation) is outside both timings. Both runs must end at the same iterate, which
// checks that the hand loop really does the library's work.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sgda/sgda.hpp"

namespace {

using sgda::Index;
using sgda::Matrix;
using sgda::Vector;
using Clock = std::chrono::steady_clock;

constexpr int kRepetitions = 7;
constexpr double kStepSize = 0.01;
constexpr double kLambda = 0.1;  // weight of the l1 regularizer where one is used
constexpr std::uint64_t kRunSeed = 7;

Matrix gaussian(Index rows, Index cols, double scale, sgda::Rng& rng) {
  Matrix m(rows, cols);
  for (Index j = 0; j < cols; ++j)
    for (Index i = 0; i < rows; ++i) m(i, j) = scale * rng.normal();
  return m;
}

// An affine game F_i(z) = M_i z + q_i on R^D with two players of D/2 each and a strongly monotone
// mean: M̄ = I + ½(G − Gᵀ) has symmetric part I (μ = 1), M_i = M̄ + E_i − Ē with E_i entries
// N(0, 1/(4D)). Built directly: the generators' exact constants cost O(n D³), too slow at D = 2000.
sgda::AffineGame make_game(Index dim, Index samples, bool l1, std::uint64_t seed) {
  sgda::Rng rng(seed);
  const Matrix g = gaussian(dim, dim, 1.0 / std::sqrt(double(dim)), rng);
  const Matrix mean = Matrix::Identity(dim, dim) + 0.5 * (g - g.transpose());
  std::vector<Matrix> matrices;
  Matrix noise_mean = Matrix::Zero(dim, dim);
  for (Index i = 0; i < samples; ++i) {
    matrices.push_back(gaussian(dim, dim, 0.5 / std::sqrt(double(dim)), rng));
    noise_mean += matrices.back() / double(samples);
  }
  for (Matrix& m : matrices) m += mean - noise_mean;
  const Vector target = gaussian(dim, 1, 1.0, rng);  // x* when R = 0
  Matrix offsets = gaussian(dim, samples, 1.0, rng);
  const Vector offset_mean = offsets.rowwise().mean();
  offsets.colwise() -= offset_mean + mean * target;  // mean offset −M̄ x*
  const std::vector<sgda::Block> blocks = {{"x", 0, dim / 2, false},
                                           {"y", dim / 2, dim - dim / 2, true}};
  std::shared_ptr<const sgda::Regularizer> regularizer;
  std::optional<Vector> solution = target;
  if (l1) {
    sgda::RegularizerOptions r;
    r.type = "l1";
    r.lambda = kLambda;
    regularizer = sgda::make_regularizer(r);
    solution = std::nullopt;  // the library computes x* of the regularized game
  }
  return sgda::AffineGame(std::move(matrices), std::move(offsets), blocks, regularizer, solution,
                          "benchmark");
}

struct Timing {
  double ns_per_iteration;
  Vector x;  // the final iterate
};

Timing run_library(const sgda::AffineGame& game, const std::string& method,
                   std::int64_t iterations) {
  sgda::EstimatorOptions estimator_options;
  estimator_options.method = method;  // sgda: uniform sampling; l-svrgda: p = 1/n
  const auto estimator = sgda::make_estimator(estimator_options, game);
  sgda::ProxStep step;
  sgda::SolverOptions options;
  options.max_iterations = iterations;
  options.log_every = iterations;  // rows at iteration 0 and at the end only
  options.step_size.rule = "constant";
  options.step_size.gamma = kStepSize;
  options.seed = kRunSeed;
  const sgda::Summary summary =
      sgda::solve(game, *estimator, step, options, Vector::Zero(game.dim()));
  if (summary.counters.iterations != iterations) {
    std::fprintf(stderr, "library run stopped early: %s\n", summary.message.c_str());
    std::exit(1);
  }
  return {1e9 * summary.solve_seconds / double(iterations), summary.x};
}

// x ← sign(x) max(|x| − t, 0): the prox of t||x||₁, as the library's l1 regularizer computes it.
void soft_threshold(double threshold, Vector& x) {
  x = x.array().sign() * (x.array().abs() - threshold).max(0.0);
}

Timing run_hand_sgda(const sgda::AffineGame& game, bool l1, std::int64_t iterations) {
  const Index dim = game.dim();
  const auto n = static_cast<std::uint64_t>(game.num_samples());
  const Matrix& offsets = game.offsets();
  sgda::Rng rng(kRunSeed);
  Vector x = Vector::Zero(dim), g(dim);
  const auto start = Clock::now();
  for (std::int64_t k = 0; k < iterations; ++k) {
    const auto i = static_cast<Index>(rng.index(n));
    g.noalias() = game.sample_matrix(i) * x;  // g = F_i(x)
    g += offsets.col(i);
    x.noalias() -= kStepSize * g;
    if (l1) soft_threshold(kStepSize * kLambda, x);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return {1e9 * seconds / double(iterations), x};
}

Timing run_hand_l_svrgda(const sgda::AffineGame& game, bool l1, std::int64_t iterations) {
  const Index dim = game.dim();
  const auto n = static_cast<std::uint64_t>(game.num_samples());
  const double p = 1.0 / double(n);
  const Matrix& offsets = game.offsets();
  const Matrix& mean = game.mean_matrix();
  const Vector& mean_offset = game.mean_offset();
  sgda::Rng rng(kRunSeed);
  Vector x = Vector::Zero(dim), g(dim), w = x, fw(dim), fjw(dim);
  fw.noalias() = mean * w;  // F(w⁰), outside the timing like the estimator's reset
  fw += mean_offset;
  const auto start = Clock::now();
  for (std::int64_t k = 0; k < iterations; ++k) {
    const auto j = static_cast<Index>(rng.index(n));
    const Matrix& m = game.sample_matrix(j);
    g.noalias() = m * x;  // g = F_j(x) − F_j(w) + F(w)
    g += offsets.col(j);
    fjw.noalias() = m * w;
    fjw += offsets.col(j);
    g -= fjw;
    g += fw;
    if (rng.bernoulli(p)) {  // w ← x, F(w) recomputed
      w = x;
      fw.noalias() = mean * w;
      fw += mean_offset;
    }
    x.noalias() -= kStepSize * g;
    if (l1) soft_threshold(kStepSize * kLambda, x);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return {1e9 * seconds / double(iterations), x};
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

struct Case {
  Index dim;
  Index samples;
  bool l1;
  std::int64_t sgda_iterations;
  std::int64_t l_svrgda_iterations;
};

}  // namespace

int main(int argc, char** argv) {
  double scale = 1.0;
  if (argc > 1) scale = std::atof(argv[1]);
  if (!(scale > 0.0) || argc > 2) {
    std::fprintf(stderr, "usage: sgda_benchmark [ITERATION_SCALE > 0]\n");
    return 2;
  }
#ifndef NDEBUG
  std::printf("warning: built without NDEBUG (not a Release build); the times mean little\n");
#endif
  const std::vector<Case> cases = {
      {20, 100, false, 2000000, 1000000}, {20, 100, true, 2000000, 1000000},
      {200, 20, false, 40000, 20000},     {200, 20, true, 40000, 20000},
      {2000, 8, false, 200, 100},
  };
  std::printf(
      "sgda %s: median of %d runs, ns per iteration (library = sgda::solve, hand = Eigen "
      "loop)\n\n",
      sgda::kVersion, kRepetitions);
  std::printf("%-9s %5s %4s %-3s %9s %12s %12s %7s %13s %9s\n", "method", "D", "n", "R", "iters",
              "library", "hand", "ratio", "ratio range", "max|dx|");
  bool all_match = true;
  for (const Case& c : cases) {
    const sgda::AffineGame game = make_game(c.dim, c.samples, c.l1, 1000 + c.dim);
    for (const std::string method : {"sgda", "l-svrgda"}) {
      const auto iterations = std::max<std::int64_t>(
          1, std::llround(scale *
                          double(method == "sgda" ? c.sgda_iterations : c.l_svrgda_iterations)));
      auto hand = [&] {
        return method == "sgda" ? run_hand_sgda(game, c.l1, iterations)
                                : run_hand_l_svrgda(game, c.l1, iterations);
      };
      // Warm-up (pages, caches, x* of the regularized game), then alternate.
      run_library(game, method, std::max<std::int64_t>(1, iterations / 10));
      hand();
      std::vector<double> library_ns, hand_ns, ratios;
      double difference = 0.0;
      for (int rep = 0; rep < kRepetitions; ++rep) {
        Timing lib, own;
        if (rep % 2 == 0) {
          lib = run_library(game, method, iterations);
          own = hand();
        } else {
          own = hand();
          lib = run_library(game, method, iterations);
        }
        library_ns.push_back(lib.ns_per_iteration);
        hand_ns.push_back(own.ns_per_iteration);
        ratios.push_back(lib.ns_per_iteration / own.ns_per_iteration);
        difference = std::max(difference, (lib.x - own.x).lpNorm<Eigen::Infinity>());
      }
      const double lib_median = median(library_ns), hand_median = median(hand_ns);
      all_match = all_match && difference <= 1e-9 * (1.0 + game.solution()->norm());
      const auto [low, high] = std::minmax_element(ratios.begin(), ratios.end());
      std::printf("%-9s %5ld %4ld %-3s %9lld %12.1f %12.1f %7.3f %6.2f-%-6.2f %9.1e\n",
                  method.c_str(), static_cast<long>(c.dim), static_cast<long>(c.samples),
                  c.l1 ? "l1" : "0", static_cast<long long>(iterations), lib_median, hand_median,
                  lib_median / hand_median, *low, *high, difference);
      std::fflush(stdout);
    }
  }
  if (!all_match) {
    std::printf("\nerror: the library and the hand loop ended at different iterates\n");
    return 1;
  }
  std::printf(
      "\nlibrary, hand: median ns per iteration; ratio: library / hand of the medians; ratio "
      "range:\n"
      "of the %d paired runs; max|dx|: largest difference between the two loops' final iterates\n",
      kRepetitions);
  return 0;
}
