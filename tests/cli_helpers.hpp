// What the tests that run the `sgda` command or write files share: a scratch folder removed
// afterwards, reading a file whole, and running a command in a folder with both streams captured.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace sgda::testing {

namespace fs = std::filesystem;

// The command line under test and the source tree (set by tests/CMakeLists.txt).
inline const std::string kCli = SGDA_CLI_PATH;
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

// `sgda ARGS` in `dir` (ARGS as the shell reads them), optionally behind a wrapper such as
// "timeout 60 ".
inline Result run(const std::string& args, const TempDir& dir, const std::string& wrapper = "") {
  return shell(wrapper + "'" + kCli + "' " + args, dir);
}

}  // namespace sgda::testing
