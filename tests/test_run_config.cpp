// Problem files through the library (load_run_config, parse_run_config, apply_overrides,
// to_settings): the examples load, defaults, flags over the file, settings, typo hints. The same
// files met through `sgda solve`: tests/cli/.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "cli_helpers.hpp"
#include "fixtures.hpp"
#include "sgda/error.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/io/trace_file.hpp"

namespace fs = std::filesystem;

using sgda::testing::kSmallGame;
using sgda::testing::kSource;

TEST_CASE("problem files: defaults, overrides and settings", "[run_config]") {
  using sgda::InputError;
  SECTION("every example loads") {
    for (const char* name :
         {"quadratic.toml", "quadratic_l1_linf.toml", "bilinear.toml", "importance.toml"}) {
      INFO(name);
      const sgda::RunConfig config =
          sgda::load_run_config((kSource / "examples" / "games" / name).string());
      CHECK_FALSE(sgda::to_settings(config).empty());
    }
  }
  SECTION("a number alone means a constant step; flags win over the file") {
    sgda::RunConfig config = sgda::parse_run_config(kSmallGame + "step_size = 0.05\n",
                                                    (fs::path("dir") / "x.toml").string());
    CHECK(config.solver.step_size.rule == sgda::StepSizeRule::kConstant);
    CHECK(config.solver.step_size.gamma == 0.05);
    sgda::apply_overrides(config, {{"run.step_schedule", "--step-schedule", "switching"}});
    CHECK(config.solver.step_size.rule == sgda::StepSizeRule::kSwitching);
    sgda::apply_overrides(config, {{"run.step_size", "--step-size", "0.2"}});
    CHECK(config.solver.step_size.rule == sgda::StepSizeRule::kConstant);
    CHECK(config.solver.step_size.gamma == 0.2);
    CHECK_THROWS_WITH(
        sgda::apply_overrides(config, {{"run.step_size", "--step-size", "0.2"},
                                       {"run.step_schedule", "--step-schedule", "theory"}}),
        Catch::Contains("--step-size"));
  }
  SECTION("ints are accepted as floats, relative outputs follow the file") {
    const sgda::RunConfig config = sgda::parse_run_config(
        "[problem]\ntype = \"bilinear\"\nmu = 0\ncoupling = 2\n[method]\nname = \"sgda\"\n"
        "[run]\noutput = \"out/run.h5\"\nstep_size = 1\n",
        (fs::path("some") / "where" / "x.toml").string());
    CHECK(config.problem.bilinear.mu == 0.0);
    CHECK(config.problem.bilinear.coupling == 2.0);
    CHECK(config.output == (fs::path("some") / "where" / "out" / "run.h5").string());
    const sgda::Settings s = sgda::to_settings(config);
    CHECK(s.at("problem.coupling") == "2");
    CHECK(s.count("problem.ell") == 0);  // a quadratic key
    CHECK(s.at("run.step_size") == "1");
    CHECK(s.at("regularizer.type") == "none");
  }
  SECTION("distributed method keys") {
    const sgda::RunConfig config = sgda::parse_run_config(
        "[problem]\ntype = \"quadratic\"\n[method]\nname = \"diana-sgda\"\nworkers = 5\n"
        "compressor = \"rand-k\"\nk = 4\nalpha = 0.2\n",
        "d.toml");
    CHECK(config.estimator.workers == 5);
    CHECK(config.estimator.compressor.type == sgda::CompressorType::kRandK);
    CHECK(config.estimator.compressor.k == 4);
    CHECK(config.estimator.alpha == 0.2);
    CHECK_THROWS_WITH(
        sgda::parse_run_config("[problem]\ntype = \"quadratic\"\n[method]\nname = \"qsgda\"\n"
                               "levels = 3\n",
                               "d.toml"),
        Catch::Contains("d.toml:5: method.levels: applies only to compressor = \"qsgd\" (here "
                        "compressor = \"identity\")"));
  }
  SECTION("typo hints only for plausible typos") {
    CHECK(sgda::closest_match("sampels", {"samples", "seed"}) == "samples");
    CHECK(sgda::closest_match("lamda", {"lambda", "radius"}) == "lambda");
    CHECK(sgda::closest_match("xyz", {"lambda", "radius"}).empty());
    CHECK(sgda::closest_match("samples", {"samples"}).empty());  // not a typo
  }
}
