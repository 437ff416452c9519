// `mpirun -np 4 sgda solve`: the MPI backend through the command line (built with
// SGDA_WITH_MPI; tests/CMakeLists.txt gives SGDA_MPIRUN, the launcher and its flags), and what
// every build refuses.
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

// An MPI launcher's environment without the launcher: the commands that would run the same work
// in every process refuse.
TEST_CASE("several processes of an MPI launcher are refused where they would repeat the work",
          "[cli][mpi]") {
  sgda::testing::TempDir dir("mpi");
  const std::string game = sgda::testing::example_game("quadratic.toml");
  sgda::testing::Result r =
      sgda::testing::run("solve " + game + " --backend in-process", dir, "OMPI_COMM_WORLD_SIZE=4 ");
  CHECK(r.status == 2);
  CHECK(r.err.find("under an MPI launcher with 4 processes") != std::string::npos);
  r = sgda::testing::run("experiment nothing.toml", dir, "PMI_SIZE=2 ");
  CHECK(r.status == 2);
  CHECK(r.err.find("started 2 of them") != std::string::npos);
#ifndef SGDA_MPIRUN
  r = sgda::testing::run("solve " + game + " --backend mpi", dir);
  CHECK(r.status == 2);
  CHECK(r.err.find("built without MPI; reconfigure with -DSGDA_WITH_MPI=ON") != std::string::npos);
#endif
}

#ifdef SGDA_MPIRUN

namespace fs = std::filesystem;
using sgda::testing::kCli;
using sgda::testing::Result;
using sgda::testing::TempDir;

namespace {

const std::string kMpirun = SGDA_MPIRUN;

// A heterogeneous game: each of the 8 workers owns 3 samples of its own.
const char* kGame = R"(
[problem]
type = "quadratic"
samples = 24
dimension = 5
noise = 0.3
seed = 3
[method]
name = "diana-sgda"
workers = 8
compressor = "rand-k"
k = 3
[run]
step_size = 2e-3
tolerance = 0
iterations = 1000
log_every = 100
seed = 7
)";

Result mpirun(const std::string& args, const TempDir& dir) {
  return sgda::testing::shell(kMpirun + " '" + kCli + "' " + args, dir);
}

// The lines of `text` that sgda wrote ("sgda: ..."; the launcher adds its own report).
std::size_t sgda_lines(const std::string& text) {
  std::size_t count = 0;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) count += line.rfind("sgda:", 0) == 0;
  return count;
}

void check_same(const sgda::RunRecord& a, const sgda::RunRecord& b) {
  CHECK(a.x_final == b.x_final);  // bit for bit
  CHECK(a.settings.at("termination") == b.settings.at("termination"));
  CHECK(a.trace.iteration == b.trace.iteration);
  CHECK(a.trace.sample_evaluations == b.trace.sample_evaluations);
  CHECK(a.trace.bits == b.trace.bits);
  CHECK(a.trace.relative_distance_sq == b.trace.relative_distance_sq);
  CHECK(a.trace.residual_sq == b.trace.residual_sq);
}

}  // namespace

TEST_CASE("mpirun -np 4 sgda solve writes the in-process run and counts the bytes it sends",
          "[cli][mpi]") {
  TempDir dir("mpi");
  dir.write("game.toml", kGame);
  const Result local = sgda::testing::run("solve game.toml -o local.h5", dir);
  REQUIRE(local.status == 0);
  for (const char* compressor : {"rand-k", "qsgd"}) {
    INFO(compressor);
    const Result over_mpi = mpirun(
        std::string("solve game.toml --force --compressor ") + compressor + " -o mpi.h5", dir);
    INFO(over_mpi.err);
    REQUIRE(over_mpi.status == 0);
    CHECK(sgda::testing::lines(over_mpi.out) == 2);  // rank 0 alone prints: mpi, summary
    const sgda::RunRecord run = sgda::load_run((dir / "mpi.h5").string());
    if (compressor == std::string("rand-k"))
      check_same(run, sgda::load_run((dir / "local.h5").string()));
    CHECK(run.settings.at("mpi.ranks") == "4");
    const std::int64_t bits = run.trace.bits.back();
    const std::int64_t payload = std::stoll(run.settings.at("mpi.payload_bytes"));
    const std::int64_t messages = std::stoll(run.settings.at("mpi.messages"));
    CHECK(messages == 8 * 1000);
    CHECK(8 * payload >= bits);
    CHECK(8 * payload < bits + 8 * messages);  // under a byte of padding per message
  }
}

