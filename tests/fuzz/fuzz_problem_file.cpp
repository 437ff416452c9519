// Fuzz target: problem files (TOML) from raw bytes, through everything `sgda solve` does with
// them before its first iteration, and a few iterations.
//
// The input is the text of a problem file. Comment lines "#--flag value" (still valid TOML) are
// also applied as command-line overrides, e.g. "#--iterations 5" or "#--step-size theory".
// The file sits in a scratch folder holding "game.h5" (a small valid game), "notes.h5" (not
// HDF5) and "folder.h5" (a folder), so problem.file can name all three.
//
// Accepted outcomes: success, or an sgda::InputError of one line that names the problem file or
// the flag. Anything else (another exception, a crash, a sanitizer report, a hang) is a bug. On
// success also: the game is finite, and to_toml() reads back to the same settings.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_target.hpp"
#include "sgda/error.hpp"
#include "sgda/io/game_file.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"

namespace {

namespace fs = std::filesystem;

// Games up to this many doubles are built; larger ones only go through validation. The loader
// itself refuses n*(2d)^2 > 1e9 (8 GB), far more than a fuzzer can allocate per input.
constexpr double kMaxEntries = 50000;
constexpr std::int64_t kMaxDimension = 40;
// Iterations of the solver per input.
constexpr std::int64_t kMaxIterations = 20;

std::string source_path() { return (fs::path(sgda::fuzz::scratch_dir()) / "fuzz.toml").string(); }

template <class T>
std::optional<T> parse_number(std::string_view text) {
  T value{};
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// "#--flag value" lines, as the command line would hand them to apply_overrides; values that
// are not numbers where numbers go are skipped (CLI11 refuses them before apply_overrides).
sgda::RunOverrides read_overrides(std::string_view text, bool* any) {
  using O = sgda::RunOverrides;
  using String = std::optional<std::string> O::*;
  using Integer = std::optional<std::int64_t> O::*;
  using Real = std::optional<double> O::*;
  static const std::map<std::string, String> strings = {
      {"method", &O::method},       {"sampling", &O::sampling},
      {"local", &O::local},         {"compressor", &O::compressor},
      {"step-size", &O::step_size}, {"step-schedule", &O::step_schedule},
      {"step", &O::step},           {"scheme", &O::scheme},
      {"averaging", &O::averaging}, {"output", &O::output}};
  static const std::map<std::string, Integer> integers = {
      {"batch-size", &O::batch_size},
      {"workers", &O::workers},
      {"k", &O::k},
      {"levels", &O::levels},
      {"iterations", &O::iterations},
      {"max-oracle-calls", &O::max_oracle_calls},
      {"log-every", &O::log_every},
      {"seed", &O::seed},
      {"checkpoint-every", &O::checkpoint_every}};
  static const std::map<std::string, Real> reals = {{"probability", &O::probability},
                                                    {"alpha", &O::alpha},
                                                    {"step-factor", &O::step_factor},
                                                    {"max-time", &O::max_time},
                                                    {"tolerance", &O::tolerance},
                                                    {"residual-tolerance", &O::residual_tolerance},
                                                    {"checkpoint-seconds", &O::checkpoint_seconds},
                                                    {"ema-decay", &O::ema_decay}};

  O o;
  *any = false;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.substr(0, 3) != "#--") continue;
    line.remove_prefix(3);
    const std::size_t space = line.find(' ');
    const std::string flag(line.substr(0, space));
    const std::string value(space == std::string_view::npos ? "" : line.substr(space + 1));
    if (const auto it = strings.find(flag); it != strings.end()) {
      o.*(it->second) = value;
    } else if (const auto it = integers.find(flag); it != integers.end()) {
      if (const auto v = parse_number<std::int64_t>(value)) o.*(it->second) = v;
    } else if (const auto it = reals.find(flag); it != reals.end()) {
      if (const auto v = parse_number<double>(value)) o.*(it->second) = v;
    } else if (flag == "skip-non-finite") {
      o.skip_non_finite = true;
    } else {
      continue;
    }
    *any = true;
  }
  return o;
}

// Doubles the generated game would hold, n*(2d)^2; 0 for file games.
double entries(const sgda::ProblemSpec& p) {
  auto count = [](sgda::Index n, sgda::Index d) { return double(n) * 4.0 * double(d) * double(d); };
  if (p.type == "quadratic") return count(p.quadratic.samples, p.quadratic.dimension);
  if (p.type == "bilinear") return count(p.bilinear.samples, p.bilinear.dimension);
  return 0.0;
}

