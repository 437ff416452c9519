#include "sgda/solver.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

#include "fused_move.hpp"
#include "sgda/error.hpp"
#include "sgda/theory.hpp"

namespace sgda {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string format(double v) {
  std::ostringstream out;
  out.precision(3);
  out << v;
  return out.str();
}

// γ_k for the run, from the options and, unless γ is a given number, analyse_theory: the theory
// step, the switching rule's h, or the step rule's own default; times the options' decay,
// warmup or custom schedule.
StepSchedule make_schedule(const SolverOptions& options, const Problem& problem,
                           const Estimator& estimator, const StepRule& step, ConstVectorRef x0,
                           double* theory_gamma) {
  const StepSizeOptions& s = options.step_size;
  const std::int64_t k = options.max_iterations;
  if (s.rule == StepSizeRule::kConstant) return StepSchedule::scheduled(s.gamma, s, k);
  // The step needs no σ₀ (nor V₀).
  const Theory t =
      analyse_theory(problem, estimator, step, options, x0, {.estimator_at_x0 = false});
  if (t.step_source == StepSource::kMissing)
    throw InputError(FieldError{
        "SolverOptions::step_size.gamma",
        "none given, and the step rule " + step.name() +
            " has no default (prox takes the theory step size, adam and adamw 1e-3, the rules "
            "outside the theory none; players' rules must agree); accepted a number, or "
            "\"theory\" for the method's theory step size"});
  if (t.step_source == StepSource::kRuleDefault) return StepSchedule::scheduled(t.gamma, s, k);
  *theory_gamma = t.theory_step_size;
  if (!(std::isfinite(*theory_gamma) && *theory_gamma > 0.0))
    throw InputError(FieldError{"SolverOptions::step_size.gamma",
                                "the theory step size of " + estimator.describe() +
                                    " is unknown on this problem (its constants are not "
                                    "available); accepted a number"});
  if (t.step_source == StepSource::kSwitching)
    return StepSchedule::switching(t.switching_h, t.mu, k);
  return StepSchedule::scheduled(t.gamma, s, k);
}

}  // namespace

template <>
const std::vector<EnumValue<Scheme>>& enum_values<Scheme>() {
  static const std::vector<EnumValue<Scheme>> values = {
      {Scheme::kSimultaneous, "simultaneous", "all players step from the same estimate"},
      {Scheme::kAlternating, "alternating", "player by player, each with a fresh estimate"},
      {Scheme::kExtragradient, "extragradient",
       "extrapolate with g(x), update from x with g(x_half)"},
      {Scheme::kExtragradientSameSample, "extragradient-same-sample",
       "extragradient whose second estimate replays the first's draws"},
  };
  return values;
}

template <>
const std::vector<EnumValue<Extrapolation>>& enum_values<Extrapolation>() {
  static const std::vector<EnumValue<Extrapolation>> values = {
      {Extrapolation::kProx, "prox", "a plain proximal step, whatever the step rule"},
      {Extrapolation::kStep, "step",
       "the step rule's own update (with adam: Extra-Adam, Gidel et al. 2019)"},
  };
  return values;
}

template <>
const std::vector<EnumValue<Averaging>>& enum_values<Averaging>() {
  static const std::vector<EnumValue<Averaging>> values = {
      {Averaging::kNone, "none", "the last iterate only"},
      {Averaging::kUniform, "uniform", "also the mean of x^1..x^k"},
      {Averaging::kEma, "ema", "also x_avg <- decay x_avg + (1 - decay) x, from x^0"},
  };
  return values;
}

