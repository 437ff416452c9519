// How the `sgda` command treats the files it writes when things go wrong around it: temporaries
// left by killed runs, and two runs writing the same output at once. The refusals of bad paths are the tables of
// tests/cli/test_malformed_inputs.cpp.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

#include "cli_helpers.hpp"
#include "sgda/io/trace_file.hpp"

namespace fs = std::filesystem;

namespace {

using sgda::testing::kCli;
using sgda::testing::Result;
using sgda::testing::run;
using sgda::testing::TempDir;

// A game whose runs take a few seconds at 30 million iterations.
const char* kGame = R"([problem]
type = "quadratic"
samples = 20
dimension = 5
seed = 3
[method]
name = "sgda"
[run]
step_size = 2e-3
tolerance = 0
log_every = 500
)";

bool has_temporary(const fs::path& folder) {
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.path().filename().string().find(".tmp-") != std::string::npos) return true;
  return false;
}

int status_of(int raw) { return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw); }

}  // namespace

TEST_CASE("temporaries of runs that were killed are removed by the next run of that output",
          "[cli][files]") {
  TempDir dir("stale");
  dir.write("game.toml", kGame);
  // A process that has ended: its pid names a stale temporary.
  const pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  const std::string stale = "run.h5.tmp-" + std::to_string(dead);
  const std::string live = "run.h5.tmp-" + std::to_string(getpid());  // this test: running
  const std::string other = "other.h5.tmp-" + std::to_string(dead);   // another output's
  for (const std::string& name : {stale, live, other}) dir.write(name, "half a file");
  const Result r = run("solve game.toml --iterations 100 -o run.h5", dir);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK_FALSE(fs::exists(dir / stale));
  CHECK(fs::exists(dir / live));
  CHECK(fs::exists(dir / other));

  // --resume does the same, even when there is nothing to resume.
  dir.write(stale, "half a file");
  CHECK(run("solve --resume run.h5", dir).status == 2);
  CHECK_FALSE(fs::exists(dir / stale));
  CHECK(fs::exists(dir / live));
  // So do sgda experiment, generate and report, for their own outputs.
  dir.write("g.h5.tmp-" + std::to_string(dead), "half a file");
  REQUIRE(run("generate quadratic --samples 5 --dimension 2 -o g.h5", dir).status == 0);
  CHECK_FALSE(fs::exists(dir / ("g.h5.tmp-" + std::to_string(dead))));
}

TEST_CASE("two solves to the same new output: one writes it, the other is refused",
          "[cli][files][signal]") {
  TempDir dir("claim");
  dir.write("game.toml", kGame);
  const std::string solve = "'" + kCli + "' solve game.toml --iterations 2000 -o n.h5 --seed ";
  for (int trial = 0; trial < 5; ++trial) {
    fs::remove(dir / "n.h5");
    const Result r =
        sgda::testing::shell("( (" + solve + "1 >/dev/null 2>a.txt; echo $? >a.code) & (" + solve +
                                 "2 >/dev/null 2>b.txt; echo $? >b.code) & wait )",
                             dir);
    REQUIRE(r.status == 0);
    const std::string a = sgda::testing::read(dir / "a.code"),
                      b = sgda::testing::read(dir / "b.code");
    INFO("trial " << trial << ": exit codes " << a << b << "\n"
                  << sgda::testing::read(dir / "a.txt") << sgda::testing::read(dir / "b.txt"));
    // Was: both 0, one result silently lost.
    CHECK(((a == "0\n" && b == "2\n") || (a == "2\n" && b == "0\n")));
    CHECK_FALSE(fs::exists(dir / "n.h5.lock"));
  }

  // While a long run writes its output, another solve (with --force) or a resume is refused; a
  // run stopped by a signal, an error or kill -9 gives the output up.
  // Its first checkpoint (l.h5) shows the loop has started, with its signal handlers.
  const std::string long_run = "'" + kCli +
                               "' solve game.toml --iterations 300000000 --checkpoint-every "
                               "1000000 -o l.h5";
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c",
          ("cd '" + dir.path().string() + "' && exec " + long_run + " >/dev/null 2>/dev/null")
              .c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 6000 && !fs::exists(dir / "l.h5"); ++i)  // up to a minute
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(fs::exists(dir / "l.h5.lock"));
  const Result second = run("solve game.toml --iterations 100 -o l.h5 --force", dir);
  CHECK(second.status == 2);
  CHECK(second.err.find("l.h5: is being written by another sgda process") != std::string::npos);
  kill(pid, SIGINT);
  int raw = 0;
  waitpid(pid, &raw, 0);
  CHECK(status_of(raw) == 128 + SIGINT);
  CHECK_FALSE(fs::exists(dir / "l.h5.lock"));

  // An error after the claim (the game file is not HDF5) releases it too.
  dir.write("bad.toml",
            "[problem]\ntype = \"file\"\nfile = \"game.toml\"\n[method]\nname = "
            "\"sgda\"\n");
  CHECK(run("solve bad.toml -o e.h5", dir).status == 2);
  CHECK_FALSE(fs::exists(dir / "e.h5.lock"));

  // kill -9 leaves the lock file, not the lock: the next run takes it over and removes it.
  dir.write("k.h5.lock", "");
  CHECK(run("solve game.toml --iterations 100 -o k.h5", dir).status == 0);
  CHECK_FALSE(fs::exists(dir / "k.h5.lock"));
}
