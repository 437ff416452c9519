#include "commands.hpp"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>

#include <unistd.h>

#include "option_docs.hpp"
#include "progress.hpp"
#include "sgda/error.hpp"
#include "sgda/estimators/distributed.hpp"
#include "sgda/io/files.hpp"
#include "sgda/io/game_file.hpp"
#include "sgda/io/trace_file.hpp"
#include "sgda/problems/training.hpp"
#include "sgda/registry.hpp"
#include "sgda/regularizer.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"
#include "sgda/theory.hpp"

#ifdef SGDA_WITH_MPI
#include "sgda/mpi/game_part.hpp"
#include "sgda/mpi/session.hpp"
#endif

namespace sgda::cli {
namespace {

namespace fs = std::filesystem;

std::string number(double value, const char* format = "%.6g") {
  if (std::isnan(value)) return "unknown";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

std::string describe_blocks(const std::vector<Block>& blocks) {
  std::string out;
  for (const Block& b : blocks)
    out += (out.empty() ? "" : ", ") + b.name + "[" + std::to_string(b.size) + "] " +
           (b.maximize ? "max" : "min");
  return out;
}

std::string describe_blocks(const Problem& problem) { return describe_blocks(problem.blocks()); }

// An n-sample game of dimension D in memory.
double game_bytes(Index n, Index d) { return 8.0 * double(n) * double(d) * double(d); }

// This machine's memory, in bytes (+∞ when the system does not say).
double physical_memory() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? double(pages) * double(page)
                               : std::numeric_limits<double>::infinity();
}

std::string lipschitz_range(const ProblemConstants& c) {
  if (c.sample_lipschitz.size() == 0) return "unknown";
  // Appended piecewise: "[" + std::string&& trips a GCC 12 -Wrestrict false positive.
  std::string out = "[";
  out += number(c.sample_lipschitz.minCoeff());
  out += ", ";
  out += number(c.sample_lipschitz.maxCoeff());
  return out + "]";
}

std::string output_origin(const RunConfig& config) {
  const auto it = config.origin.find("run.output");
  return it == config.origin.end() ? config.source : it->second;
}

std::unique_ptr<Estimator> build_estimator(const RunConfig& config, const Problem& problem) {
  try {
    return make_estimator(config.estimator, problem);
  } catch (const InputError& e) {
    throw located_error(config, e);
  }
}

const char* signal_name(int signal) { return signal == SIGINT ? "SIGINT" : "SIGTERM"; }

}  // namespace

namespace {

// The run to continue: its configuration as it was started, and its last checkpoint.
RunConfig resumed_config(const SolveArgs& args, RunRecord& record) {
  if (!args.file.empty() || !args.overrides.empty())
    throw InputError(
        "--resume: continues the run exactly as it was started; accepted no problem "
        "file and no other flags with it (the run file holds them)");
  record = load_run(args.resume);
  const std::string termination = record.settings["termination"];
  if (!record.checkpoint || record.settings.count("resume.config") == 0)
    throw input_error(args.resume, "/checkpoint",
                      "missing; accepted a run file written by sgda solve -o");
  // Runs of sgda 0.1.0 recorded an interrupt as "stopped by callback".
  if (termination != kRunInProgress && termination != to_string(TerminationReason::kInterrupted) &&
      termination != to_string(TerminationReason::kStoppedByCallback))
    throw input_error(args.resume, "termination",
                      "the run already ended (" + termination +
                          "): nothing to resume; accepted a run that was interrupted or is "
                          "still in progress");
  RunConfig config =
      parse_run_config(record.settings["resume.config"],
                       record.settings.count("source") ? record.settings["source"] : args.resume);
  config.output = args.resume;
  return config;
}

}  // namespace

namespace {

// The processes of the run: this one alone, or the ranks of an MPI job (--backend mpi), which
// all run the same loop; rank 0 writes the run file and prints.
struct Processes {
#ifdef SGDA_WITH_MPI
  mpi::Session* session = nullptr;
#endif
  bool root() const {
#ifdef SGDA_WITH_MPI
    return !session || session->rank() == 0;
#else
    return true;
#endif
  }
};

}  // namespace

std::string one_line(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

int fail(const std::string& message) {
  std::cout.flush();
  std::cerr << "sgda: error: " + one_line(message) + "\n" << std::flush;
  return kExitBadInput;
}

int launched_processes() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"})
    if (const char* value = std::getenv(name)) return std::max(1, std::atoi(value));
  return 0;
}

namespace {

bool use_mpi(const std::string& backend) {
  const int launched = launched_processes();
#ifdef SGDA_WITH_MPI
  constexpr bool built = true;
#else
  constexpr bool built = false;
#endif
  if (backend == "in-process" || (backend == "auto" && launched == 0)) {
    if (launched > 1)
      throw InputError("--backend in-process: under an MPI launcher with " +
                       std::to_string(launched) +
                       " processes, each would run the whole run; accepted one process, or "
                       "--backend mpi");
    return false;
  }
  if (!built)
    throw InputError(
        "--backend mpi: this sgda was built without MPI; reconfigure with -DSGDA_WITH_MPI=ON "
        "(Debian: libopenmpi-dev openmpi-bin), or accepted --backend in-process with one process");
  return true;
}

// Everything a run needs before its loop; on an MPI job, on every rank.
struct SolveSetup {
  RunRecord resumed;
  RunConfig config;
  OutputClaim claim;  // rank 0: held until the run file is written, released on every way out
  std::shared_ptr<Problem> problem;
  std::unique_ptr<Estimator> estimator;
  std::unique_ptr<StepRule> step;
  Vector x0;
};

#ifdef SGDA_WITH_MPI
// Whether the run's estimator is a distributed method's, whose workers go over the ranks.
bool runs_workers(const RunConfig& config) {
  const Method m = config.estimator.method;
  return config.estimator.delay == 0 &&
         (m == Method::kQsgda || m == Method::kDianaSgda || m == Method::kVrDianaSgda);
}

// Under MPI, a game file's samples are split over the ranks, each reading only its workers'
// (docs/mpi.md), when a distributed method runs at a numeric step: the theory's constants need
// every sample, so then every rank reads the whole game.
bool splits_game(const RunConfig& config) {
  return config.problem.type == ProblemType::kFile && runs_workers(config) &&
         config.solver.step_size.rule == StepSizeRule::kConstant;
}

#endif

void set_up(const SolveArgs& args, const Processes& processes, SolveSetup& s) {
  RunConfig& config = s.config;
  if (!args.resume.empty()) {
    // Claimed before it is read: a run being resumed by another process is refused.
    check_input_file(args.resume, "--resume", "a run file written by sgda solve -o");
    if (processes.root()) s.claim = OutputClaim(args.resume, "--resume");
    config = resumed_config(args, s.resumed);
  } else {
    if (args.file.empty())
      throw InputError("solve: a problem file is required; accepted FILE.toml, or --resume run.h5");
    config = load_run_config(args.file);
    apply_overrides(config, args.overrides);
    // Fails before a long run rather than after it when the output cannot be written; checked
    // again once claimed, since another run may have written it in between.
    if (!config.output.empty() && processes.root()) {
      const std::string where = output_origin(config) + ": run.output";
      const std::string hint =
          "--force to overwrite it, or --resume " + config.output + " to continue it";
      check_output_file(config.output, where, args.force, input_files(config), hint);
      s.claim = OutputClaim(config.output, where);
      check_output_file(config.output, where, args.force, input_files(config), hint);
    }
  }
  if (config.output.empty() && config.solver.checkpoint_every > 0)
    throw located_error(
        config, InputError(FieldError{"SolverOptions::checkpoint_every",
                                      "checkpoints go into the run file; accepted only with an "
                                      "output file (-o)"}));
#ifdef SGDA_WITH_MPI
  if (processes.session && splits_game(config)) {
    try {
      s.problem =
          mpi::load_game_part(*processes.session, config.problem.file, config.estimator.workers,
                              make_regularizer(config.regularizer));
    } catch (const InputError& e) {
      if (e.field()) throw located_error(config, e);
      throw located_error(config, InputError(FieldError{"problem.file", e.what()}));
    }
  } else {
    // A training problem trains data-parallel over the ranks, each reading only its rows of
    // the data set (unless a distributed method's workers go over them instead).
    s.problem = make_problem(config, processes.session && !runs_workers(config)
                                         ? &processes.session->processes()
                                         : nullptr);
  }
#else
  s.problem = make_problem(config);
#endif
  s.estimator = build_estimator(config, *s.problem);
  s.step = build_step(config);
  s.x0 = s.problem->initial_point();  // 0, or a network's He/Xavier initialization
#ifdef SGDA_WITH_MPI
  if (processes.session) {
    // A distributed method's workers go over the ranks; a training problem's minibatches are
    // split over them (data-parallel); anything else would only repeat the run on every rank.
    const int ranks = processes.session->size();
    try {
      if (auto* distributed = dynamic_cast<DistributedEstimator*>(s.estimator.get()))
        distributed->set_communicator(
            processes.session->communicator(distributed->settings().workers));
      // A training problem: make_problem made it data-parallel over the ranks.
      else if (!dynamic_cast<TrainingProblem*>(s.problem.get()) && ranks > 1)
        throw InputError(
            FieldError{"method",
                       "--backend mpi runs the workers of a distributed method or the "
                       "minibatches of a training problem over " +
                           std::to_string(ranks) +
                           " ranks; accepted qsgda, diana-sgda or vr-diana-sgda, a training "
                           "problem, or one rank; got " +
                           s.estimator->name() + " on " + s.problem->name()});
      // The step rule's binding errors (a curvature rule in data-parallel training) here, as
      // one line, rather than on every rank inside the loop; the solver binds it again.
      s.step->reset(*s.problem);
    } catch (const InputError& e) {
      throw located_error(config, e);
    }
  }
#endif
}

int run_solve(const SolveArgs& args, const Processes& processes) {
  SolveSetup s;
#ifdef SGDA_WITH_MPI
  if (mpi::Session* session = processes.session) {
    // A setup error on any rank stops every rank, told once, by the lowest rank that had one.
    std::exception_ptr error;
    bool failed = false;  // here; not when only another rank did
    try {
      set_up(args, processes, s);
    } catch (const mpi::AnotherRankFailed&) {
      error = std::current_exception();
    } catch (...) {
      error = std::current_exception();
      failed = true;
    }
    const int first = session->first_failing(failed);
    if (first >= 0 && session->size() == 1) std::rethrow_exception(error);
    if (first >= 0) {
      if (first == session->rank()) try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          fail("rank " + std::to_string(first) + " of " + std::to_string(session->size()) + ": " +
               e.what());
        } catch (...) {
          fail("rank " + std::to_string(first) + " of " + std::to_string(session->size()) +
               ": unexpected error");
        }
      // Every rank waits for the line: a launcher ends the job at the first rank that exits
      // with an error, perhaps before the line was written.
      session->barrier();
      return kExitBadInput;
    }
  } else {
    set_up(args, processes, s);
  }
#else
  set_up(args, processes, s);
#endif
  const RunConfig& config = s.config;
  const bool root = processes.root();
  Progress progress(root && stderr_is_terminal());

