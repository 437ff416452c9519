// The `sgda` command line: argument parsing and the one place errors become exit codes.
//   0  success (also --help, --version)
//   2  bad input: one line "sgda: error: <message>" on stderr
//   128 + signal  a run stopped by SIGINT/SIGTERM (its trace is still written)
#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <iostream>
#include <new>
#include <string>

#include "commands.hpp"
#include "report_commands.hpp"
#include "sgda/error.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/registry.hpp"
#include "sgda/step.hpp"
#include "sgda/version.hpp"

namespace {

using sgda::RunOverrides;

std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

std::string joined(const std::vector<std::string>& names, const std::string& separator = " | ") {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : separator) + n;
  return out;
}

// Binds a flag to an optional, so "not given" stays distinguishable from a default.
template <class T>
CLI::Option* optional_flag(CLI::App* app, const std::string& name, std::optional<T>& target,
                           const std::string& help, const std::string& type) {
  return app
      ->add_option_function<T>(
          name, [&target](const T& value) { target = value; }, help)
      ->type_name(type);
}

// Integers are read here: CLI11 2.1 clamps an out-of-range value to the int64 limits, so
// --iterations 99999999999999999999 would silently mean 9223372036854775807.
template <>
CLI::Option* optional_flag(CLI::App* app, const std::string& name,
                           std::optional<std::int64_t>& target, const std::string& help,
                           const std::string& type) {
  const std::string flag = name.substr(name.rfind(',') + 1);
  return app
      ->add_option_function<std::string>(
          name,
          [&target, flag](const std::string& text) {
            std::int64_t value = 0;
            const char* end = text.data() + text.size();
            const auto result = std::from_chars(text.data(), end, value);
            if (result.ec == std::errc::result_out_of_range)
              throw sgda::InputError(flag + ": " + text +
                                     " is out of range; accepted an integer below 2^63");
            if (result.ec != std::errc() || result.ptr != end)
              throw sgda::InputError(flag + ": \"" + text + "\" is not an integer; accepted " +
                                     "a decimal integer");
            target = value;
          },
          help)
      ->type_name(type);
}

void add_method_flags(CLI::App* app, RunOverrides& o) {
  const std::string group = "Method (override [method])";
  optional_flag(app, "--method", o.method,
                "method: " + joined(sgda::names_of("method")) + " ([method] name)", "NAME")
      ->group(group);
  optional_flag(app, "--sampling", o.sampling,
                "sgda sampling: " + joined(sgda::names_of("sampling")) + " ([method] sampling)",
                "S")
      ->group(group);
  optional_flag(app, "--batch-size", o.batch_size,
                "sgda with nice sampling: samples per step, 1..n ([method] batch_size)", "N")
      ->group(group);
  optional_flag(app, "--probability", o.probability,
                "l-svrgda: snapshot probability p in (0, 1], default 1/n; vr-diana-sgda: local p, "
                "default 1/m_loc ([method] probability)",
                "P")
      ->group(group);
  optional_flag(app, "--workers", o.workers,
                "distributed methods: number of workers W, divides n ([method] workers)", "W")
      ->group(group);
  optional_flag(app, "--local", o.local,
                "qsgda, diana-sgda: local operator exact | sample ([method] local)", "L")
      ->group(group);
  optional_flag(
      app, "--compressor", o.compressor,
      "distributed methods: " + joined(sgda::compressor_types()) + " ([method] compressor)", "Q")
      ->group(group);
  optional_flag(app, "--k", o.k, "rand-k, top-k: coordinates sent, 1..D ([method] k)", "K")
      ->group(group);
  optional_flag(app, "--levels", o.levels, "qsgd: quantization levels s >= 1 ([method] levels)",
                "S")
      ->group(group);
  optional_flag(app, "--alpha", o.alpha,
                "diana-sgda, vr-diana-sgda: shift step in (0, 1], default from the theory "
                "([method] alpha)",
                "A")
      ->group(group);
}

