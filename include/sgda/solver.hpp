// The solver loop: γ_k from the schedule → g^k from the estimator → the step rule → stopping
// rules → callbacks. Options/Summary in the style of Ceres Solver: defaults in the struct,
// IsValid() with a readable error, a Summary with a termination reason, message and reports.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "sgda/estimator.hpp"
#include "sgda/problem.hpp"
#include "sgda/process_group.hpp"
#include "sgda/rng.hpp"
#include "sgda/schedule.hpp"
#include "sgda/state.hpp"
#include "sgda/step.hpp"
#include "sgda/types.hpp"

namespace sgda {

// How the players move in one iteration:
//   simultaneous:  x ← step(x, g(x)) for all players at once (GDA);
//   alternating:   player by player (Problem::players(), in order), each with a fresh
//                  estimate at the current x, which the previous players' moves already
//                  changed (Gauss-Seidel); all of a player's blocks move together. An
//                  iteration costs one estimate per player and moves each block, and advances
//                  its step-rule state (Adam's t, momenta), once;
//   extragradient: x½ = prox_{γR}(x − γ g(x)) (or step(x, g(x)): Extrapolation), then
//                  x ← step(x, g(x½)) (Korpelevich 1976), with two independent estimates;
//   extragradient-same-sample: the same, the second estimate replaying the first one's
//                  random draws (same samples, coordinates, compression).
enum class Scheme { kSimultaneous, kAlternating, kExtragradient, kExtragradientSameSample };
template <>
const std::vector<EnumValue<Scheme>>& enum_values<Scheme>();

// The extrapolation x½ of the extragradient schemes:
//   prox: a plain proximal step, x½ = prox_{γR}(x − γ g(x)), whatever the step rule;
//   step: the step rule's own update from x with g(x), so that with the adam rule the scheme
//         is Extra-Adam (Gidel et al. 2019, "A Variational Inequality Perspective on GANs",
//         Algorithm 4). As there, one state serves both steps: the extrapolation and the
//         update from x with g(x½) each advance it (Adam's moments, and its step count t by 2
//         per iteration, hence the bias corrections 1 − β^{2k−1} and 1 − β^{2k}). A checkpoint
//         falls between iterations, where that one state is all there is: resuming is bit for
//         bit. With the prox rule both choices give the same run, bit for bit.
enum class Extrapolation { kProx, kStep };
template <>
const std::vector<EnumValue<Extrapolation>>& enum_values<Extrapolation>();

// Iterate averaging, reported beside the last iterate: none | uniform (mean of x¹..x^k) |
// ema (x̄ ← decay·x̄ + (1 − decay)·x, from x̄ = x⁰). Summary::x_average is x̄, and every log
// row measures x̄ as it measures x, in further trace columns: average_relative_distance_sq
// (when x* is known), average_residual_sq and average_<name> for each Problem::metrics name.
enum class Averaging { kNone, kUniform, kEma };
template <>
const std::vector<EnumValue<Averaging>>& enum_values<Averaging>();

struct SolverOptions {
  // Stop after this many iterations (≥ 1).
  std::int64_t max_iterations = 100000;
  // Stop once sample evaluations + coordinate evaluations reach this; 0 means no limit.
  std::int64_t max_oracle_calls = 0;
  // Stop after this much wall time in the loop, in seconds; 0 means no limit. The clock is read
  // about every millisecond (every few iterations when they are slow), so the run stops within
  // about that of the limit.
  double max_time_seconds = 0.0;
  // Converged when ||x − x*||² / ||x⁰ − x*||² ≤ tolerance (needs x*); 0 disables. Checked at
  // logged iterations.
  double tolerance = 0.0;
  // Converged when the natural residual ||x − prox_R(x − F(x))||² ≤ this; 0 disables. Used where
  // x* is unknown. Checked at logged iterations.
  double residual_tolerance = 0.0;
  // Metrics (distance, residual: one uncounted full evaluation each) every this many
  // iterations; 0 chooses about 1000 log points over max_iterations.
  std::int64_t log_every = 0;
  // γ_k: the step rule's default, constant, theory or switching.
  StepSizeOptions step_size;
  // Seeds the run's random stream; the same seed gives bitwise identical iterates and trace.
  std::uint64_t seed = 0;
  Scheme scheme = Scheme::kSimultaneous;
  Extrapolation extrapolation = Extrapolation::kProx;  // extragradient schemes
  Averaging averaging = Averaging::kNone;
  double ema_decay = 0.99;  // ema: in (0, 1)
  // On a non-finite estimate or iterate: false stops the run ("non-finite"); true skips that
  // step (x stays, the oracle calls still count) and counts it in Summary::skipped_steps.
  bool skip_non_finite = false;
  // Hand a checkpoint to CheckpointHooks::save every this many iterations; 0 disables.
  std::int64_t checkpoint_every = 0;
  // ... and every this many seconds of wall time (checked about every millisecond); 0
  // disables. Both only matter when CheckpointHooks::save is set (`sgda solve -o`).
  double checkpoint_seconds = 60.0;
  // Not an option of files: a flag the embedding program sets asynchronously (a signal
  // handler's, another thread's) to stop the run at the next check, about every millisecond
  // and at every log row, as TerminationReason::kInterrupted. Null: never.
  const std::atomic<bool>* interrupt = nullptr;
  // Not an option of files: the processes running this solve together (MPI ranks, each with the
  // same problem, options and seed). Decisions from the clock and the interrupt flag are agreed
  // among them, so every process stops and checkpoints at the same iteration. Null: alone.
  ProcessGroup* processes = nullptr;

