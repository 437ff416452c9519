// HDF5 game and run files: bitwise round trips, and one clear InputError per kind of bad file.
#include <H5Cpp.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli_helpers.hpp"
#include "sgda/error.hpp"
#include "sgda/io/game_file.hpp"
#include "sgda/io/trace_file.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/problems/game_sampler.hpp"
#include "sgda/regularizer.hpp"
#include "sgda/version.hpp"

namespace fs = std::filesystem;
using Catch::Contains;

namespace {

using sgda::testing::TempDir;

// Bitwise equality, so NaN payloads and signed zeros count too.
template <class A, class B>
bool bitwise_equal(const A& a, const B& b) {
  return a.size() == b.size() &&
         (a.size() == 0 || std::memcmp(a.data(), b.data(), sizeof(a.data()[0]) * a.size()) == 0);
}

void check_games_equal(const sgda::AffineGame& a, const sgda::AffineGame& b) {
  REQUIRE(a.num_samples() == b.num_samples());
  REQUIRE(a.dim() == b.dim());
  for (sgda::Index i = 0; i < a.num_samples(); ++i)
    CHECK(bitwise_equal(a.sample_matrix(i), b.sample_matrix(i)));
  CHECK(bitwise_equal(a.offsets(), b.offsets()));
  const auto blocks_a = a.blocks(), blocks_b = b.blocks();
  REQUIRE(blocks_a.size() == blocks_b.size());
  for (std::size_t k = 0; k < blocks_a.size(); ++k) {
    CHECK(blocks_a[k].name == blocks_b[k].name);
    CHECK(blocks_a[k].offset == blocks_b[k].offset);
    CHECK(blocks_a[k].size == blocks_b[k].size);
    CHECK(blocks_a[k].maximize == blocks_b[k].maximize);
  }
}

// ---- writing malformed game files -----------------------------------------------------------

struct GameSpec {
  std::vector<hsize_t> m_dims = {5, 3, 3};  // empty: no /M
  bool m_as_int = false;
  std::vector<hsize_t> q_dims = {5, 3};    // empty: no /q
  std::vector<hsize_t> x_star_dims = {3};  // empty: no /x_star
  std::size_t poison_m = SIZE_MAX;         // flat index set to NaN in /M
  std::size_t poison_q = SIZE_MAX;         // flat index set to +Inf in /q
  std::optional<std::string> names = "x,y";
  std::optional<std::vector<std::int64_t>> sizes = std::vector<std::int64_t>{2, 1};
  std::optional<std::vector<std::int64_t>> maximize = std::vector<std::int64_t>{0, 1};
  bool fixed_length_names = false;
};

std::size_t product(const std::vector<hsize_t>& dims) {
  std::size_t p = 1;
  for (hsize_t d : dims) p *= d;
  return p;
}

void write_doubles(H5::H5File& file, const std::string& name, const std::vector<hsize_t>& dims,
                   std::vector<double> values) {
  H5::DataSpace space(static_cast<int>(dims.size()), dims.data());
  const H5::DataSet dataset = file.createDataSet(name, H5::PredType::IEEE_F64LE, space);
  if (!values.empty()) dataset.write(values.data(), H5::PredType::NATIVE_DOUBLE);
}

void write_game_file(const std::string& path, const GameSpec& spec) {
  H5::H5File file(path, H5F_ACC_TRUNC);
  if (!spec.m_dims.empty()) {
    // Diagonally dominant M_i, so the valid variant is a well-posed game.
    std::vector<double> m(product(spec.m_dims));
    for (std::size_t k = 0; k < m.size(); ++k) m[k] = 0.01 * static_cast<double>(k % 7);
    if (spec.m_dims.size() == 3 && spec.m_dims[1] == spec.m_dims[2])
      for (hsize_t i = 0; i < spec.m_dims[0]; ++i)
        for (hsize_t r = 0; r < spec.m_dims[1]; ++r)
          m[(i * spec.m_dims[1] + r) * spec.m_dims[1] + r] += 2.0;
    if (spec.poison_m < m.size()) m[spec.poison_m] = std::numeric_limits<double>::quiet_NaN();
    if (spec.m_as_int) {
      std::vector<std::int64_t> ints(m.size(), 1);
      H5::DataSpace space(static_cast<int>(spec.m_dims.size()), spec.m_dims.data());
      file.createDataSet("M", H5::PredType::STD_I64LE, space)
          .write(ints.data(), H5::PredType::NATIVE_INT64);
    } else {
      write_doubles(file, "M", spec.m_dims, m);
    }
  }
  if (!spec.q_dims.empty()) {
    std::vector<double> q(product(spec.q_dims));
    for (std::size_t k = 0; k < q.size(); ++k) q[k] = 0.5 - 0.1 * static_cast<double>(k);
    if (spec.poison_q < q.size()) q[spec.poison_q] = std::numeric_limits<double>::infinity();
    write_doubles(file, "q", spec.q_dims, q);
  }
  if (!spec.x_star_dims.empty())
    write_doubles(file, "x_star", spec.x_star_dims,
                  std::vector<double>(product(spec.x_star_dims), 0.25));
  if (spec.names) {
    if (spec.fixed_length_names) {
      H5::StrType type(H5::PredType::C_S1, spec.names->size());
      file.createAttribute("block_names", type, H5::DataSpace(H5S_SCALAR)).write(type, *spec.names);
    } else {
      H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
      file.createAttribute("block_names", type, H5::DataSpace(H5S_SCALAR)).write(type, *spec.names);
    }
  }
  auto write_ints = [&](const char* name, const std::vector<std::int64_t>& values) {
    const hsize_t size = values.size();
    file.createAttribute(name, H5::PredType::STD_I64LE, H5::DataSpace(1, &size))
        .write(H5::PredType::NATIVE_INT64, values.data());
  };
  if (spec.sizes) write_ints("block_sizes", *spec.sizes);
  if (spec.maximize) write_ints("block_maximize", *spec.maximize);
}

// ---- a hand-made run ------------------------------------------------------------------------

sgda::Summary make_summary(std::size_t rows) {
  sgda::Summary summary;
  summary.reason = sgda::TerminationReason::kConverged;
  summary.message = "relative distance 1e-12 <= tolerance 1e-10";
  summary.method = "l-svrgda(p=0.2)";
  sgda::Trace& t = summary.trace;
  for (std::size_t k = 0; k < rows; ++k) {
    const auto i = static_cast<std::int64_t>(k);
    t.iteration.push_back(10 * i);
    t.sample_evaluations.push_back(37 * i + (i > 2 ? (std::int64_t{1} << 40) : 0));
    t.coordinate_evaluations.push_back(3 * i);
    t.epochs.push_back(0.1 * static_cast<double>(k) + 1e-17);
    t.bits.push_back(-i);  // any int64 must survive, even nonsense
    t.wall_time.push_back(std::ldexp(1.0, -static_cast<int>(k)) / 3.0);
    // x* unknown: NaN, as the solver writes it.
    t.relative_distance_sq.push_back(k == 1 ? std::numeric_limits<double>::quiet_NaN()
                                            : std::pow(0.5, static_cast<double>(k)) / 7.0);
    t.residual_sq.push_back(k == 0 ? std::numeric_limits<double>::denorm_min() : 1.0 / 3.0);
    t.step_size.push_back(k == 2 ? -0.0 : 0.05);
  }
  summary.x = sgda::Vector::LinSpaced(6, -1.0, 1.0 / 3.0);
  return summary;
}

void check_traces_equal(const sgda::Trace& a, const sgda::Trace& b) {
  CHECK(bitwise_equal(a.iteration, b.iteration));
  CHECK(bitwise_equal(a.sample_evaluations, b.sample_evaluations));
  CHECK(bitwise_equal(a.coordinate_evaluations, b.coordinate_evaluations));
  CHECK(bitwise_equal(a.epochs, b.epochs));
  CHECK(bitwise_equal(a.bits, b.bits));
  CHECK(bitwise_equal(a.wall_time, b.wall_time));
  CHECK(bitwise_equal(a.relative_distance_sq, b.relative_distance_sq));
  CHECK(bitwise_equal(a.residual_sq, b.residual_sq));
  CHECK(bitwise_equal(a.step_size, b.step_size));
}

bool has_temporary_files(const fs::path& dir) {
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().filename().string().find(".tmp-") != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("a generated game survives save and load bitwise", "[io]") {
  TempDir dir("generated");
  sgda::QuadraticGameOptions options;
  options.samples = 5;
  options.dimension = 3;
  options.seed = 42;
  const sgda::AffineGame game = sgda::generate_quadratic_game(options);
  const std::string path = dir.file("game.h5");
  sgda::save_affine_game(path, game);
  CHECK_FALSE(has_temporary_files(dir.path()));

  const sgda::AffineGame loaded = sgda::load_affine_game(path);
  check_games_equal(game, loaded);
  REQUIRE(loaded.blocks().size() == 2);
  CHECK(loaded.blocks()[1].maximize);
  // x* was written (R = 0) and is handed to the game as is.
  const auto x_star = game.solution();
  REQUIRE(x_star);
  REQUIRE(loaded.solution());
  CHECK(bitwise_equal(*x_star, *loaded.solution()));
}

namespace {

// A game drawn sample by sample into its file (sgda generate for games too large to hold) is
// the held game's file, bit for bit, and its constants from passes over the file are the held
// game's Lanczos constants, bit for bit (within 1e-10 of the dense ones).
void check_written_sample_by_sample(const sgda::AffineGame& held, sgda::GameSampler sampler,
                                    const TempDir& dir) {
  const std::string held_path = dir.file("held.h5"), streamed_path = dir.file("streamed.h5");
  sgda::save_affine_game(held_path, held);
  int passes = 0, tenths = 0;
  const sgda::ProblemConstants c =
      sgda::save_generated_game(streamed_path, sampler, nullptr, [&](const std::string& text) {
        passes += text.find("pass") != std::string::npos;
        tenths += text.find("wrote sample") != std::string::npos;
      });
  CHECK(sampler.drawn() == held.num_samples());
  CHECK(tenths == std::min<sgda::Index>(10, held.num_samples()));
  CHECK(passes >= 1);
  const sgda::AffineGame loaded = sgda::load_affine_game(streamed_path);
  check_games_equal(loaded, sgda::load_affine_game(held_path));
  REQUIRE(loaded.solution());
  CHECK(bitwise_equal(*loaded.solution(), *held.solution()));

  const sgda::ProblemConstants lanczos =
      held.compute_constants(sgda::AffineGame::EigenMethod::kLanczos);
  CHECK(c.mu == lanczos.mu);
  CHECK(c.ell == lanczos.ell);
  CHECK(c.ell_hat == lanczos.ell_hat);
  CHECK(bitwise_equal(c.sample_lipschitz, lanczos.sample_lipschitz));
  const sgda::ProblemConstants dense =
      held.compute_constants(sgda::AffineGame::EigenMethod::kDense);
  CHECK(c.mu == Approx(dense.mu).epsilon(1e-10));
  CHECK(c.ell == Approx(dense.ell).epsilon(1e-10));
  CHECK(c.ell_hat == Approx(dense.ell_hat).epsilon(1e-10));
  for (sgda::Index i = 0; i < held.num_samples(); ++i)
    CHECK(c.sample_lipschitz[i] == Approx(dense.sample_lipschitz[i]).epsilon(1e-10));
}

}  // namespace

TEST_CASE("a quadratic game written sample by sample is the held game's file", "[io]") {
  TempDir dir("streamed");
  sgda::QuadraticGameOptions options;
  options.samples = 13;  // odd: uneven light and heavy halves
  options.dimension = 5;
  options.heavy_scale = 3.0;
  options.seed = 11;
  check_written_sample_by_sample(sgda::generate_quadratic_game(options),
                                 sgda::quadratic_game_sampler(options), dir);
  // Above D = 128 the generator itself runs Lanczos: the same again.
  options.samples = 3;
  options.dimension = 70;
  check_written_sample_by_sample(sgda::generate_quadratic_game(options),
                                 sgda::quadratic_game_sampler(options), dir);
}

TEST_CASE("a bilinear game written sample by sample is the held game's file", "[io]") {
  TempDir dir("streamed_bilinear");
  sgda::BilinearGameOptions options;
  options.samples = 6;
  options.dimension = 4;
  options.seed = 5;
  check_written_sample_by_sample(sgda::generate_bilinear_game(options),
                                 sgda::bilinear_game_sampler(options), dir);
}

TEST_CASE("a game sampler draws each sample once, and no more than n", "[io]") {
  sgda::QuadraticGameOptions options;
  options.samples = 2;
  options.dimension = 2;
  sgda::GameSampler sampler = sgda::quadratic_game_sampler(options);
  const sgda::AffineGame held = sgda::generate_quadratic_game(options);
  sgda::Matrix m;
  sgda::Vector q(4);
  for (sgda::Index i = 0; i < 2; ++i) {
    sampler.next(m, q);
    CHECK(bitwise_equal(m, held.sample_matrix(i)));
    CHECK(bitwise_equal(q, sgda::Vector(held.offsets().col(i))));
  }
  CHECK_THROWS_AS(sampler.next(m, q), std::logic_error);
  // A size only a file can take: refused in memory, accepted sample by sample.
  options.samples = 1000000;
  options.dimension = 100;
  CHECK(options.Check());
  CHECK_FALSE(options.CheckToFile());
  CHECK(sgda::quadratic_game_sampler(options).num_samples() == 1000000);
  options.samples = 1000000000;
  CHECK_THROWS_WITH(sgda::quadratic_game_sampler(options), Contains("accepted up to 1e13"));
}

TEST_CASE("the 1e9-value limit bounds the samples a process holds, not the file", "[io]") {
  // /M declared [2500, 800, 800] (1.6e9 values) in chunks never written (read as zeros): too
  // large to hold whole, while two of its samples (an MPI rank's part) load.
  TempDir dir("large");
  const std::string path = dir.file("large.h5");
  {
    H5::H5File f(path, H5F_ACC_TRUNC);
    const hsize_t dims[3] = {2500, 800, 800}, chunk[3] = {1, 800, 800}, q_dims[2] = {2500, 800};
    H5::DSetCreatPropList chunked;
    chunked.setChunk(3, chunk);
    f.createDataSet("M", H5::PredType::IEEE_F64LE, H5::DataSpace(3, dims), chunked);
    const std::vector<double> q(2500 * 800, 1.0);
    f.createDataSet("q", H5::PredType::IEEE_F64LE, H5::DataSpace(2, q_dims))
        .write(q.data(), H5::PredType::NATIVE_DOUBLE);
  }
  CHECK_THROWS_WITH(sgda::load_affine_game(path),
                    Contains("/M: has shape [2500, 800, 800], more than the 1e9 values") &&
                        Contains("or more processes"));
  const sgda::GamePart part = sgda::load_affine_game_part(
      path, nullptr, [](sgda::Index n, const std::vector<std::vector<sgda::Index>>&) {
        return std::vector<sgda::Index>{0, n - 1};
      });
  CHECK(part.num_samples == 2500);
  REQUIRE(part.matrices.size() == 2);
  CHECK(part.matrices[1].rows() == 800);
  CHECK(part.matrices[1].isZero(0.0));
  // 1563 samples are 1.0004e9 values: refused for the part too, naming it.
  CHECK_THROWS_WITH(
      sgda::load_affine_game_part(path, nullptr,
                                  [](sgda::Index, const std::vector<std::vector<sgda::Index>>&) {
                                    std::vector<sgda::Index> samples(1563);
                                    for (std::size_t i = 0; i < samples.size(); ++i)
                                      samples[i] = sgda::Index(i);
                                    return samples;
                                  }),
      Contains("more than the 1e9 values (8 GB) sgda loads in the samples this process reads"));
}

TEST_CASE("a game loads from its file image in memory as from the file", "[io]") {
  TempDir dir("image");
  sgda::QuadraticGameOptions options;
  options.samples = 4;
  options.dimension = 2;
  const sgda::AffineGame game = sgda::generate_quadratic_game(options);
  const std::string path = dir.file("game.h5");
  sgda::save_affine_game(path, game);
  const std::string bytes = sgda::testing::read(path);
  check_games_equal(sgda::load_affine_game_image("memory.h5", bytes.data(), bytes.size()),
                    sgda::load_affine_game(path));
  // A cut image is an InputError naming the name given, as a cut file names the file.
  CHECK_THROWS_WITH(sgda::load_affine_game_image("memory.h5", bytes.data(), bytes.size() / 2),
                    Contains("memory.h5: cannot open"));
}

TEST_CASE("a hand-made game with named blocks and x* round-trips", "[io]") {
  TempDir dir("blocks");
  const sgda::Index d = 5;
  std::vector<sgda::Matrix> matrices;
  for (int i = 0; i < 3; ++i) {
    sgda::Matrix m = sgda::Matrix::Identity(d, d) * (1.0 + i);
    m(0, 4) = 1.0 / 3.0;  // asymmetric, so a transposed write would show
    m(4, 0) = -0.1 * i;
    matrices.push_back(m);
  }
  sgda::Matrix offsets(d, 3);
  for (sgda::Index k = 0; k < offsets.size(); ++k) offsets.data()[k] = std::sqrt(k + 0.5);
  std::vector<sgda::Block> blocks = {{"attacker", 0, 2, true}, {"defender", 2, 3, false}};
  sgda::Vector x_star(d);
  x_star << 0.1, -0.2, 1.0 / 7.0, 3.0, -0.0;  // not the true x*: the file keeps what it is given
  const sgda::AffineGame game(matrices, offsets, blocks, nullptr, x_star, "custom");

  const std::string path = dir.file("custom.h5");
  sgda::save_affine_game(path, game);
  const sgda::AffineGame loaded = sgda::load_affine_game(path);
  check_games_equal(game, loaded);
  CHECK(loaded.blocks()[0].name == "attacker");
  CHECK(loaded.blocks()[0].maximize);
  CHECK_FALSE(loaded.blocks()[1].maximize);
  REQUIRE(loaded.solution());
  CHECK(bitwise_equal(x_star, *loaded.solution()));

  SECTION("with a regularizer the stored x* of the unregularized game is not used") {
    sgda::RegularizerOptions box;
    box.type = sgda::RegularizerType::kBox;
    box.lower = -0.01;
    box.upper = 0.01;
    const auto regularized = sgda::load_affine_game(path, sgda::make_regularizer(box));
    const auto solution = regularized.solution();
    REQUIRE(solution);
    CHECK(solution->cwiseAbs().maxCoeff() <= 0.01);
    CHECK_FALSE(bitwise_equal(x_star, *solution));
  }
  SECTION("a game with R != 0 is saved without x*") {
    sgda::RegularizerOptions l1;
    l1.type = sgda::RegularizerType::kL1;
    l1.lambda = 0.5;
    const std::string other = dir.file("regularized.h5");
    sgda::save_affine_game(other, game.with_regularizer(sgda::make_regularizer(l1)));
    H5::H5File file(other, H5F_ACC_RDONLY);
    CHECK_FALSE(file.nameExists("x_star"));
    CHECK(file.nameExists("M"));
  }
}

TEST_CASE("game files without block attributes get one minimizing block x", "[io]") {
  TempDir dir("defaults");
  GameSpec spec;
  spec.names.reset();
  spec.sizes.reset();
  spec.maximize.reset();
  spec.x_star_dims.clear();
  const std::string path = dir.file("plain.h5");
  write_game_file(path, spec);
  const auto game = sgda::load_affine_game(path);
  REQUIRE(game.blocks().size() == 1);
  CHECK(game.blocks()[0].name == "x");
  CHECK(game.blocks()[0].size == 3);
  CHECK_FALSE(game.blocks()[0].maximize);
  CHECK(game.num_samples() == 5);
  // Row-major in the file: M[0, 0, 1] is the second stored value.
  CHECK(game.sample_matrix(0)(0, 1) == 0.01);
  CHECK(game.offsets()(1, 0) == 0.5 - 0.1);
}

TEST_CASE("fixed-length block_names strings are accepted", "[io]") {
  TempDir dir("fixed");
  GameSpec spec;
  spec.fixed_length_names = true;
  spec.names = "left, right";  // blanks after commas are trimmed
  const std::string path = dir.file("fixed.h5");
  write_game_file(path, spec);
  const auto game = sgda::load_affine_game(path);
  REQUIRE(game.blocks().size() == 2);
  CHECK(game.blocks()[0].name == "left");
  CHECK(game.blocks()[1].name == "right");
}

TEST_CASE("bad game files give one-line InputErrors naming the file and the dataset", "[io]") {
  TempDir dir("bad");
  struct Case {
    std::string label;
    std::function<void(GameSpec&)> change;
    std::string field;
    std::string detail;
  };
  const std::vector<Case> cases = {
      {"missing M", [](GameSpec& s) { s.m_dims.clear(); }, "/M", "missing dataset"},
      {"missing q", [](GameSpec& s) { s.q_dims.clear(); }, "/q", "missing dataset"},
      {"M of rank 2",
       [](GameSpec& s) {
         s.m_dims = {5, 9};
       },
       "/M", "rank 2"},
      {"M not square",
       [](GameSpec& s) {
         s.m_dims = {5, 3, 2};
       },
       "/M", "[5, 3, 2]"},
      {"M with no samples",
       [](GameSpec& s) {
         s.m_dims = {0, 3, 3};
       },
       "/M", "n, D >= 1"},
      {"q with the wrong n",
       [](GameSpec& s) {
         s.q_dims = {4, 3};
       },
       "/q", "[4, 3]"},
      {"q with the wrong D",
       [](GameSpec& s) {
         s.q_dims = {5, 2};
       },
       "/q", "expected [5, 3]"},
      {"q of rank 1", [](GameSpec& s) { s.q_dims = {15}; }, "/q", "rank 1"},
      {"M of int type", [](GameSpec& s) { s.m_as_int = true; }, "/M", "int64"},
      {"NaN in M", [](GameSpec& s) { s.poison_m = 9 + 3 + 2; }, "/M", "NaN at index [1, 1, 2]"},
      {"Inf in q", [](GameSpec& s) { s.poison_q = 7; }, "/q", "+Inf at index [2, 1]"},
      {"x_star of wrong length", [](GameSpec& s) { s.x_star_dims = {4}; }, "/x_star", "[4]"},
      {"block_sizes not summing to D",
       [](GameSpec& s) {
         s.sizes = std::vector<std::int64_t>{1, 1};
       },
       "block_sizes", "sums to 2"},
      {"a zero block size",
       [](GameSpec& s) {
         s.sizes = std::vector<std::int64_t>{3, 0};
       },
       "block_sizes", "entry 1 is 0"},
      {"more sizes than names",
       [](GameSpec& s) {
         s.sizes = std::vector<std::int64_t>{1, 1, 1};
       },
       "block_sizes", "3 entries"},
      {"more flags than names",
       [](GameSpec& s) {
         s.maximize = std::vector<std::int64_t>{0, 1, 0};
       },
       "block_maximize", "3 entries"},
      {"more names than sizes", [](GameSpec& s) { s.names = "x,y,z"; }, "block_sizes",
       "block_names has 3"},
      {"a flag that is not 0/1",
       [](GameSpec& s) {
         s.maximize = std::vector<std::int64_t>{0, 2};
       },
       "block_maximize", "accepted 0 or 1"},
      {"an empty block name", [](GameSpec& s) { s.names = "x,"; }, "block_names", "empty"},
      {"a repeated block name", [](GameSpec& s) { s.names = "x,x"; }, "block_names", "twice"},
      {"only some block attributes", [](GameSpec& s) { s.maximize.reset(); }, "block_maximize",
       "missing"},
  };

  // The unchanged spec is a valid file, so each case fails for its own reason only.
  const std::string valid = dir.file("valid.h5");
  write_game_file(valid, GameSpec{});
  REQUIRE_NOTHROW(sgda::load_affine_game(valid));

  int index = 0;
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.label) {
      GameSpec spec;
      c.change(spec);
      const std::string path = dir.file("bad_" + std::to_string(index) + ".h5");
      write_game_file(path, spec);
      CHECK_THROWS_AS(sgda::load_affine_game(path), sgda::InputError);
      CHECK_THROWS_WITH(sgda::load_affine_game(path), Contains(path) && Contains(c.field + ": ") &&
                                                          Contains(c.detail) &&
                                                          Contains("accepted") && !Contains("\n"));
    }
    ++index;
  }