const OptionTable<SolverOptions>& SolverOptions::table() {
  using O = SolverOptions;
  static const OptionTable<O> table(
      "SolverOptions",
      {
          field("iterations", &O::max_iterations, "stop after this many iterations")
              .member_name("max_iterations")
              .at_least(1),
          field("max_oracle_calls", &O::max_oracle_calls,
                "stop after this many sample + coordinate evaluations")
              .at_least(0)
              .or_zero("no limit"),
          field("max_time", &O::max_time_seconds, "stop after this much wall time")
              .member_name("max_time_seconds")
              .at_least(0)
              .or_zero("no limit")
              .in("seconds"),
          field("tolerance", &O::tolerance,
                "converged at relative squared distance ||x - x*||^2/||x0 - x*||^2 <= this")
              .at_least(0)
              .or_zero("off"),
          field("residual_tolerance", &O::residual_tolerance,
                "converged at squared natural residual <= this (where x* is unknown)")
              .at_least(0)
              .or_zero("off"),
          field("log_every", &O::log_every,
                "a trace row (metrics, progress, callbacks' logged()) every this many "
                "iterations")
              .at_least(0)
              .or_zero("about 1000 rows"),
          nest(&O::step_size, "step_size", StepSizeOptions::table()),
          field("seed", &O::seed, "seed of the run's random stream"),
          field("scheme", &O::scheme, "how the players move in one iteration"),
          field("extrapolation", &O::extrapolation,
                "the extrapolation step of the extragradient schemes")
              .when("scheme", {Scheme::kExtragradient, Scheme::kExtragradientSameSample}),
          field("averaging", &O::averaging, "iterate averaging reported beside the last iterate"),
          field("ema_decay", &O::ema_decay, "decay of ema averaging")
              .bounds(0, true, 1, true)
              .when("averaging", {Averaging::kEma}),
          field("skip_non_finite", &O::skip_non_finite,
                "skip (and count) non-finite steps instead of stopping"),
          field("checkpoint_every", &O::checkpoint_every,
                "with an output file: a checkpoint every this many iterations")
              .at_least(0)
              .or_zero("off"),
          field("checkpoint_seconds", &O::checkpoint_seconds,
                "with an output file: a checkpoint every this many seconds")
              .at_least(0)
              .or_zero("off")
              .in("seconds"),
      });
  return table;
}

std::optional<FieldError> SolverOptions::Check() const {
  if (auto error = step_size.Check())
    return FieldError{
        "SolverOptions::step_size." + error->field.substr(error->field.find("::") + 2),
        error->problem};
  // The decay runs over the iterations after the warmup: at least one.
  if (step_size.warmup_iterations > 0 && step_size.warmup_iterations >= max_iterations)
    return FieldError{"SolverOptions::step_size.warmup_iterations",
                      "is " + std::to_string(step_size.warmup_iterations) +
                          ", not less than the run's " + std::to_string(max_iterations) +
                          " iterations; accepted 0 (no warmup) to " +
                          std::to_string(max_iterations - 1)};
  // Asked for in code, Extra-Adam must not be silently dropped by another scheme.
  if (extrapolation == Extrapolation::kStep && scheme != Scheme::kExtragradient &&
      scheme != Scheme::kExtragradientSameSample)
    return FieldError{"SolverOptions::extrapolation",
                      "\"step\" needs the scheme extragradient or extragradient-same-sample, "
                      "not \"" +
                          to_string(scheme) + "\""};
  return table().check(*this);
}

std::int64_t SolverOptions::effective_log_every() const {
  return log_every > 0 ? log_every : std::max<std::int64_t>(1, max_iterations / 1000);
}

namespace {

// Calls f on every column of a trace, the extra ones included.
template <class F>
void for_each_column(Trace& trace, F f) {
  f(trace.iteration);
  f(trace.sample_evaluations);
  f(trace.coordinate_evaluations);
  f(trace.epochs);
  f(trace.bits);
  f(trace.wall_time);
  f(trace.relative_distance_sq);
  f(trace.residual_sq);
  f(trace.step_size);
  for (TraceColumn& column : trace.extra) f(column.values);
}

}  // namespace

void Trace::reserve(std::size_t rows) {
  for_each_column(*this, [rows](auto& column) { column.reserve(rows); });
}

void Trace::pop_back() {
  for_each_column(*this, [](auto& column) { column.pop_back(); });
}

