// The subcommands of `sgda`, apart from argument parsing (main.cpp). Each returns the exit code
// and throws InputError for bad input; main turns that into one line and exit code 2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sgda/io/run_config.hpp"
#include "sgda/mpi/session.hpp"  // the defaults of its flags (the header needs no MPI)

namespace sgda::cli {

// Exit codes of `sgda` (also in --help and the README): 0 done (converged, or stopped by a
// limit), 2 bad input, 3 a run stopped at non-finite values, 128 + signal when interrupted.
inline constexpr int kExitBadInput = 2;
inline constexpr int kExitNonFinite = 3;

// `text` with its line breaks made spaces and trailing spaces removed.
std::string one_line(std::string text);
// Prints "sgda: error: MESSAGE" on one line of stderr, in one write (a launcher such as mpirun
// forwards it whole), and returns kExitBadInput.
int fail(const std::string& message);

struct SolveArgs {
  std::string file;  // the problem file; empty with --resume
  RunOverrides overrides;
  std::string resume;  // a run file to continue
  bool force = false;  // overwrite an existing output file
  // Where distributed methods' workers run: "in-process", "mpi" (the ranks of an MPI job), or
  // "auto": mpi when started by an MPI launcher, else in-process.
  std::string backend = "auto";
  // Under MPI: seconds a rank waits inside one collective call before it ends the job; 0 never.
  double mpi_timeout = mpi::Session::kDefaultTimeoutSeconds;
};

struct TheoryArgs {
  std::string file;
  RunOverrides overrides;
};

struct GenerateArgs {
  std::string kind;        // quadratic | bilinear
  RunOverrides overrides;  // [problem] keys of the kind
  std::string output;
  bool force = false;  // overwrite an existing game file
  // Draw and write the game sample by sample (memory O(D²)) even when it fits in memory; the
  // constants then come from Lanczos passes over the file.
  bool streamed = false;
};

// The number of processes an MPI launcher started with this one, read from its environment
// (Open MPI's mpirun; PMI launchers such as MPICH's mpiexec or Slurm's srun --mpi=pmi2); 0 when
// none did. `sgda solve` picks its backend by it; commands that run in one process refuse more.
int launched_processes();

int solve_command(const SolveArgs& args);
int theory_command(const TheoryArgs& args);
int generate_command(const GenerateArgs& args);
// Every key and choice (`sgda list`), or docs/options.md with `markdown`.
int list_command(bool markdown);

}  // namespace sgda::cli
