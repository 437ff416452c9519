// Runs in HDF5. Layout (docs/file-formats.md):
//   /trace/<column>  one dataset per Trace column (iteration, sample_evaluations,
//                    coordinate_evaluations, epochs, bits, wall_time, relative_distance_sq,
//                    residual_sq, step_size)
//   /x_final         float64 [D]
//   root attributes  every setting of the run (strings), sgda_version, termination, message,
//                    method_description
//   /theory          optional: RunRecord::theory, one attribute per field
//   /checkpoint      optional: the solver state to resume from (x, rng, counters, times,
//                    estimator/ and step/ state), written with every checkpoint and at the end
#pragma once

#include <map>
#include <optional>
#include <string>

#include "sgda/solver.hpp"
#include "sgda/theory.hpp"

namespace sgda {

using Settings = std::map<std::string, std::string>;

struct RunRecord {
  Settings settings;  // every setting as written, plus sgda_version, termination, message
  Trace trace;
  Vector x_final;
  std::optional<Checkpoint> checkpoint;  // when the file holds one
  // Theorem 2.2 for the run (analyse_theory), when recorded: `sgda experiment` records it in
  // each run's theory/ group; files of sgda 0.1.0's theory.* attributes are read into it too.
  std::optional<Theory> theory;
};

// termination of a file written by save_checkpoint: the run was still going.
inline constexpr const char* kRunInProgress = "in progress";

// Writes atomically (a temporary file renamed into place), so a crash never leaves a torn file:
// the previous version stays until the new one is complete. Throws InputError on failure.
// With `checkpoint`, the file can be resumed (sgda solve --resume).
void save_run(const std::string& path, const Summary& summary, const Settings& settings,
              const Checkpoint* checkpoint = nullptr);
// A run still going: its trace so far, x^k as x_final, termination "in progress".
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint,
                     const Settings& settings);
RunRecord load_run(const std::string& path);

}  // namespace sgda