  SECTION("a missing file") {
    const std::string path = dir.file("does_not_exist.h5");
    CHECK_THROWS_AS(sgda::load_affine_game(path), sgda::InputError);
    CHECK_THROWS_WITH(sgda::load_affine_game(path), Contains(path) && Contains("no such file"));
    CHECK_THROWS_WITH(sgda::load_run(path), Contains(path) && Contains("no such file"));
  }
  SECTION("a text file that is not HDF5") {
    const std::string path = dir.file("notes.h5");
    std::ofstream(path) << "M = [[1, 0], [0, 1]]\n";
    CHECK_THROWS_AS(sgda::load_affine_game(path), sgda::InputError);
    CHECK_THROWS_WITH(sgda::load_affine_game(path), Contains(path) && Contains("not an HDF5 file"));
  }
  SECTION("a directory") {
    CHECK_THROWS_WITH(sgda::load_affine_game(dir.path().string()), Contains("is a directory"));
  }
  SECTION("M as a group") {
    const std::string path = dir.file("group.h5");
    {
      H5::H5File file(path, H5F_ACC_TRUNC);
      file.createGroup("M");
    }
    CHECK_THROWS_WITH(sgda::load_affine_game(path),
                      Contains(path) && Contains("/M: is not a dataset"));
  }
}

