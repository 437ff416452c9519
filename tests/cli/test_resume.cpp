// Checkpoint and resume through the command line, with real signals: an interrupted-then-resumed
// run ends with the same final iterate and trace (every column but wall time) as an
// uninterrupted run with the same seed, bit for bit.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli_helpers.hpp"
#include "sgda/io/trace_file.hpp"
#include "sgda/rng.hpp"

namespace fs = std::filesystem;

namespace {

using sgda::testing::kCli;
using sgda::testing::TempDir;

// Starts `sgda ARGS...` in `dir` with its output discarded; returns the child's pid.
pid_t start(const fs::path& dir, const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(dir.c_str()) != 0) _exit(127);
    std::freopen("/dev/null", "w", stdout);
    std::freopen((dir / "stderr.txt").c_str(), "w", stderr);
    std::vector<char*> argv = {const_cast<char*>(kCli.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(kCli.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run(const fs::path& dir, const std::vector<std::string>& args) {
  return wait_for(start(dir, args));
}

void require_same(const sgda::RunRecord& a, const sgda::RunRecord& b) {
  CHECK(a.x_final == b.x_final);
  CHECK(a.settings.at("termination") == b.settings.at("termination"));
  CHECK(a.trace.iteration == b.trace.iteration);
  CHECK(a.trace.sample_evaluations == b.trace.sample_evaluations);
  CHECK(a.trace.coordinate_evaluations == b.trace.coordinate_evaluations);
  CHECK(a.trace.epochs == b.trace.epochs);
  CHECK(a.trace.bits == b.trace.bits);
  CHECK(a.trace.relative_distance_sq == b.trace.relative_distance_sq);
  CHECK(a.trace.residual_sq == b.trace.residual_sq);
  CHECK(a.trace.step_size == b.trace.step_size);
}

// Sanitizer builds (CI) run the command 15-40 times slower: a tenth of the iterations keeps
// each run a few seconds long, still long enough to interrupt at a random point.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kScale = 10;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
constexpr long kScale = 10;
#else
constexpr long kScale = 1;
#endif
#else
constexpr long kScale = 1;
#endif
std::string iterations(long count) { return std::to_string(count / kScale); }

// A game small enough that a few hundred thousand iterations take about a second.
const char* kGame = R"(
[problem]
type = "quadratic"
samples = 20
dimension = 5
seed = 3
[regularizer]
type = "l1"
lambda = 0.05
[method]
name = "sgda"
[run]
step_size = 2e-3
tolerance = 0
log_every = 500
seed = 7
)";

struct Case {
  std::vector<std::string> method;
  std::string iterations;
};

}  // namespace

TEST_CASE("sgda solve resumes after a real SIGINT at a random point, bit for bit",
          "[cli][checkpoint][signal]") {
  const std::vector<Case> cases = {
      {{"--method", "l-svrgda"}, iterations(30000000)},
      {{"--method", "vr-diana-sgda", "--workers", "4", "--compressor", "rand-k", "--k", "3"},
       iterations(4000000)},
      {{"--method", "sega-sgda"}, iterations(80000000)},
      // A learning-rate schedule: γ_k depends on k alone, so the resumed run replays it.
      {{"--method", "sgda", "--step-decay", "cosine", "--restart-period", "1000000",
        "--restart-mult", "2", "--warmup-iterations", "100000"},
       iterations(30000000)},
  };
  sgda::Rng delays(20261129);  // fixed: the "random point" is reproducible
  for (const Case& c : cases) {
    INFO(c.method[1]);
    TempDir dir("resume");
    std::ofstream(dir.path() / "game.toml") << kGame;
    // A periodic checkpoint at 1/20 of the run shows that the loop has started, with its signal
    // handlers in place, whatever the machine's speed.
    const std::string every = std::to_string(std::stol(c.iterations) / 20);
    std::vector<std::string> args = {"solve",      "game.toml",          "--iterations",
                                     c.iterations, "--checkpoint-every", every};
    args.insert(args.end(), c.method.begin(), c.method.end());
    auto with_output = [&](const std::string& file) {
      auto a = args;
      a.insert(a.end(), {"-o", file});
      return a;
    };
    REQUIRE(run(dir.path(), with_output("reference.h5")) == 0);

    // Interrupt 0 to 100 ms after the first checkpoint; each run takes about 1.5 s here (0.3 s
    // and more in sanitizer builds).
    const pid_t pid = start(dir.path(), with_output("run.h5"));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!fs::exists(dir.path() / "run.h5") && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const int delay_ms = static_cast<int>(delays.index(100));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(pid, SIGINT);
    const int status = wait_for(pid);
    INFO("SIGINT " << delay_ms << " ms after the first checkpoint");
    REQUIRE(status == 128 + SIGINT);  // it was still running: the test exercises a resume
    const sgda::RunRecord interrupted = sgda::load_run((dir.path() / "run.h5").string());
    CHECK(interrupted.settings.at("termination") == "interrupted");
    REQUIRE(interrupted.checkpoint.has_value());

    // A torn copy is refused with a clear error; the real file still resumes.
    fs::copy_file(dir.path() / "run.h5", dir.path() / "torn.h5");
    fs::resize_file(dir.path() / "torn.h5", fs::file_size(dir.path() / "torn.h5") / 2);
    CHECK(run(dir.path(), {"solve", "--resume", "torn.h5"}) == 2);
    std::ifstream err(dir.path() / "stderr.txt");
    std::stringstream message;
    message << err.rdbuf();
    CHECK(message.str().find("torn.h5") != std::string::npos);

    REQUIRE(run(dir.path(), {"solve", "--resume", "run.h5"}) == 0);
    require_same(sgda::load_run((dir.path() / "reference.h5").string()),
                 sgda::load_run((dir.path() / "run.h5").string()));
    // A finished run has nothing to resume.
    CHECK(run(dir.path(), {"solve", "--resume", "run.h5"}) == 2);
  }
}

TEST_CASE("after a crash (SIGKILL) the last periodic checkpoint resumes bit for bit",
          "[cli][checkpoint][signal]") {
  TempDir dir("resume");
  std::ofstream(dir.path() / "game.toml") << kGame;
  const std::vector<std::string> base = {"solve",    "game.toml",    "--method",
                                         "l-svrgda", "--iterations", iterations(30000000)};
  auto with = [&](std::vector<std::string> extra) {
    auto a = base;
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  REQUIRE(run(dir.path(), with({"-o", "reference.h5"})) == 0);
  const pid_t pid =
      start(dir.path(), with({"-o", "run.h5", "--checkpoint-every", iterations(1500000)}));
  // Wait until a checkpoint exists, then kill without warning.
  for (int i = 0; i < 12000 && !fs::exists(dir.path() / "run.h5"); ++i)  // up to a minute
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  kill(pid, SIGKILL);
  REQUIRE(wait_for(pid) == 128 + SIGKILL);
  const sgda::RunRecord crashed = sgda::load_run((dir.path() / "run.h5").string());
  REQUIRE(crashed.settings.at("termination") == sgda::kRunInProgress);
  REQUIRE(crashed.checkpoint->counters.iterations % (1500000 / kScale) == 0);
  REQUIRE(run(dir.path(), {"solve", "--resume", "run.h5"}) == 0);
  require_same(sgda::load_run((dir.path() / "reference.h5").string()),
               sgda::load_run((dir.path() / "run.h5").string()));
}

TEST_CASE("outputs are never silently overwritten", "[cli][checkpoint]") {
  TempDir dir("resume");
  std::ofstream(dir.path() / "game.toml") << kGame;
  const std::vector<std::string> args = {"solve", "game.toml", "--iterations",
                                         "100",   "-o",        "run.h5"};
  REQUIRE(run(dir.path(), args) == 0);
  CHECK(run(dir.path(), args) == 2);
  auto forced = args;
  forced.push_back("--force");
  CHECK(run(dir.path(), forced) == 0);
  CHECK(run(dir.path(), {"solve", "--resume", "run.h5", "--iterations", "5"}) == 2);
}