sgda::Index dimension(const sgda::ProblemSpec& p) {
  if (p.type == "quadratic") return p.quadratic.dimension;
  if (p.type == "bilinear") return p.bilinear.dimension;
  return 0;
}

void check_message(const sgda::InputError& e) {
  const std::string message = e.what();
  sgda::fuzz::check_one_line(message);
  // The problem file (with a line number when known) or the flag comes first.
  if (message.rfind(source_path(), 0) != 0 && message.rfind("--", 0) != 0)
    sgda::fuzz::fail("InputError naming neither the file nor a flag", message);
}

void check_round_trip(const sgda::RunConfig& config) {
  const std::string text = sgda::to_toml(config);
  sgda::RunConfig again;
  try {
    again = sgda::parse_run_config(text, config.source);
  } catch (const sgda::InputError& e) {
    sgda::fuzz::fail("to_toml wrote a file that does not load",
                     std::string(e.what()) + "\n" + text);
  }
  sgda::Settings a = sgda::to_settings(config), b = sgda::to_settings(again);
  // to_toml makes paths absolute (an --output flag is relative to the working directory), and
  // the file's paths are read back normalized ("a//b" is "a/b"): compare the paths they name.
  for (const char* key : {"problem.file", "run.output"})
    for (sgda::Settings* s : {&a, &b})
      if (s->count(key) && !(*s)[key].empty())
        (*s)[key] = fs::absolute((*s)[key]).lexically_normal().string();
  if (a != b) {
    std::string diff;
    for (const auto& [key, value] : a)
      if (!b.count(key) || b.at(key) != value)
        diff += key + ": \"" + value + "\" vs " +
                (b.count(key) ? "\"" + b.at(key) + "\"" : "none") + "; ";
    for (const auto& [key, value] : b)
      if (!a.count(key)) diff += key + ": none vs \"" + value + "\"; ";
    sgda::fuzz::fail("to_toml does not round-trip", diff + "\n" + text);
  }
}

void check_finite(const sgda::AffineGame& game) {
  for (sgda::Index i = 0; i < game.num_samples(); ++i)
    if (!game.sample_matrix(i).allFinite())
      sgda::fuzz::fail("a validated problem built a non-finite M_i", game.name());
  if (!game.offsets().allFinite())
    sgda::fuzz::fail("a validated problem built non-finite offsets", game.name());
}

void run(const std::string& text) {
  bool any_override = false;
  const sgda::RunOverrides overrides = read_overrides(text, &any_override);
  sgda::RunConfig config = sgda::parse_run_config(text, source_path());
  if (any_override) sgda::apply_overrides(config, overrides);
  check_round_trip(config);

  const sgda::ProblemSpec& p = config.problem;
  if (entries(p) > kMaxEntries || dimension(p) > kMaxDimension) {
    sgda::fuzz::note("valid, too large to build here");
    return;
  }
  const std::shared_ptr<sgda::AffineGame> game = sgda::build_problem(config);
  check_finite(*game);

  // What `sgda solve` does next (apps/commands.cpp), on a short leash.
  std::unique_ptr<sgda::Estimator> estimator;
  try {
    estimator = sgda::make_estimator(config.estimator, *game);
  } catch (const sgda::InputError& e) {
    throw sgda::located_error(config, e.what());
  }
  sgda::SolverOptions options = config.solver;
  options.max_iterations = std::min(options.max_iterations, kMaxIterations);
  options.max_time_seconds = 1.0;
  options.checkpoint_every = 0;
  const std::unique_ptr<sgda::StepRule> step = sgda::build_step(config);
  try {
    const sgda::Summary summary =
        sgda::solve(*game, *estimator, *step, options, sgda::Vector::Zero(game->dim()));
    if (summary.x.size() != game->dim()) sgda::fuzz::fail("solve returned a wrong-sized x", "");
    sgda::fuzz::note("solved: " + summary.BriefReport());
  } catch (const sgda::InputError& e) {
    throw sgda::located_error(config, e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const fs::path dir = sgda::fuzz::scratch_dir();
  sgda::QuadraticGameOptions options;
  options.samples = 4;
  options.dimension = 2;
  options.seed = 1;
  sgda::save_affine_game((dir / "game.h5").string(), sgda::generate_quadratic_game(options));
  std::ofstream(dir / "notes.h5") << "not an HDF5 file\n";
  fs::create_directory(dir / "folder.h5");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    run(text);
  } catch (const sgda::InputError& e) {
    sgda::fuzz::note(e.what());
    check_message(e);
  }
  return 0;
}