  Settings settings = to_settings(config);
  settings["resume.config"] = to_toml(config);
  Checkpoint last;
  bool have_last = false;
  CheckpointHooks hooks;
  // On every rank: a checkpoint gathers every rank's state; rank 0 writes it.
  if (!config.output.empty())
    hooks.save = [&](const Checkpoint& c, bool final) {
      if (!root) return;
      if (final) {
        last = c;
        have_last = true;
      } else {
        save_checkpoint(config.output, c, settings);
      }
    };
  if (s.resumed.checkpoint) hooks.resume = &*s.resumed.checkpoint;

  Summary summary;
  int signal = 0;
  {
    InterruptGuard guard;
    SolverOptions options = solver_options(config, *s.problem);  // log_every_epochs resolved
    options.interrupt = InterruptGuard::flag();
    std::vector<Callback*> callbacks;
    if (root) callbacks.push_back(&progress);
#ifdef SGDA_WITH_MPI
    if (processes.session) options.processes = &processes.session->processes();
#endif
    try {
      summary = sgda::solve(*s.problem, *s.estimator, *s.step, options, s.x0, callbacks, hooks);
    } catch (const std::exception& e) {
      const auto* input = dynamic_cast<const InputError*>(&e);
#ifdef SGDA_WITH_MPI
      // One rank's failure inside the loop: the others wait in a collective call; end them all.
      if (processes.session && processes.session->size() > 1) {
        fail("rank " + std::to_string(processes.session->rank()) + " of " +
             std::to_string(processes.session->size()) + ": " +
             (input ? located_error(config, *input).what() : e.what()));
        processes.session->abort(kExitBadInput);
      }
#endif
      if (input) throw located_error(config, *input);
      throw;
    }
    signal = InterruptGuard::received();
  }
#ifdef SGDA_WITH_MPI
  if (processes.session) {
    // What the workers put on the wire, next to the bits the trace counts.
    const mpi::WireBytes wire = processes.session->wire_bytes();
    settings["mpi.ranks"] = std::to_string(processes.session->size());
    settings["mpi.payload_bytes"] = std::to_string(wire.payload);
    settings["mpi.header_bytes"] = std::to_string(wire.header);
    settings["mpi.messages"] = std::to_string(wire.messages);
    if (root && wire.messages > 0)
      std::cout << "mpi: " << processes.session->size() << " ranks; " << wire.payload
                << " payload bytes on the wire for the trace's " << summary.counters.bits
                << " bits, in " << wire.messages << " messages (" << wire.header << " header bytes)"
                << std::endl;
  }
#endif
  if (signal != 0 && summary.reason == TerminationReason::kInterrupted)
    summary.message = std::string("interrupted by ") + signal_name(signal) + " at iteration " +
                      std::to_string(summary.counters.iterations);
  if (!root)
    return summary.reason == TerminationReason::kNonFinite ? kExitNonFinite
           : signal != 0                                   ? 128 + signal
                                                           : 0;
  if (!config.output.empty())
    save_run(config.output, summary, settings, have_last ? &last : nullptr);
  std::cout << summary.BriefReport() << std::endl;
  if (const std::string metrics = training_metrics_line(summary.trace); !metrics.empty())
    std::printf("%s (epoch %.4g, iteration %lld)\n", metrics.c_str(), summary.trace.epochs.back(),
                static_cast<long long>(summary.trace.iteration.back()));
  if (signal != 0) {
    std::cerr << "sgda: " << summary.message
              << (config.output.empty()
                      ? "; no output file was given (-o), so nothing was written"
                      : "; the trace so far is written to " + config.output +
                            "; continue with: sgda solve --resume " + config.output)
              << std::endl;
    return 128 + signal;  // the shell convention for a run ended by a signal
  }
  if (summary.reason == TerminationReason::kNonFinite) {
    std::cerr << "sgda: " << summary.message << "; the run stopped without converging"
              << (config.output.empty() ? "" : " (its trace is written to " + config.output + ")")
              << std::endl;
    return kExitNonFinite;
  }
  return 0;
}

}  // namespace

