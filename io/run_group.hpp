// Private to the library: the run-file layout (trace/, x_final, string attributes, theory/) written
// into or read from any group of an open HDF5 file, so a runs file of an experiment stores each run
// exactly as a run file does (report/experiment.cpp). Layout: docs/file-formats.md.
#pragma once

#include <string>

#include "hdf5_util.hpp"
#include "sgda/io/trace_file.hpp"

namespace sgda::detail {

// `settings` plus the summary's termination, message and method_description, as save_run writes.
Settings run_attributes(const Summary& summary, const Settings& settings);
// `group` is "" for the root (run files) or a group path such as "/runs/r0001" (created here);
// with `theory`, its typed group `group`/theory.
void write_run_group(hdf5::Writer& file, const std::string& group, const Trace& trace,
                     const Vector& x, Settings attributes, const Theory* theory = nullptr);
// The settings, trace, x_final and theory of `group` ("" = the root); no checkpoint. The theory
// of a file of sgda 0.1.0 (theory.* string attributes) is read into RunRecord::theory and those
// attributes are dropped from the settings.
RunRecord read_run_group(const hdf5::Reader& file, const std::string& group);

}  // namespace sgda::detail
