// How the `sgda` command treats the files it writes when things go wrong around it: a full disk
// (a small tmpfs, where this process may mount one), temporaries left by killed runs, and two
// runs writing the same output at once. The refusals of bad paths are the tables of
// tests/cli/test_malformed_inputs.cpp.
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>

#include "cli_helpers.hpp"
#include "sgda/io/game_file.hpp"
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

// A tmpfs of `size` mounted at dir/fs for the test's lifetime; mounted() is false where this
// process may not mount (not root, no CAP_SYS_ADMIN).
class SmallDisk {
 public:
  explicit SmallDisk(const std::string& size) {
    fs::create_directory(mount_);
    const std::string command =
        "mount -t tmpfs -o size=" + size + " tmpfs '" + mount_.string() + "' 2>/dev/null";
    mounted_ = std::system(command.c_str()) == 0;
  }
  ~SmallDisk() {
    if (mounted_) std::system(("umount '" + mount_.string() + "'").c_str());
  }
  bool mounted() const { return mounted_; }
  const TempDir& dir() const { return dir_; }
  // Fills the disk with dir/fs/filler until `leave` bytes are free.
  void fill_leaving(std::uintmax_t leave) const {
    fs::remove(mount_ / "filler");
    struct statvfs st {};
    REQUIRE(statvfs(mount_.c_str(), &st) == 0);
    const std::uintmax_t free = std::uintmax_t(st.f_bavail) * st.f_frsize;
    const std::uintmax_t size = free > leave ? free - leave : 0;
    std::system(("head -c " + std::to_string(size) + " /dev/zero > '" +
                 (mount_ / "filler").string() + "' 2>/dev/null")
                    .c_str());
  }

 private:
  TempDir dir_{"disk"};
  fs::path mount_ = dir_ / "fs";
  bool mounted_ = false;
};

bool has_temporary(const fs::path& folder) {
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.path().filename().string().find(".tmp-") != std::string::npos) return true;
  return false;
}

int status_of(int raw) { return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw); }

}  // namespace

TEST_CASE("a full disk while a game or a checkpoint is written: exit 2 naming it, no crash",
          "[cli][files][disk]") {
  SmallDisk disk("200k");
  if (!disk.mounted()) {
    WARN("skipped: cannot mount a tmpfs here (needs root); the full-disk paths go untested");
    return;
  }
  const TempDir& dir = disk.dir();
  // sgda generate: an earlier game, then a larger one with the disk almost full. Whatever the
  // free space, the command exits 0 or 2 (was: 139 when HDF5 closed the file twice; the game
  // holds 80 KB).
  REQUIRE(run("generate quadratic --samples 5 --dimension 2 -o fs/g.h5", dir).status == 0);
  const std::string earlier = sgda::testing::read(dir / "fs/g.h5");
  int refused = 0;
  for (std::uintmax_t leave = 0; leave <= 160 * 1024; leave += 8192) {
    disk.fill_leaving(leave);
    const Result r = run("generate quadratic --samples 100 --dimension 5 -o fs/g.h5 --force", dir);
    INFO("free bytes " << leave << "\nstderr: " << r.err);
    REQUIRE((r.status == 0 || r.status == 2));
    CHECK_FALSE(has_temporary(dir / "fs"));
    CHECK_FALSE(fs::exists(dir / "fs/g.h5.lock"));
    if (r.status == 0) break;  // enough space from here on
    ++refused;
    CHECK(sgda::testing::lines(r.err) == 1);
    CHECK(r.err.find("fs/g.h5") != std::string::npos);
    CHECK(r.err.find("disk full: ENOSPC") != std::string::npos);
    CHECK(sgda::testing::read(dir / "fs/g.h5") == earlier);
  }
  CHECK(refused > 0);

  // sgda solve with periodic checkpoints: the run file stops at its last checkpoint.
  fs::remove(dir / "fs/g.h5");
  dir.write("game.toml", kGame);
  refused = 0;
  for (std::uintmax_t leave = 8192; leave <= 64 * 1024; leave += 8192) {
    fs::remove(dir / "fs/run.h5");
    disk.fill_leaving(leave);
    const Result r = run(
        "solve game.toml --iterations 40000 --log-every 10 --checkpoint-every 2000 -o fs/run.h5",
        dir);
    INFO("free bytes " << leave << "\nstderr: " << r.err);
    REQUIRE((r.status == 0 || r.status == 2));
    CHECK_FALSE(has_temporary(dir / "fs"));
    CHECK_FALSE(fs::exists(dir / "fs/run.h5.lock"));
    if (r.status == 0) continue;
    ++refused;
    CHECK(sgda::testing::lines(r.err) == 1);
    CHECK(r.err.find("disk full: ENOSPC") != std::string::npos);
    if (fs::exists(dir / "fs/run.h5")) {  // the last checkpoint that fitted, intact
      const sgda::RunRecord record = sgda::load_run((dir / "fs/run.h5").string());
      CHECK(record.checkpoint.has_value());
      CHECK(record.settings.at("termination") == sgda::kRunInProgress);
    }
  }
  CHECK(refused > 0);

  // sgda report: its text files name the full disk too (was: "cannot write").
  dir.write("e.toml", "[experiment]\ntitle = \"t\"\nseeds = [1]\nstep_sizes = [0.001]\n" +
                          std::string(kGame).substr(0, std::string(kGame).find("[method]")) +
                          "[run]\niterations = 200\n[[method]]\nname = \"sgda\"\n");
  REQUIRE(run("experiment e.toml -o runs.h5", dir).status == 0);
  fs::remove(dir / "fs/run.h5");
  disk.fill_leaving(0);
  const Result r = run("report runs.h5 -o fs/r.html", dir);
  INFO(r.err);
  CHECK(r.status == 2);
  CHECK(sgda::testing::lines(r.err) == 1);
  CHECK(r.err.find("fs/r.html: cannot write") != std::string::npos);
  CHECK(r.err.find("disk full: ENOSPC") != std::string::npos);
  CHECK_FALSE(has_temporary(dir / "fs"));
  CHECK_FALSE(fs::exists(dir / "fs/r.html"));
}

