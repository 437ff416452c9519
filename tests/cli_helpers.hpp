// What the tests that run the `sgda` command or write files share: a scratch folder removed
// afterwards, reading a file whole, and running a command in a folder with both streams captured.
// Both test binaries include it; `kCli`, `run` and `example_game` exist only in sgda_cli_tests,
// the binary built with the command (tests/CMakeLists.txt defines SGDA_CLI_PATH for it alone).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace sgda::testing {

namespace fs = std::filesystem;

// The source tree (set by tests/CMakeLists.txt).
inline const fs::path kSource = SGDA_SOURCE_DIR;

// A fresh folder, /tmp/sgda_<tag>_XXXXXX, removed with everything in it when it goes out of scope.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "test") {
    std::string pattern = (fs::temp_directory_path() / ("sgda_" + tag + "_XXXXXX")).string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes `text` into the file `name` of this folder, bytes as given.
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
  }

 private:
  fs::path path_;
};

// The whole file; "" when it cannot be read.
inline std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Result {
  int status = -1;  // the exit code; -1 when the command did not exit normally
  std::string out, err;
};

// Runs a shell command in `dir`, its stdout and stderr captured in dir/stdout.txt, stderr.txt.
inline Result shell(const std::string& command, const TempDir& dir) {
  const std::string line =
      "cd '" + dir.path().string() + "' && " + command + " >stdout.txt 2>stderr.txt";
  const int raw = std::system(line.c_str());
  Result r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = read(dir / "stdout.txt");
  r.err = read(dir / "stderr.txt");
  return r;
}

// The number of lines of `text` (its '\n's).
inline std::size_t lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// The i of each line "run i of N: ..." an experiment printed, in the order printed (with --jobs,
// the order in which the runs finished).
inline std::vector<int> runs_done(const std::string& err) {
  std::vector<int> done;
  std::istringstream text(err);
  for (std::string line; std::getline(text, line);)
    if (line.rfind("run ", 0) == 0) done.push_back(std::stoi(line.substr(4)));
  return done;
}

#ifdef SGDA_CLI_PATH
// The command line under test.
inline const std::string kCli = SGDA_CLI_PATH;

// `sgda ARGS` in `dir` (ARGS as the shell reads them), optionally behind a wrapper such as
// "timeout 60 ".
inline Result run(const std::string& args, const TempDir& dir, const std::string& wrapper = "") {
  return shell(wrapper + "'" + kCli + "' " + args, dir);
}

// examples/games/<name> of the source tree, quoted for the command line.
inline std::string example_game(const std::string& name) {
  return "'" + (kSource / "examples" / "games" / name).string() + "'";
}
#endif

}  // namespace sgda::testing
