// `sgda generate`, run as a real process: the game file it writes, solved as a type = "file"
// problem. The numbers it prints: tests/cli/test_numbers.cpp.
#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "cli_helpers.hpp"
#include "sgda/io/game_file.hpp"
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

TEST_CASE("sgda generate --streamed writes the same game, one sample at a time", "[cli]") {
  TempDir dir;
  const std::string game = "generate bilinear --samples 12 --dimension 3 --seed 4";
  const Result held = run(game + " -o held.h5", dir);
  const Result streamed = run(game + " --streamed -o streamed.h5", dir);
  INFO(held.err << streamed.err);
  REQUIRE(held.status == 0);
  REQUIRE(streamed.status == 0);
  // Progress on stderr: the samples written, then the passes of the constants over the file.
  CHECK(streamed.err.find("generate: writing streamed.h5 sample by sample") != std::string::npos);
  CHECK(streamed.err.find("generate: wrote sample 12 of 12") != std::string::npos);
  CHECK(streamed.err.find("generate: constants: pass 1 over the samples") != std::string::npos);
  CHECK(held.err.empty());
  // The same game, bit for bit; the same constants to the printed digits (dense held, Lanczos
  // streamed: within 1e-10).
  const sgda::AffineGame a = sgda::load_affine_game((dir / "held.h5").string());
  const sgda::AffineGame b = sgda::load_affine_game((dir / "streamed.h5").string());
  REQUIRE(a.num_samples() == b.num_samples());
  for (sgda::Index i = 0; i < a.num_samples(); ++i) CHECK(a.sample_matrix(i) == b.sample_matrix(i));
  CHECK(a.offsets() == b.offsets());
  CHECK(*a.solution() == *b.solution());
  const auto first_line = [](const std::string& text) { return text.substr(0, text.find('\n')); };
  CHECK(first_line(streamed.out) == "wrote streamed.h5" + first_line(held.out).substr(13));
  CHECK(streamed.out.substr(streamed.out.find('\n')) == held.out.substr(held.out.find('\n')));
}
