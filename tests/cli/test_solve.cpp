// `sgda solve`, run as a real process: exit codes, stdout/stderr, the run file it writes; flags
// over the file; SIGTERM; a GAN-style game from its example file.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli_helpers.hpp"
#include "fixtures.hpp"
#include "sgda/io/trace_file.hpp"

using sgda::testing::example_game;
using sgda::testing::kCli;
using sgda::testing::kSmallGame;
using sgda::testing::kSource;
using sgda::testing::lines;
using sgda::testing::read;
using sgda::testing::Result;
using sgda::testing::run;
using sgda::testing::TempDir;

TEST_CASE("sgda solve on the bundled example converges and writes its trace", "[cli]") {
  TempDir dir;
  const Result r =
      run("solve " + example_game("quadratic.toml") + " --method l-svrgda -o X.h5", dir);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(lines(r.out) == 1);
  CHECK(r.out.find("converged") != std::string::npos);
  CHECK(r.err.empty());  // no progress bar when stderr is not a terminal

  const sgda::RunRecord record = sgda::load_run((dir / "X.h5").string());
  REQUIRE(record.trace.size() > 1);
  CHECK(record.trace.relative_distance_sq.back() <= 1e-10);
  CHECK(record.settings.at("method.name") == "l-svrgda");
  CHECK(record.settings.at("problem.type") == "quadratic");
  CHECK(record.settings.at("run.step_size") == "theory");
  CHECK(record.x_final.size() == 20);
}

TEST_CASE("sgda solve flags override the file", "[cli]") {
  TempDir dir;
  dir.write("game.toml", kSmallGame);
  SECTION("--iterations") {
    const Result r = run("solve game.toml --iterations 7 --tolerance 0 -o run.h5", dir);
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("iteration limit after 7 iterations") != std::string::npos);
    const sgda::RunRecord record = sgda::load_run((dir / "run.h5").string());
    CHECK(record.trace.iteration.back() == 7);
    CHECK(record.settings.at("run.iterations") == "7");
    CHECK(record.settings.at("run.tolerance") == "0");
  }
  SECTION("a numeric --step-size means a constant step") {
    const Result r =
        run("solve game.toml --step-size 0.01 --iterations 50 --log-every 10 -o r.h5", dir);
    INFO(r.err);
    REQUIRE(r.status == 0);
    const sgda::RunRecord record = sgda::load_run((dir / "r.h5").string());
    CHECK(record.settings.at("run.step_schedule") == "constant");
    CHECK(record.settings.at("run.step_size") == "0.01");
    for (double gamma : record.trace.step_size) CHECK(gamma == 0.01);
    CHECK(record.trace.iteration == std::vector<std::int64_t>{0, 10, 20, 30, 40, 50});
  }
  SECTION("--method with its options, and the output of the file") {
    dir.write("with_output.toml", kSmallGame + "output = \"from_file.h5\"\n");
    const Result r =
        run("solve with_output.toml --method sgda --sampling nice --batch-size 5 --iterations 20 "
            "--seed 3",
            dir);
    INFO(r.err);
    REQUIRE(r.status == 0);
    CHECK(r.out.find("sgda(") == 0);
    const sgda::RunRecord record = sgda::load_run((dir / "from_file.h5").string());
    CHECK(record.settings.at("method.name") == "sgda");
    CHECK(record.settings.at("method.sampling") == "nice");
    CHECK(record.settings.at("method.batch_size") == "5");
    CHECK(record.settings.at("run.seed") == "3");
    CHECK(record.settings.count("method.probability") == 0);  // l-svrgda's, not sgda's
  }
}