  static const OptionTable<SolverOptions>& table();
  std::optional<FieldError> Check() const;  // the table's ranges, then StepSizeOptions::Check
  bool IsValid(std::string* error) const { return passes(Check(), error); }
  std::int64_t effective_log_every() const;
};

enum class TerminationReason {
  kConverged,          // a tolerance was met, or a callback reported convergence
  kIterationLimit,     // SolverOptions::max_iterations
  kOracleLimit,        // SolverOptions::max_oracle_calls
  kTimeLimit,          // SolverOptions::max_time_seconds
  kNonFinite,          // a non-finite estimate or iterate (without skip_non_finite)
  kStoppedByCallback,  // a callback returned CallbackResult::kStop
  kInterrupted,        // SolverOptions::interrupt was set (Ctrl-C, SIGTERM)
};
// "converged", "iteration limit", "oracle limit", "time limit", "non-finite",
// "stopped by callback", "interrupted" (to_string, from_string).
template <>
const std::vector<EnumValue<TerminationReason>>& enum_values<TerminationReason>();

// One row per logged iteration (iteration 0 is x⁰).
// An extra trace column. Trace::extra holds, in this order: with averaging,
// average_relative_distance_sq (only when x* is known) and average_residual_sq; the problem's
// metrics of x (modes covered, ...); with averaging, the same metrics of x̄, named average_<name>.
struct TraceColumn {
  std::string name;
  std::vector<double> values;
};

struct Trace {
  std::vector<std::int64_t> iteration;
  std::vector<std::int64_t> sample_evaluations;
  std::vector<std::int64_t> coordinate_evaluations;
  std::vector<double> epochs;  // sample evaluations / n + coordinate evaluations / d
  std::vector<std::int64_t> bits;
  std::vector<double> wall_time;             // seconds since the loop started
  std::vector<double> relative_distance_sq;  // ||x − x*||² / ||x⁰ − x*||²; NaN if x* unknown
  std::vector<double> residual_sq;           // ||x − prox_R(x − F(x))||²
  std::vector<double> step_size;             // γ_k used by the last step
  std::vector<TraceColumn> extra;            // further columns, one value per row each

