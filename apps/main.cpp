// The `sgda` command line: argument parsing and the one place errors become exit codes.
//   0  success (also --help, --version): a run converged or stopped at a limit
//   2  bad input: one line "sgda: error: <message>" on stderr
//   3  sgda solve: the run stopped at a non-finite estimate or iterate (its trace is written)
//   128 + signal  a run stopped by SIGINT/SIGTERM (its trace is still written)
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <iostream>
#include <new>
#include <string>

#include "commands.hpp"
#include "report_commands.hpp"
#include "sgda/error.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/options.hpp"
#include "sgda/version.hpp"

namespace {

using sgda::RunOverrides;

std::string type_label(sgda::FieldType type) {
  switch (type) {
    case sgda::FieldType::kInteger:
      return "INT";
    case sgda::FieldType::kNumber:
      return "NUMBER";
    case sgda::FieldType::kStepSize:
      return "theory|NUMBER";
    case sgda::FieldType::kPath:
      return "PATH";
    default:
      return "NAME";
  }
}

// The flags of a section (section_flags()), each recorded in `overrides` as typed: the tables
// check them (apply_overrides). `only` keeps the rows that apply to some config it accepts
// (generate: quadratic and bilinear games).
void add_section_flags(
    CLI::App* app, RunOverrides& overrides, const std::string& section,
    const std::function<bool(const sgda::Field<sgda::RunConfig>&)>& only = nullptr) {
  const std::string group = "[" + section + "] (override the file)";
  for (const sgda::FlagSpec& flag : sgda::section_flags(section)) {
    const auto& row = *flag.row;
    if (only && !only(row)) continue;
    std::string help = row.doc + ": " + sgda::accepted_text(row);
    if (!row.default_text.empty()) help += " (default " + row.default_text + ")";
    help += " [" + section + "] " + row.key;
    if (row.type == sgda::FieldType::kBoolean) {
      app->add_flag_function(
             flag.spelling,
             [&overrides, flag](std::int64_t) {
               overrides.push_back({flag.field, flag.name, "true"});
             },
             help)
          ->group(group);
      continue;
    }
    app->add_option_function<std::string>(
           flag.spelling,
           [&overrides, flag](const std::string& text) {
             overrides.push_back({flag.field, flag.name, text});
           },
           help)
        ->type_name(type_label(row.type))
        ->group(group);
  }
}

int run(int argc, char** argv) {
  CLI::App app{"sgda " + std::string(sgda::kVersion) +
                   ": stochastic min-max problems and variational inequalities with SGDA-family "
                   "methods",
               "sgda"};
  app.set_version_flag(
      "--version", std::string("sgda ") + sgda::kVersion + " (" + sgda::instruction_set() + ")");
  app.require_subcommand(1);
  app.footer(
      "Problem files: docs/problem-files.md. Exit codes: 0 done (converged or stopped at a "
      "limit), 2 bad input (also a file that cannot be written, a full disk), 3 a run of sgda "
      "solve stopped at non-finite values, 128+signal when interrupted.");

  sgda::cli::SolveArgs solve;
  CLI::App* solve_cmd = app.add_subcommand(
      "solve",
      "Solve the problem of a TOML file; print a one-line summary, write the trace with -o.\n"
      "Flags override the file's [method], [step] and [run] keys. Ctrl-C stops the run and still "
      "writes the trace so far.");
  solve_cmd->add_option("file", solve.file, "problem file (docs/problem-files.md)")
      ->type_name("FILE.toml");
  for (const char* section : {"method", "step", "run"})
    add_section_flags(solve_cmd, solve.overrides, section);
  solve_cmd
      ->add_option("--resume", solve.resume,
                   "continue the interrupted run of this file (written with -o); it takes no "
                   "other input")
      ->type_name("run.h5")
      ->group("Checkpoints");
  solve_cmd->add_flag("--force", solve.force, "overwrite an existing output file")
      ->group("Checkpoints");
  solve_cmd
      ->add_option("--backend", solve.backend,
                   "where a distributed method's workers run: in-process, mpi (the ranks of "
                   "`mpirun -np R sgda solve ...`, docs/mpi.md) or auto (mpi when started by an "
                   "MPI launcher)")
      ->check(CLI::IsMember({"auto", "in-process", "mpi"}))
      ->default_str("auto")
      ->type_name("auto|in-process|mpi");
  solve_cmd
      ->add_option("--mpi-timeout", solve.mpi_timeout,
                   "under MPI: seconds a rank waits for the others inside one exchange before "
                   "it ends the job (a rank that hangs without dying); 0 waits forever")
      ->capture_default_str()
      ->type_name("SECONDS");

  sgda::cli::TheoryArgs theory;
  CLI::App* theory_cmd = app.add_subcommand(
      "theory",
      "Print the problem's constants, the method's A, B, C, D1, D2, rho, the theory step size "
      "and the rate it predicts (Beznosikov et al. 2023, Theorem 2.2).");
  theory_cmd->add_option("file", theory.file, "problem file (docs/problem-files.md)")
      ->required()
      ->type_name("FILE.toml");
  for (const char* section : {"method", "step", "run"})
    add_section_flags(theory_cmd, theory.overrides, section);

  sgda::cli::GenerateArgs generate;
  CLI::App* generate_cmd = app.add_subcommand(
      "generate", "Generate an affine game, write it to HDF5 and print its constants.");
  generate_cmd->add_option("kind", generate.kind, "quadratic | bilinear")
      ->required()
      ->type_name("KIND");
  // The [problem] keys of the generated games.
  add_section_flags(generate_cmd, generate.overrides, "problem", [](const auto& row) {
    for (const sgda::Condition& c : row.conditions)
      if (c.key == "type")
        for (const std::string& type : c.values)
          if (type == "quadratic" || type == "bilinear") return true;
    return false;
  });
  generate_cmd->add_option("-o,--output", generate.output, "the game file to write (HDF5)")
      ->required()
      ->type_name("game.h5");
  generate_cmd->add_flag("--force", generate.force, "overwrite an existing game file");
  generate_cmd->add_flag("--streamed", generate.streamed,
                         "draw and write the game sample by sample, holding one M_i at a time "
                         "(automatic when the game needs more than half of this machine's "
                         "memory or more than 1e9 values); its constants then come from "
                         "Lanczos passes over the file");

  bool markdown = false;
  CLI::App* list_cmd = app.add_subcommand(
      "list",
      "List every key of problem files with its type, range, default and where it applies, and "
      "every choice (methods, samplings, compressors, problems, step rules, ...).");
  list_cmd->add_flag("--markdown", markdown,
                     "print docs/options.md instead (the same tables, generated)");

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
                             "; accepted: " + sgda::join(commands));
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::string command = "sgda";
    for (const CLI::App* sub : app.get_subcommands()) command += " " + sub->get_name();
    throw sgda::InputError(sgda::cli::one_line(e.what()) + " (see " + command + " --help)");
  }

  if (solve_cmd->parsed()) return sgda::cli::solve_command(solve);
  if (theory_cmd->parsed()) return sgda::cli::theory_command(theory);
  if (generate_cmd->parsed()) return sgda::cli::generate_command(generate);
  if (list_cmd->parsed()) return sgda::cli::list_command(markdown);
  if (const int code = sgda::cli::run_report_commands(app, experiment, report); code >= 0)
    return code;
  return 2;  // unreachable: a subcommand is required
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::bad_alloc&) {
    return sgda::cli::fail("out of memory; try a smaller problem");
  } catch (const std::exception& e) {
    return sgda::cli::fail(e.what());
  } catch (...) {
    return sgda::cli::fail("unexpected error");
  }
}
