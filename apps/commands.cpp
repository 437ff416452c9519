#include "commands.hpp"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>

#include "progress.hpp"
#include "sgda/error.hpp"
#include "sgda/io/game_file.hpp"
#include "sgda/io/trace_file.hpp"
#include "sgda/registry.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"
#include "sgda/theory.hpp"

namespace sgda::cli {
namespace {

namespace fs = std::filesystem;

std::string number(double value, const char* format = "%.6g") {
  if (std::isnan(value)) return "unknown";
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

std::string describe_blocks(const Problem& problem) {
  std::string out;
  for (const Block& b : problem.blocks())
    out += (out.empty() ? "" : ", ") + b.name + "[" + std::to_string(b.size) + "] " +
           (b.maximize ? "max" : "min");
  return out;
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

// Fails before a long run rather than after it when the output cannot be created.
void check_output_folder(const std::string& output, const std::string& where) {
  const fs::path parent = fs::path(output).parent_path();
  std::error_code ec;
  if (!parent.empty() && !fs::is_directory(parent, ec))
    throw InputError(where + ": folder not found: " + parent.string() +
                     "; accepted a path in an existing folder");
  if (fs::is_directory(output, ec))
    throw InputError(where + ": is a directory: " + output + "; accepted a file path");
}

std::string output_origin(const RunConfig& config) {
  const auto it = config.origin.find("run.output");
  return it == config.origin.end() ? config.source : it->second;
}

std::unique_ptr<Estimator> build_estimator(const RunConfig& config, const Problem& problem) {
  try {
    return make_estimator(config.estimator, problem);
  } catch (const InputError& e) {
    throw located_error(config, e.what());
  }
}

const char* signal_name(int signal) { return signal == SIGINT ? "SIGINT" : "SIGTERM"; }

}  // namespace

namespace {

bool any_override(const RunOverrides& o) {
  return o.method || o.sampling || o.local || o.compressor || o.batch_size || o.workers || o.k ||
         o.levels || o.probability || o.alpha || o.step_size || o.step_schedule || o.step_factor ||
         o.iterations || o.max_oracle_calls || o.log_every || o.seed || o.checkpoint_every ||
         o.max_time || o.tolerance || o.residual_tolerance || o.checkpoint_seconds ||
         o.skip_non_finite || o.output || o.step || o.scheme || o.averaging || o.ema_decay;
}

// The run to continue: its configuration as it was started, and its last checkpoint.
RunConfig resumed_config(const SolveArgs& args, RunRecord& record) {
  if (!args.file.empty() || any_override(args.overrides))
    throw InputError(
        "--resume: continues the run exactly as it was started; accepted no problem "
        "file and no other flags with it (the run file holds them)");
  record = load_run(args.resume);
  const std::string termination = record.settings["termination"];
  if (!record.checkpoint || record.settings.count("resume.config") == 0)
    throw input_error(args.resume, "/checkpoint",
                      "missing; accepted a run file written by sgda solve -o");
  if (termination != kRunInProgress &&
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

int solve_command(const SolveArgs& args) {
  RunRecord resumed;
  RunConfig config;
  if (!args.resume.empty()) {
    config = resumed_config(args, resumed);
  } else {
    if (args.file.empty())
      throw InputError("solve: a problem file is required; accepted FILE.toml, or --resume run.h5");
    config = load_run_config(args.file);
    apply_overrides(config, args.overrides);
    if (!config.output.empty()) {
      check_output_folder(config.output, output_origin(config) + ": run.output");
      std::error_code ec;
      if (fs::exists(config.output, ec) && !args.force)
        throw InputError(output_origin(config) + ": run.output: " + config.output +
                         " exists; accepted a new file, --force to overwrite it, or --resume " +
                         config.output + " to continue it");
    }
  }
  if (config.output.empty() && config.solver.checkpoint_every > 0)
    throw located_error(config,
                        "run.checkpoint_every: checkpoints go into the run file; "
                        "accepted only with an output file (-o)");
  const std::shared_ptr<Problem> problem = make_problem(config);
  const std::unique_ptr<Estimator> estimator = build_estimator(config, *problem);
  const std::unique_ptr<StepRule> step = build_step(config);
  Progress progress(stderr_is_terminal());
  const Vector x0 = problem->initial_point();  // 0, or a network's He/Xavier initialization

  Settings settings = to_settings(config);
  settings["resume.config"] = to_toml(config);
  Checkpoint last;
  bool have_last = false;
  CheckpointHooks hooks;
  if (!config.output.empty())
    hooks.save = [&](const Checkpoint& c, bool final) {
      if (final) {
        last = c;
        have_last = true;
      } else {
        save_checkpoint(config.output, c, settings);
      }
    };
  if (resumed.checkpoint) hooks.resume = &*resumed.checkpoint;

  Summary summary;
  int signal = 0;
  {
    InterruptGuard guard;
    try {
      summary = solve(*problem, *estimator, *step, config.solver, x0, {&progress}, hooks);
    } catch (const InputError& e) {
      throw located_error(config, e.what());
    }
    signal = InterruptGuard::received();
  }
  if (signal != 0 && summary.reason == TerminationReason::kStoppedByCallback)
    summary.message = std::string("interrupted by ") + signal_name(signal) + " at iteration " +
                      std::to_string(summary.counters.iterations);
  if (!config.output.empty())
    save_run(config.output, summary, settings, have_last ? &last : nullptr);
  std::cout << summary.BriefReport() << std::endl;
  if (signal != 0) {
    std::cerr << "sgda: " << summary.message
              << (config.output.empty()
                      ? "; no output file was given (-o), so nothing was written"
                      : "; the trace so far is written to " + config.output +
                            "; continue with: sgda solve --resume " + config.output)
              << std::endl;
    return 128 + signal;  // the shell convention for a run ended by a signal
  }
  return 0;
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
  at_theory_step.step_size = StepSizeOptions{.rule = "theory"};
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
  // Flags are named in errors the way they were typed, not as problem.* fields.
  auto flag_error = [](const std::string& message) {
    std::string text = message;
    if (text.rfind("problem.", 0) == 0) {
      const auto colon = text.find(':');
      std::string field = text.substr(8, colon - 8);
      std::replace(field.begin(), field.end(), '_', '-');
      text = "--" + field + text.substr(colon);
    }
    return InputError(text);
  };
  auto reject = [&](const char* flag, bool given) {
    if (given)
      throw InputError(std::string(flag) + ": does not apply to " + args.kind +
                       " games (see sgda generate --help)");
  };
  auto count = [](const std::optional<std::int64_t>& v, const char* flag, std::int64_t minimum) {
    if (*v < minimum)
      throw InputError(std::string(flag) + ": must be " +
                       (minimum > 0 ? "a positive integer (>= 1)" : "a non-negative integer") +
                       ", got " + std::to_string(*v));
    return *v;
  };
  if (args.kind != "quadratic" && args.kind != "bilinear") {
    const std::string match = closest_match(args.kind, {"quadratic", "bilinear"});
    throw InputError("generate: unknown kind \"" + args.kind + "\"" +
                     (match.empty() ? "" : " (did you mean \"" + match + "\"?)") +
                     "; accepted: quadratic, bilinear");
  }
  check_output_folder(args.output, "--output");

  std::optional<AffineGame> game;
  std::string error;
  if (args.kind == "quadratic") {
    reject("--coupling", args.coupling.has_value());
    QuadraticGameOptions o;
    if (args.samples) o.samples = count(args.samples, "--samples", 1);
    if (args.dimension) o.dimension = count(args.dimension, "--dimension", 1);
    if (args.seed) o.seed = std::uint64_t(count(args.seed, "--seed", 0));
    if (args.mu) o.mu = *args.mu;
    if (args.ell) o.ell = *args.ell;
    if (args.noise) o.noise = *args.noise;
    if (args.offset_noise) o.offset_noise = *args.offset_noise;
    if (args.heavy_scale) o.heavy_scale = *args.heavy_scale;
    if (!o.IsValid(&error)) throw flag_error(error);
    game = generate_quadratic_game(o);
  } else {
    reject("--ell", args.ell.has_value());
    reject("--heavy-scale", args.heavy_scale.has_value());
    BilinearGameOptions o;
    if (args.samples) o.samples = count(args.samples, "--samples", 1);
    if (args.dimension) o.dimension = count(args.dimension, "--dimension", 1);
    if (args.seed) o.seed = std::uint64_t(count(args.seed, "--seed", 0));
    if (args.mu) o.mu = *args.mu;
    if (args.coupling) o.coupling = *args.coupling;
    if (args.noise) o.noise = *args.noise;
    if (args.offset_noise) o.offset_noise = *args.offset_noise;
    if (!o.IsValid(&error)) throw flag_error(error);
    game = generate_bilinear_game(o);
  }
  save_affine_game(args.output, *game);

  const ProblemConstants c = game->constants();
  std::printf("wrote %s: %s game, n = %lld samples, D = %lld (%s)\n", args.output.c_str(),
              args.kind.c_str(), static_cast<long long>(game->num_samples()),
              static_cast<long long>(game->dim()), describe_blocks(*game).c_str());
  std::printf("  mu       %s\n", number(c.mu).c_str());
  std::printf("  ell      %s\n", number(c.ell).c_str());
  std::printf("  ell_hat  %s\n", number(c.ell_hat).c_str());
  std::printf("  L_i      %s (min, max)\n", lipschitz_range(c).c_str());
  return 0;
}

int list_command() {
  // Where each kind of name goes in a problem file.
  static const std::map<std::string, std::pair<std::string, std::string>> headings = {
      {"method", {"methods", "[method] name"}},
      {"sampling", {"samplings", "[method] sampling, sgda only"}},
      {"compressor", {"compressors", "[method] compressor"}},
      {"problem", {"problems", "[problem] type"}},
      {"regularizer", {"regularizers", "[regularizer] type"}},
      {"step", {"step rules", "[step] rule, [step.<player>] rule"}},
      {"scheme", {"schemes", "[run] scheme"}},
      {"step-size", {"step-size schedules", "[run] step_schedule"}},
  };
  std::vector<std::string> kinds;
  int width = 0;
  for (const CatalogEntry& e : catalog()) {
    if (std::find(kinds.begin(), kinds.end(), e.kind) == kinds.end()) kinds.push_back(e.kind);
    width = std::max(width, static_cast<int>(e.name.size()));
  }
  bool first = true;
  for (const std::string& kind : kinds) {
    const auto it = headings.find(kind);
    std::printf("%s%s", first ? "" : "\n",
                it == headings.end() ? kind.c_str() : it->second.first.c_str());
    if (it != headings.end()) std::printf(" (%s)", it->second.second.c_str());
    std::printf("\n");
    first = false;
    for (const CatalogEntry& e : catalog()) {
      if (e.kind != kind) continue;
      std::printf("  %-*s  %s\n", width, e.name.c_str(), e.summary.c_str());
      for (const auto& [option, meaning] : e.options)
        std::printf("  %*s    %-12s %s\n", width, "", option.c_str(), meaning.c_str());
    }
  }
  return 0;
}

}  // namespace sgda::cli
