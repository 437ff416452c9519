// The golden files of final iterates: tests/golden/final_iterates*.txt hold, for every
// configuration of tests/configurations.hpp (every method, sampling, local oracle, compressor,
// step rule, scheme and averaging, on a small generated game and on the Dirac-GAN), the oracle
// counts and the final iterate after kIterations iterations from seed kSeed, every double
// written with 17 significant digits (so it reads back to the same bits). The library promises
// bitwise reproducible runs for a seed within an instruction set, so the test recomputes each and
// compares them exactly with the file of the build's set (kGolden).
//
// A deliberate change of a random stream or of an update formula changes lines of these files:
// regenerate them and commit the diff with the change that caused it, in a build of each set
// (cmake -DSGDA_ARCH=portable, x86-64-v3, x86-64-v4),
//
//   SGDA_UPDATE_GOLDEN=1 build/tests/sgda_tests '[golden]'
//
// which rewrites the build's file in the source tree (and still fails this run, so that an
// update is never silent). Without the variable a missing, extra or different line fails.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "configurations.hpp"
#include "sgda/version.hpp"

using namespace sgda;
using namespace sgda::testing;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kIterations = 300;
constexpr std::uint64_t kSeed = 2023;
// One file per instruction set (FMA and wider vectors round differently; within one set a run
// is the same bits on every machine): final_iterates.txt for the portable build,
// final_iterates.<set>.txt for x86-64-v3 and x86-64-v4.
const fs::path kGolden = fs::path(SGDA_SOURCE_DIR) / "tests" / "golden" /
                         (std::string(instruction_set()) == "portable"
                              ? std::string("final_iterates.txt")
                              : "final_iterates." + std::string(instruction_set()) + ".txt");

std::string full_precision(double v) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  return buffer;
}

// "<counts> | x = ... [| average = ...]": what the file keeps for one configuration.
std::string record(const Summary& s) {
  std::ostringstream out;
  out << "iterations=" << s.counters.iterations
      << " sample_evaluations=" << s.counters.sample_evaluations
      << " coordinate_evaluations=" << s.counters.coordinate_evaluations
      << " bits=" << s.counters.bits << " | x =";
  for (Index i = 0; i < s.x.size(); ++i) out << ' ' << full_precision(s.x[i]);
  if (s.x_average.size() > 0) {
    out << " | average =";
    for (Index i = 0; i < s.x_average.size(); ++i) out << ' ' << full_precision(s.x_average[i]);
  }
  return out.str();
}

const std::string kHeader =
    "# Final iterates of tests/configurations.hpp after 300 iterations from seed 2023 (constant\n"
    "# steps, x0 = the problem's initial point), checked bit for bit by tests/test_golden.cpp.\n"
    "# Regenerate after a deliberate change of a stream or formula, and commit the diff with it:\n"
    "#   SGDA_UPDATE_GOLDEN=1 build/tests/sgda_tests '[golden]'   (in a build of each instruction\n"
    "#   set: this file is for " +
    std::string(instruction_set()) +
    ")\n"
    "# Format: <configuration>: <oracle counts> | x = <x_1 ... x_D> [| average = <...>], %.17g.\n";

// name → record, from the file; empty when it does not exist.
std::map<std::string, std::string> read_golden() {
  std::map<std::string, std::string> records;
  std::ifstream in(kGolden);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto colon = line.find(": ");
    if (colon == std::string::npos) throw std::runtime_error("golden file: bad line: " + line);
    records[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return records;
}

// The numbers of a record's text, for a message saying which entries moved and by how much.
std::vector<double> numbers_after(const std::string& text, const std::string& marker) {
  std::vector<double> values;
  const auto at = text.find(marker);
  if (at == std::string::npos) return values;
  std::istringstream in(text.substr(at + marker.size()));
  std::string word;
  while (in >> word && word != "|") values.push_back(std::strtod(word.c_str(), nullptr));
  return values;
}

}  // namespace

TEST_CASE("final iterates of every configuration match the golden file bit for bit", "[golden]") {
  const std::vector<Configuration> configurations = all_configurations();
  const std::map<std::string, std::string> golden = read_golden();
  std::map<std::string, std::string> computed;
  std::string file = kHeader;
  for (const Configuration& c : configurations) {
    SolverOptions options;
    options.max_iterations = kIterations;
    options.log_every = kIterations;
    options.seed = kSeed;
    const Summary s = run_configuration(c, options);
    REQUIRE(s.reason == TerminationReason::kIterationLimit);  // no run stops early
    REQUIRE(s.x.allFinite());
    const std::string line = record(s);
    REQUIRE(computed.emplace(c.name, line).second);  // names are unique
    file += c.name + ": " + line + "\n";
  }
  CHECK(computed.size() >= 60);  // the list covers what tests/configurations.hpp says

  if (const char* update = std::getenv("SGDA_UPDATE_GOLDEN");
      update && std::strcmp(update, "1") == 0) {
    fs::create_directories(kGolden.parent_path());
    std::ofstream(kGolden, std::ios::binary) << file;
    FAIL("SGDA_UPDATE_GOLDEN=1: rewrote " << kGolden.string() << " with " << computed.size()
                                          << " configurations; review and commit the diff");
  }

  REQUIRE_FALSE(golden.empty());  // the file exists and has records
  for (const auto& [name, line] : computed) {
    INFO("configuration: " << name);
    const auto it = golden.find(name);
    if (it == golden.end()) {
      FAIL_CHECK("missing from the golden file (SGDA_UPDATE_GOLDEN=1 to add it)");
      continue;
    }
    // %.17g text is equal exactly when the doubles are (the same bits, -0 and 0 apart).
    if (it->second != line) {
      std::ostringstream moved;
      for (const std::string marker : {"x =", "average ="}) {
        const std::vector<double> want = numbers_after(it->second, marker),
                                  got = numbers_after(line, marker);
        for (std::size_t i = 0; i < std::min(want.size(), got.size()); ++i)
          if (want[i] != got[i])
            moved << marker.substr(0, marker.size() - 2) << "[" << i
                  << "]: " << full_precision(got[i]) << " (golden " << full_precision(want[i])
                  << ", relative change " << (got[i] - want[i]) / std::abs(want[i]) << ")\n";
      }
      INFO("golden:   " << it->second << "\ncomputed: " << line << "\n" << moved.str());
      FAIL_CHECK("differs from the golden file");
    }
  }
  for (const auto& [name, line] : golden) {
    INFO("golden file entry: " << name);
    CHECK(computed.count(name) == 1);  // no stale entries
  }
}