int solve_command(const SolveArgs& args) {
  if (!use_mpi(args.backend)) return run_solve(args, {});
#ifdef SGDA_WITH_MPI
  if (!(args.mpi_timeout >= 0.0))
    throw InputError("--mpi-timeout: is " + std::to_string(args.mpi_timeout) +
                     "; accepted seconds >= 0 (0: wait forever)");
  mpi::Session session;
  session.set_timeout(args.mpi_timeout);
  Processes processes;
  processes.session = &session;
  return run_solve(args, processes);
#else
  return kExitBadInput;  // unreachable: use_mpi refuses
#endif
}

int theory_command(const TheoryArgs& args) {
  RunConfig config = load_run_config(args.file);
  apply_overrides(config, args.overrides);
  const std::shared_ptr<Problem> problem = make_problem(config);
  const std::unique_ptr<Estimator> estimator = build_estimator(config, *problem);
  const std::unique_ptr<StepRule> step = build_step(config);
  const ProblemConstants c = problem->constants();
  const std::optional<Vector> x_star = problem->solution();

  // The theorem at the theory step (factor 1), whatever step the file runs at; the bound starts
  // from V_0 = ||x0 − x*||² + Mγ²σ_0², with x0 as in `sgda solve`.
  const Vector x0 = problem->initial_point();
  Rng rng(config.solver.seed);
  Counters counters;
  estimator->reset(*problem, x0, rng, counters);
  SolverOptions at_theory_step = config.solver;
  at_theory_step.step_size = StepSizeOptions{.rule = StepSizeRule::kTheory};
  const Theory t =
      analyse_theory(*problem, *estimator, *step, at_theory_step, x0, {.target = 1e-10});

  std::printf("problem          %s (%s)\n", problem->name().c_str(), config.source.c_str());
  std::printf("  n              %lld samples\n", static_cast<long long>(problem->num_samples()));
  std::printf("  D              %lld\n", static_cast<long long>(problem->dim()));
  std::printf("  blocks         %s\n", describe_blocks(*problem).c_str());
  std::printf("  regularizer    %s\n", problem->regularizer().describe().c_str());
  std::printf("  mu             %s\n", number(c.mu).c_str());
  std::printf("  ell            %s\n", number(c.ell).c_str());
  std::printf("  ell_hat        %s\n", number(c.ell_hat).c_str());
  std::printf("  L_i            %s (min, max)\n", lipschitz_range(c).c_str());
  std::printf("  ||x*||         %s\n", x_star ? number(x_star->norm()).c_str() : "unknown");
  std::printf("method           %s\n", estimator->describe().c_str());
  std::printf("  A              %s\n", number(t.A).c_str());
  std::printf("  B              %s\n", number(t.B).c_str());
  std::printf("  C              %s\n", number(t.C).c_str());
  std::printf("  D1             %s\n", number(t.D1).c_str());
  std::printf("  D2             %s\n", number(t.D2).c_str());
  std::printf("  rho            %s\n", number(t.rho).c_str());
  std::printf("  sigma_k^2      %s\n", t.sigma_definition.c_str());
  std::printf("  note           %s\n", t.note.c_str());
  for (const auto& [label, value] : t.alternatives)
    std::printf("  also valid     %s = %s (not used for the step size)\n", label.c_str(),
                number(value).c_str());
  if (const std::string why = estimator->parameters(*problem).not_covered; !why.empty())
    std::printf("  not covered    %s\n", why.c_str());
  std::printf("theory (Beznosikov et al. 2023, Theorem 2.2, M = 2B/rho)\n");
  std::printf("  step size      %s  (min{1/mu, 1/(2(A + C M))})\n",
              number(t.theory_step_size).c_str());

  const bool linear = std::isfinite(t.gamma) && std::isfinite(t.mu) && t.mu > 0.0 && t.known();
  if (!linear) {
    std::printf("  contraction    n/a (%s)\n",
                t.known() ? "needs mu > 0" : "the method's constants are unknown here");
    return 0;
  }
  std::printf("  contraction    %s per iteration  (1 - min{gamma mu, rho - B/M})\n",
              number(t.contraction, "%.10g").c_str());
  std::printf("  neighbourhood  %s  (gamma^2 (D1 + M D2) / min{gamma mu, rho - B/M})",
              number(t.neighbourhood).c_str());
  if (t.initial_distance > 0.0)
    std::printf(", relative to ||x0 - x*||^2: %s", number(t.relative_neighbourhood).c_str());
  std::printf("\n");
  const char* label = "  iterations to rel. dist^2 1e-10";
  if (t.D1 != 0.0 || t.D2 != 0.0) {
    std::printf("%s  n/a (D1 + M D2 > 0: the bound stalls at the neighbourhood)\n", label);
    return 0;
  }
  if (!(t.initial_distance > 0.0)) {
    std::printf("%s  %s\n", label, x_star ? "0 (x0 = x*)" : "n/a (x* unknown)");
    return 0;
  }
  std::printf("%s  %s  (from x0, V0 / ||x0 - x*||^2 = %s)\n", label,
              number(t.iterations_to_target, "%.0f").c_str(),
              number(t.initial_lyapunov / t.initial_distance).c_str());
  return 0;
}

