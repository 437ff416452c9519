// Problem files: a TOML description of a run (problem, regularizer, method, step rule, run
// settings) that the command line solves. Every key is a row of an options table
// (include/sgda/options.hpp): the sections below compose those tables, and reading, writing,
// flags, settings and docs/options.md all follow from them. Format: docs/problem-files.md.
// Every problem with the input is an InputError of one line naming the file (with the line when
// known) or the flag, the field (e.g. `method.name`) and what is accepted.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sgda/error.hpp"
#include "sgda/io/dataset_file.hpp"
#include "sgda/io/trace_file.hpp"
#include "sgda/nn/reduced_space.hpp"
#include "sgda/options.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/problems/constant_target.hpp"
#include "sgda/problems/dirac_gan.hpp"
#include "sgda/problems/gaussian_gan.hpp"
#include "sgda/problems/mlp_gan.hpp"
#include "sgda/problems/noisy_xor.hpp"
#include "sgda/problems/streaming_pca.hpp"
#include "sgda/problems/training.hpp"
#include "sgda/registry.hpp"
#include "sgda/regularizer.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"

namespace sgda {

enum class ProblemType {
  kQuadratic,
  kBilinear,
  kFile,
  kDiracGan,
  kGaussianGan,
  kMlpGan,
  kClassifier,  // training problems (problems/training.hpp) on a data set (io/dataset_file.hpp)
  kRegression,
  kAutoencoder,
  kStreamingPca,
  kNoisyXor,
  kConstantTarget,
};
template <>
const std::vector<EnumValue<ProblemType>>& enum_values<ProblemType>();

// [problem]: the type, and the options of that type.
struct ProblemSpec {
  ProblemType type = ProblemType::kQuadratic;
  QuadraticGameOptions quadratic;
  BilinearGameOptions bilinear;
  DiracGanOptions dirac;
  GaussianGanOptions gaussian;
  MlpGanOptions mlp;
  StreamingPcaOptions pca;
  NoisyXorOptions noisy_xor;        // noisy-xor
  ConstantTargetOptions constant;   // constant-target
  TrainingOptions training;         // classifier, regression, autoencoder
  DataOptions data;                 // their data set
  nn::ReducedSpaceOptions reduced;  // network problems: the reduced parameter space
  std::string file;  // HDF5 game (type = file), relative paths resolved against the TOML's folder

  static const OptionTable<ProblemSpec>& table();
};

// [step] and [step.<player>] (docs/problem-files.md).
struct StepSettings {
  StepRuleOptions rule;
  double scale = 1.0;  // this step is scale · γ_k (two time scales)

