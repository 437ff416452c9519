// Per-iteration cost of the distributed methods (QSGDA, DIANA-SGDA with exact local operators,
// VR-DIANA-SGDA) and of the coordinate methods (coordinate SGDA, SEGA-SGDA) through the library
// (sgda::solve) against hand-written loops doing the same arithmetic with the same random draws,
// and the cost of encoding and decoding each compressor per coordinate.
//
//   build/sgda_distributed_benchmark        (a Release build: cmake -DCMAKE_BUILD_TYPE=Release)
//   build/sgda_distributed_benchmark 0.2    (scales every iteration count, for a quick look)
//
// The hand loops are what one would write for one method and one compressor: workers' streams
// derived as the library derives them (Rng::stream(base, m), base = one draw of the run's stream
// per iteration), no payload, no bit packing; rand-k draws its k coordinates by
// Floyd's algorithm, as the library does, evaluates only those k entries of an exact F_m(x) (rows
// of a row-major M̄_m) and accumulates the k scaled values straight into the average and the
// shifts; the coordinate loops update one coordinate of x (coordinate SGDA) or x
// along the shift plus one coordinate (SEGA-SGDA), reading row j of M̄ from a row-major copy.
// Alternation, medians, ratios and the check that both loops end at the same iterate are those of
// benchmarks/iteration_cost.cpp (common.hpp); the time is the thread's CPU time, not wall time,
// so that waiting for a core on a shared machine is not counted (the library's: from just before
// its first iteration to just after its last, logging at both ends included).
#include <cstdio>
#include <string>
#include <vector>

#include "common.hpp"
#include "sgda/estimators/compressor.hpp"

namespace {

using namespace sgda_bench;

constexpr int kRepetitions = 7;
constexpr double kStepSize = 0.01;  // distributed methods; coordinate methods: 1/(20 D)
constexpr std::uint64_t kRunSeed = 7;

// ---- distributed methods --------------------------------------------------------------------

struct DistributedMethod {
  std::string name;  // qsgda | diana-sgda | vr-diana-sgda
  Index workers;
  Index k;  // rand-k with k coordinates; k = D: identity
  double alpha = 0.0;
  double probability = 0.0;  // vr-diana-sgda: snapshot probability

