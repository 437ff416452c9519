// Experiments: a grid of runs on one problem (methods × step sizes × seeds, with workers,
// compressors or samplings as grid axes of a method), run one by one or several at once (sgda
// experiment --jobs), each appended to one HDF5 file as it finishes.
// Experiment files: docs/experiment-files.md; the runs file: docs/file-formats.md.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sgda/io/run_config.hpp"
#include "sgda/io/trace_file.hpp"
#include "sgda/options.hpp"
#include "sgda/report/claims.hpp"
#include "sgda/solver.hpp"

namespace sgda {

// [experiment] of an experiment file (docs/experiment-files.md); seeds and step_sizes are
// arrays its parser reads, documented in the table.
struct ExperimentSettings {
  std::string title;  // default: the file's name
  std::string description;
  double target = 1e-6;  // the accuracy of the report's cost-to-target columns

  static const OptionTable<ExperimentSettings>& table();
};

// The keys a [[method]] table of an experiment file has beside those of [method]; for docs.
struct ExperimentMethod {
  static const OptionTable<ExperimentMethod>& table();
};
// The [step] keys a [[method]] may give for itself (they move to its [step]): every key of
// StepSettings but `rule` (that is `step`) and those [method] has too (`alpha`: DIANA's).
std::vector<std::string> method_step_keys();

// One point of the grid.
struct PlannedRun {
  std::string label;  // the method variant, e.g. "diana-sgda (compressor=rand-k, k=4)"
  std::string step;   // as written: "theory", "theory*0.5" or a number
  std::uint64_t seed = 0;
  RunConfig config;  // the effective problem file of this run
  // Identifies the run in the runs file: the effective problem file (to_toml). Resuming skips
  // planned runs whose key is already there.
  std::string key;
};

struct ExperimentPlan {
  std::string source;  // the experiment file
  std::string text;    // its contents, kept in the runs file
  std::string title, description;
  double target = 1e-6;  // the accuracy of the report's cost-to-target columns
  // The keys of [problem] and [regularizer] given as arrays ("problem.hidden"): every method
  // runs on each combination of their values, so the runs' problems differ.
  std::vector<std::string> problem_axes;
  std::vector<Claim> claims;  // [[claim]] tables, checked by the report
  std::vector<PlannedRun> runs;
};

// Reads and checks an experiment file and expands its grid. Every problem is an InputError of
// one line naming the file, the line and the field.
ExperimentPlan load_experiment(const std::string& path);
ExperimentPlan parse_experiment(const std::string& text, const std::string& source);

// What a runs file holds: experiment attributes (title, target, the problem's constants, ...)
// and one record per finished run, each with its settings, theory constants and trace.
struct ExperimentRuns {
  Settings attributes;
  std::vector<RunRecord> runs;      // by group number: the order of the plan (docs/file-formats.md)
  std::vector<std::string> groups;  // the group of each run in /runs ("r0007"), when loaded
};

// The root attributes of a new runs file for `plan` on `problem` (constants.*, experiment.*);
// with problem axes, `problem` is the first run's (its constants are that variant's).
Settings experiment_attributes(const ExperimentPlan& plan, const Problem& problem);

// Checks before anything runs what would stop a run halfway through the grid: the method's
// options on this problem (workers, k, ...), its settings in epochs and batch scaling, and, for
// theory steps, that the constants give one.
// Throws InputError naming the experiment file's line.
void check_planned_run(const PlannedRun& run, const Problem& problem);

// Runs one planned run on `problem` (built from the plan's config) and returns its record:
// settings, the theory (Theory, analyse_theory) at the step used, the trace. `callbacks` see
// the run (progress); `interrupt` is SolverOptions::interrupt. A run they stop is returned as
// it is.
RunRecord execute_run(const PlannedRun& run, const Problem& problem,
                      const std::vector<Callback*>& callbacks = {},
                      const std::atomic<bool>* interrupt = nullptr);

// The group of run `index` of `count` in a runs file: "/runs/r0007" (at least four digits).
std::string run_group_name(std::size_t index, std::size_t count);
// The number of a group named as run_group_name does ("r0007" -> 7, the name in /runs); none
// for other names.
std::optional<std::size_t> run_group_number(const std::string& name);

// Writes the whole file atomically (a temporary renamed into place): an interruption at any
// moment leaves the previous complete file. Throws InputError.
void save_experiment_runs(const std::string& path, const ExperimentRuns& runs);
// The backup of a runs file while sgda experiment writes it: `path`.backup.
std::string experiment_backup_path(const std::string& path);
// Adds one finished run as the group `group` ("/runs/r0007") of the runs file `path`, with
// `attributes` (when given) as its root attributes, replacing those there. With `create`, the
// file is written anew and atomically, with this run alone, and copied to its backup; else the
// run is appended in place to the backup, then to the file (each flushed): earlier runs are
// not rewritten, so a grid costs time linear in its runs, and a crash during an append leaves
// one of the two complete (recover_experiment_runs). Throws InputError.
void append_experiment_run(const std::string& path, const Settings* attributes,
                           const std::string& group, const RunRecord& record, bool create);
// Replaces the root attributes of the runs file `path` (and its backup) in place.
void update_experiment_attributes(const std::string& path, const Settings& attributes);
// Loads the runs file `path` to resume it. When it does not load but its backup does (a crash
// during an append), the backup replaces it and `restored` is set. Then the backup is made a
// copy of it, for the appends to come. Throws the runs file's InputError otherwise.
ExperimentRuns recover_experiment_runs(const std::string& path, bool& restored);
// Reads a runs file, its runs ordered by group number; InputError naming the file and the
// object when it is not one.
ExperimentRuns load_experiment_runs(const std::string& path);

}  // namespace sgda
