// What the `sgda` command says about itself: `sgda list`, `--version`, `--help` with every flag of
// the option tables, and docs/options.md as `sgda list --markdown` writes it.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "cli_helpers.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/registry.hpp"
#include "sgda/regularizer.hpp"
#include "sgda/version.hpp"

using sgda::testing::kSource;
using sgda::testing::read;
using sgda::testing::Result;
using sgda::testing::run;
using sgda::testing::TempDir;

TEST_CASE("sgda list names every method, sampling, problem, regularizer and step rule", "[cli]") {
  TempDir dir;
  const Result r = run("list", dir);
  REQUIRE(r.status == 0);
  std::vector<std::string> names = sgda::enum_names<sgda::RegularizerType>();
  for (const auto& more :
       {sgda::enum_names<sgda::Method>(), sgda::enum_names<sgda::SamplingType>(),
        sgda::enum_names<sgda::ProblemType>(), sgda::enum_names<sgda::StepSizeRule>(),
        sgda::enum_names<sgda::CompressorType>(), sgda::enum_names<sgda::StepRuleType>(),
        sgda::enum_names<sgda::Scheme>(), sgda::enum_names<sgda::Averaging>()})
    names.insert(names.end(), more.begin(), more.end());
  REQUIRE(names.size() > 15);
  for (const auto& name : names) {
    INFO(name);
    CHECK(r.out.find("  " + name + " ") != std::string::npos);
  }
}

TEST_CASE("sgda --version and --help exit 0", "[cli]") {
  TempDir dir;
  const Result v = run("--version", dir);
  CHECK(v.status == 0);
  CHECK(v.out.find(std::string("sgda ") + sgda::kVersion + " (" + sgda::instruction_set() + ")") !=
        std::string::npos);
  for (const char* command :
       {"--help", "solve --help", "generate --help", "theory --help", "list --help"}) {
    const Result h = run(command, dir);
    INFO(command);
    CHECK(h.status == 0);
    CHECK(h.out.find("Usage") != std::string::npos);
  }
  // Every key of [method], [step] and [run] has its flag, with its type, range and default
  // (all from the option tables; a section left out of the command would show here).
  const Result h = run("solve --help", dir);
  std::size_t flags = 0;
  for (const char* section : {"method", "step", "run"}) {
    for (const sgda::FlagSpec& flag : sgda::section_flags(section)) {
      INFO(flag.field);
      CHECK(h.out.find("  " + flag.spelling + " ") != std::string::npos);
      CHECK(h.out.find(sgda::accepted_text(*flag.row)) != std::string::npos);
      ++flags;
    }
  }
  CHECK(flags >= 33);  // 10 [method] keys, 6 [step] keys (scale: files only), 17 [run] keys
  // `generate` has the generated games' keys.
  const Result g = run("generate --help", dir);
  for (const char* flag : {"--samples", "--dimension", "--mu", "--ell", "--noise", "--offset-noise",
                           "--heavy-scale", "--coupling", "--seed"})
    CHECK(g.out.find(std::string("  ") + flag + " ") != std::string::npos);
}

TEST_CASE("docs/options.md is the option tables, generated", "[cli][docs]") {
  TempDir dir;
  const Result r = run("list --markdown", dir);
  REQUIRE(r.status == 0);
  const std::string docs = read(kSource / "docs" / "options.md");
  INFO("regenerate it: build/sgda list --markdown > docs/options.md");
  CHECK(r.out == docs);
  // Every key of every table is in it, with its default.
  for (const sgda::RunSection& section : sgda::run_sections())
    for (const auto& row : section.table->rows()) {
      INFO(section.name << "." << row.key);
      CHECK(docs.find("| `" + row.key + "` |") != std::string::npos);
    }
}
