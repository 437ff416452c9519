#include "sgda/io/game_file.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <optional>
#include <set>
#include <utility>

#include "hdf5_util.hpp"
#include "sgda/error.hpp"

namespace sgda {
namespace {

using RowMajorMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr const char* kBlockAttributes = "block_names, block_sizes and block_maximize";

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

std::vector<std::string> split_names(const std::string& text) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    names.push_back(trim(text.substr(start, comma - start)));
    if (comma == std::string::npos) return names;
    start = comma + 1;
  }
}

std::vector<Block> read_blocks(const hdf5::Reader& file, Index dim) {
  const bool has_names = file.has_attribute("block_names");
  const bool has_sizes = file.has_attribute("block_sizes");
  const bool has_maximize = file.has_attribute("block_maximize");
  if (!has_names && !has_sizes && !has_maximize) return {Block{"x", 0, dim, false}};
  const std::string all = std::string("; accepted all of ") + kBlockAttributes + " or none";
  if (!has_names)
    throw file.error("block_names", "missing while other block attributes exist" + all);
  if (!has_sizes)
    throw file.error("block_sizes", "missing while other block attributes exist" + all);
  if (!has_maximize)
    throw file.error("block_maximize", "missing while other block attributes exist" + all);

  const std::vector<std::string> names = split_names(file.read_string_attribute("block_names"));
  const std::vector<std::int64_t> sizes = file.read_int64_attribute("block_sizes");
  const std::vector<std::int64_t> maximize = file.read_int64_attribute("block_maximize");
  const std::string count = std::to_string(names.size());
  if (sizes.size() != names.size())
    throw file.error("block_sizes", "has " + std::to_string(sizes.size()) +
                                        " entries but block_names has " + count +
                                        " names; accepted one size per name");
  if (maximize.size() != names.size())
    throw file.error("block_maximize", "has " + std::to_string(maximize.size()) +
                                           " entries but block_names has " + count +
                                           " names; accepted one 0/1 flag per name");

  const std::string d = std::to_string(dim);
  std::vector<Block> blocks;
  std::set<std::string> seen;
  Index offset = 0;
  for (std::size_t b = 0; b < names.size(); ++b) {
    const std::string entry = "entry " + std::to_string(b);
    if (names[b].empty())
      throw file.error("block_names",
                       entry + " is empty; accepted non-empty, comma-separated names");
    if (!seen.insert(names[b]).second)
      throw file.error("block_names", "'" + names[b] + "' appears twice; accepted distinct names");
    // Each size ≤ D keeps the running sum far from overflow.
    if (sizes[b] < 1 || sizes[b] > dim)
      throw file.error("block_sizes", entry + " is " + std::to_string(sizes[b]) +
                                          "; accepted positive sizes summing to D = " + d);
    if (maximize[b] != 0 && maximize[b] != 1)
      throw file.error("block_maximize",
                       entry + " is " + std::to_string(maximize[b]) + "; accepted 0 or 1");
    blocks.push_back(Block{names[b], offset, static_cast<Index>(sizes[b]), maximize[b] == 1});
    offset += static_cast<Index>(sizes[b]);
  }
  if (offset != dim)
    throw file.error("block_sizes", "sums to " + std::to_string(offset) +
                                        "; accepted positive sizes summing to D = " + d +
                                        " (from /M)");
  return blocks;
}

// /workers: the worker that owns each sample, 0..W−1, every worker owning at least one.
std::vector<std::vector<Index>> read_workers(const hdf5::Reader& file, hsize_t n,
                                             const std::string& sizes) {
  if (!file.has("/workers")) return {};
  const std::string accepted = "int64 [n] of worker ids 0..W-1, each used" + sizes;
  const hdf5::Array<std::int64_t> w = file.read_int64("/workers", 1, accepted);
  file.require_shape("/workers", w.shape, {n}, accepted);
  std::int64_t workers = 0;
  for (std::size_t i = 0; i < w.values.size(); ++i) {
    if (w.values[i] < 0 || w.values[i] >= static_cast<std::int64_t>(n))
      throw file.error("/workers", "entry " + std::to_string(i) + " is " +
                                       std::to_string(w.values[i]) + "; accepted " + accepted);
    workers = std::max(workers, w.values[i] + 1);
  }
  std::vector<std::vector<Index>> partition(static_cast<std::size_t>(workers));
  for (std::size_t i = 0; i < w.values.size(); ++i)
    partition[static_cast<std::size_t>(w.values[i])].push_back(static_cast<Index>(i));
  for (std::size_t m = 0; m < partition.size(); ++m)
    if (partition[m].empty())
      throw file.error("/workers",
                       "worker " + std::to_string(m) + " owns no sample; accepted " + accepted);
  return partition;
}

}  // namespace