int generate_command(const GenerateArgs& args) {
  RunConfig config;
  config.source = "sgda generate";
  if (!from_string(args.kind, &config.problem.type) ||
      (config.problem.type != ProblemType::kQuadratic &&
       config.problem.type != ProblemType::kBilinear))
    throw InputError("generate: " + unknown_choice(args.kind, {"quadratic", "bilinear"}));
  check_output_file(args.output, "--output", args.force, {}, "--force to overwrite it");
  const OutputClaim claim(args.output, "--output");
  check_output_file(args.output, "--output", args.force, {}, "--force to overwrite it");
  apply_overrides(config, args.overrides, GeneratedGameTarget::kFile);
  const ProblemSpec& p = config.problem;
  const bool quadratic = p.type == ProblemType::kQuadratic;

  // Held in memory when it fits (then the constants are those of sgda solve and sgda theory:
  // dense up to D = 128); otherwise, or with --streamed, drawn and written sample by sample.
  const bool fits = !(quadratic ? p.quadratic.Check() : p.bilinear.Check()) &&
                    game_bytes(quadratic ? p.quadratic.samples : p.bilinear.samples,
                               2 * (quadratic ? p.quadratic.dimension : p.bilinear.dimension)) <
                        physical_memory() / 2;
  ProblemConstants c;
  Index n = 0, d = 0;
  std::string blocks;
  if (fits && !args.streamed) {
    const std::shared_ptr<AffineGame> game = build_problem(config);
    save_affine_game(args.output, *game);
    c = game->constants();
    n = game->num_samples(), d = game->dim(), blocks = describe_blocks(*game);
  } else {
    GameSampler sampler =
        quadratic ? quadratic_game_sampler(p.quadratic) : bilinear_game_sampler(p.bilinear);
    n = sampler.num_samples(), d = sampler.dim();
    c = save_generated_game(
        args.output, sampler, make_regularizer(config.regularizer),
        [](const std::string& text) { std::fprintf(stderr, "generate: %s\n", text.c_str()); });
    blocks = describe_blocks(sampler.blocks());
  }
  std::printf("wrote %s: %s game, n = %lld samples, D = %lld (%s)\n", args.output.c_str(),
              args.kind.c_str(), static_cast<long long>(n), static_cast<long long>(d),
              blocks.c_str());
  std::printf("  mu       %s\n", number(c.mu).c_str());
  std::printf("  ell      %s\n", number(c.ell).c_str());
  std::printf("  ell_hat  %s\n", number(c.ell_hat).c_str());
  std::printf("  L_i      %s (min, max)\n", lipschitz_range(c).c_str());
  return 0;
}

int list_command(bool markdown) {
  std::fputs(markdown ? options_markdown().c_str() : options_listing().c_str(), stdout);
  return 0;
}

}  // namespace sgda::cli