TEST_CASE("saving a game reports unwritable paths and unstorable names", "[io]") {
  TempDir dir("save_errors");
  sgda::QuadraticGameOptions options;
  options.samples = 2;
  options.dimension = 1;
  const auto game = sgda::generate_quadratic_game(options);
  const std::string path = dir.file("no_such_dir/game.h5");
  CHECK_THROWS_AS(sgda::save_affine_game(path, game), sgda::InputError);
  CHECK_THROWS_WITH(sgda::save_affine_game(path, game),
                    Contains(path) && Contains("no such directory"));

  const sgda::AffineGame commas({sgda::Matrix::Identity(2, 2)}, sgda::Matrix::Zero(2, 1),
                                {{"a,b", 0, 2, false}});
  CHECK_THROWS_WITH(sgda::save_affine_game(dir.file("commas.h5"), commas),
                    Contains("block_names") && Contains("a,b"));
  CHECK_FALSE(fs::exists(dir.file("commas.h5")));
  CHECK_FALSE(has_temporary_files(dir.path()));
}

TEST_CASE("a run survives save and load bitwise", "[io]") {
  TempDir dir("run");
  const sgda::Summary summary = make_summary(6);
  const sgda::Settings settings = {{"problem", "quadratic"},
                                   {"seed", "7"},
                                   {"step_size.rule", "theory"},
                                   {"note", "unicode: γ ≤ 1/(2ℓ̂)"},
                                   {"empty", ""}};
  const std::string path = dir.file("run.h5");
  sgda::save_run(path, summary, settings);
  CHECK_FALSE(has_temporary_files(dir.path()));

  const sgda::RunRecord record = sgda::load_run(path);
  check_traces_equal(summary.trace, record.trace);
  CHECK(bitwise_equal(summary.x, record.x_final));

  sgda::Settings expected = settings;
  expected["sgda_version"] = sgda::kVersion;
  expected["termination"] = "converged";
  expected["message"] = summary.message;
  expected["method_description"] = summary.method;
  CHECK(record.settings == expected);

  SECTION("saving again replaces the file, and the run's facts win over settings") {
    sgda::Summary second = make_summary(2);
    second.reason = sgda::TerminationReason::kIterationLimit;
    sgda::save_run(path, second, record.settings);  // carries the old termination etc.
    const sgda::RunRecord again = sgda::load_run(path);
    check_traces_equal(second.trace, again.trace);
    CHECK(again.settings.at("termination") == "iteration limit");
    CHECK(again.settings.at("seed") == "7");
    CHECK_FALSE(has_temporary_files(dir.path()));
  }
  SECTION("root attributes that are not strings are not settings") {
    {
      H5::H5File file(path, H5F_ACC_RDWR);
      const double value = 1.5;
      file.createAttribute("added_by_a_tool", H5::PredType::IEEE_F64LE, H5::DataSpace(H5S_SCALAR))
          .write(H5::PredType::NATIVE_DOUBLE, &value);
    }
    CHECK(sgda::load_run(path).settings == expected);
  }
  SECTION("an empty trace and an empty final iterate") {
    sgda::Summary empty;
    sgda::save_run(path, empty, {});
    const sgda::RunRecord loaded = sgda::load_run(path);
    CHECK(loaded.trace.size() == 0);
    CHECK(loaded.trace.step_size.empty());
    CHECK(loaded.x_final.size() == 0);
    CHECK(loaded.settings.at("termination") == "iteration limit");
  }
}

