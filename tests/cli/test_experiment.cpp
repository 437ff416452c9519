// `sgda experiment` resuming a runs file, run as a real process: after a complete run of part of
// the grid, and after SIGINT in the middle of a run; finished runs are never redone or touched.
// One job, so that runs finish in the order of the plan (--jobs: test_experiment_jobs.cpp).
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_helpers.hpp"
#include "fixtures.hpp"
#include "report_helpers.hpp"
#include "sgda/io/trace_file.hpp"
#include "sgda/report/experiment.hpp"

using namespace sgda;

namespace {

using sgda::testing::count;
using sgda::testing::kSmallExperiment;
using sgda::testing::read;
using sgda::testing::Result;
using sgda::testing::run;
using sgda::testing::runs_done;
using sgda::testing::shell;
using sgda::testing::TempDir;

}  // namespace

TEST_CASE("an experiment resumes without redoing finished runs", "[report][cli]") {
  // Driven by counts, never by timing: a runs file with exactly the runs of seed 3 is made by an
  // experiment planning only those (the same runs: same settings, so the same keys); the whole
  // experiment must then run exactly the 6 runs of seed 4 and keep the 6 others as they were.
  TempDir dir("report");
  dir.write("small.toml", kSmallExperiment);
  std::string subset = kSmallExperiment;
  subset.replace(subset.find("seeds = [3, 4]"), 14, "seeds = [3]");
  dir.write("subset.toml", subset);
  const Result first = run("experiment subset.toml -o small.h5 --jobs 1", dir);
  INFO(first.err);
  REQUIRE(first.status == 0);
  REQUIRE(runs_done(first.err) == std::vector<int>{1, 2, 3, 4, 5, 6});
  const std::vector<RunRecord> before = load_experiment_runs(dir.file("small.h5")).runs;
  REQUIRE(before.size() == 6);

  const Result second = run("experiment small.toml --jobs 1", dir);
  INFO(second.err);
  REQUIRE(second.status == 0);
  CHECK(second.err.find("resuming small.h5: 6 of 12 runs already there") != std::string::npos);
  CHECK(second.out.find("12 runs (6 new)") != std::string::npos);
  // The plan is methods x step sizes x seeds with the seeds varying fastest: seed 4 is every
  // second run, and only those ran.
  CHECK(runs_done(second.err) == std::vector<int>{2, 4, 6, 8, 10, 12});
  const std::vector<RunRecord> after = load_experiment_runs(dir.file("small.h5")).runs;
  REQUIRE(after.size() == 12);
  // The finished runs were kept as they were (wall times differ between any two executions of
  // a run), and the new ones are the seed-4 runs.
  for (std::size_t i = 0; i < after.size(); ++i) {
    INFO("run record " << i);
    if (i < before.size()) {
      CHECK(after[i].settings.at("experiment.key") == before[i].settings.at("experiment.key"));
      CHECK(after[i].trace.wall_time == before[i].trace.wall_time);
      CHECK(after[i].settings.at("experiment.seed") == "3");
    } else {
      CHECK(after[i].settings.at("experiment.seed") == "4");
    }
  }

  // Resuming a complete file runs nothing; another experiment's file is refused.
  const Result third = run("experiment small.toml", dir);
  CHECK(third.status == 0);
  CHECK(third.out.find("12 runs (0 new)") != std::string::npos);
  CHECK(runs_done(third.err).empty());
  std::string other = kSmallExperiment;
  other.replace(other.find("seed = 4"), 8, "seed = 5");  // another game: other keys
  dir.write("other.toml", other);
  const Result refused = run("experiment other.toml -o small.h5", dir);
  CHECK(refused.status == 2);
  CHECK(refused.err.rfind("sgda: error: small.h5: holds a run that other.toml does not plan (",
                          0) == 0);
  CHECK(count(refused.err, "\n") == 1);
  CHECK(run("experiment other.toml -o small.h5 --force", dir).status == 0);
  CHECK(load_experiment_runs(dir.file("small.h5")).runs.size() == 12);
}

TEST_CASE("an interrupted experiment keeps exactly its finished runs and resumes after them",
          "[report][cli][signal]") {
  // Runs 1-2 (L-SVRGDA) reach the tolerance at their first check; runs 3-4 (SGDA, which stalls
  // at a neighbourhood far above it) would take 1e11 iterations, hours. SIGINT is sent once
  // "run 2 of 4" is printed, so it always lands in run 3, whatever the machine's speed: exactly
  // two runs are finished. log_every bounds how long the signal takes to stop run 3.
  TempDir dir("report");
  dir.write("long.toml", sgda::testing::two_converging_two_stalling("100000000000", "500000"));
  // Interrupts `sgda experiment long.toml` once stderr shows "run N of"; the poll is bounded
  // (10 minutes) so that a broken run cannot hang the suite: the checks below then fail.
  auto interrupt_after = [&](const std::string& line) {
    dir.write("interrupt.sh",
              "'" + sgda::testing::kCli +
                  "' experiment long.toml --jobs 1 >exp_out.txt 2>exp_err.txt & pid=$!\n"
                  "polls=0\n"
                  "until grep -q '^" +
                  line +
                  "' exp_err.txt 2>/dev/null || ! kill -0 $pid 2>/dev/null || "
                  "[ $polls -ge 30000 ]; do sleep 0.02; polls=$((polls + 1)); "
                  "done\n"
                  "kill -INT $pid 2>/dev/null\n"
                  "wait $pid\n");
    Result r = shell("sh interrupt.sh", dir);
    r.out = read(dir / "exp_out.txt");
    r.err = read(dir / "exp_err.txt");
    return r;
  };

  // The signal lands in run 3, or (rarely: microseconds after the line is printed) just before
  // it starts, when the message names no run. Either way nothing of run 3 is saved.
  auto interrupted_in_run_3 = [](const std::string& err) {
    return err.find("sgda: interrupted by SIGINT in run 3 of 4 (not saved); ") !=
               std::string::npos ||
           err.find("sgda: interrupted by SIGINT; ") != std::string::npos;
  };

  const Result first = interrupt_after("run 2 of 4");
  INFO(first.err);
  REQUIRE(first.status == 130);
  CHECK(runs_done(first.err) == std::vector<int>{1, 2});
  CHECK(interrupted_in_run_3(first.err));
  CHECK(first.err.find("; 2 finished runs are in long.h5; run the same command again to resume") !=
        std::string::npos);
  const std::vector<RunRecord> before = load_experiment_runs(dir.file("long.h5")).runs;
  REQUIRE(before.size() == 2);
  for (const RunRecord& record : before) {
    CHECK(record.settings.at("experiment.label") == "l-svrgda");
    CHECK(record.settings.at("termination") == "converged");
  }

  // Resumed, it starts at run 3 (never redoing 1 or 2), and interrupted there again it keeps
  // the same two runs untouched.
  const Result second = interrupt_after("sgda: resuming long.h5: 2 of 4 runs already there");
  INFO(second.err);
  REQUIRE(second.status == 130);
  CHECK(runs_done(second.err).empty());
  CHECK(interrupted_in_run_3(second.err));
  const std::vector<RunRecord> after = load_experiment_runs(dir.file("long.h5")).runs;
  REQUIRE(after.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(after[i].settings.at("experiment.key") == before[i].settings.at("experiment.key"));
    CHECK(after[i].trace.wall_time == before[i].trace.wall_time);
  }
}