namespace {

// One run of the loop. The steps of an iteration are methods so that the loop reads as the
// algorithm: γ_k → g^k → x^{k+1} → metrics and stopping rules → checkpoint.
class Run {
 public:
  Run(const Problem& problem, Estimator& estimator, StepRule& step, const SolverOptions& options,
      const std::vector<Callback*>& callbacks, const CheckpointHooks& hooks)
      : problem_(problem),
        estimator_(estimator),
        step_(step),
        options_(options),
        callbacks_(callbacks),
        hooks_(hooks),
        counters_(summary_.counters),
        trace_(summary_.trace),
        d_(problem.dim()),
        n_(static_cast<double>(problem.num_samples())),
        log_every_(options.effective_log_every()),
        x_star_(problem.solution()),
        players_(options.scheme == Scheme::kAlternating ? problem.players()
                                                        : std::vector<Player>{}),
        averaging_(options.averaging != Averaging::kNone),
        uniform_average_(options.averaging == Averaging::kUniform),
        scheme_(options.scheme),
        extrapolate_with_step_(options.extrapolation == Extrapolation::kStep),
        oracle_limit_(options.max_oracle_calls > 0 ? options.max_oracle_calls
                                                   : std::numeric_limits<std::int64_t>::max()) {}

  Summary execute(ConstVectorRef x0) {
    const auto setup_start = Clock::now();
    rng_.reseed(options_.seed);
    problem_.reset_state();  // a resumed run restores the checkpoint's below
    estimator_.reset(problem_, x0, rng_, counters_);
    step_.reset(problem_);  // a step rule's binding errors before the schedule's
    schedule_ =
        make_schedule(options_, problem_, estimator_, step_, x0, &summary_.theory_step_size);
    summary_.initial_step_size = schedule_.initial();
    quiet_ = schedule_.constant() && !averaging_ &&
             oracle_limit_ == std::numeric_limits<std::int64_t>::max();
    summary_.method = estimator_.describe();
    summary_.step_rule = step_.name();
    summary_.scheme = options_.scheme;
    summary_.extrapolation = options_.extrapolation;
    summary_.averaging = options_.averaging;
    x_ = x0;
    next_.resize(d_);
    g_.resize(d_);
    workspace_.resize(d_);
    if (scheme_ == Scheme::kExtragradient || scheme_ == Scheme::kExtragradientSameSample) {
      if (!extrapolate_with_step_) extrapolation_.reset(problem_);
      half_.resize(d_);
    }
    // Further columns: the averaged iterate's distance to x* (when x* is known: no all-NaN
    // column) and residual, the problem's own measures (modes covered, ...) of the last iterate,
    // and the same measures of the averaged iterate, named average_<name>.
    const auto metrics = problem_.metrics(x0);
    if (averaging_) {
      average_ = x0;
      if (x_star_) trace_.extra.push_back({"average_relative_distance_sq", {}});
      trace_.extra.push_back({"average_residual_sq", {}});
    }
    for (const auto& [name, value] : metrics) trace_.extra.push_back({name, {}});
    if (averaging_)
      for (const auto& [name, value] : metrics) trace_.extra.push_back({"average_" + name, {}});
    initial_distance_ = x_star_ ? (x0 - *x_star_).squaredNorm() : 0.0;
    double elapsed = 0.0;
    if (hooks_.resume) elapsed = restore(*hooks_.resume);
    trace_.reserve(static_cast<std::size_t>(options_.max_iterations / log_every_ + 2));
    summary_.setup_seconds = seconds_since(setup_start);

    for (Callback* c : callbacks_) {
      c->begin(problem_, estimator_);
      const std::int64_t period = c->period();
      if (period > 0)
        periodic_.push_back({c, period, (counters_.iterations / period + 1) * period});
    }
    start_ = Clock::now() -
             std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(elapsed));
    last_checkpoint_ = Clock::now();
    gamma_ = schedule_(counters_.iterations);
    next_log_ = (counters_.iterations / log_every_ + 1) * log_every_;
    next_clock_ = counters_.iterations + 1;
    next_event_ = next_event(counters_.iterations);
    if (hooks_.resume || log()) {
      // The fused path when the configuration is one it knows, else the interfaces.
      const bool fused = scheme_ == Scheme::kSimultaneous &&
                         with_fused_move(problem_, estimator_, step_,
                                         [this](auto fused_move) { fused_loop(fused_move); });
      if (!fused) loop([this](std::int64_t k) { return move(k); });
    }
    finish();
    return std::move(summary_);
  }