  bool shifted() const { return alpha > 0.0; }
  bool svrg() const { return name == "vr-diana-sgda"; }
};

// α = 1/(1 + ω) (DIANA-SGDA) or min{1/(3 m_loc), 1/(1 + ω)} (VR-DIANA-SGDA), p = 1/m_loc: the
// defaults, computed once here and given to both loops so that they use the same numbers.
DistributedMethod distributed_method(const std::string& name, Index dim, Index samples,
                                     Index workers, Index k) {
  DistributedMethod m{name, workers, k};
  const double omega = double(dim) / double(k) - 1.0, local = double(samples / workers);
  if (name == "diana-sgda") m.alpha = 1.0 / (1.0 + omega);
  if (name == "vr-diana-sgda") {
    m.alpha = std::min(1.0 / (3.0 * local), 1.0 / (1.0 + omega));
    m.probability = 1.0 / local;
  }
  return m;
}

sgda::EstimatorOptions library_options(const DistributedMethod& m, Index dim) {
  sgda::EstimatorOptions options;
  sgda::from_string(m.name, &options.method);
  options.workers = m.workers;
  options.local = sgda::LocalOracle::kExact;  // vr-diana-sgda: always its loopless SVRG
  options.compressor.type =
      m.k < dim ? sgda::CompressorType::kRandK : sgda::CompressorType::kIdentity;
  options.compressor.k = m.k;
  if (m.alpha > 0.0) options.alpha = m.alpha;
  if (m.probability > 0.0) options.probability = m.probability;
  return options;
}

// One worker of the hand loop; it owns the game's samples first .. first + m_loc − 1.
struct HandWorker {
  Index first = 0;
  Matrix mean;                                                                  // M̄_m
  Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows;  // M̄_m, by rows
  Vector offset;                                                                // q̄_m
  Vector shift, estimate, snapshot, snapshot_full, workspace;
};

// rand-k's k distinct coordinates of 0..d−1 by Floyd's algorithm, as the library draws them,
// into `chosen`; `marked` is all zero before and after. Returns k.
std::size_t choose(sgda::Rng& rng, Index d, Index k, std::vector<char>& marked,
                   std::vector<Index>& chosen) {
  std::size_t count = 0;
  for (Index t = d - k; t < d; ++t) {
    auto i = static_cast<Index>(rng.index(static_cast<std::uint64_t>(t + 1)));
    if (marked[static_cast<std::size_t>(i)]) i = t;
    marked[static_cast<std::size_t>(i)] = 1;
    chosen[count++] = i;
  }
  for (Index i : chosen) marked[static_cast<std::size_t>(i)] = 0;
  return count;
}

Timing run_hand_distributed(const sgda::AffineGame& game, const DistributedMethod& method,
                            std::int64_t iterations) {
  const Index d = game.dim(), big_w = method.workers, local = game.num_samples() / big_w;
  const Index k = method.k;
  const bool sparse = k < d, shifted = method.shifted(), svrg = method.svrg();
  const double scale = double(d) / double(k), alpha = method.alpha;
  const Matrix& offsets = game.offsets();
  std::vector<HandWorker> workers(static_cast<std::size_t>(big_w));
  for (Index m = 0; m < big_w; ++m) {
    HandWorker& w = workers[static_cast<std::size_t>(m)];
    w.first = m * local;
    w.mean = Matrix::Zero(d, d);
    for (Index j = 0; j < local; ++j) w.mean += game.sample_matrix(w.first + j);
    w.mean /= double(local);
    w.offset = offsets.middleCols(w.first, local).rowwise().mean();
    if (sparse && !svrg) w.rows = w.mean;  // exact and rand-k: only the k rows sent
    w.shift = Vector::Zero(d);
    w.estimate.resize(d);
    if (svrg) {  // w_m = x⁰ = 0 and F_m(w_m), outside the timing like the estimator's reset
      w.snapshot = Vector::Zero(d);
      w.snapshot_full = w.offset;
      w.snapshot_full.noalias() += w.mean * w.snapshot;
      w.workspace.resize(d);
    }
  }
  std::vector<char> marked(static_cast<std::size_t>(d), 0);
  std::vector<Index> chosen(static_cast<std::size_t>(k));
  sgda::Rng rng(kRunSeed);
  Vector x = Vector::Zero(d), g(d), h = Vector::Zero(d);
  const Stopwatch watch;
  for (std::int64_t it = 0; it < iterations; ++it) {
    const std::uint64_t base = rng.next();
    g.setZero();
    for (Index m = 0; m < big_w; ++m) {
      HandWorker& w = workers[static_cast<std::size_t>(m)];
      // As in include/sgda/estimators/distributed.hpp.
      sgda::Rng worker_rng = sgda::Rng::stream(base, static_cast<std::uint64_t>(m));
      Vector& e = w.estimate;
      if (sparse && !svrg) {  // rand-k of F_m(x): the k rows sent, no more
        const std::size_t count = choose(worker_rng, d, k, marked, chosen);
        for (std::size_t c = 0; c < count; ++c) {
          const Index i = chosen[c];
          const double f = w.rows.row(i).dot(x) + w.offset[i];
          const double q = scale * (shifted ? f - w.shift[i] : f);
          g[i] += q;
          if (shifted) w.shift[i] += alpha * q;
        }
        continue;
      }
      if (!svrg) {     // e = F_m(x)
        e = w.offset;  // q + M x, accumulated into q as AffineGame does
        e.noalias() += w.mean * x;
      } else {  // e = F_mj(x) − F_mj(w_m) + F_m(w_m)
        const Index j = w.first + static_cast<Index>(worker_rng.index(std::uint64_t(local)));
        const Matrix& a = game.sample_matrix(j);
        w.workspace = x - w.snapshot;  // one product: M_j(x − w_m) + F_m(w_m)
        e.noalias() = a * w.workspace;
        e += w.snapshot_full;
        if (worker_rng.bernoulli(method.probability)) {
          w.snapshot = x;
          w.snapshot_full = w.offset;
          w.snapshot_full.noalias() += w.mean * w.snapshot;
        }
      }
      if (!sparse) {  // identity: the worker sends e − h_m
        if (shifted) e -= w.shift;
        g += e;
        if (shifted) w.shift += alpha * e;
        continue;
      }
      // rand-k: only the coordinates sent are shifted, scaled and added.
      choose(worker_rng, d, k, marked, chosen);
      for (Index i : chosen) {
        const double q = scale * (shifted ? e[i] - w.shift[i] : e[i]);
        g[i] += q;
        if (shifted) w.shift[i] += alpha * q;
      }
    }
    g /= double(big_w);
    if (shifted) {
      g += h;
      h += alpha * (g - h);
    }
    x.noalias() -= kStepSize * g;
  }
  return watch.stop(iterations, x);
}

struct DistributedCase {
  Index dim, samples;
  std::vector<Index> workers;
  std::int64_t iterations;  // per worker: divided by W
};

// ---- coordinate methods ---------------------------------------------------------------------

double coordinate_step(Index dim) { return 1.0 / (20.0 * double(dim)); }

// rows: M̄ᵀ, so that row j of M̄ is the contiguous column j.
Timing run_hand_coordinate(const sgda::AffineGame& game, const Matrix& rows, bool sega,
                           std::int64_t iterations) {
  const Index d = game.dim();
  const double step = coordinate_step(d), dd = double(d);
  const Vector& mean_offset = game.mean_offset();
  sgda::Rng rng(kRunSeed);
  Vector x = Vector::Zero(d), h = Vector::Zero(d);
  const Stopwatch watch;
  for (std::int64_t it = 0; it < iterations; ++it) {
    const auto j = static_cast<Index>(rng.index(static_cast<std::uint64_t>(d)));
    const double f = rows.col(j).dot(x) + mean_offset[j];  // [F(x)]_j
    if (!sega) {
      x[j] -= step * (dd * f);  // g = d [F(x)]_j e_j
      continue;
    }
    const double g_j = h[j] + dd * (f - h[j]);  // g = h + d([F(x)]_j − h_j) e_j
    const double x_j = x[j];
    x.noalias() -= step * h;
    x[j] = x_j - step * g_j;
    h[j] = f;
  }
  return watch.stop(iterations, x);
}

struct CoordinateCase {
  Index dim;
  std::int64_t iterations;
};

// ---- compressors ----------------------------------------------------------------------------

struct CompressorCost {
  double encode_ns, decode_ns, decode_add_ns;  // per coordinate of x, medians
  double bits;                                 // per coordinate of x
};

CompressorCost compressor_cost(const sgda::CompressorOptions& options, Index d,
                               std::int64_t calls) {
  const auto compressor = sgda::make_compressor(options, d);
  sgda::Rng rng(kRunSeed);
  const Vector x = gaussian(d, 1, 1.0, rng);
  Vector out(d), sum = Vector::Zero(d);
  sgda::Payload payload;
  payload.reserve(compressor->max_bits(d));
  std::vector<double> encode_ns, decode_ns, decode_add_ns;
  double checksum = 0.0;
  const double per = 1e9 / (double(calls) * double(d));
  for (int rep = 0; rep <= kRepetitions; ++rep) {  // the first is a warm-up
    double start = thread_seconds();
    for (std::int64_t c = 0; c < calls; ++c) compressor->encode(x, rng, payload);
    const double encode = per * (thread_seconds() - start);
    start = thread_seconds();
    for (std::int64_t c = 0; c < calls; ++c) compressor->decode(payload, out);
    const double decode = per * (thread_seconds() - start);
    start = thread_seconds();
    for (std::int64_t c = 0; c < calls; ++c) compressor->decode_add(payload, 1e-3, sum);
    const double decode_add = per * (thread_seconds() - start);
    checksum += out.sum() + sum.sum();
    if (rep == 0) continue;
    encode_ns.push_back(encode);
    decode_ns.push_back(decode);
    decode_add_ns.push_back(decode_add);
  }
  if (!std::isfinite(checksum)) std::printf("(checksum %g)\n", checksum);
  return {median(encode_ns), median(decode_ns), median(decode_add_ns),
          double(payload.bits()) / double(d)};
}

void print_row(const char* method, Index dim, Index samples, Index workers, const char* compressor,
               std::int64_t iterations, const Comparison& r) {
  std::printf("%-15s %5ld %4ld %3ld %-9s %8lld %12.1f %12.1f %7.3f %6.2f-%-6.2f %9.1e\n", method,
              static_cast<long>(dim), static_cast<long>(samples), static_cast<long>(workers),
              compressor, static_cast<long long>(iterations), r.library_ns, r.hand_ns, r.ratio,
              r.ratio_low, r.ratio_high, r.difference);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const double scale =
      iteration_scale(argc, argv, 2, "sgda_distributed_benchmark [ITERATION_SCALE > 0 [ONLY]]");
  // Only the rows whose label ("diana-sgda rand-4 D=20 W=5", "sega-sgda D=200", "qsgd D=200")
  // starts with ONLY, for profilers.
  const std::string only = argc > 2 ? argv[2] : "";
  auto selected = [&](const std::string& label) { return label.starts_with(only); };
  std::printf(
      "%s\nmedian of %d runs, thread CPU ns per iteration (library = sgda::solve, hand = "
      "hand-written loop)\n\n",
      instruction_sets().c_str(), kRepetitions);
  std::printf("%-15s %5s %4s %3s %-9s %8s %12s %12s %7s %13s %9s\n", "method", "D", "n", "W",
              "compress", "iters", "library", "hand", "ratio", "ratio range", "max|dx|");
  bool all_match = true;

  const std::vector<DistributedCase> distributed = {
      {20, 100, {5, 20}, 100000},
      {200, 40, {5, 20}, 2000},
      {2000, 10, {5}, 500},
  };
  for (const DistributedCase& c : distributed) {
    const sgda::AffineGame game = make_game(c.dim, c.samples, 0.0, 2000 + c.dim);
    const double tolerance = 1e-9 * (1.0 + game.solution()->norm());
    for (Index workers : c.workers) {
      const std::int64_t iterations = scaled(scale, c.iterations / workers);
      for (const std::string name : {"qsgda", "diana-sgda", "vr-diana-sgda"}) {
        for (Index k : {c.dim, c.dim / 5}) {
          const std::string compressor =
              k < c.dim ? "rand-" + std::to_string(k) : std::string("identity");
          if (!selected(name + " " + compressor + " D=" + std::to_string(c.dim) +
                        " W=" + std::to_string(workers)))
            continue;
          const DistributedMethod method = distributed_method(name, c.dim, c.samples, workers, k);
          const sgda::EstimatorOptions options = library_options(method, c.dim);
          auto library = [&] {
            return run_library(game, options, kStepSize, iterations, kRunSeed);
          };
          auto hand = [&] { return run_hand_distributed(game, method, iterations); };
          library();  // warm-up
          hand();
          const Comparison r = compare(Measure::kCpu, kRepetitions, library, hand);
          all_match = all_match && r.difference <= tolerance;
          print_row(name.c_str(), c.dim, c.samples, workers, compressor.c_str(), iterations, r);
        }
      }
    }
  }

  const std::vector<CoordinateCase> coordinate = {{20, 400000}, {200, 200000}, {2000, 300000}};
  for (const CoordinateCase& c : coordinate) {
    const sgda::AffineGame game = make_game(c.dim, 2, 0.0, 3000 + c.dim);
    const double tolerance = 1e-9 * (1.0 + game.solution()->norm());
    const Matrix rows = game.mean_matrix().transpose();
    const std::int64_t iterations = scaled(scale, c.iterations);
    for (const std::string name : {"coordinate-sgda", "sega-sgda"}) {
      if (!selected(name + " D=" + std::to_string(c.dim))) continue;
      sgda::EstimatorOptions options;
      sgda::from_string(name, &options.method);
      const bool sega = name == "sega-sgda";
      auto library = [&] {
        return run_library(game, options, coordinate_step(c.dim), iterations, kRunSeed);
      };
      auto hand = [&] { return run_hand_coordinate(game, rows, sega, iterations); };
      library();  // warm-up
      hand();
      const Comparison r = compare(Measure::kCpu, kRepetitions, library, hand);
      all_match = all_match && r.difference <= tolerance;
      print_row(name.c_str(), c.dim, 2, 1, "-", iterations, r);
    }
  }
  std::printf(
      "\nlibrary, hand: median CPU ns per iteration; ratio: library / hand of the medians; ratio "
      "range:\nof the %d paired runs; max|dx|: largest difference between the two loops' final "
      "iterates.\nqsgda, diana-sgda: exact local operators; vr-diana-sgda: loopless SVRG, "
      "p = 1/m_loc; step 0.01.\nCoordinate methods: step 1/(20 D).\n",
      kRepetitions);

  std::printf(
      "\ncompressors: median of %d, CPU ns per coordinate of x (k = D/5 for rand-k and top-k, "
      "qsgd with 1 level)\n\n",
      kRepetitions);
  std::printf("%-9s %5s %8s %8s %10s %7s\n", "type", "D", "encode", "decode", "decode_add",
              "bits/D");
  for (const std::string type : sgda::enum_names<sgda::CompressorType>()) {
    for (Index d : {20, 200, 2000}) {
      if (!selected(type + " D=" + std::to_string(d))) continue;
      sgda::CompressorOptions options;
      sgda::from_string(type, &options.type);
      options.k = d / 5;
      const CompressorCost cost = compressor_cost(options, d, scaled(scale, 400000 / d));
      std::printf("%-9s %5ld %8.2f %8.2f %10.2f %7.2f\n", type.c_str(), static_cast<long>(d),
                  cost.encode_ns, cost.decode_ns, cost.decode_add_ns, cost.bits);
      std::fflush(stdout);
    }
  }

  std::printf(
      "\nencode: into a reserved payload; decode: into a dense vector; decode_add: added into a "
      "sum\n(the server's path); bits/D: payload bits per coordinate of x.\n");
  if (!all_match) {
    std::printf("\nerror: the library and the hand loop ended at different iterates\n");
    return 1;
  }
  return 0;
}
