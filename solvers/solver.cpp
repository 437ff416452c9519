#include "sgda/solver.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "sgda/error.hpp"

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

// γ_k for the run, from the options and (for theory/switching) the estimator's constants.
StepSchedule make_schedule(const SolverOptions& options, const Problem& problem,
                           const Estimator& estimator, double* theory_gamma) {
  const StepSizeOptions& s = options.step_size;
  if (s.rule == "constant") return StepSchedule::constant(s.gamma);
  const TheoryParameters t = estimator.parameters(problem);
  const double mu = problem.constants().mu;
  *theory_gamma = t.step_size(mu);
  if (!(std::isfinite(*theory_gamma) && *theory_gamma > 0.0))
    throw InputError("run.step_size: the theory step size of " + estimator.describe() +
                     " is unknown on this problem (its constants are not available); give a "
                     "number instead");
  if (s.rule == "theory") return StepSchedule::constant(s.factor * *theory_gamma);
  const double h = std::max(2.0 * (t.A + t.C * t.lyapunov_m()),
                            std::isfinite(mu) && mu > 0.0 ? 2.0 * mu / t.rho : 0.0);
  return StepSchedule::switching(h / s.factor, mu, options.max_iterations);
}

}  // namespace

bool SolverOptions::IsValid(std::string* error) const {
  auto fail = [&](const std::string& message) {
    if (error) *error = message;
    return false;
  };
  if (max_iterations < 1) return fail("run.iterations: must be an integer >= 1");
  if (max_oracle_calls < 0) return fail("run.max_oracle_calls: must be >= 0 (0 = no limit)");
  if (!(std::isfinite(max_time_seconds) && max_time_seconds >= 0.0))
    return fail("run.max_time: must be a finite number of seconds >= 0 (0 = no limit)");
  if (!(std::isfinite(tolerance) && tolerance >= 0.0))
    return fail("run.tolerance: must be a finite number >= 0 (0 = off)");
  if (!(std::isfinite(residual_tolerance) && residual_tolerance >= 0.0))
    return fail("run.residual_tolerance: must be a finite number >= 0 (0 = off)");
  if (log_every < 0) return fail("run.log_every: must be an integer >= 1 (or 0 = automatic)");
  return step_size.IsValid(error);
}

std::int64_t SolverOptions::effective_log_every() const {
  return log_every > 0 ? log_every : std::max<std::int64_t>(1, max_iterations / 1000);
}

void Trace::reserve(std::size_t rows) {
  iteration.reserve(rows);
  sample_evaluations.reserve(rows);
  coordinate_evaluations.reserve(rows);
  epochs.reserve(rows);
  bits.reserve(rows);
  wall_time.reserve(rows);
  relative_distance_sq.reserve(rows);
  residual_sq.reserve(rows);
  step_size.reserve(rows);
}