 private:
  // Continues from a checkpoint; returns the loop time it had used.
  double restore(const Checkpoint& c) {
    if (c.x.size() != d_)
      throw InputError("checkpoint: x has length " + std::to_string(c.x.size()) +
                       ", the problem needs " + std::to_string(d_));
    x_ = c.x;
    rng_.set_state(c.rng);
    counters_ = c.counters;
    restore_trace(c.trace);
    estimator_.load_state(c.estimator);
    step_.load_state(c.step);
    problem_.load_state(c.problem);
    initial_distance_ = c.initial_distance;
    metric_seconds_ = c.metric_seconds;
    summary_.skipped_steps = c.skipped_steps;
    if (averaging_) average_ = c.average, averaged_ = c.averaged;
    // A stop between log points added a row for its final iterate (finish()); the continued run
    // logs on the grid only, as an uninterrupted one does.
    if (trace_.size() > 1 && trace_.iteration.back() % log_every_ != 0) trace_.pop_back();
    last_logged_ = trace_.size() > 0 ? trace_.iteration.back() : -1;
    return c.elapsed_seconds;
  }

  // trace_ ← a checkpoint's trace, its extra columns put in the order this run logs them (a run
  // file lists them by name); refused unless they are this run's columns.
  void restore_trace(const Trace& saved) {
    std::vector<TraceColumn> columns = std::move(trace_.extra);
    bool same = saved.extra.size() == columns.size();
    for (TraceColumn& column : columns) {
      const auto found = std::find_if(saved.extra.begin(), saved.extra.end(),
                                      [&](const TraceColumn& c) { return c.name == column.name; });
      same = same && found != saved.extra.end();
      if (same) column.values = found->values;
    }
    if (!same)
      throw InputError(
          "checkpoint: its trace has other columns than this run logs; accepted only "
          "checkpoints written by the same method and settings");
    trace_ = saved;
    trace_.extra = std::move(columns);
  }

  // The fused loop's x, g and next, held in locals (swapped with the members, O(1)) while it
  // runs: the fields of a local that no call can reach stay in registers across the calls the
  // compiler cannot see into (the matrix-vector product's), where the members' are reloaded
  // after each (this escapes). Events see them in the members again.
  struct Held {
    Run& run;
    Vector x, g, next;
    explicit Held(Run& r) : run(r) { swap(); }
    ~Held() { swap(); }
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    void swap() {
      x.swap(run.x_);
      g.swap(run.g_);
      next.swap(run.next_);
    }
  };

  // x ← next when the step was finite; else skip or stop. False when the run must stop.
  bool accept(StepOutcome outcome, std::int64_t k) { return accept(outcome, x_, next_, k); }
  bool accept(StepOutcome outcome, Vector& x, Vector& next, std::int64_t k) {
    if (outcome == StepOutcome::kFiniteInPlace) return true;
    if (outcome == StepOutcome::kFinite) {
      x.swap(next);  // O(1): swaps the buffers
      return true;
    }
    return refuse(outcome, k);
  }

  // accept() of a step that was not finite: skipped or the end of the run.
  [[gnu::noinline]] bool refuse(StepOutcome outcome, std::int64_t k) {
    if (options_.skip_non_finite) {
      ++summary_.skipped_steps;  // x stays the last finite iterate
      return true;
    }
    stop(TerminationReason::kNonFinite,
         non_finite_message(k, outcome == StepOutcome::kNonFiniteIterate));
    return false;
  }

  // One move of the players by the scheme; false when the run must stop.
  bool move(std::int64_t k) {
    if (scheme_ == Scheme::kSimultaneous) {
      estimator_.estimate(x_, g_, rng_, counters_);
      return accept(step_.checked_step(gamma_, g_, x_, next_, nullptr), k);
    }
    if (scheme_ == Scheme::kAlternating) {  // Gauss-Seidel: each player sees the moves before
      for (const Player& player : players_) {
        estimator_.estimate(x_, g_, rng_, counters_);
        if (!accept(step_.checked_step(gamma_, g_, x_, next_, &player), k)) return false;
      }
      return true;
    }
    // Extragradient: extrapolate with a plain proximal step, or with the step rule itself
    // (Extra-Adam: its state advances here and again at the update), then update from x with
    // g(x½).
    const Rng::State before = rng_.state();
    estimator_.estimate(x_, g_, rng_, counters_);
    StepOutcome outcome = extrapolate_with_step_
                              ? step_.checked_step(gamma_, g_, x_, half_, nullptr)
                              : extrapolation_.checked_step(gamma_, g_, x_, half_, nullptr);
    if (outcome == StepOutcome::kFinite) {
      // Replaying leaves the stream where the first estimate left it: same draws, same use.
      if (scheme_ == Scheme::kExtragradientSameSample) rng_.set_state(before);
      estimator_.estimate(half_, g_, rng_, counters_);
      outcome = step_.checked_step(gamma_, g_, x_, next_, nullptr);
    }
    return accept(outcome, k);
  }

