// What the benchmark programs share: the test game, a library run through sgda::solve, and the
// alternating library / hand-loop comparison with medians and ratios.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <time.h>

#include "sgda/sgda.hpp"

namespace sgda_bench {

using sgda::Index;
using sgda::Matrix;
using sgda::Vector;
using Clock = std::chrono::steady_clock;

#ifndef SGDA_BENCH_FLAGS
#define SGDA_BENCH_FLAGS "the library's flags"  // the compiler has no -march=native
#endif

// Which instruction set each column used: the library's (SGDA_ARCH) and the hand loops', from
// the compiler's macros in this program (built with -march=native, see CMakeLists.txt).
inline std::string instruction_sets() {
  const char* hand =
#if defined(__AVX512F__) && defined(__FMA__)
      "AVX-512, FMA";
#elif defined(__AVX2__) && defined(__FMA__)
      "AVX2, FMA";
#elif defined(__AVX__)
      "AVX";
#else
      "SSE2";
#endif
  return std::string("library: sgda ") + sgda::kVersion + " built for " + sgda::instruction_set() +
         "; hand loops: " + SGDA_BENCH_FLAGS + " (" + hand + ")";
}

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU time of the calling thread. On a machine shared with other jobs it leaves out the time the
// thread waited for a core, which wall time counts.
inline double thread_seconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

enum class Measure { kWall, kCpu };

struct Timing {
  double wall_ns = 0, cpu_ns = 0;  // per iteration
  Vector x;                        // the final iterate
  double ns(Measure m) const { return m == Measure::kWall ? wall_ns : cpu_ns; }
};

// Wall and thread CPU time from construction to stop().
class Stopwatch {
 public:
  Stopwatch() : wall_(Clock::now()), cpu_(thread_seconds()) {}
  Timing stop(std::int64_t iterations, Vector x) const {
    const double per = 1e9 / double(iterations);
    return {per * seconds_since(wall_), per * (thread_seconds() - cpu_), std::move(x)};
  }

 private:
  Clock::time_point wall_;
  double cpu_;
};

inline Matrix gaussian(Index rows, Index cols, double scale, sgda::Rng& rng) {
  Matrix m(rows, cols);
  for (Index j = 0; j < cols; ++j)
    for (Index i = 0; i < rows; ++i) m(i, j) = scale * rng.normal();
  return m;
}

// An affine game F_i(z) = M_i z + q_i on R^D with two players of D/2 each and a strongly monotone
// mean: M̄ = I + ½(G − Gᵀ) has symmetric part I (μ = 1), M_i = M̄ + E_i − Ē with E_i entries
// N(0, 1/(4D)). Built directly: the generators' exact constants cost O(n D³), too slow at D = 2000.
// lambda > 0 adds the regularizer lambda·||x||₁.
inline sgda::AffineGame make_game(Index dim, Index samples, double lambda, std::uint64_t seed) {
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
  if (lambda > 0.0) {
    sgda::RegularizerOptions r;
    r.type = sgda::RegularizerType::kL1;
    r.lambda = lambda;
    regularizer = sgda::make_regularizer(r);
    solution = std::nullopt;  // the library computes x* of the regularized game
  }
  return sgda::AffineGame(std::move(matrices), std::move(offsets), blocks, regularizer, solution,
                          "benchmark");
}

// Thread CPU time of the solver loop: from Callback::begin, just before the first iteration, to
// Callback::end, just after the last.
class LoopCpuTime final : public sgda::Callback {
 public:
  void begin(const sgda::Problem&, const sgda::Estimator&) override { start_ = thread_seconds(); }
  void end(const sgda::Summary&) override { seconds_ = thread_seconds() - start_; }
  double seconds() const { return seconds_; }

 private:
  double start_ = 0, seconds_ = 0;
};

// A run of sgda::solve from x = 0 with a constant step and the plain proximal step, logging only
// at iteration 0 and at the end. The wall time is Summary::solve_seconds, the CPU time that of
// the same loop: the whole loop with nothing subtracted; set-up (the estimator's reset) is
// outside both.
inline Timing run_library(const sgda::Problem& problem, const sgda::EstimatorOptions& method,
                          double step_size, std::int64_t iterations, std::uint64_t seed) {
  const auto estimator = sgda::make_estimator(method, problem);
  sgda::ProxStep step;
  sgda::SolverOptions options;
  options.max_iterations = iterations;
  options.log_every = iterations;  // rows at iteration 0 and at the end only
  options.step_size.rule = sgda::StepSizeRule::kConstant;
  options.step_size.gamma = step_size;
  options.seed = seed;
  LoopCpuTime cpu;
  const sgda::Summary summary =
      sgda::solve(problem, *estimator, step, options, Vector::Zero(problem.dim()), {&cpu});
  if (summary.counters.iterations != iterations) {
    std::fprintf(stderr, "library run of %s stopped early: %s\n", summary.method.c_str(),
                 summary.message.c_str());
    std::exit(1);
  }
  const double per = 1e9 / double(iterations);
  return {per * summary.solve_seconds, per * cpu.seconds(), summary.x};
}

inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

struct Comparison {
  double library_ns = 0, hand_ns = 0;    // medians
  double ratio = 0;                      // library / hand of the medians
  double ratio_low = 0, ratio_high = 0;  // range of the paired ratios
  double difference = 0;                 // largest max-norm difference of the final iterates
};

// `repetitions` pairs of runs, library and hand loop alternating with the order swapped every
// other pair, so that a slow phase of a noisy machine hits both. Warm-ups are the caller's.
template <class Library, class Hand>
Comparison compare(Measure measure, int repetitions, Library&& library, Hand&& hand) {
  std::vector<double> library_ns, hand_ns, ratios;
  Comparison c;
  for (int rep = 0; rep < repetitions; ++rep) {
    Timing lib, own;
    if (rep % 2 == 0) {
      lib = library();
      own = hand();
    } else {
      own = hand();
      lib = library();
    }
    library_ns.push_back(lib.ns(measure));
    hand_ns.push_back(own.ns(measure));
    ratios.push_back(lib.ns(measure) / own.ns(measure));
    c.difference = std::max(c.difference, (lib.x - own.x).lpNorm<Eigen::Infinity>());
  }
  c.library_ns = median(library_ns);
  c.hand_ns = median(hand_ns);
  c.ratio = c.library_ns / c.hand_ns;
  const auto [low, high] = std::minmax_element(ratios.begin(), ratios.end());
  c.ratio_low = *low;
  c.ratio_high = *high;
  return c;
}

// The iteration scale of the command line (argv[1], default 1); exits with `usage` when it is not
// a positive number or when there are more than max_args arguments.
inline double iteration_scale(int argc, char** argv, int max_args, const char* usage) {
  double scale = 1.0;
  if (argc > 1) scale = std::atof(argv[1]);
  if (!(scale > 0.0) || argc > max_args + 1) {
    std::fprintf(stderr, "usage: %s\n", usage);
    std::exit(2);
  }
#ifndef NDEBUG
  std::printf("warning: built without NDEBUG (not a Release build); the times mean little\n");
#endif
  return scale;
}

inline std::int64_t scaled(double scale, std::int64_t iterations) {
  return std::max<std::int64_t>(1, std::llround(scale * double(iterations)));
}

}  // namespace sgda_bench
