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
#include <cstdio>
#include <string>
#include <vector>

#include "common.hpp"

namespace {

using namespace sgda_bench;

constexpr int kRepetitions = 7;
constexpr double kStepSize = 0.01;
constexpr double kLambda = 0.1;  // weight of the l1 regularizer where one is used
constexpr std::uint64_t kRunSeed = 7;

Timing run_library(const sgda::AffineGame& game, const std::string& method,
                   std::int64_t iterations) {
  sgda::EstimatorOptions options;
  sgda::from_string(method, &options.method);  // sgda: uniform sampling; l-svrgda: p = 1/n
  return sgda_bench::run_library(game, options, kStepSize, iterations, kRunSeed);
}

// x ← x − γg, then with l1 the prox of γλ||x||₁, sign(y) max(|y| − γλ, 0) = y − clip(y, −γλ, γλ)
// of y = x − γg, as the library's l1 regularizer computes it; in one pass.
void step(bool l1, const Vector& g, Vector& x) {
  if (!l1) {
    x.noalias() -= kStepSize * g;
    return;
  }
  const double t = kStepSize * kLambda;
  double* v = x.data();
  const double* d = g.data();
  for (Index i = 0; i < x.size(); ++i) {
    const double y = v[i] - kStepSize * d[i];
    v[i] = y - std::min(std::max(y, -t), t);
  }
}

Timing run_hand_sgda(const sgda::AffineGame& game, bool l1, std::int64_t iterations) {
  const Index dim = game.dim();
  const auto n = static_cast<std::uint64_t>(game.num_samples());
  const Matrix& offsets = game.offsets();
  sgda::Rng rng(kRunSeed);
  Vector x = Vector::Zero(dim), g(dim);
  const Stopwatch watch;
  for (std::int64_t k = 0; k < iterations; ++k) {
    const auto i = static_cast<Index>(rng.index(n));
    g = offsets.col(i);  // g = F_i(x) = q_i + M_i x, accumulated into q_i as the library does
    g.noalias() += game.sample_matrix(i) * x;
    step(l1, g, x);
  }
  return watch.stop(iterations, x);
}

Timing run_hand_l_svrgda(const sgda::AffineGame& game, bool l1, std::int64_t iterations) {
  const Index dim = game.dim();
  const auto n = static_cast<std::uint64_t>(game.num_samples());
  const double p = 1.0 / double(n);
  const Matrix& mean = game.mean_matrix();
  const Vector& mean_offset = game.mean_offset();
  sgda::Rng rng(kRunSeed);
  Vector x = Vector::Zero(dim), g(dim), w = x, fw(dim), diff(dim);
  fw = mean_offset;  // F(w⁰), outside the timing like the estimator's reset
  fw.noalias() += mean * w;
  const Stopwatch watch;
  for (std::int64_t k = 0; k < iterations; ++k) {
    const auto j = static_cast<Index>(rng.index(n));
    const Matrix& m = game.sample_matrix(j);
    diff = x - w;  // g = F_j(x) − F_j(w) + F(w) = M_j(x − w) + F(w): one product
    g.noalias() = m * diff;
    g += fw;
    if (rng.bernoulli(p)) {  // w ← x, F(w) recomputed
      w = x;
      fw = mean_offset;
      fw.noalias() += mean * w;
    }
    step(l1, g, x);
  }
  return watch.stop(iterations, x);
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
  const double scale = iteration_scale(argc, argv, 1, "sgda_benchmark [ITERATION_SCALE > 0]");
  // n = 100 at every D: 0.3 MB, 32 MB and 3.2 GB of matrices, the last two out of the caches.
  const std::vector<Case> cases = {
      {20, 100, false, 2000000, 1000000}, {20, 100, true, 2000000, 1000000},
      {200, 100, false, 40000, 20000},    {200, 100, true, 40000, 20000},
      {2000, 100, false, 400, 200},
  };
  std::printf(
      "%s\nmedian of %d runs, ns per iteration (library = sgda::solve, hand = Eigen loop)\n\n",
      instruction_sets().c_str(), kRepetitions);
  std::printf("%-9s %5s %4s %-3s %9s %12s %12s %7s %13s %9s\n", "method", "D", "n", "R", "iters",
              "library", "hand", "ratio", "ratio range", "max|dx|");
  bool all_match = true;
  for (const Case& c : cases) {
    const sgda::AffineGame game = make_game(c.dim, c.samples, c.l1 ? kLambda : 0.0, 1000 + c.dim);
    for (const std::string method : {"sgda", "l-svrgda"}) {
      const std::int64_t iterations =
          scaled(scale, method == "sgda" ? c.sgda_iterations : c.l_svrgda_iterations);
      auto library = [&] { return run_library(game, method, iterations); };
      auto hand = [&] {
        return method == "sgda" ? run_hand_sgda(game, c.l1, iterations)
                                : run_hand_l_svrgda(game, c.l1, iterations);
      };
      // Warm-up (pages, caches, x* of the regularized game), then alternate.
      run_library(game, method, std::max<std::int64_t>(1, iterations / 10));
      hand();
      const Comparison r = compare(Measure::kWall, kRepetitions, library, hand);
      all_match = all_match && r.difference <= 1e-9 * (1.0 + game.solution()->norm());
      std::printf("%-9s %5ld %4ld %-3s %9lld %12.1f %12.1f %7.3f %6.2f-%-6.2f %9.1e\n",
                  method.c_str(), static_cast<long>(c.dim), static_cast<long>(c.samples),
                  c.l1 ? "l1" : "0", static_cast<long long>(iterations), r.library_ns, r.hand_ns,
                  r.ratio, r.ratio_low, r.ratio_high, r.difference);
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