  void update_average(const Vector& x) {
    if (uniform_average_) {
      ++averaged_;
      average_ += (x - average_) / static_cast<double>(averaged_);
    } else {
      average_ = options_.ema_decay * average_ + (1.0 - options_.ema_decay) * x;
    }
  }

  // Iterates until a stopping rule fires; move(k) moves the players, false to stop.
  template <class Move>
  void loop(const Move& move) {
    while (iterate(move, nullptr)) {
    }
  }

  // loop() with a FusedMove: the move and the iteration's bookkeeping inline into one function
  // (flatten: whatever the inliner's size limits; a move called as a function sets up its frame
  // and reloads what it uses at each iteration), the rare paths (on_event, refuse, the stops)
  // out of line, and x, g and next held in this frame (Held), so that their fields, and what
  // the compiler derives from them, stay out of the loop's work.
  // Between events, when nothing else happens there (quiet_), the moves run back to back
  // (FusedMove::stretch), all but the last, which iterate() makes with the event.
  template <class FusedMoveT>
  [[gnu::flatten]] void fused_loop(FusedMoveT fused_move) {
    Held v(*this);
    auto move = [&](std::int64_t k) {
      return accept(fused_move(gamma_, v.x, v.g, v.next, rng_, counters_), v.x, v.next, k);
    };
    do {
      if constexpr (requires { fused_move.stretch(0, gamma_, v.x, v.g, rng_, counters_); })
        if (quiet_)
          counters_.iterations += fused_move.stretch(next_event_ - 1 - counters_.iterations, gamma_,
                                                     v.x, v.g, rng_, counters_);
    } while (iterate(move, &v));
  }

  // One iteration; false when a stopping rule fired. Only the oracle limit can fire at any
  // iteration; the other rules and the checkpoints wait for the next scheduled event.
  // `held`: the vectors the move works on when they are a Held's, else null (the members).
  template <class Move>
  bool iterate(const Move& move, Held* held) {
    gamma_ = schedule_(counters_.iterations);
    if (!move(counters_.iterations)) return false;
    if (averaging_) update_average(held ? held->x : x_);
    ++counters_.iterations;
    if (counters_.iterations >= next_event_) {
      if (held) held->swap();
      const bool go = on_event();
      if (held) held->swap();
      return go;
    }
    return !oracle_limit_reached();
  }

  bool oracle_limit_reached() {
    if (counters_.sample_evaluations + counters_.coordinate_evaluations < oracle_limit_)
      return false;
    return stop_at_oracle_limit();
  }

  [[gnu::noinline]] bool stop_at_oracle_limit() {
    stop(TerminationReason::kOracleLimit,
         "oracle limit " + std::to_string(options_.max_oracle_calls) + " reached at iteration " +
             std::to_string(counters_.iterations));
    return true;
  }

  // The first iteration after k at which a log row, the iteration limit, a clock reading, a
  // periodic checkpoint or a callback's iteration() is due.
  std::int64_t next_event(std::int64_t k) const {
    std::int64_t next = std::min(next_log_, options_.max_iterations);
    next = std::min(next, next_clock_);
    for (const Periodic& p : periodic_) next = std::min(next, p.next);
    if (options_.checkpoint_every > 0)
      next = std::min(next, (k / options_.checkpoint_every + 1) * options_.checkpoint_every);
    return next;
  }

