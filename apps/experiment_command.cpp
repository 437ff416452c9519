#include <algorithm>
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "commands.hpp"
#include "progress.hpp"
#include "report_commands.hpp"
#include "sgda/error.hpp"
#include "sgda/io/files.hpp"
#include "sgda/problems/affine_game.hpp"
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
      "Run a grid of runs (methods x step sizes x seeds, with any method or problem option as "
      "a further axis) into one HDF5 runs file. Shows run i of N on stderr; "
      "run it again after an interruption and it resumes, skipping finished runs.");
  e->add_option("file", experiment.file, "experiment file (docs/experiment-files.md)")
      ->required()
      ->type_name("FILE.toml");
  e->add_option("-o,--output", experiment.output,
                "the runs file (HDF5); default: FILE's name with .h5, in the working directory")
      ->type_name("runs.h5");
  experiment.jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  e->add_option("-j,--jobs", experiment.jobs,
                "runs at once, each in its own thread (default: the number of cores); the runs "
                "file is the same whatever the number")
      ->type_name("N");
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
  if (const int processes = launched_processes(); processes > 1)
    throw InputError(
        "experiment: runs in one process (--jobs for threads), but an MPI launcher "
        "started " +
        std::to_string(processes) +
        " of them, which would all write the same runs file; accepted one process");
  if (args.jobs < 1)
    throw InputError("--jobs: is " + std::to_string(args.jobs) +
                     "; accepted an integer >= 1, the runs to run at once (default: the number "
                     "of cores)");
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
      bool restored = false;
      runs = recover_experiment_runs(output, restored);
      if (restored)
        std::cerr << "sgda: restored " << output << " from " << experiment_backup_path(output)
                  << " (a crash during an append had left it unreadable)" << std::endl;
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

  // Any problem a problem file takes (affine games, GAN-style games), built as sgda solve does;
  // with problem axes, one per variant, each checked before anything runs.
  const std::shared_ptr<Problem> problem = make_problem(plan.runs.front().config);
  {
    std::shared_ptr<Problem> variant = problem;
    std::string variant_key = problem_key(plan.runs.front().config);
    for (const PlannedRun& run : plan.runs) {
      if (done.count(run.key)) continue;
      if (const std::string key = problem_key(run.config); key != variant_key) {
        variant.reset();  // one variant in memory at a time
        variant = make_problem(run.config);
        variant_key = key;
      }
      check_planned_run(run, *variant);
    }
  }
  const Settings attributes = experiment_attributes(plan, *problem);
  const std::size_t total = plan.runs.size();
  if (!done.empty())
    std::cerr << "sgda: resuming " << output << ": " << done.size() << " of " << total
              << " runs already there" << std::endl;

  // The k-th run to do is stored as the k-th group number not used yet, so that each run gets
  // the name (and the place in the file) a serial, uninterrupted experiment gives it, whatever
  // --jobs and whichever runs an interruption left unfinished.
  std::set<std::size_t> used;
  for (const std::string& group : runs.groups)
    if (const auto number = run_group_number(group)) used.insert(*number);
  std::vector<std::size_t> todo;  // plan indices
  std::vector<std::string> groups;
  for (std::size_t i = 0, number = 0; i < total; ++i) {
    if (done.count(plan.runs[i].key)) continue;
    while (used.count(number)) ++number;
    todo.push_back(i);
    groups.push_back(run_group_name(number, std::max(total, number + 1)));
    ++number;
  }

  // Workers share an AffineGame (safe, and a large game is loaded once); other problems keep
  // workspaces in the object, so each worker has its own. A worker keeps the problem of its
  // last run and builds another (under `mutex`: HDF5 is not thread-safe, and every HDF5 call
  // below is made under it) when a run's problem settings differ.
  const std::size_t workers = std::min<std::size_t>(args.jobs, todo.size());
  Progress progress(stderr_is_terminal());
  std::vector<Callback*> callbacks;
  if (workers == 1) callbacks.push_back(&progress);  // a bar per run only when runs go one by one
  InterruptGuard guard;
  std::mutex mutex;  // stderr, the runs file and what follows
  struct Slot {
    std::shared_ptr<Problem> problem;
    std::string key;  // problem_key of its settings
  };
  std::vector<Slot> slots(std::max<std::size_t>(workers, 1));
  slots.front() = {problem, problem_key(plan.runs.front().config)};
  std::map<std::string, std::shared_ptr<Problem>> shared_games;  // under `mutex`
  if (dynamic_cast<const AffineGame*>(problem.get())) shared_games[slots.front().key] = problem;
  auto problem_of = [&](const RunConfig& config, Slot& slot) -> const Problem& {
    std::string key = problem_key(config);
    if (slot.problem && key == slot.key) return *slot.problem;
    const std::lock_guard<std::mutex> lock(mutex);
    slot.problem.reset();  // one problem per worker in memory
    if (const auto game = shared_games.find(key); game != shared_games.end()) {
      slot.problem = game->second;
    } else {
      slot.problem = make_problem(config);
      if (dynamic_cast<const AffineGame*>(slot.problem.get())) shared_games[key] = slot.problem;
    }
    slot.key = std::move(key);
    return *slot.problem;
  };
  bool create = args.force || !fs::exists(output, ec);
  const Settings* new_attributes = &attributes;  // written with the first run appended
  if (!create && attributes == runs.attributes) new_attributes = nullptr;
  std::size_t added = 0, finished = runs.runs.size();
  std::set<std::size_t> stopped;  // plan indices of runs an interruption stopped
  std::exception_ptr failure;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};

  auto work = [&](Slot& slot) {
    while (!InterruptGuard::received() && !failed) {
      const std::size_t k = next++;
      if (k >= todo.size()) return;
      const std::size_t i = todo[k];
      const PlannedRun& run = plan.runs[i];
      try {
        // Its own estimator, step rule and Rng from the run's seed: the same as run alone.
        const Problem& p = problem_of(run.config, slot);
        const RunRecord record = execute_run(run, p, callbacks, InterruptGuard::flag());
        const std::lock_guard<std::mutex> lock(mutex);
        if (record.settings.at("termination") == "interrupted") {
          stopped.insert(i);
          return;
        }
        // Saved before it is shown: a run shown is in the file.
        append_experiment_run(output, new_attributes, groups[k], record, create);
        create = false;
        new_attributes = nullptr;
        ++added;
        ++finished;
        const auto& s = record.settings;
        const auto& r = record.trace.relative_distance_sq;
        const bool distance = !r.empty() && std::isfinite(r.back());
        const std::string metrics = training_metrics_line(record.trace);  // training runs
        std::cerr << "run " << i + 1 << " of " << total << ": " << run.label << ", step "
                  << run.step << ", seed " << run.seed << ": " << s.at("termination") << " after "
                  << (record.trace.size() ? record.trace.iteration.back() : 0) << " iterations, "
                  << (distance ? "rel. dist^2 " + short_number(r.back())
                      : !metrics.empty()
                          ? metrics
                          : "residual^2 " + short_number(record.trace.size()
                                                             ? record.trace.residual_sq.back()
                                                             : NAN))
                  << std::endl;
      } catch (...) {
        const std::lock_guard<std::mutex> lock(mutex);
        if (!failure) failure = std::current_exception();
        failed = true;  // the others finish their run and stop
        return;
      }
    }
  };
  if (workers == 1) {
    work(slots.front());  // in this thread, as before --jobs
  } else {
    std::vector<std::thread> threads;
    for (std::size_t w = 0; w < workers; ++w) threads.emplace_back(work, std::ref(slots[w]));
    for (std::thread& thread : threads) thread.join();
  }
  if (failure) std::rethrow_exception(failure);
  if (const int signal = InterruptGuard::received()) {
    std::string where;
    for (const std::size_t i : stopped)
      where += (where.empty() ? "" : ", ") + std::to_string(i + 1);
    std::cerr << "sgda: interrupted by " << (signal == SIGINT ? "SIGINT" : "SIGTERM")
              << (stopped.empty() ? ""
                                  : (stopped.size() == 1 ? " in run " : " in runs ") + where +
                                        " of " + std::to_string(total) + " (not saved)")
              << "; " << finished << " finished runs are in " << output
              << "; run the same command again to resume" << std::endl;
    fs::remove(experiment_backup_path(output), ec);  // the file is closed and complete
    return 128 + signal;
  }
  if (added == 0 && new_attributes) update_experiment_attributes(output, attributes);
  fs::remove(experiment_backup_path(output), ec);
  std::cout << "wrote " << output << ": " << finished << " runs (" << added
            << " new); report: sgda report " << output << " -o report.html" << std::endl;
  return 0;
}

}  // namespace sgda::cli