namespace {

// to = from for D × D matrices of opposite storage orders (the file's rows, Eigen's columns): a
// transpose in memory, copied in tiles that stay in L1 (a plain copy reads or writes with a
// stride of D doubles).
template <class From, class To>
void copy_in_tiles(const From& from, To& to) {
  const Index d = from.rows();
  constexpr Index kTile = 32;
  for (Index c = 0; c < d; c += kTile)
    for (Index r = 0; r < d; r += kTile) {
      const Index h = std::min(kTile, d - r), w = std::min(kTile, d - c);
      to.block(r, c, h, w) = from.block(r, c, h, w);
    }
}

// M into `rows`, the file's row-major layout.
void copy_to_rows(const Matrix& m, double* rows) {
  Eigen::Map<RowMajorMatrix> to(rows, m.rows(), m.cols());
  copy_in_tiles(m, to);
}

// The D × D row-major matrix at `values` into the column-major m.
void copy_from_rows(const double* values, Index d, Matrix& m) {
  m.resize(d, d);
  copy_in_tiles(Eigen::Map<const RowMajorMatrix>(values, d, d), m);
}

// What a game file holds beside /M, asked for once /M is written (a game written sample by
// sample knows its offsets and x* only then).
struct GameRest {
  const Matrix* offsets = nullptr;  // D × n, column i is q_i
  std::optional<Vector> x_star;
  std::vector<std::int64_t> workers;  // empty: no /workers
};

// The layout of docs/file-formats.md: sample(i, rows) puts M_i into rows (row-major, D × D), one
// sample at a time and in order, so no M_i is copied whole; then rest() gives the other datasets.
void write_game(const std::string& path, Index n, Index d, const std::vector<Block>& blocks,
                const std::function<void(Index, double*)>& sample,
                const std::function<GameRest()>& rest) {
  const auto un = static_cast<hsize_t>(n);
  const auto ud = static_cast<hsize_t>(d);

  std::string names;
  std::vector<std::int64_t> sizes, maximize;
  for (const Block& block : blocks) {
    // The comma-separated list could not give these names back.
    if (block.name.empty() || block.name.find(',') != std::string::npos ||
        trim(block.name) != block.name)
      throw input_error(path, "block_names",
                        "cannot store the block name '" + block.name +
                            "'; accepted non-empty names without commas or surrounding blanks");
    names += (names.empty() ? "" : ",") + block.name;
    sizes.push_back(static_cast<std::int64_t>(block.size));
    maximize.push_back(block.maximize ? 1 : 0);
  }

  const hsize_t bytes = 8 * (un * ud * ud + un * ud + ud + un);  // the datasets'
  hdf5::write_atomically(path, bytes, [&](hdf5::Writer& file) {
    file.write_float64_slices("/M", {un, ud, ud}, [&](hsize_t i, double* slice) {
      sample(static_cast<Index>(i), slice);
    });
    GameRest r = rest();
    if (r.x_star && !r.x_star->allFinite()) r.x_star.reset();
    // The offsets are D×n column-major, which is [n, D] row-major.
    file.write_float64("/q", {un, ud}, r.offsets->data());
    if (r.x_star) file.write_float64("/x_star", {ud}, r.x_star->data());
    if (!r.workers.empty()) file.write_int64("/workers", {un}, r.workers.data());
    file.write_string_attribute("block_names", names);
    file.write_int64_attribute("block_sizes", sizes);
    file.write_int64_attribute("block_maximize", maximize);
  });
}

}  // namespace

void save_affine_game(const std::string& path, const AffineGame& game) {
  const Index n = game.num_samples();
  write_game(
      path, n, game.dim(), game.blocks(),
      [&](Index i, double* rows) { copy_to_rows(game.sample_matrix(i), rows); },
      [&] {
        GameRest r;
        r.offsets = &game.offsets();
        if (game.regularizer().is_zero()) r.x_star = game.solution();
        const auto partition = game.worker_partition();
        if (!partition.empty()) {
          r.workers.assign(static_cast<std::size_t>(n), -1);
          for (std::size_t m = 0; m < partition.size(); ++m)
            for (Index i : partition[m]) r.workers[static_cast<std::size_t>(i)] = std::int64_t(m);
        }
        return r;
      });
}

