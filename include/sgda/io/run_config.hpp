// Problem files: a TOML description of a run (problem, regularizer, method, run settings) that
// the command line solves. Format and every key: docs/problem-files.md.
// Every problem with the input is an InputError of one line naming the file (with the line when
// known), the field (e.g. `method.name`) and what is accepted.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "sgda/error.hpp"
#include "sgda/io/trace_file.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/problems/dirac_gan.hpp"
#include "sgda/problems/gaussian_gan.hpp"
#include "sgda/problems/mlp_gan.hpp"
#include "sgda/registry.hpp"
#include "sgda/regularizer.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"

namespace sgda {

struct ProblemSpec {
  std::string type;  // quadratic | bilinear | file | dirac-gan | gaussian-gan | mlp-gan
  QuadraticGameOptions quadratic;
  BilinearGameOptions bilinear;
  DiracGanOptions dirac;
  GaussianGanOptions gaussian;
  MlpGanOptions mlp;
  std::string file;  // HDF5 game (type = file), relative paths resolved against the TOML's folder
};

// [step] and [step.<player>] (docs/problem-files.md).
struct PlayerStep {
  std::string player;  // a block name of the problem (checked when the step is bound)
  StepRuleOptions rule;
  double scale = 1.0;  // this player's step is scale · γ_k (two time scales)
};
struct StepConfig {
  StepRuleOptions rule;  // every player without a table of its own
  double scale = 1.0;    // their step-size scale
  std::vector<PlayerStep> players;
};

struct RunConfig {
  std::string source;  // the TOML file
  ProblemSpec problem;
  RegularizerOptions regularizer;
  EstimatorOptions estimator;
  StepConfig step;
  SolverOptions solver;
  std::string output;  // trace file; empty = none
  // Where each explicitly set field came from ("run.toml:12" or "--iterations"), so errors
  // found after overrides still point at the right place.
  std::map<std::string, std::string> origin;
};

// Reads, checks and resolves a problem file. Throws InputError.
RunConfig load_run_config(const std::string& path);
// The same from text; `source` names it in errors and anchors relative paths (its folder).
RunConfig parse_run_config(const std::string& text, const std::string& source);

// The [method] and [run] fields as given on a command line; unset = keep the file's value.
// Each is checked like the file's key and errors name the flag (--method, --step-size, ...).
struct RunOverrides {
  std::optional<std::string> method, sampling, local, compressor;
  std::optional<std::int64_t> batch_size, workers, k, levels;
  std::optional<double> probability, alpha;
  std::optional<std::string> step_size;  // "theory" or a number; a number implies constant
  std::optional<std::string> step_schedule;
  std::optional<double> step_factor;
  std::optional<std::int64_t> iterations, max_oracle_calls, log_every, seed, checkpoint_every;
  std::optional<double> max_time, tolerance, residual_tolerance, checkpoint_seconds;
  std::optional<bool> skip_non_finite;
  std::optional<std::string> output;  // as given (relative to the working directory)
  std::optional<std::string> step, scheme, averaging;  // [step] rule, [run] scheme/averaging
  std::optional<double> ema_decay;
};
void apply_overrides(RunConfig& config, const RunOverrides& overrides);

// The problem of the config, with its regularizer: an AffineGame (quadratic, bilinear, file) or
// a GAN-style game (dirac-gan, gaussian-gan, mlp-gan). Throws InputError (options, HDF5).
std::shared_ptr<Problem> make_problem(const RunConfig& config);
// The same for callers that need the matrices of an affine game; a GAN-style type is an
// InputError naming problem.type.
std::shared_ptr<AffineGame> build_problem(const RunConfig& config);

// Every field that applies, as strings keyed "problem.mu", "method.name", "run.step_size", ...
// plus "source", for the trace file's attributes.
// The step rule of [step] (a BlockwiseStep when players have their own tables or scales).
std::unique_ptr<StepRule> build_step(const RunConfig& config);

Settings to_settings(const RunConfig& config);

// The effective configuration as a problem file: parse_run_config(to_toml(c), c.source) gives
// the same problem, method and run, so a run file can hold what it needs to be resumed.
std::string to_toml(const RunConfig& config);

// Prefixes a library message that starts with a field ("method.batch_size: ...") with where
// that field was set: "run.toml:7: method.batch_size: ..." or "--batch-size: method...".
InputError located_error(const RunConfig& config, const std::string& message);

// The closest of `candidates` to `word` if it is a plausible typo (edit distance), else "".
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace sgda
