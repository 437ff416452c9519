// What every sgda fuzz target shares: the libFuzzer entry points, a scratch folder, and the
// checks that turn a broken promise into a crash libFuzzer (or the replay driver) reports.
//
// A target is one translation unit defining LLVMFuzzerInitialize and LLVMFuzzerTestOneInput.
// It is linked twice: with -fsanitize=fuzzer (SGDA_BUILD_FUZZERS, clang only) for fuzzing, and
// with replay_main.cpp in every build, which runs it on each file of its corpus (a CTest test).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace sgda::fuzz {

// A fresh folder under the temporary directory (one per process), removed at normal exit.
inline const std::string& scratch_dir() {
  // Never destroyed, so the atexit handler can still read it.
  static const std::string* const dir = [] {
    namespace fs = std::filesystem;
    std::string pattern = (fs::temp_directory_path() / "sgda_fuzz_XXXXXX").string();
    if (!::mkdtemp(pattern.data())) {
      std::perror("sgda fuzz: mkdtemp");
      std::abort();
    }
    std::atexit([] {
      std::error_code ignored;
      fs::remove_all(scratch_dir(), ignored);
    });
    return new std::string(pattern);
  }();
  return *dir;
}

// SGDA_FUZZ_VERBOSE=1 prints what each input did (loaded, or the InputError), to check seeds.
inline void note(const std::string& outcome) {
  static const bool verbose = std::getenv("SGDA_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "  -> %s\n", outcome.c_str());
}

// Prints "sgda fuzz: <what>: <detail>" and aborts, so the input is saved as a crash.
[[noreturn]] inline void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "sgda fuzz: %s: %s\n", what, detail.c_str());
  std::fflush(stderr);
  std::abort();
}

// The promise of every InputError: one non-empty line.
inline void check_one_line(const std::string& message) {
  if (message.empty()) fail("empty InputError message", "");
  if (message.find('\n') != std::string::npos || message.find('\r') != std::string::npos)
    fail("InputError message of several lines", message);
}

}  // namespace sgda::fuzz
