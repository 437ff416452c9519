// Bad input met through the `sgda` command: exit code 2 and one line "sgda: error: ..." naming
// the file (with its line) or the flag and the field. The first table: typos, types, missing keys,
// the common flags; corrupted HDF5 games. More tables: tests/cli/test_malformed_inputs.cpp.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "cli_helpers.hpp"

using sgda::testing::lines;
using sgda::testing::read;
using sgda::testing::Result;
using sgda::testing::run;
using sgda::testing::TempDir;

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
