// The `sgda` command line, run as a real process: exit codes, stdout/stderr, the files it writes.
// Also the problem-file loader (load_run_config, apply_overrides, to_settings) directly.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli_helpers.hpp"
#include "sgda/error.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/io/trace_file.hpp"
#include "sgda/registry.hpp"
#include "sgda/regularizer.hpp"

namespace fs = std::filesystem;

namespace {

using sgda::testing::kCli;
using sgda::testing::kSource;
using sgda::testing::read;
using sgda::testing::Result;
using sgda::testing::run;
using sgda::testing::TempDir;

std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::string example(const std::string& name) {
  return "'" + (kSource / "examples" / "games" / name).string() + "'";
}

// A small, fast game: seconds matter when a test runs the binary twenty times.
const std::string kSmallGame = R"([problem]
type = "quadratic"
samples = 20
dimension = 3
mu = 1.0
ell = 5.0
seed = 4

[method]
name = "l-svrgda"

[run]
iterations = 100000
tolerance = 1e-10
)";

}  // namespace

TEST_CASE("sgda solve on the bundled example converges and writes its trace", "[cli]") {
  TempDir dir;
  const Result r = run("solve " + example("quadratic.toml") + " --method l-svrgda -o X.h5", dir);
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

TEST_CASE("sgda theory prints the constants, the step size and the rate", "[cli]") {
  TempDir dir;
  const Result r = run("theory " + example("quadratic.toml"), dir);
  INFO(r.err);
  REQUIRE(r.status == 0);
  for (const char* label : {"mu", "ell_hat", "L_i", "||x*||", "  A ", "  B ", "  C ", "  D1 ",
                            "  D2 ", "rho", "sigma_k^2", "step size", "contraction",
                            "neighbourhood", "iterations to rel. dist^2 1e-10"})
    CHECK(r.out.find(label) != std::string::npos);
  CHECK(r.out.find("l-svrgda") != std::string::npos);

  // SGDA has a neighbourhood (D1 > 0), so no iteration count.
  const Result s = run("theory " + example("importance.toml") + " --sampling uniform", dir);
  INFO(s.err);
  REQUIRE(s.status == 0);
  CHECK(s.out.find("sgda(sampling=uniform)") != std::string::npos);
  CHECK(s.out.find("n/a (D1 + M D2 > 0") != std::string::npos);
}

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
  CHECK(v.out.find("0.") != std::string::npos);
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

TEST_CASE("bad input: exit code 2 and one line naming the file and the field", "[cli]") {
  struct Case {
    const char* what;
    std::string toml;  // written to bad.toml unless empty
    std::string args;
    std::vector<std::string> expected;  // substrings of the message
  };
  const std::string method = "[method]\nname = \"l-svrgda\"\n";
  const std::string quadratic = "[problem]\ntype = \"quadratic\"\nsamples = 10\ndimension = 2\n";
  const std::string good = quadratic + method;
  const std::vector<Case> cases = {
      {"unknown method",
       quadratic + "[method]\nname = \"sgdx\"\n",
       "solve bad.toml",
       {"bad.toml:6", "method.name", "did you mean \"sgda\"", "l-svrgda"}},
      {"unknown key with a hint",
       "[problem]\ntype = \"quadratic\"\nsampels = 10\n" + method,
       "solve bad.toml",
       {"bad.toml:3", "problem.sampels", "did you mean \"samples\""}},
      {"unknown table with a hint",
       "[probelm]\ntype = \"quadratic\"\n" + method,
       "solve bad.toml",
       {"bad.toml:1", "[probelm]", "did you mean [problem]"}},
      {"key in the wrong table",
       good + "iterations = 5\n",
       "solve bad.toml",
       {"bad.toml", "method.iterations", "[run]"}},
      {"key of another problem type",
       quadratic + "coupling = 2.0\n" + method,
       "solve bad.toml",
       {"bad.toml:5", "problem.coupling", "quadratic"}},
      {"string where a number is expected",
       quadratic + "mu = \"big\"\n" + method,
       "solve bad.toml",
       {"bad.toml:5", "problem.mu", "number"}},
      {"boolean where an integer is expected",
       good + "[run]\niterations = true\n",
       "solve bad.toml",
       {"bad.toml", "run.iterations", "integer"}},
      {"float where an integer is expected",
       good + "[run]\niterations = 10.5\n",
       "solve bad.toml",
       {"bad.toml", "run.iterations", "integer"}},
      {"negative samples",
       "[problem]\ntype = \"quadratic\"\nsamples = -3\n" + method,
       "solve bad.toml",
       {"bad.toml:3", "problem.samples", ">= 1"}},
      {"negative seed",
       quadratic + "seed = -1\n" + method,
       "solve bad.toml",
       {"bad.toml:5", "problem.seed", "non-negative"}},
      {"ell below mu",
       quadratic + "mu = 2.0\nell = 1.0\n" + method,
       "solve bad.toml",
       {"bad.toml", "problem.ell", "mu"}},
      {"missing problem file", "", "solve missing.toml", {"missing.toml", "not found"}},
      {"missing problem.type",
       "[problem]\nsamples = 10\n" + method,
       "solve bad.toml",
       {"bad.toml", "problem.type", "quadratic, bilinear, file"}},
      {"missing method.name",
       quadratic + "[method]\n",
       "solve bad.toml",
       {"bad.toml", "method.name", "missing"}},
      {"missing problem.file",
       "[problem]\ntype = \"file\"\n" + method,
       "solve bad.toml",
       {"bad.toml", "problem.file", "missing"}},
      {"game file not found",
       "[problem]\ntype = \"file\"\nfile = \"nothere.h5\"\n" + method,
       "solve bad.toml",
       {"bad.toml:3", "problem.file", "nothere.h5", "not found"}},
      {"TOML syntax error",
       "[problem]\ntype = \"quadratic\n" + method,
       "solve bad.toml",
       {"bad.toml:2:", "TOML syntax error"}},
      {"step size \"fast\" in the file",
       good + "[run]\nstep_size = \"fast\"\n",
       "solve bad.toml",
       {"bad.toml:8", "run.step_size", "theory"}},
      {"constant rule without a number",
       good + "[run]\nstep_schedule = \"constant\"\n",
       "solve bad.toml",
       {"bad.toml:8", "run.step_schedule", "step_size"}},
      {"number with the theory rule",
       good + "[run]\nstep_size = 0.1\nstep_schedule = \"theory\"\n",
       "solve bad.toml",
       {"bad.toml:8", "run.step_size", "constant"}},
      {"p = 0 in the file",
       good + "probability = 0.0\n",
       "solve bad.toml",
       {"bad.toml:7", "method.probability", "(0, 1]"}},
      {"key of another method",
       good + "sampling = \"nice\"\n",
       "solve bad.toml",
       {"bad.toml:7", "method.sampling", "l-svrgda"}},
      {"batch size larger than n",
       quadratic + "[method]\nname = \"sgda\"\nsampling = \"nice\"\nbatch_size = 11\n",
       "solve bad.toml",
       {"bad.toml:8", "method.batch_size", "10"}},
      {"unknown regularizer",
       good + "[regularizer]\ntype = \"l3\"\n",
       "solve bad.toml",
       {"bad.toml:8", "regularizer.type", "l1-linf"}},
      {"box with lower > upper",
       good + "[regularizer]\ntype = \"box\"\nlower = 1.0\nupper = -1.0\n",
       "solve bad.toml",
       {"bad.toml:10", "regularizer.upper", "at least lower (1), got -1"}},
      {"bad flag value", good, "solve bad.toml --iterations abc", {"--iterations", "abc"}},
      {"unknown flag", good, "solve bad.toml --bogus 3", {"--bogus"}},
      {"p = 0 flag", good, "solve bad.toml --probability 0", {"--probability", "(0, 1]"}},
      {"p > 1 flag", good, "solve bad.toml --probability 1.5", {"--probability", "1.5"}},
      {"step size \"fast\" flag",
       good,
       "solve bad.toml --step-size fast",
       {"--step-size", "fast", "theory"}},
      {"unknown method flag",
       good,
       "solve bad.toml --method lsvrgda",
       {"--method", "did you mean \"l-svrgda\""}},
      {"flag of another method",
       good,
       "solve bad.toml --sampling nice",
       {"--sampling", "l-svrgda"}},
      {"negative seed flag", good, "solve bad.toml --seed=-2", {"--seed", "non-negative"}},
      {"zero iterations flag", good, "solve bad.toml --iterations 0", {"--iterations", ">= 1"}},
      {"output folder missing",
       good,
       "solve bad.toml -o no/such/dir/run.h5",
       {"--output", "no/such/dir"}},
      {"theory of a bad file",
       quadratic + "[method]\nname = \"sgdx\"\n",
       "theory bad.toml",
       {"bad.toml:6", "method.name"}},
      {"no subcommand", "", "", {"subcommand"}},
      {"unknown subcommand", "", "slove x.toml", {"slove", "did you mean \"solve\""}},
      {"generate an unknown kind", "", "generate cubic -o g.h5", {"cubic", "quadratic"}},
      {"generate with a flag of the other kind",
       "",
       "generate quadratic --coupling 2 -o g.h5",
       {"--coupling", "quadratic"}},
      {"generate with mu < 0", "", "generate quadratic --mu -1 -o g.h5", {"--mu", "> 0"}},
      {"generate without -o", "", "generate quadratic", {"--output"}},
  };
  REQUIRE(cases.size() >= 15);
  for (const Case& c : cases) {
    TempDir dir;
    if (!c.toml.empty()) dir.write("bad.toml", c.toml);
    const Result r = run(c.args, dir);
    INFO(c.what << "\nargs: " << c.args << "\nstderr: " << r.err << "stdout: " << r.out);
    CHECK(r.status == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.rfind("sgda: error: ", 0) == 0);
    CHECK(r.out.empty());
    for (const auto& part : c.expected) {
      INFO("expected: " << part);
      CHECK(r.err.find(part) != std::string::npos);
    }
  }
}

TEST_CASE("corrupted HDF5 games are one-line errors naming problem.file", "[cli]") {
  TempDir dir;
  REQUIRE(run("generate quadratic --samples 5 --dimension 2 -o good.h5", dir).status == 0);
  const std::string bytes = read(dir / "good.h5");
  dir.write("truncated.h5", bytes.substr(0, bytes.size() / 2));
  dir.write("garbage.h5", "this is not an HDF5 file\n");
  for (const char* name : {"truncated.h5", "garbage.h5"}) {
    dir.write("bad.toml", std::string("[problem]\ntype = \"file\"\nfile = \"") + name +
                              "\"\n[method]\nname = \"sgda\"\n");
    const Result r = run("solve bad.toml", dir);
    INFO(name << ": " << r.err);
    CHECK(r.status == 2);
    CHECK(lines(r.err) == 1);
    CHECK(r.err.find("bad.toml:3: problem.file") != std::string::npos);
    CHECK(r.err.find(name) != std::string::npos);
  }
}

TEST_CASE("problem files: defaults, overrides and settings", "[cli][run_config]") {
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