ProblemConstants save_generated_game(const std::string& path, GameSampler& sampler,
                                     std::shared_ptr<const Regularizer> regularizer,
                                     const std::function<void(const std::string&)>& progress) {
  const Index n = sampler.num_samples(), d = sampler.dim();
  const auto say = [&](const std::string& text) {
    if (progress) progress(text);
  };
  Matrix m, offsets(d, n), sum = Matrix::Zero(d, d);
  std::optional<AffineGame> mean_game;  // M̄ and q̄ as one sample: the held game's μ, ℓ and x*
  Index shown = 0;
  write_game(
      path, n, d, sampler.blocks(),
      [&](Index i, double* rows) {
        if (i == 0) say("writing " + path + " sample by sample");
        sampler.next(m, offsets.col(i));
        sum += m;
        copy_to_rows(m, rows);
        if (10 * (i + 1) / n > shown) {
          shown = 10 * (i + 1) / n;
          say("wrote sample " + std::to_string(i + 1) + " of " + std::to_string(n));
        }
      },
      [&] {
        // M̄ and q̄ summed as AffineGame's constructor sums them, so the bits are the same.
        sum /= static_cast<double>(n);
        Matrix mean_offset = offsets.rowwise().mean();
        mean_game.emplace(std::vector<Matrix>{std::move(sum)}, std::move(mean_offset),
                          sampler.blocks(), regularizer, std::nullopt, sampler.name());
        GameRest r;
        r.offsets = &offsets;
        if (mean_game->regularizer().is_zero()) r.x_star = mean_game->solution();
        return r;
      });

  // The L_i and ℓ̂ by Lanczos passes over the file (one thread: HDF5 reads serially). Tens of
  // passes: told at the first and then at most every 5 s.
  const hdf5::Reader file(path);
  int pass = 0;
  auto told = std::chrono::steady_clock::now();
  const auto visit = [&](Index begin, Index end, const std::function<bool(Index)>& wanted,
                         const std::function<void(Index, const Matrix&)>& each) {
    const auto now = std::chrono::steady_clock::now();
    if (begin == 0 && (++pass == 1 || now - told >= std::chrono::seconds(5))) {
      told = now;
      say("constants: pass " + std::to_string(pass) + " over the samples");
    }
    file.read_float64_slices(
        "/M", 3, "float64 [n, D, D]", [](const hdf5::Shape&) {},
        [&](hsize_t i, const hdf5::Array<double>& slice) {
          copy_from_rows(slice.values.data(), d, m);
          each(static_cast<Index>(i), m);
        },
        [&](hsize_t i) {
          const auto k = static_cast<Index>(i);
          return k >= begin && k < end && wanted(k);
        });
  };
  return mean_game->constants_of_samples(n, visit, false);
}