TEST_CASE("sgda solve follows a learning-rate schedule from the file and from flags",
          "[cli][schedule]") {
  TempDir dir;
  dir.write("cosine.toml",
            "[problem]\ntype = \"quadratic\"\nsamples = 20\ndimension = 3\nseed = 4\n"
            "[method]\nname = \"sgda\"\n"
            "[run]\n"
            "step_size = 0.01\n"
            "iterations = 110\n"
            "log_every = 1\n"
            "step_decay = \"cosine\"\n"
            "decay_end = 0.2\n"
            "warmup_iterations = 10\n"
            "warmup_start_factor = 0.1\n");
  {
    const Result r = run("solve cosine.toml -o cosine.h5", dir);
    INFO(r.err);
    REQUIRE(r.status == 0);
    const sgda::RunRecord record = sgda::load_run(dir.file("cosine.h5"));
    CHECK(record.settings.at("run.step_decay") == "cosine");
    CHECK(record.settings.at("run.decay_end") == "0.2");
    CHECK(record.settings.at("run.warmup_iterations") == "10");
    CHECK(record.settings.at("run.warmup_start_factor") == "0.1");
    CHECK(record.settings.count("run.decay_every") == 0);  // only the keys that apply
    const std::vector<double>& gamma = record.trace.step_size;
    REQUIRE(gamma.size() == 111);                       // rows 0..110; row k > 0 has γ_{k−1}
    CHECK(gamma[0] == Approx(0.001).epsilon(1e-14));    // γ_0 = 0.01 · 0.1
    CHECK(gamma[10] == Approx(0.0091).epsilon(1e-14));  // γ_9 = 0.01 (0.1 + 0.9 · 9/10)
    CHECK(gamma[11] == 0.01);                           // γ_10: the cosine starts
    CHECK(gamma[61] == Approx(0.006).epsilon(1e-14));   // γ_60 = 0.01 (0.2 + 0.8/2)
    CHECK(gamma[110] == Approx(0.002).epsilon(1e-2));   // γ_109, next to the end 0.01 · 0.2
    CHECK(gamma[110] > 0.002);
    for (std::size_t row = 12; row < gamma.size(); ++row) CHECK(gamma[row] < gamma[row - 1]);
  }
  {
    // Flags over the file: a step decay every 20 iterations, no warmup.
    const Result r =
        run("solve cosine.toml --step-decay step --decay-every 20 --decay-factor 0.5 "
            "--warmup-iterations 0 -o step.h5",
            dir);
    INFO(r.err);
    REQUIRE(r.status == 0);
    const sgda::RunRecord record = sgda::load_run(dir.file("step.h5"));
    CHECK(record.settings.at("run.step_decay") == "step");
    CHECK(record.settings.at("run.decay_every") == "20");
    CHECK(record.settings.count("run.warmup_iterations") == 0);
    const std::vector<double>& gamma = record.trace.step_size;
    CHECK(gamma[20] == 0.01);   // γ_19
    CHECK(gamma[21] == 0.005);  // γ_20
    CHECK(gamma[41] == 0.0025);
  }
}

TEST_CASE("sgda solve stops on SIGTERM and still writes the trace", "[cli][signal]") {
  TempDir dir;
  dir.write("long.toml", kSmallGame);
  // Run in the background, signal it once it is surely in the loop, record its exit status.
  const std::string command = "cd '" + dir.path().string() + "' && ('" + kCli +
                              "' solve long.toml --iterations 2000000000 --tolerance 0 "
                              "--log-every 1000 -o run.h5 >stdout.txt 2>stderr.txt & pid=$!; "
                              "sleep 1; kill -TERM $pid; wait $pid; echo $? >status.txt)";
  REQUIRE(std::system(command.c_str()) == 0);
  CHECK(std::stoi(read(dir / "status.txt")) == 128 + 15);
  const std::string err = read(dir / "stderr.txt");
  CHECK(lines(err) == 1);
  CHECK(err.find("interrupted by SIGTERM") != std::string::npos);
  CHECK(err.find("run.h5") != std::string::npos);
  CHECK(read(dir / "stdout.txt").find(": interrupted after") != std::string::npos);
  const sgda::RunRecord record = sgda::load_run((dir / "run.h5").string());
  CHECK(record.trace.size() > 1);
  CHECK(record.settings.at("message").find("interrupted by SIGTERM") != std::string::npos);
}

TEST_CASE("sgda solve runs the Dirac-GAN example to the equilibrium", "[gan][cli]") {
  // The command line builds GAN types through make_problem and starts at initial_point().
  const TempDir dir("gan");
  const auto example = kSource / "examples" / "gan" / "dirac.toml";
  const Result r = run("solve '" + example.string() + "' -o run.h5", dir);
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("converged") != std::string::npos);
  const sgda::RunRecord record = sgda::load_run(dir.file("run.h5"));
  CHECK(record.trace.relative_distance_sq.front() == 1.0);  // from (1, 1), not from (0, 0)
  CHECK(record.trace.relative_distance_sq.back() <= 1e-20);
  CHECK(record.settings.at("problem.type") == "dirac-gan");
}

TEST_CASE("a run stopped at non-finite values exits with code 3, documented in --help",
          "[cli][exit]") {
  TempDir dir;
  dir.write("game.toml", kSmallGame);
  // A step of 1e200 makes x^1 huge but finite and x^2 overflow.
  const Result diverged = run("solve game.toml --step-size 1e200 --iterations 10 -o d.h5", dir);
  INFO(diverged.err);
  CHECK(diverged.status == 3);  // was: 0, like a converged run
  CHECK(diverged.out.find("non-finite after 1 iterations") != std::string::npos);
  CHECK(lines(diverged.err) == 1);
  CHECK(diverged.err.find("the run stopped without converging (its trace is written to d.h5)") !=
        std::string::npos);
  CHECK(sgda::load_run((dir / "d.h5").string()).settings.at("termination") == "non-finite");

  // x^1 itself: its squared distance is beyond a double, printed from the distance (was: inf).
  const Result huge = run("solve game.toml --step-size 1e200 --iterations 1", dir);
  INFO(huge.out);
  CHECK(huge.status == 0);
  CHECK(huge.out.find("rel. dist^2 inf") == std::string::npos);
  CHECK(huge.out.find("e+4") != std::string::npos);

  const Result help = run("--help", dir);
  CHECK(help.out.find("3 a run of sgda solve stopped at non-finite values") != std::string::npos);
}