Summary solve(const Problem& problem, Estimator& estimator, StepRule& step,
              const SolverOptions& options, ConstVectorRef x0,
              const std::vector<Callback*>& callbacks) {
  std::string error;
  if (!options.IsValid(&error)) throw InputError(error);
  if (x0.size() != problem.dim())
    throw InputError("x0: has length " + std::to_string(x0.size()) + ", the problem needs " +
                     std::to_string(problem.dim()));

  Summary summary;
  const auto setup_start = Clock::now();
  Rng rng(options.seed);
  Counters& counters = summary.counters;
  const StepSchedule schedule =
      make_schedule(options, problem, estimator, &summary.theory_step_size);
  summary.initial_step_size = schedule.initial();
  estimator.reset(problem, x0, rng, counters);
  step.reset(problem);
  summary.method = estimator.describe();

  const Index d = problem.dim();
  const double n = static_cast<double>(problem.num_samples());
  Vector x = x0, next(d), g(d), workspace(d);
  const std::optional<Vector> x_star = problem.solution();
  const double initial_distance = x_star ? (x0 - *x_star).squaredNorm() : 0.0;
  const std::int64_t log_every = options.effective_log_every();
  Trace& trace = summary.trace;
  trace.reserve(static_cast<std::size_t>(options.max_iterations / log_every + 2));
  summary.setup_seconds = seconds_since(setup_start);

  for (Callback* c : callbacks) c->begin(problem, estimator);
  const auto start = Clock::now();
  double gamma = schedule(0), metric_seconds = 0.0;
  std::int64_t last_logged = -1;

  // Computes the metrics at x, appends a trace row, runs callbacks; returns false to stop.
  auto log = [&]() {
    const auto metric_start = Clock::now();
    const double distance = x_star ? (x - *x_star).squaredNorm() : 0.0;
    const double relative = !x_star                  ? std::nan("")
                            : initial_distance > 0.0 ? distance / initial_distance
                                                     : distance;
    const double residual = natural_residual_sq(problem, x, workspace);
    metric_seconds += seconds_since(metric_start);
    const double epochs = static_cast<double>(counters.sample_evaluations) / n +
                          static_cast<double>(counters.coordinate_evaluations) / double(d);
    const double wall = seconds_since(start);
    trace.iteration.push_back(counters.iterations);
    trace.sample_evaluations.push_back(counters.sample_evaluations);
    trace.coordinate_evaluations.push_back(counters.coordinate_evaluations);
    trace.epochs.push_back(epochs);
    trace.bits.push_back(counters.bits);
    trace.wall_time.push_back(wall);
    trace.relative_distance_sq.push_back(relative);
    trace.residual_sq.push_back(residual);
    trace.step_size.push_back(gamma);
    last_logged = counters.iterations;
    summary.final_relative_distance_sq = relative;
    summary.final_residual_sq = residual;
    bool go_on = true;
    const LogEntry entry{counters, epochs, wall, relative,
                         residual, gamma,  x,    options.max_iterations};
    for (Callback* c : callbacks) go_on = c->logged(entry) && go_on;
    if (!go_on) {
      summary.reason = TerminationReason::kStoppedByCallback;
      summary.message = "stopped by a callback at iteration " + std::to_string(counters.iterations);
      return false;
    }
    if (options.tolerance > 0.0 && x_star && relative <= options.tolerance) {
      summary.reason = TerminationReason::kConverged;
      summary.message = "converged: relative squared distance " + format(relative) +
                        " <= " + format(options.tolerance) + " at iteration " +
                        std::to_string(counters.iterations);
      return false;
    }
    if (options.residual_tolerance > 0.0 && residual <= options.residual_tolerance) {
      summary.reason = TerminationReason::kConverged;
      summary.message = "converged: squared natural residual " + format(residual) +
                        " <= " + format(options.residual_tolerance) + " at iteration " +
                        std::to_string(counters.iterations);
      return false;
    }
    return true;
  };

  bool running = log();
  while (running) {
    const std::int64_t k = counters.iterations;
    gamma = schedule(k);
    estimator.estimate(x, g, rng, counters);
    const bool finite_estimate = g.allFinite();
    if (finite_estimate) step.apply(gamma, g, x, next);
    if (!finite_estimate || !next.allFinite()) {
      // x is still the last finite iterate: the step is not taken.
      summary.reason = TerminationReason::kNonFinite;
      std::string hint;
      double theory = summary.theory_step_size;
      try {
        if (!std::isfinite(theory)) theory = theory_step_size(problem, estimator);
      } catch (const std::exception&) {
      }
      if (std::isfinite(theory)) hint = "; the theory step size is " + format(theory);
      summary.message = std::string("non-finite ") + (finite_estimate ? "iterate" : "estimate") +
                        " at iteration " + std::to_string(k) + " with step size " + format(gamma) +
                        hint;
      break;
    }
    x.swap(next);  // O(1): swaps the buffers
    ++counters.iterations;
    if (counters.iterations % log_every == 0 && !log()) break;
    if (counters.iterations >= options.max_iterations) {
      summary.reason = TerminationReason::kIterationLimit;
      summary.message = "iteration limit " + std::to_string(options.max_iterations) + " reached";
      break;
    }
    if (options.max_oracle_calls > 0 &&
        counters.sample_evaluations + counters.coordinate_evaluations >= options.max_oracle_calls) {
      summary.reason = TerminationReason::kOracleLimit;
      summary.message = "oracle limit " + std::to_string(options.max_oracle_calls) +
                        " reached at iteration " + std::to_string(counters.iterations);
      break;
    }
    // The clock is read every 64 iterations: cheap next to the iteration itself.
    if (options.max_time_seconds > 0.0 && (counters.iterations & 63) == 0 &&
        seconds_since(start) >= options.max_time_seconds) {
      summary.reason = TerminationReason::kTimeLimit;
      summary.message = "time limit " + format(options.max_time_seconds) +
                        " s reached at iteration " + std::to_string(counters.iterations);
      break;
    }
  }
  if (last_logged != counters.iterations) {
    const TerminationReason reason = summary.reason;
    const std::string message = summary.message;
    log();  // the final row; the reason found above stands
    summary.reason = reason;
    summary.message = message;
  }
  summary.solve_seconds = seconds_since(start);
  summary.metric_seconds = metric_seconds;
  summary.epochs = trace.epochs.back();
  summary.x = std::move(x);
  for (Callback* c : callbacks) c->end();
  return summary;
}

}  // namespace sgda
