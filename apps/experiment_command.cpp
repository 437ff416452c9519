#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>

#include "progress.hpp"
#include "report_commands.hpp"
#include "sgda/error.hpp"
#include "sgda/io/files.hpp"
#include "sgda/report/experiment.hpp"

namespace sgda::cli {
namespace {

namespace fs = std::filesystem;

std::string short_number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3g", v);
  return buffer;
}

}  // namespace

void add_report_commands(CLI::App& app, ExperimentArgs& experiment, ReportArgs& report) {
  CLI::App* e = app.add_subcommand(
      "experiment",
      "Run a grid of runs on one problem (methods x step sizes x seeds, with workers or "
      "compressors as axes of a method) into one HDF5 runs file. Shows run i of N on stderr; "
      "run it again after an interruption and it resumes, skipping finished runs.");
  e->add_option("file", experiment.file, "experiment file (docs/experiment-files.md)")
      ->required()
      ->type_name("FILE.toml");
  e->add_option("-o,--output", experiment.output,
                "the runs file (HDF5); default: FILE's name with .h5, in the working directory")
      ->type_name("runs.h5");
  e->add_flag("--force", experiment.force,
              "start over: replace the runs file instead of resuming it");

  CLI::App* r = app.add_subcommand(
      "report",
      "Write a self-contained HTML report of runs files (plots, the theory next to the "
      "measurement, verdicts), with the same tables as CSV and JSON beside it.");
  r->add_option("runs", report.runs, "runs files written by sgda experiment, one section each")
      ->required()
      ->type_name("RUNS.h5");
  r->add_option("-o,--output", report.output,
                "the HTML file; .csv and .json with the same name go beside it (default "
                "report.html)")
      ->type_name("report.html");
  r->add_flag("--force", report.force,
              "overwrite existing report files (the .html, .csv and .json)");
}

int run_report_commands(const CLI::App& app, const ExperimentArgs& experiment,
                        const ReportArgs& report) {
  if (app.get_subcommand("experiment")->parsed()) return experiment_command(experiment);
  if (app.get_subcommand("report")->parsed()) return report_command(report);
  return -1;
}

int experiment_command(const ExperimentArgs& args) {
  const ExperimentPlan plan = load_experiment(args.file);
  const std::string output =
      args.output.empty() ? fs::path(args.file).stem().string() + ".h5" : args.output;
  const std::string flag = args.output.empty() ? "output" : "--output";
  std::vector<std::string> inputs = {args.file};
  for (const PlannedRun& run : plan.runs)
    for (const std::string& file : input_files(run.config)) inputs.push_back(file);
  check_output_file(output, flag, true, inputs, "");  // an existing runs file is resumed
  const OutputClaim claim(output, flag);              // one experiment at a time writes it
  std::error_code ec;

  // Resume: keep the finished runs of this experiment; refuse files of another one.
  ExperimentRuns runs;
  if (fs::exists(output, ec) && !args.force) {
    try {
      runs = load_experiment_runs(output);
    } catch (const InputError& e) {
      // The reader's own "; accepted ..." is replaced by what is accepted here.
      std::string what = e.what();
      what = what.substr(0, what.find("; accepted"));
      throw InputError(what +
                       " (resuming it); accepted the runs file of this experiment, or --force "
                       "to replace it");
    }
    std::set<std::string> planned;
    for (const PlannedRun& run : plan.runs) planned.insert(run.key);
    for (const RunRecord& record : runs.runs)
      if (!planned.count(record.settings.at("experiment.key")))
        throw InputError(output + ": holds a run that " + args.file + " does not plan (" +
                         record.settings.at("experiment.label") + ", step " +
                         record.settings.at("experiment.step") + ", seed " +
                         record.settings.at("experiment.seed") +
                         "); accepted the runs file of this experiment to resume it, or --force "
                         "to start over");
  }
  std::set<std::string> done;
  for (const RunRecord& record : runs.runs) done.insert(record.settings.at("experiment.key"));

  // Any problem a problem file takes (affine games, GAN-style games), built as sgda solve does.
  const std::shared_ptr<Problem> problem = make_problem(plan.runs.front().config);
  for (const PlannedRun& run : plan.runs)
    if (!done.count(run.key)) check_planned_run(run, *problem);
  runs.attributes = experiment_attributes(plan, *problem);
  const std::size_t total = plan.runs.size();
  if (!done.empty())
    std::cerr << "sgda: resuming " << output << ": " << done.size() << " of " << total
              << " runs already there" << std::endl;

  Progress progress(stderr_is_terminal());
  InterruptGuard guard;
  std::size_t added = 0;
  for (std::size_t i = 0; i < total; ++i) {
    const PlannedRun& run = plan.runs[i];
    if (done.count(run.key)) continue;
    const RunRecord record = execute_run(run, *problem, {&progress}, InterruptGuard::flag());
    if (const int signal = InterruptGuard::received()) {
      std::cerr << "sgda: interrupted by " << (signal == SIGINT ? "SIGINT" : "SIGTERM")
                << " in run " << i + 1 << " of " << total << " (not saved); " << runs.runs.size()
                << " finished runs are in " << output << "; run the same command again to "
                << "resume" << std::endl;
      return 128 + signal;
    }
    const auto& s = record.settings;
    const auto& r = record.trace.relative_distance_sq;
    const bool distance = !r.empty() && std::isfinite(r.back());
    const std::string metrics = training_metrics_line(record.trace);  // training runs
    std::cerr << "run " << i + 1 << " of " << total << ": " << run.label << ", step " << run.step
              << ", seed " << run.seed << ": " << s.at("termination") << " after "
              << (record.trace.size() ? record.trace.iteration.back() : 0) << " iterations, "
              << (distance ? "rel. dist^2 " + short_number(r.back())
                  : !metrics.empty()
                      ? metrics
                      : "residual^2 " + short_number(record.trace.size()
                                                         ? record.trace.residual_sq.back()
                                                         : NAN))
              << std::endl;
    runs.runs.push_back(record);
    ++added;
    save_experiment_runs(output, runs);
  }
  if (added == 0) save_experiment_runs(output, runs);  // refreshes the attributes
  std::cout << "wrote " << output << ": " << runs.runs.size() << " runs (" << added
            << " new); report: sgda report " << output << " -o report.html" << std::endl;
  return 0;
}

}  // namespace sgda::cli
