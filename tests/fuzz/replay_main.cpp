// Runs a fuzz target without libFuzzer: every file named on the command line, and every file
// under every folder named there, once, in sorted order. Regular builds use it (a CTest test per
// corpus) so inputs that once crashed stay fixed without clang or libFuzzer.
//   replay_<target> DIR_OR_FILE...
// Exit code 0 when every input ran; 1 (naming the input) when one threw; a crash aborts as it
// would under the fuzzer, after the input's name was printed.
#include <algorithm>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_target.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  LLVMFuzzerInitialize(&argc, &argv);
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    const fs::path arg = argv[i];
    if (fs::is_directory(arg)) {
      for (const auto& entry : fs::recursive_directory_iterator(arg))
        if (entry.is_regular_file()) inputs.push_back(entry.path());
    } else if (fs::is_regular_file(arg)) {
      inputs.push_back(arg);
    } else {
      std::cerr << "replay: no such file or folder: " << arg.string() << "\n";
      return 2;
    }
  }
  if (inputs.empty()) {
    std::cerr << "replay: no inputs; usage: " << argv[0] << " DIR_OR_FILE...\n";
    return 2;
  }
  std::sort(inputs.begin(), inputs.end());

  int failures = 0;
  for (const fs::path& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
    // Printed first, so a crash (abort, sanitizer report) is attributed to its input.
    std::cerr << "replay: " << path.string() << " (" << bytes.size() << " bytes)\n";
    try {
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    } catch (const std::exception& e) {
      std::cerr << "replay: FAILED " << path.string() << ": uncaught exception: " << e.what()
                << "\n";
      ++failures;
    } catch (...) {
      std::cerr << "replay: FAILED " << path.string() << ": uncaught non-standard exception\n";
      ++failures;
    }
  }
  std::cerr << "replay: " << inputs.size() - static_cast<std::size_t>(failures) << " of "
            << inputs.size() << " inputs passed\n";
  return failures == 0 ? 0 : 1;
}