void add_run_flags(CLI::App* app, RunOverrides& o) {
  const std::string group = "Run (override [run])";
  optional_flag(app, "--step-size", o.step_size,
                "theory, or a number > 0 for a constant step (then --step-schedule defaults to "
                "constant) ([run] step_size)",
                "theory|NUMBER")
      ->group(group);
  optional_flag(app, "--step-schedule", o.step_schedule,
                "constant | theory | switching ([run] step_schedule)", "R")
      ->group(group);
  optional_flag(app, "--step-factor", o.step_factor,
                "multiplies the theory/switching step size, > 0 ([run] step_factor)", "F")
      ->group(group);
  optional_flag(app, "--iterations", o.iterations,
                "stop after K iterations, >= 1 ([run] iterations, default 100000)", "K")
      ->group(group);
  optional_flag(app, "--max-oracle-calls", o.max_oracle_calls,
                "stop after this many sample + coordinate evaluations, 0 = no limit "
                "([run] max_oracle_calls)",
                "N")
      ->group(group);
  optional_flag(app, "--max-time", o.max_time,
                "stop after SEC seconds, 0 = no limit ([run] max_time)", "SEC")
      ->group(group);
  optional_flag(app, "--tolerance", o.tolerance,
                "converged at relative squared distance <= T, 0 = off ([run] tolerance)", "T")
      ->group(group);
  optional_flag(app, "--residual-tolerance", o.residual_tolerance,
                "converged at squared natural residual <= T, 0 = off ([run] residual_tolerance)",
                "T")
      ->group(group);
  optional_flag(app, "--log-every", o.log_every,
                "trace row (and progress, interrupt check) every N iterations, 0 = about 1000 "
                "rows ([run] log_every)",
                "N")
      ->group(group);
  optional_flag(app, "--seed", o.seed, "seed of the run's random stream, >= 0 ([run] seed)", "S")
      ->group(group);
  optional_flag(
      app, "--step", o.step,
      "the step rule: " + joined(sgda::step_rule_names()) + " ([step] rule, default prox)", "RULE")
      ->group(group);
  optional_flag(app, "--scheme", o.scheme,
                "simultaneous | alternating | extragradient | extragradient-same-sample ([run] "
                "scheme)",
                "S")
      ->group(group);
  optional_flag(app, "--averaging", o.averaging,
                "iterate averaging reported beside the last iterate: none | uniform | ema ([run] "
                "averaging)",
                "A")
      ->group(group);
  optional_flag(app, "--ema-decay", o.ema_decay, "ema averaging decay in (0, 1) ([run] ema_decay)",
                "D")
      ->group(group);
  optional_flag(app, "--checkpoint-every", o.checkpoint_every,
                "with -o: write a checkpoint every N iterations, 0 = off ([run] "
                "checkpoint_every)",
                "N")
      ->group(group);
  optional_flag(app, "--checkpoint-seconds", o.checkpoint_seconds,
                "with -o: write a checkpoint every SEC seconds, 0 = off ([run] "
                "checkpoint_seconds, default 60)",
                "SEC")
      ->group(group);
  app->add_flag_function(
         "--skip-non-finite", [&o](std::int64_t) { o.skip_non_finite = true; },
         "skip (and count) steps whose estimate or iterate is not finite instead of stopping "
         "([run] skip_non_finite)")
      ->group(group);
  optional_flag(app, "-o,--output", o.output,
                "write the trace (HDF5) here; relative to the working directory ([run] output)",
                "run.h5")
      ->group(group);
}