  // The stopping rules in order (callbacks' iteration(), log and tolerances, iterations, oracle
  // calls, interrupt and time), then the checkpoints; false when a rule fired.
  [[gnu::noinline]] bool on_event() {
    const std::int64_t k = counters_.iterations;
    if (!periodic_.empty() && !run_periodic(k)) return false;
    if (k == next_log_) {  // a multiple of log_every
      next_log_ += log_every_;
      if (!log()) return false;
    }
    if (k >= options_.max_iterations) {
      stop(TerminationReason::kIterationLimit,
           "iteration limit " + std::to_string(options_.max_iterations) + " reached");
      return false;
    }
    if (oracle_limit_reached()) return false;
    if (k >= next_clock_) {
      const double now = seconds_since(start_);
      // About a millisecond between readings: the period doubles while they come faster and
      // halves while they come slower than every 10 ms.
      const double since = now - last_clock_;
      if (since < 1e-3 && clock_period_ < kMaxClockPeriod) clock_period_ *= 2;
      if (since > 1e-2 && clock_period_ > 1) clock_period_ /= 2;
      last_clock_ = now;
      // What this reading decides, agreed among the processes of a group (each reads its own
      // clock): any process's interrupt, time limit or checkpoint due is all of theirs, and the
      // longest period is the next one.
      std::int64_t due[4] = {interrupt_flag(),
                             options_.max_time_seconds > 0.0 && now >= options_.max_time_seconds,
                             options_.checkpoint_seconds > 0.0 &&
                                 seconds_since(last_checkpoint_) >= options_.checkpoint_seconds,
                             clock_period_};
      if (options_.processes) options_.processes->agree_max(due);
      clock_period_ = due[3];
      next_clock_ = k + clock_period_;
      if (due[0]) return !stop_interrupted();
      if (due[1]) {
        stop(TerminationReason::kTimeLimit, "time limit " + format(options_.max_time_seconds) +
                                                " s reached at iteration " + std::to_string(k));
        return false;
      }
      if (due[2]) save_checkpoint(false);
    }
    if (options_.checkpoint_every > 0 && k % options_.checkpoint_every == 0) save_checkpoint(false);
    next_event_ = next_event(k);
    return true;
  }

  // The callbacks whose iteration() is due at k; false when one stopped the run.
  bool run_periodic(std::int64_t k) {
    CallbackResult result = CallbackResult::kContinue;
    for (Periodic& p : periodic_) {
      if (k < p.next) continue;
      p.next = k + p.period;
      const CallbackResult r =
          p.callback->iteration({counters_, gamma_, x_, options_.max_iterations});
      if (r != CallbackResult::kContinue && result == CallbackResult::kContinue) result = r;
    }
    return !stopped_by(result);
  }

  // Stops the run when a callback asked to; true when it did.
  bool stopped_by(CallbackResult result) {
    if (result == CallbackResult::kContinue) return false;
    const std::string k = std::to_string(counters_.iterations);
    if (result == CallbackResult::kConverged)
      stop(TerminationReason::kConverged, "converged: a callback reported it at iteration " + k);
    else
      stop(TerminationReason::kStoppedByCallback, "stopped by a callback at iteration " + k);
    return true;
  }

  // 1 when the interrupt flag is set, else 0.
  std::int64_t interrupt_flag() const {
    return options_.interrupt && options_.interrupt->load(std::memory_order_relaxed);
  }

  // Stops the run when the interrupt flag is set (on any process of the group); true when it
  // did.
  bool interrupted() {
    std::int64_t flag = interrupt_flag();
    if (options_.processes) options_.processes->agree_max({&flag, 1});
    return flag && stop_interrupted();
  }

  bool stop_interrupted() {
    stop(TerminationReason::kInterrupted,
         "interrupted at iteration " + std::to_string(counters_.iterations));
    return true;
  }

  std::string non_finite_message(std::int64_t k, bool finite_estimate) const {
    std::string hint;
    double theory = summary_.theory_step_size;
    try {
      if (!std::isfinite(theory)) theory = theory_step_size(problem_, estimator_);
    } catch (const std::exception&) {
    }
    if (std::isfinite(theory)) hint = "; the theory step size is " + format(theory);
    return std::string("non-finite ") + (finite_estimate ? "iterate" : "estimate") +
           " at iteration " + std::to_string(k) + " with step size " + format(gamma_) + hint +
           " (the last finite iterate is kept)";
  }

