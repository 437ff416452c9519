// `sgda theory`, run as a real process: what it prints for the example games, and that its
// numbers are analyse_theory's. The same numbers against the formulas of docs/theory.md:
// tests/cli/test_numbers.cpp; analyse_theory itself: tests/test_theory.cpp.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cli_helpers.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/registry.hpp"
#include "sgda/rng.hpp"
#include "sgda/solver.hpp"
#include "sgda/theory.hpp"

using namespace sgda;
using sgda::testing::example_game;
using sgda::testing::Result;
using sgda::testing::run;
using sgda::testing::TempDir;

namespace {

std::string format(const char* pattern, double value) {
  if (std::isnan(value)) return "unknown";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

// stdout of `sgda <args>`, which must succeed.
std::string cli_output(const std::string& args) {
  TempDir dir("theory");
  const Result r = run(args, dir);
  INFO(args << "\n" << r.err);
  REQUIRE(r.status == 0);
  return r.out;
}

}  // namespace

TEST_CASE("sgda theory prints the constants, the step size and the rate", "[cli]") {
  TempDir dir;
  const Result r = run("theory " + example_game("quadratic.toml"), dir);
  INFO(r.err);
  REQUIRE(r.status == 0);
  for (const char* label : {"mu", "ell_hat", "L_i", "||x*||", "  A ", "  B ", "  C ", "  D1 ",
                            "  D2 ", "rho", "sigma_k^2", "step size", "contraction",
                            "neighbourhood", "iterations to rel. dist^2 1e-10"})
    CHECK(r.out.find(label) != std::string::npos);
  CHECK(r.out.find("l-svrgda") != std::string::npos);

  // SGDA has a neighbourhood (D1 > 0), so no iteration count.
  const Result s = run("theory " + example_game("importance.toml") + " --sampling uniform", dir);
  INFO(s.err);
  REQUIRE(s.status == 0);
  CHECK(s.out.find("sgda(sampling=uniform)") != std::string::npos);
  CHECK(s.out.find("n/a (D1 + M D2 > 0") != std::string::npos);
}

TEST_CASE("sgda theory prints analyse_theory's numbers for the example games", "[theory][cli]") {
  const std::filesystem::path games = std::filesystem::path(SGDA_SOURCE_DIR) / "examples/games";
  for (const char* game : {"quadratic", "importance", "bilinear", "quadratic_l1_linf"})
    for (const char* method : {"", "sega-sgda", "vr-diana-sgda"}) {  // files: sgda, l-svrgda
      const std::string path = (games / (std::string(game) + ".toml")).string();
      INFO(game << " " << method);
      RunConfig config = load_run_config(path);
      RunOverrides overrides;
      if (*method) overrides.push_back({"method.name", "--method", method});
      apply_overrides(config, overrides);
      const std::shared_ptr<Problem> problem = make_problem(config);
      const auto estimator = make_estimator(config.estimator, *problem);
      const auto step = build_step(config);
      const Vector x0 = problem->initial_point();
      Rng rng(config.solver.seed);
      Counters counters;
      estimator->reset(*problem, x0, rng, counters);
      SolverOptions at_theory = config.solver;
      at_theory.step_size = StepSizeOptions{.rule = StepSizeRule::kTheory};
      const Theory t = analyse_theory(*problem, *estimator, *step, at_theory, x0);

      const std::string out =
          cli_output("theory '" + path + "'" + (*method ? std::string(" --method ") + method : ""));
      INFO(out);
      CHECK(out.find("  A              " + format("%.6g", t.A) + "\n") != std::string::npos);
      CHECK(out.find("  rho            " + format("%.6g", t.rho) + "\n") != std::string::npos);
      CHECK(out.find("  step size      " + format("%.6g", t.theory_step_size) + "  (") !=
            std::string::npos);
      if (!std::isfinite(t.contraction)) continue;
      CHECK(out.find("  contraction    " + format("%.10g", t.contraction) + " per") !=
            std::string::npos);
      CHECK(out.find("  neighbourhood  " + format("%.6g", t.neighbourhood) + "  (") !=
            std::string::npos);
      if (std::isfinite(t.iterations_to_target) && t.initial_distance > 0.0)
        CHECK(out.find("1e-10  " + format("%.0f", t.iterations_to_target) + "  (from x0") !=
              std::string::npos);
    }
}
