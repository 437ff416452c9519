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

// "#--flag value" lines, as the command line would hand them to apply_overrides (flags as
// `sgda solve` has them: sgda::section_flags); unknown flags are skipped (CLI11 refuses them).
sgda::RunOverrides read_overrides(std::string_view text) {
  sgda::RunOverrides overrides;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.substr(0, 3) != "#--") continue;
    line.remove_prefix(1);
    const std::size_t space = line.find(' ');
    const std::string flag(line.substr(0, space));
    const std::string value(space == std::string_view::npos ? "" : line.substr(space + 1));
    for (const char* section : {"method", "step", "run"})
      for (const sgda::FlagSpec& f : sgda::section_flags(section))
        if (f.name == flag)
          overrides.push_back(
              {f.field, f.name, f.row->type == sgda::FieldType::kBoolean ? "true" : value});
  }
  return overrides;
}

// Doubles the generated game would hold, n*(2d)^2; 0 for file games.
double entries(const sgda::ProblemSpec& p) {
  auto count = [](sgda::Index n, sgda::Index d) { return double(n) * 4.0 * double(d) * double(d); };
  if (p.type == sgda::ProblemType::kQuadratic)
    return count(p.quadratic.samples, p.quadratic.dimension);
  if (p.type == sgda::ProblemType::kBilinear)
    return count(p.bilinear.samples, p.bilinear.dimension);
  return 0.0;
}

sgda::Index dimension(const sgda::ProblemSpec& p) {
  if (p.type == sgda::ProblemType::kQuadratic) return p.quadratic.dimension;
  if (p.type == sgda::ProblemType::kBilinear) return p.bilinear.dimension;
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
  const sgda::RunOverrides overrides = read_overrides(text);
  sgda::RunConfig config = sgda::parse_run_config(text, source_path());
  if (!overrides.empty()) sgda::apply_overrides(config, overrides);
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
    throw sgda::located_error(config, e);
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
    throw sgda::located_error(config, e);
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