  static const OptionTable<StepSettings>& table();
};
struct PlayerStep {
  std::string player;  // a block name of the problem (checked when the step is bound)
  StepSettings settings;
};
struct StepConfig {
  StepSettings all;  // every player without a table of its own
  std::vector<PlayerStep> players;
};

// How a constant step grows with the batch size B: p = 1 (linear; Goyal et al. 2017, LARS) or
// p = 1/2 (square root; LAMB, You et al. 2020) in γ · (B / B_ref)^p.
enum class BatchScaling { kNone, kLinear, kSqrt };
template <>
const std::vector<EnumValue<BatchScaling>>& enum_values<BatchScaling>();

struct RunConfig {
  std::string source;  // the TOML file
  ProblemSpec problem;
  RegularizerOptions regularizer;
  EstimatorOptions estimator;
  StepConfig step;
  SolverOptions solver;
  // Settings in epochs of training runs, converted to iterations from n and the batch size
  // (solver_options()); 0 = off. Log (metrics, a trace row) every this many epochs instead of
  // solver.log_every; stop after `epochs` instead of solver.max_iterations; warm up over
  // `warmup_epochs` instead of the step's warmup_iterations.
  double log_every_epochs = 0.0;
  double epochs = 0.0;
  double warmup_epochs = 0.0;
  // Large-batch scaling of a constant step: γ · (B / B_ref)^p (solver_options()).
  BatchScaling batch_scaling = BatchScaling::kNone;
  Index reference_batch_size = 128;  // B_ref
  std::string output;                // trace file; empty = none
  // Where each explicitly set field came from ("run.toml:12" or "--iterations"), so errors
  // found after overrides still point at the right place.
  std::map<std::string, std::string> origin;
};

// A table of a problem file: its name and its rows, which reach into RunConfig.
struct RunSection {
  std::string name;  // "problem", "regularizer", "method", "step", "run"
  const OptionTable<RunConfig>* table;
};
// In the order files are read: each table's choices decide which keys of the later ones apply.
const std::vector<RunSection>& run_sections();

// The command-line flag of each key of a section that has one (its first row's): --key with
// dashes for underscores, or the row's own spelling (--method, --step, -o,--output).
struct FlagSpec {
  std::string field;            // "run.output"
  std::string spelling;         // "-o,--output", as CLI11 takes it
  std::string name;             // "--output", for messages
  const Field<RunConfig>* row;  // type, doc, default
};
std::vector<FlagSpec> section_flags(const std::string& section);

// Reads, checks and resolves a problem file. Throws InputError.
RunConfig load_run_config(const std::string& path);
// The same from text; `source` names it in errors and anchors relative paths (its folder).
RunConfig parse_run_config(const std::string& text, const std::string& source);

// The files a run of the config reads: the problem file (config.source), the game of
// problem.file and the HDF5 data set, those that apply. A command's outputs must be none of them.
std::vector<std::string> input_files(const RunConfig& config);

// Values given on a command line, each for the key `section.key` of run_sections() (flag
// --key, or the row's own spelling). Applied after the file: flags that do not apply are
// errors; the file's keys that no longer apply are ignored.
struct Override {
  std::string field;  // "method.workers"
  std::string flag;   // "--workers", for messages
  std::string text;   // as typed
};
using RunOverrides = std::vector<Override>;
// Where a generated game (quadratic, bilinear) goes, for the check of its size: held in memory
// (solve, experiment: n·D² <= 1e9 values) or written into a file sample by sample (sgda
// generate: n·D² <= 1e13).
enum class GeneratedGameTarget { kMemory, kFile };
void apply_overrides(RunConfig& config, const RunOverrides& overrides,
                     GeneratedGameTarget target = GeneratedGameTarget::kMemory);

// The problem of the config, with its regularizer: an AffineGame (quadratic, bilinear, file), a
// GAN-style game (dirac-gan, gaussian-gan, mlp-gan), a training problem or streaming-pca. Throws
// InputError (options, HDF5). With a group of processes, a training problem trains
// data-parallel over them, each holding only its rows of the data set (load_dataset,
// TrainingProblem::set_data_parallel; collective); the group is not used for other problems.
std::shared_ptr<Problem> make_problem(const RunConfig& config, ProcessGroup* group = nullptr);
// The same for callers that need the matrices of an affine game; a GAN-style type is an
// InputError naming problem.type.
std::shared_ptr<AffineGame> build_problem(const RunConfig& config);
// What make_problem reads of the config ([problem] and [regularizer], as text): configs with the
// same key build the same problem.
std::string problem_key(const RunConfig& config);

// The training task of a training problem type (classifier, regression, autoencoder).
std::optional<TrainingTask> training_task(ProblemType type);

// The solver's options for `problem` (built from the config): config.solver, with log_every,
// max_iterations and the warmup from log_every_epochs, epochs and warmup_epochs when these are
// set (epochs · ⌈n / batch⌉ iterations rounded, at least 1; batch = the sampling's batch_size
// for nice, shuffle and adaptive sampling, 1 otherwise), and the constant step scaled by
// batch_scaling. Throws InputError when the warmup would not end before the last iteration.
SolverOptions solver_options(const RunConfig& config, const Problem& problem);

// The step rule of [step] (a BlockwiseStep when players have their own tables or scales).
std::unique_ptr<StepRule> build_step(const RunConfig& config);

// Every field that applies, as strings keyed "problem.mu", "method.name", "run.step_size", ...
// plus "source", for the trace file's attributes.
Settings to_settings(const RunConfig& config);

// The effective configuration as a problem file: parse_run_config(to_toml(c), c.source) gives
// the same problem, method and run, so a run file can hold what it needs to be resumed.
std::string to_toml(const RunConfig& config);

// An error of the library about a field of the config (InputError::field(), "EstimatorOptions::
// workers: ...") as the user wrote it: "run.toml:7: method.workers: ..." or "--workers:
// method.workers: ...". Other errors get the file's name in front.
InputError located_error(const RunConfig& config, const InputError& error);

}  // namespace sgda
