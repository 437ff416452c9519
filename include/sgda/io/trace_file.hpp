// Runs in HDF5. Layout (docs/file-formats.md):
//   /trace/<column>  one dataset per Trace column (iteration, sample_evaluations,
//                    coordinate_evaluations, epochs, bits, wall_time, relative_distance_sq,
//                    residual_sq, step_size)
//   /x_final         float64 [D]
//   root attributes  every setting of the run (strings), sgda_version, termination, message,
//                    method_description
#pragma once

#include <map>
#include <string>

#include "sgda/solver.hpp"

namespace sgda {

using Settings = std::map<std::string, std::string>;

struct RunRecord {
  Settings settings;  // every setting as written, plus sgda_version, termination, message
  Trace trace;
  Vector x_final;
};

// Writes atomically (a temporary file renamed into place). Throws InputError on failure.
void save_run(const std::string& path, const Summary& summary, const Settings& settings);
RunRecord load_run(const std::string& path);

}  // namespace sgda