  void stop(TerminationReason reason, std::string message) {
    summary_.reason = reason;
    summary_.message = std::move(message);
  }

  // ||x − x*||² / ||x⁰ − x*||² (or ||x − x*||² when x⁰ = x*); NaN when x* is unknown.
  double relative_distance_sq(const Vector& x) const {
    if (!x_star_) return std::nan("");
    const double distance = (x - *x_star_).squaredNorm();
    return initial_distance_ > 0.0 ? distance / initial_distance_ : distance;
  }

  // ||x − x*|| / ||x⁰ − x*|| (or ||x − x*||), scaled by the largest entry so that no square
  // overflows; NaN when x* is unknown. Off the loop: only for the Summary.
  double relative_distance(const Vector& x) const {
    if (!x_star_) return std::nan("");
    const double scale = (x - *x_star_).cwiseAbs().maxCoeff();
    if (!(scale > 0.0) || !std::isfinite(scale)) return scale;  // 0, +inf or NaN
    const double distance = scale * std::sqrt(((x - *x_star_) / scale).squaredNorm());
    return initial_distance_ > 0.0 ? distance / std::sqrt(initial_distance_) : distance;
  }

  // Computes the metrics at x (and at the averaged iterate), appends a trace row, runs
  // callbacks; false to stop. Everything but the callbacks counts as metric time.
  bool log() {
    const auto metric_start = Clock::now();
    const double relative = relative_distance_sq(x_);
    const double residual = natural_residual_sq(problem_, x_, workspace_);
    std::size_t column = 0;
    if (averaging_) {
      if (x_star_) trace_.extra[column++].values.push_back(relative_distance_sq(average_));
      trace_.extra[column++].values.push_back(natural_residual_sq(problem_, average_, workspace_));
    }
    for (const auto& [name, value] : problem_.metrics(x_))
      trace_.extra[column++].values.push_back(value);
    if (averaging_)
      for (const auto& [name, value] : problem_.metrics(average_))
        trace_.extra[column++].values.push_back(value);
    metric_seconds_ += seconds_since(metric_start);
    const double epochs = static_cast<double>(counters_.sample_evaluations) / n_ +
                          static_cast<double>(counters_.coordinate_evaluations) / double(d_);
    const double wall = seconds_since(start_);
    trace_.iteration.push_back(counters_.iterations);
    trace_.sample_evaluations.push_back(counters_.sample_evaluations);
    trace_.coordinate_evaluations.push_back(counters_.coordinate_evaluations);
    trace_.epochs.push_back(epochs);
    trace_.bits.push_back(counters_.bits);
    trace_.wall_time.push_back(wall);
    trace_.relative_distance_sq.push_back(relative);
    trace_.residual_sq.push_back(residual);
    trace_.step_size.push_back(gamma_);
    last_logged_ = counters_.iterations;
    const LogEntry entry{
        counters_, epochs, wall, relative, residual, gamma_, x_, options_.max_iterations, &trace_};
    CallbackResult result = CallbackResult::kContinue;
    for (Callback* c : callbacks_) {
      const CallbackResult r = c->logged(entry);
      if (r != CallbackResult::kContinue && result == CallbackResult::kContinue) result = r;
    }
    if (stopped_by(result) || interrupted()) return false;
    if (options_.tolerance > 0.0 && x_star_ && relative <= options_.tolerance) {
      stop(TerminationReason::kConverged,
           "converged: relative squared distance " + format(relative) +
               " <= " + format(options_.tolerance) + " at iteration " +
               std::to_string(counters_.iterations));
      return false;
    }
    if (options_.residual_tolerance > 0.0 && residual <= options_.residual_tolerance) {
      stop(TerminationReason::kConverged,
           "converged: squared natural residual " + format(residual) +
               " <= " + format(options_.residual_tolerance) + " at iteration " +
               std::to_string(counters_.iterations));
      return false;
    }
    return true;
  }