TEST_CASE("mpirun -np 4 sgda solve splits a game file over the ranks", "[cli][mpi]") {
  TempDir dir("mpi");
  REQUIRE(
      sgda::testing::run("generate quadratic --samples 24 --dimension 5 --seed 3 -o game.h5", dir)
          .status == 0);
  std::string problem = kGame;
  problem.replace(problem.find("type = \"quadratic\""), 18, "type = \"file\"\nfile = \"game.h5\"");
  for (const char* key : {"samples = 24\n", "dimension = 5\n", "noise = 0.3\n", "seed = 3\n"})
    problem.erase(problem.find(key), std::string(key).size());
  dir.write("file.toml", problem);
  REQUIRE(sgda::testing::run("solve file.toml -o local.h5", dir).status == 0);
  const Result over_mpi = mpirun("solve file.toml -o mpi.h5", dir);
  INFO(over_mpi.err);
  REQUIRE(over_mpi.status == 0);
  check_same(sgda::load_run((dir / "mpi.h5").string()),
             sgda::load_run((dir / "local.h5").string()));
  // The theory step needs every sample: then every rank reads the whole game, same run.
  const Result theory = mpirun("solve file.toml --step-size theory --force -o mpi.h5", dir);
  INFO(theory.err);
  CHECK(theory.status == 0);
}

TEST_CASE("mpirun -np 4 sgda solve trains a network data-parallel", "[cli][mpi][training]") {
  TempDir dir("mpi");
  // Debian's Fashion-MNIST, 242 of its training images (60 or 61 a rank), the metrics on its
  // 10000 test images (2500 a rank): each rank reads its rows only.
  const std::string problem = R"([problem]
type = "classifier"
data = "fashion-mnist"
train_samples = 242
hidden = "8"
[method]
name = "sgda"
sampling = "shuffle"
batch_size = 24
[step]
rule = "lamb"
[run]
step_size = 0.01
iterations = 30
log_every_epochs = 1
seed = 1
)";
  dir.write("mlp.toml", problem);
  REQUIRE(sgda::testing::run("solve mlp.toml -o local.h5", dir).status == 0);
  const Result over_mpi = mpirun("solve mlp.toml -o mpi.h5", dir);
  INFO(over_mpi.err);
  REQUIRE(over_mpi.status == 0);
  CHECK(sgda::testing::lines(over_mpi.out) == 2);  // rank 0 alone: the summary, the metrics
  const sgda::RunRecord local = sgda::load_run((dir / "local.h5").string());
  const sgda::RunRecord run = sgda::load_run((dir / "mpi.h5").string());
  // Each rank held its rows of the training and test images: the sums differ
  // from one process's by their order only (tests/mpi/test_mpi_training.cpp, 1e-12 relative).
  CHECK((run.x_final - local.x_final).norm() <= 1e-12 * local.x_final.norm());
  CHECK(run.trace.sample_evaluations == local.trace.sample_evaluations);
  REQUIRE(run.trace.extra.size() == local.trace.extra.size());
  REQUIRE(run.trace.extra.size() >= 4);  // train and test loss and accuracy
  for (std::size_t c = 0; c < run.trace.extra.size(); ++c)
    for (std::size_t row = 0; row < run.trace.size(); ++row) {
      const double a = run.trace.extra[c].values[row], b = local.trace.extra[c].values[row];
      INFO(run.trace.extra[c].name << " at row " << row);
      CHECK(std::abs(a - b) <= 1e-12 * std::abs(b));
    }
  // Batch normalization needs the whole minibatch on every rank.
  dir.write("bn.toml", "[problem]\nnormalization = \"batch\"" + problem.substr(9));
  const Result bn = mpirun("solve bn.toml", dir);
  CHECK(bn.status == 2);
  CHECK(sgda_lines(bn.err) == 1);
  CHECK(bn.err.find("data-parallel training over MPI") != std::string::npos);
  // So do the curvature rules: refused before the loop, in one line.
  std::string fisher = problem;
  fisher.replace(fisher.find("rule = \"lamb\""), 13, "rule = \"mbf\"");
  dir.write("mbf.toml", fisher);
  const Result mbf = mpirun("solve mbf.toml", dir);
  CHECK(mbf.status == 2);
  CHECK(sgda_lines(mbf.err) == 1);
  CHECK(mbf.err.find("sgda: error: rank 0 of 4: ") != std::string::npos);
  CHECK(mbf.err.find("needs all of its examples in every process") != std::string::npos);
}

TEST_CASE("a bad input under mpirun is one line naming the rank and exit 2 on every rank",
          "[cli][mpi]") {
  TempDir dir("mpi");
  dir.write("game.toml", kGame);
  Result r = mpirun("solve game.toml --workers 2", dir);  // fewer workers than ranks
  CHECK(r.status == 2);
  CHECK(sgda_lines(r.err) == 1);
  CHECK(r.err.find("sgda: error: rank 0 of 4: game.toml: workers: ") != std::string::npos);
  CHECK(r.err.find("at least the number of MPI ranks (4)") != std::string::npos);
  r = mpirun("solve game.toml --method sgda", dir);  // not a distributed method
  CHECK(r.status == 2);
  CHECK(sgda_lines(r.err) == 1);
  CHECK(r.err.find("accepted qsgda, diana-sgda or vr-diana-sgda") != std::string::npos);
}