int run(int argc, char** argv) {
  CLI::App app{"sgda " + std::string(sgda::kVersion) +
                   ": stochastic min-max problems and variational inequalities with SGDA-family "
                   "methods",
               "sgda"};
  app.set_version_flag("--version", std::string("sgda ") + sgda::kVersion);
  app.require_subcommand(1);
  app.footer(
      "Problem files: docs/problem-files.md. Exit codes: 0 ok, 2 bad input, 128+signal "
      "when interrupted.");

  sgda::cli::SolveArgs solve;
  CLI::App* solve_cmd = app.add_subcommand(
      "solve",
      "Solve the problem of a TOML file; print a one-line summary, write the trace with -o.\n"
      "Flags override the file's [method] and [run] fields. Ctrl-C stops the run and still "
      "writes the trace so far.");
  solve_cmd->add_option("file", solve.file, "problem file (docs/problem-files.md)")
      ->type_name("FILE.toml");
  add_method_flags(solve_cmd, solve.overrides);
  add_run_flags(solve_cmd, solve.overrides);
  solve_cmd
      ->add_option("--resume", solve.resume,
                   "continue the interrupted run of this file (written with -o); it takes no "
                   "other input")
      ->type_name("run.h5")
      ->group("Checkpoints");
  solve_cmd->add_flag("--force", solve.force, "overwrite an existing output file")
      ->group("Checkpoints");

  sgda::cli::TheoryArgs theory;
  CLI::App* theory_cmd = app.add_subcommand(
      "theory",
      "Print the problem's constants, the method's A, B, C, D1, D2, rho, the theory step size "
      "and the rate it predicts (Beznosikov et al. 2023, Theorem 2.2).");
  theory_cmd->add_option("file", theory.file, "problem file (docs/problem-files.md)")
      ->required()
      ->type_name("FILE.toml");
  add_method_flags(theory_cmd, theory.overrides);

  sgda::cli::GenerateArgs generate;
  CLI::App* generate_cmd = app.add_subcommand(
      "generate", "Generate an affine game, write it to HDF5 and print its constants.");
  generate_cmd->add_option("kind", generate.kind, "quadratic | bilinear")
      ->required()
      ->type_name("KIND");
  const std::string game = "Game (defaults: sgda list)";
  optional_flag(generate_cmd, "--samples", generate.samples, "n, >= 1", "N")->group(game);
  optional_flag(generate_cmd, "--dimension", generate.dimension, "d per player, >= 1", "D")
      ->group(game);
  optional_flag(generate_cmd, "--mu", generate.mu,
                "quadratic: strong monotonicity > 0; bilinear: lambda >= 0", "MU")
      ->group(game);
  optional_flag(generate_cmd, "--ell", generate.ell,
                "quadratic: star-cocoercivity of the mean, >= mu", "ELL")
      ->group(game);
  optional_flag(generate_cmd, "--noise", generate.noise, "per-sample matrix noise (relative), >= 0",
                "X")
      ->group(game);
  optional_flag(generate_cmd, "--offset-noise", generate.offset_noise,
                "per-sample offset noise, >= 0", "X")
      ->group(game);
  optional_flag(generate_cmd, "--heavy-scale", generate.heavy_scale,
                "quadratic: scale of the second half of the samples, > 0", "X")
      ->group(game);
  optional_flag(generate_cmd, "--coupling", generate.coupling,
                "bilinear: spectral norm of the mean coupling, > 0", "X")
      ->group(game);
  optional_flag(generate_cmd, "--seed", generate.seed, "generator seed, >= 0", "S")->group(game);
  generate_cmd->add_option("-o,--output", generate.output, "the game file to write (HDF5)")
      ->required()
      ->type_name("game.h5");

  CLI::App* list_cmd = app.add_subcommand(
      "list", "List methods, samplings, problems, regularizers and step rules with their options.");

  sgda::cli::ExperimentArgs experiment;
  sgda::cli::ReportArgs report;
  sgda::cli::add_report_commands(app, experiment, report);

  // CLI11 would call a mistyped command "A subcommand is required"; name it instead.
  if (argc > 1 && argv[1][0] != '-') {
    const std::vector<std::string> commands = {"solve", "theory",     "generate",
                                               "list",  "experiment", "report"};
    if (std::find(commands.begin(), commands.end(), argv[1]) == commands.end()) {
      const std::string match = sgda::closest_match(argv[1], commands);
      throw sgda::InputError("unknown command \"" + std::string(argv[1]) + "\"" +
                             (match.empty() ? "" : " (did you mean \"" + match + "\"?)") +
                             "; accepted: " + joined(commands, ", "));
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::string command = "sgda";
    for (const CLI::App* sub : app.get_subcommands()) command += " " + sub->get_name();
    throw sgda::InputError(one_line(e.what()) + " (see " + command + " --help)");
  }

  if (solve_cmd->parsed()) return sgda::cli::solve_command(solve);
  if (theory_cmd->parsed()) return sgda::cli::theory_command(theory);
  if (generate_cmd->parsed()) return sgda::cli::generate_command(generate);
  if (list_cmd->parsed()) return sgda::cli::list_command();
  if (const int code = sgda::cli::run_report_commands(app, experiment, report); code >= 0)
    return code;
  return 2;  // unreachable: a subcommand is required
}

int fail(const std::string& message) {
  std::cout.flush();
  std::cerr << "sgda: error: " << one_line(message) << std::endl;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::bad_alloc&) {
    return fail("out of memory; try a smaller problem");
  } catch (const std::exception& e) {
    return fail(e.what());
  } catch (...) {
    return fail("unexpected error");
  }
}