  std::size_t size() const { return iteration.size(); }
  void reserve(std::size_t rows);
  void pop_back();  // removes the last row of every column
};

// What a callback sees at each logged iteration.
struct LogEntry {
  const Counters& counters;
  double epochs;
  double wall_time;
  double relative_distance_sq;
  double residual_sq;
  double step_size;
  ConstVectorRef x;
  std::int64_t max_iterations;
  // The trace so far, this row included (the problem's metrics are its extra columns).
  const Trace* trace = nullptr;
};

// What a callback sees at the iterations it asked for (Callback::period()).
struct IterationEntry {
  const Counters& counters;  // counters.iterations = k: x is x^k, after the k-th move
  double step_size;          // γ of that move
  ConstVectorRef x;
  std::int64_t max_iterations;
};

// What a callback tells the loop: go on, stop ("stopped by callback"), or stop as converged
// (a stopping rule of the caller's own).
enum class CallbackResult { kContinue, kStop, kConverged };

struct Summary;

// Observes a run, in the manner of ensmallen's callbacks: every hook is optional.
class Callback {
 public:
  virtual ~Callback() = default;
  // Before the first iteration, after the estimator's reset.
  virtual void begin(const Problem& problem, const Estimator& estimator) {
    (void)problem;
    (void)estimator;
  }
  // iteration() runs every period() iterations (1: every one), whatever log_every is; 0 (the
  // default) never. Asked once, before the loop. The loop's fast path pays one comparison per
  // iteration for all hooks together; a period of 1 costs a call per iteration.
  virtual std::int64_t period() const { return 0; }
  virtual CallbackResult iteration(const IterationEntry& entry) {
    (void)entry;
    return CallbackResult::kContinue;
  }
  // At each logged iteration (every log_every), with the metrics.
  virtual CallbackResult logged(const LogEntry& entry) {
    (void)entry;
    return CallbackResult::kContinue;
  }
  // After the last iteration, with the summary complete but for the timings of end() itself.
  virtual void end(const Summary& summary) { (void)summary; }
};

// Everything the loop needs to continue exactly where it was: resuming from a checkpoint gives
// the same iterates and trace (every column but wall_time), bit for bit, as never stopping.
struct Checkpoint {
  Vector x;                       // x^k
  Rng::State rng;                 // the run's random stream
  Counters counters;              // k = counters.iterations
  Trace trace;                    // rows logged so far
  StateArchive estimator;         // Estimator::save_state
  StateArchive step;              // StepRule::save_state
  StateArchive problem;           // Problem::save_state (empty for most problems)
  double initial_distance = 0.0;  // ||x⁰ − x*||², the denominator of the relative distance
  double elapsed_seconds = 0.0;   // loop time so far (wall_time continues from here)
  double metric_seconds = 0.0;
  std::int64_t skipped_steps = 0;
  Vector average;             // the averaged iterate (averaging on)
  std::int64_t averaged = 0;  // iterates in the uniform average
};

struct CheckpointHooks {
  // Called every checkpoint_every iterations / checkpoint_seconds, and once more at the end of
  // the run with `final` = true (so an interrupted run can be resumed). Empty: no checkpoints.
  std::function<void(const Checkpoint& checkpoint, bool final)> save;
  // Continue from this state instead of starting at x0 (same problem, estimator and options).
  const Checkpoint* resume = nullptr;
};

struct Summary {
  TerminationReason reason = TerminationReason::kIterationLimit;
  std::string message;
  std::string method;     // the estimator's description
  std::string step_rule;  // StepRule::name(): "prox", "adam", "blockwise(...)"
  Scheme scheme = Scheme::kSimultaneous;
  Extrapolation extrapolation = Extrapolation::kProx;  // of the extragradient schemes
  Averaging averaging = Averaging::kNone;
  Counters counters;  // oracle calls of the run (metrics excluded)
  double epochs = 0.0;
  double setup_seconds = 0.0;   // estimator reset and schedule
  double solve_seconds = 0.0;   // the loop, metrics included
  double metric_seconds = 0.0;  // the part of the loop spent on metrics (the problem's too)
  double initial_step_size = 0.0;
  double theory_step_size = std::numeric_limits<double>::quiet_NaN();
  double final_relative_distance_sq = std::numeric_limits<double>::quiet_NaN();
  // ||x − x*|| / ||x⁰ − x*||, computed without squaring: finite for a finite iterate even where
  // its square overflows (a diverging run), so reports can print that square (BriefReport).
  double final_relative_distance = std::numeric_limits<double>::quiet_NaN();
  double final_residual_sq = std::numeric_limits<double>::quiet_NaN();
  std::int64_t skipped_steps = 0;  // non-finite steps skipped (skip_non_finite)
  Vector x;                        // the last finite iterate
  Vector x_average;                // the averaged iterate (empty when averaging is off)
  Trace trace;

  bool converged() const { return reason == TerminationReason::kConverged; }
  std::string BriefReport() const;  // one line
  std::string FullReport() const;   // several lines
};

// Runs the method from x0. Throws InputError when the options are invalid, when the theory step
// size is asked for and the estimator's constants are unknown, or when no step size is given
// and the step rule has no default (StepRule::default_step_size).
Summary solve(const Problem& problem, Estimator& estimator, StepRule& step,
              const SolverOptions& options, ConstVectorRef x0,
              const std::vector<Callback*>& callbacks = {}, const CheckpointHooks& hooks = {});

// The theory step size of `estimator` on `problem` (NaN when its constants are unknown).
double theory_step_size(const Problem& problem, const Estimator& estimator);

}  // namespace sgda
