// `sgda experiment` and `sgda report`: run a grid of runs into one HDF5 file, and turn runs
// files into an HTML report with CSV and JSON beside it (docs/experiment-files.md,
// docs/reports.md). Argument parsing is in main.cpp; these throw InputError for bad input.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sgda::cli {

struct ExperimentArgs {
  std::string file;    // the experiment file
  std::string output;  // the runs file; default: the experiment file's name with .h5, here
  bool force = false;  // start over instead of resuming
  int jobs = 1;        // runs at once (--jobs; the command line's default: the number of cores)
};

struct ReportArgs {
  std::vector<std::string> runs;       // runs files, one section each
  std::string output = "report.html";  // .csv and .json go beside it
  bool force = false;                  // overwrite existing report files
};

// Adds the two subcommands to `app`; run_report_commands() runs whichever was parsed.
void add_report_commands(CLI::App& app, ExperimentArgs& experiment, ReportArgs& report);
// The exit code, or -1 when neither command was given.
int run_report_commands(const CLI::App& app, const ExperimentArgs& experiment,
                        const ReportArgs& report);

int experiment_command(const ExperimentArgs& args);
int report_command(const ReportArgs& args);

}  // namespace sgda::cli