TEST_CASE("a game of over 64 MiB goes to disk directly: refused whole on a full disk",
          "[cli][files][disk]") {
  // 100 samples of D = 400: 128 MB of matrices, written by HDF5 into space reserved first.
  SmallDisk disk("150m");
  if (!disk.mounted()) {
    WARN("skipped: cannot mount a tmpfs here (needs root); the full-disk paths go untested");
    return;
  }
  const TempDir& dir = disk.dir();
  const std::string command = "generate quadratic --samples 100 --dimension 200 -o fs/g.h5";
  disk.fill_leaving(100u << 20);
  Result r = run(command, dir);
  INFO("stderr: " << r.err);
  CHECK(r.status == 2);
  CHECK(sgda::testing::lines(r.err) == 1);
  CHECK(r.err.find("disk full: ENOSPC") != std::string::npos);
  CHECK_FALSE(has_temporary(dir / "fs"));
  CHECK_FALSE(fs::exists(dir / "fs/g.h5"));
  // With room: the game, and none of the reservation left past its end.
  disk.fill_leaving(140u << 20);
  r = run(command + " --force", dir);
  REQUIRE(r.status == 0);
  CHECK_FALSE(has_temporary(dir / "fs"));
  struct statvfs st {};
  REQUIRE(statvfs((dir / "fs").c_str(), &st) == 0);
  const std::uintmax_t free = std::uintmax_t(st.f_bavail) * st.f_frsize;
  const std::uintmax_t size = fs::file_size(dir / "fs/g.h5");
  CHECK(size > (128u << 20) * 0.95);
  CHECK(free + size >= (140u << 20) - (1u << 20));  // the file's blocks and little else
  const sgda::AffineGame game = sgda::load_affine_game((dir / "fs/g.h5").string());
  CHECK(game.num_samples() == 100);
  CHECK(game.dim() == 400);
}

TEST_CASE("a game too large to hold is written sample by sample, its disk claimed first",
          "[cli][files][disk]") {
  // 10^6 samples of D = 200: 320 GB, more than memory holds (n·D² > 1e9): sgda generate writes it
  // sample by sample, and claims the disk space before drawing anything (which takes hours).
  SmallDisk disk("1m");
  if (!disk.mounted()) {
    WARN("skipped: cannot mount a tmpfs here (needs root); the full-disk paths go untested");
    return;
  }
  const TempDir& dir = disk.dir();
  const Result r = run("generate quadratic --samples 1000000 --dimension 100 -o fs/g.h5", dir);
  INFO("stderr: " << r.err);
  CHECK(r.status == 2);
  CHECK(sgda::testing::lines(r.err) == 1);
  CHECK(r.err.find("fs/g.h5") != std::string::npos);
  CHECK(r.err.find("disk full: ENOSPC") != std::string::npos);
  CHECK_FALSE(has_temporary(dir / "fs"));
  CHECK_FALSE(fs::exists(dir / "fs/g.h5"));
}

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