  Checkpoint checkpoint() const {
    Checkpoint c;
    c.x = x_;
    c.rng = rng_.state();
    c.counters = counters_;
    c.trace = trace_;
    estimator_.save_state(c.estimator);
    step_.save_state(c.step);
    problem_.save_state(c.problem);
    c.initial_distance = initial_distance_;
    c.elapsed_seconds = seconds_since(start_);
    c.metric_seconds = metric_seconds_;
    c.skipped_steps = summary_.skipped_steps;
    c.average = average_;
    c.averaged = averaged_;
    return c;
  }

  void save_checkpoint(bool final) {
    if (!hooks_.save) return;
    hooks_.save(checkpoint(), final);
    last_checkpoint_ = Clock::now();
  }

  void finish() {
    // A stop between log points still shows its final iterate; the reason found stands.
    if (last_logged_ != counters_.iterations) {
      const TerminationReason reason = summary_.reason;
      const std::string message = summary_.message;
      log();
      stop(reason, message);
    }
    summary_.final_relative_distance_sq = trace_.relative_distance_sq.back();
    summary_.final_relative_distance = relative_distance(x_);
    summary_.final_residual_sq = trace_.residual_sq.back();
    summary_.solve_seconds = seconds_since(start_);
    summary_.metric_seconds = metric_seconds_;
    summary_.epochs = trace_.epochs.back();
    save_checkpoint(true);
    summary_.x = x_;
    if (averaging_) summary_.x_average = average_;
    for (Callback* c : callbacks_) c->end(summary_);
  }

  const Problem& problem_;
  Estimator& estimator_;
  StepRule& step_;
  const SolverOptions& options_;
  const std::vector<Callback*>& callbacks_;
  // The callbacks with a period, and the iteration each is next due.
  struct Periodic {
    Callback* callback;
    std::int64_t period, next;
  };
  std::vector<Periodic> periodic_;
  const CheckpointHooks& hooks_;
  Summary summary_;
  Counters& counters_;
  Trace& trace_;
  const Index d_;
  const double n_;
  const std::int64_t log_every_;
  const std::optional<Vector> x_star_;
  Rng rng_;
  StepSchedule schedule_;
  const std::vector<Player> players_;  // alternating moves them in this order (else empty)
  const bool averaging_, uniform_average_;
  const Scheme scheme_;
  const bool extrapolate_with_step_;  // options.extrapolation == Extrapolation::kStep
  ProxStep extrapolation_;            // extragradient's extrapolation step with kProx
  Vector x_, next_, g_, workspace_, half_, average_;
  std::int64_t averaged_ = 0;
  double initial_distance_ = 0.0, gamma_ = 0.0, metric_seconds_ = 0.0;
  // The clock (time limit, checkpoint_seconds) is read at iteration next_clock_, every
  // clock_period_ iterations, adapted so that a reading (~25 ns) stays negligible.
  static constexpr std::int64_t kMaxClockPeriod = std::int64_t{1} << 16;
  std::int64_t clock_period_ = 1, next_clock_ = 0;
  double last_clock_ = 0.0;
  std::int64_t last_logged_ = -1, next_log_ = 0, next_event_ = 0;
  // options.max_oracle_calls, or "never" when it is 0 (no limit)
  const std::int64_t oracle_limit_;
  // Nothing but the moves between events: a constant step size, no average, no oracle limit.
  bool quiet_ = false;
  Clock::time_point start_, last_checkpoint_;
};

}  // namespace

Summary solve(const Problem& problem, Estimator& estimator, StepRule& step,
              const SolverOptions& options, ConstVectorRef x0,
              const std::vector<Callback*>& callbacks, const CheckpointHooks& hooks) {
  if (const auto error = options.Check()) throw InputError(*error);
  if (estimator.bound_problem() && estimator.bound_problem() != &problem)
    throw InputError(
        "solve: the estimator was made for another problem (make_estimator binds it to the "
        "problem it is given); accepted an estimator made for this problem");
  if (x0.size() != problem.dim())
    throw InputError("x0: has length " + std::to_string(x0.size()) + ", the problem needs " +
                     std::to_string(problem.dim()));
  return Run(problem, estimator, step, options, callbacks, hooks).execute(x0);
}

}  // namespace sgda