namespace {

// What load_game and load_game_part read: every M_i, or those `choose` picks once it knows n and
// the file's worker partition (read first then).
struct GameData {
  std::vector<Matrix> matrices;
  std::vector<Index> samples;  // with choose: the ids of `matrices`
  hsize_t n = 0, d = 0;
  hdf5::Array<double> q;
  std::optional<Vector> x_star;
  std::vector<Block> blocks;
  std::vector<std::vector<Index>> workers;
};

using SampleChooser =
    std::function<std::vector<Index>(Index n, const std::vector<std::vector<Index>>& workers)>;

GameData read_game(const hdf5::Reader& file, const SampleChooser* choose) {
  // /M sample by sample into the games' matrices: the file's row-major M_i pass through one
  // D × D buffer, so the game never sits in memory twice.
  const std::string m_layout = "float64 [n, D, D] with n, D >= 1";
  GameData g;
  hsize_t& n = g.n;
  hsize_t& d = g.d;
  std::vector<char> wanted;
  bool workers_read = false;
  file.read_float64_slices(
      "/M", 3, m_layout,
      [&](const hdf5::Shape& shape) {
        if (shape[0] == 0 || shape[1] == 0 || shape[1] != shape[2])
          throw file.error("/M", "has shape " + hdf5::format_shape(shape) + "; accepted " +
                                     m_layout + " (square M_i)");
        n = shape[0], d = shape[1];
        if (choose) {
          g.workers = read_workers(
              file, n, " (n = " + std::to_string(n) + ", D = " + std::to_string(d) + " from /M)");
          workers_read = true;
          g.samples = (*choose)(static_cast<Index>(n), g.workers);
          wanted.assign(static_cast<std::size_t>(n), 0);
          for (Index i : g.samples) wanted[static_cast<std::size_t>(i)] = 1;
        }
        // What this process keeps: every M_i, or those chosen (an MPI rank's).
        const double kept = double(choose ? g.samples.size() : n) * double(d) * double(d);
        if (kept > double(hdf5::kMaxValues))
          throw file.error("/M", "has shape " + hdf5::format_shape(shape) +
                                     ", more than the 1e9 values (8 GB) sgda loads" +
                                     (choose ? " in the samples this process reads" : "") +
                                     "; accepted " + m_layout +
                                     (choose ? "" : ", or more processes (docs/mpi.md)"));
        g.matrices.reserve(choose ? g.samples.size() : static_cast<std::size_t>(n));
      },
      [&](hsize_t i, const hdf5::Array<double>& slice) {
        file.require_finite("/M", slice, {i});
        copy_from_rows(slice.values.data(), static_cast<Index>(d), g.matrices.emplace_back());
      },
      choose ? std::function<bool(hsize_t)>([&](hsize_t i) { return wanted[i] != 0; })
             : std::function<bool(hsize_t)>());
  const std::string sizes =
      " (n = " + std::to_string(n) + ", D = " + std::to_string(d) + " from /M)";

  g.q = file.read_float64("/q", 2, "float64 [n, D]" + sizes);
  file.require_shape("/q", g.q.shape, {n, d}, "float64 [n, D]" + sizes);
  file.require_finite("/q", g.q);

  if (file.has("/x_star")) {
    const hdf5::Array<double> x = file.read_float64("/x_star", 1, "float64 [D]" + sizes);
    file.require_shape("/x_star", x.shape, {d}, "float64 [D]" + sizes);
    file.require_finite("/x_star", x);
    g.x_star = Eigen::Map<const Vector>(x.values.data(), static_cast<Index>(d));
  }

  g.blocks = read_blocks(file, static_cast<Index>(d));
  if (!workers_read) g.workers = read_workers(file, n, sizes);
  return g;
}

AffineGame load_game(const hdf5::Reader& file, std::shared_ptr<const Regularizer> regularizer) {
  GameData g = read_game(file, nullptr);
  Matrix offsets =
      Eigen::Map<const Matrix>(g.q.values.data(), static_cast<Index>(g.d), static_cast<Index>(g.n));
  // x* in the file belongs to the unregularized game; with R ≠ 0 the game computes its own.
  std::optional<Vector> solution;
  if (!regularizer || regularizer->is_zero()) solution = std::move(g.x_star);
  std::optional<AffineGame> game;
  try {
    game.emplace(std::move(g.matrices), std::move(offsets), std::move(g.blocks),
                 std::move(regularizer), std::move(solution));
  } catch (const InputError& e) {
    throw file.error("", e.what());
  }
  // Finite entries can still sum to infinity; the game's operator is their mean.
  auto require_finite_mean = [&](const char* name, const auto& mean) {
    if (mean.allFinite()) return;
    Index r = 0, c = 0;
    while (std::isfinite(mean(r, c)))
      if (++r == mean.rows()) r = 0, ++c;
    // Appended piecewise: "[" + std::string&& trips a GCC 12 -Wrestrict false positive.
    std::string at = "[";
    at += std::to_string(r);
    if (mean.cols() > 1) at += ", " + std::to_string(c);
    at += "]";
    throw file.error(name, "the mean over the samples overflows at " + at +
                               "; accepted float64 values whose mean is finite");
  };
  require_finite_mean("/M", game->mean_matrix());
  require_finite_mean("/q", game->mean_offset());
  game->set_worker_partition(std::move(g.workers));
  return std::move(*game);
}

}  // namespace

AffineGame load_affine_game(const std::string& path,
                            std::shared_ptr<const Regularizer> regularizer) {
  return load_game(hdf5::Reader(path), std::move(regularizer));
}

GamePart load_affine_game_part(
    const std::string& path, std::shared_ptr<const Regularizer> regularizer,
    const std::function<std::vector<Index>(Index, const std::vector<std::vector<Index>>&)>&
        choose) {
  const hdf5::Reader file(path);
  const SampleChooser chooser = choose;
  GameData g = read_game(file, &chooser);
  GamePart part;
  part.samples = std::move(g.samples);
  part.matrices = std::move(g.matrices);
  part.num_samples = static_cast<Index>(g.n);
  part.offsets =
      Eigen::Map<const Matrix>(g.q.values.data(), static_cast<Index>(g.d), static_cast<Index>(g.n));
  // x* in the file belongs to the unregularized game; with R ≠ 0 the game computes its own.
  if (!regularizer || regularizer->is_zero()) part.solution = std::move(g.x_star);
  part.blocks = std::move(g.blocks);
  part.workers = std::move(g.workers);
  return part;
}

AffineGame load_affine_game_image(const std::string& name, const void* data, std::size_t size,
                                  std::shared_ptr<const Regularizer> regularizer) {
  return load_game(hdf5::Reader(name, data, size), std::move(regularizer));
}

}  // namespace sgda