TEST_CASE("run files: failed saves leave nothing behind, bad files are named", "[io]") {
  TempDir dir("run_errors");
  const sgda::Summary summary = make_summary(3);

  SECTION("the target is a directory: the rename fails and the temporary is removed") {
    const std::string path = dir.file("taken");
    fs::create_directory(path);
    CHECK_THROWS_WITH(sgda::save_run(path, summary, {}), Contains(path));
    CHECK_FALSE(has_temporary_files(dir.path()));
  }
  SECTION("columns of different lengths are refused before writing") {
    sgda::Summary bad = summary;
    bad.trace.epochs.pop_back();
    const std::string path = dir.file("ragged.h5");
    CHECK_THROWS_WITH(sgda::save_run(path, bad, {}), Contains("/trace/epochs"));
    CHECK_FALSE(fs::exists(path));
  }
  SECTION("an empty settings key") {
    const std::string path = dir.file("empty_key.h5");
    CHECK_THROWS_WITH(sgda::save_run(path, summary, {{"", "x"}}), Contains("settings"));
    CHECK_FALSE(has_temporary_files(dir.path()));
  }
  SECTION("a missing column") {
    const std::string path = dir.file("missing.h5");
    sgda::save_run(path, summary, {});
    {
      H5::H5File file(path, H5F_ACC_RDWR);
      file.unlink("/trace/wall_time");
    }
    CHECK_THROWS_WITH(sgda::load_run(path),
                      Contains(path) && Contains("/trace/wall_time: missing dataset"));
  }
  SECTION("a column of the wrong length or type") {
    const std::string path = dir.file("short.h5");
    sgda::save_run(path, summary, {});
    {
      H5::H5File file(path, H5F_ACC_RDWR);
      file.unlink("/trace/residual_sq");
      write_doubles(file, "/trace/residual_sq", {2}, {1.0, 2.0});
      file.unlink("/trace/bits");
      write_doubles(file, "/trace/bits", {3}, {1.0, 2.0, 3.0});
    }
    CHECK_THROWS_WITH(sgda::load_run(path), Contains(path) && Contains("/trace/bits: has type "
                                                                       "float64"));
    {
      H5::H5File file(path, H5F_ACC_RDWR);
      file.unlink("/trace/bits");
      const hsize_t size = 3;
      const std::vector<std::int32_t> bits = {1, 2, 3};  // narrower integers are fine
      file.createDataSet("/trace/bits", H5::PredType::STD_I32BE, H5::DataSpace(1, &size))
          .write(bits.data(), H5::PredType::NATIVE_INT32);
    }
    CHECK_THROWS_WITH(sgda::load_run(path),
                      Contains("/trace/residual_sq: has shape [2], expected [3]"));
  }
  SECTION("no trace group") {
    const std::string path = dir.file("game_not_run.h5");
    write_game_file(path, GameSpec{});
    CHECK_THROWS_WITH(sgda::load_run(path), Contains(path) && Contains("/trace/iteration"));
  }
}
