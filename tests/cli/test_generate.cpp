// `sgda generate`, run as a real process: the game file it writes, solved as a type = "file"
// problem. The numbers it prints: tests/cli/test_numbers.cpp.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "cli_helpers.hpp"
#include "sgda/io/trace_file.hpp"

namespace fs = std::filesystem;

using sgda::testing::Result;
using sgda::testing::run;
using sgda::testing::TempDir;

TEST_CASE("sgda generate writes a game that a type = file problem solves", "[cli]") {
  TempDir dir;
  const Result g =
      run("generate quadratic --samples 30 --dimension 4 --mu 0.5 --ell 8 --seed 2 -o g.h5", dir);
  INFO(g.err);
  REQUIRE(g.status == 0);
  CHECK(g.out.find("mu") != std::string::npos);
  CHECK(g.out.find("ell_hat") != std::string::npos);
  CHECK(g.out.find("L_i") != std::string::npos);
  REQUIRE(fs::exists(dir / "g.h5"));

  // problem.file is relative to the TOML file's folder, not the working directory.
  fs::create_directory(dir / "sub");
  dir.write("sub/solve.toml",
            "[problem]\ntype = \"file\"\nfile = \"../g.h5\"\n[method]\nname = \"l-svrgda\"\n"
            "[run]\ntolerance = 1e-10\n");
  const Result s = run("solve sub/solve.toml -o run.h5", dir);
  INFO(s.err);
  REQUIRE(s.status == 0);
  CHECK(s.out.find("converged") != std::string::npos);
  const sgda::RunRecord record = sgda::load_run((dir / "run.h5").string());
  CHECK(record.settings.at("problem.type") == "file");
  CHECK(record.x_final.size() == 8);

  const Result b = run("generate bilinear --samples 10 --dimension 2 --coupling 2 -o b.h5", dir);
  INFO(b.err);
  CHECK(b.status == 0);
}

TEST_CASE("sgda generate overwrites a game only with --force", "[cli][files]") {
  TempDir dir;
  REQUIRE(run("generate quadratic --samples 5 --dimension 2 -o g.h5", dir).status == 0);
  const std::string first = sgda::testing::read(dir / "g.h5");
  const Result again = run("generate quadratic --samples 6 --dimension 2 -o g.h5", dir);
  CHECK(again.status == 2);
  CHECK(again.err.find("--output: g.h5: exists; accepted a new file, or --force") !=
        std::string::npos);
  CHECK(sgda::testing::read(dir / "g.h5") == first);
  const Result forced = run("generate quadratic --samples 6 --dimension 2 -o g.h5 --force", dir);
  INFO(forced.err);
  CHECK(forced.status == 0);
  CHECK(sgda::testing::read(dir / "g.h5") != first);
}