TEST_CASE("a run that crashed in one process resumes under mpirun bit for bit",
          "[cli][mpi][checkpoint]") {
  TempDir dir("mpi");
  // D = 200: an iteration costs more than a round of messages between 4 oversubscribed ranks.
  std::string game = kGame;
  game.replace(game.find("dimension = 5"), 13, "dimension = 100");
  dir.write("game.toml", game);
  const std::string long_run = "solve game.toml --iterations 40000 --log-every 2000 ";
  REQUIRE(sgda::testing::run(long_run + "-o reference.h5", dir).status == 0);
  // In one process, killed without warning after its first periodic checkpoint.
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(dir.path().c_str()) != 0) _exit(127);
    std::freopen("/dev/null", "w", stdout);
    std::freopen("/dev/null", "w", stderr);
    execl(kCli.c_str(), kCli.c_str(), "solve", "game.toml", "--iterations", "40000", "--log-every",
          "2000", "--checkpoint-every", "4000", "-o", "run.h5", nullptr);
    _exit(127);
  }
  for (int i = 0; i < 12000 && !fs::exists(dir / "run.h5"); ++i)  // up to a minute
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  const sgda::RunRecord crashed = sgda::load_run((dir / "run.h5").string());
  REQUIRE(crashed.settings.at("termination") == sgda::kRunInProgress);
  const Result resumed = mpirun("solve --resume run.h5", dir);
  INFO(resumed.err);
  REQUIRE(resumed.status == 0);
  check_same(sgda::load_run((dir / "reference.h5").string()),
             sgda::load_run((dir / "run.h5").string()));
}
#endif

#ifdef SGDA_MPIRUN
namespace {

// `mpirun ... sgda ARGS` started in `dir` (stderr into dir/stderr.txt); the launcher's pid.
pid_t start_mpirun(const TempDir& dir, const std::string& args) {
  const pid_t launcher = fork();
  if (launcher == 0) {
    if (chdir(dir.path().c_str()) != 0) _exit(127);
    std::freopen("/dev/null", "w", stdout);
    std::freopen("stderr.txt", "w", stderr);
    const std::string line = "exec " + kMpirun + " '" + kCli + "' " + args;
    execl("/bin/sh", "sh", "-c", line.c_str(), nullptr);
    _exit(127);
  }
  return launcher;
}

// Waits up to a minute for the launcher (killed after that); true when it ended by itself with
// a non-zero status.
bool failed_in_time(pid_t launcher) {
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < 600 && done == 0; ++i) {
    done = waitpid(launcher, &status, WNOHANG);
    if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (done == 0) {
    kill(launcher, SIGKILL);
    waitpid(launcher, &status, 0);
    return false;
  }
  return !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

// Waits for the run file's first checkpoint, then sends `signal` to one rank: the launcher's
// newest child, a rank other than 0 here.
void signal_a_rank(const TempDir& dir, pid_t launcher, int signal) {
  for (int i = 0; i < 12000 && !fs::exists(dir / "run.h5"); ++i)  // up to a minute
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(fs::exists(dir / "run.h5"));
  const Result child =
      sgda::testing::shell("pgrep -n -P " + std::to_string(launcher) + " sgda", dir);
  REQUIRE(child.status == 0);
  kill(std::stoi(child.out), signal);
}

}  // namespace

TEST_CASE("a rank that dies ends the job without a hang and the checkpoint resumes",
          "[cli][mpi][checkpoint]") {
  TempDir dir("mpi");
  std::string game = kGame;
  game.replace(game.find("dimension = 5"), 13, "dimension = 100");
  dir.write("game.toml", game);
  const std::string args = "solve game.toml --iterations 40000 --log-every 2000 ";
  REQUIRE(sgda::testing::run(args + "-o reference.h5", dir).status == 0);
  const pid_t launcher = start_mpirun(dir, args + "--checkpoint-every 2000 -o run.h5");
  signal_a_rank(dir, launcher, SIGKILL);
  CHECK(failed_in_time(launcher));  // the launcher ended the others
  const sgda::RunRecord crashed = sgda::load_run((dir / "run.h5").string());
  REQUIRE(crashed.settings.at("termination") == sgda::kRunInProgress);
  const Result resumed = mpirun("solve --resume run.h5", dir);
  INFO(resumed.err);
  REQUIRE(resumed.status == 0);
  check_same(sgda::load_run((dir / "reference.h5").string()),
             sgda::load_run((dir / "run.h5").string()));
}

TEST_CASE("a rank that hangs ends the job after the MPI timeout with a line naming a rank",
          "[cli][mpi][checkpoint]") {
  TempDir dir("mpi");
  std::string game = kGame;
  game.replace(game.find("dimension = 5"), 13, "dimension = 100");
  dir.write("game.toml", game);
  const pid_t launcher =
      start_mpirun(dir,
                   "solve game.toml --iterations 400000 --checkpoint-every 2000 --mpi-timeout 2 "
                   "-o run.h5");
  signal_a_rank(dir, launcher, SIGSTOP);  // alive, never answering
  CHECK(failed_in_time(launcher));
  const std::string err = sgda::testing::read(dir / "stderr.txt");
  CHECK(err.find("no answer from the other ranks for 2 s (the MPI timeout)") != std::string::npos);
  CHECK(sgda::load_run((dir / "run.h5").string()).checkpoint.has_value());
}
#endif
