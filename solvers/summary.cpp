#include <cmath>
#include <cstdio>
#include <sstream>

#include "sgda/solver.hpp"

namespace sgda {

template <>
const std::vector<EnumValue<TerminationReason>>& enum_values<TerminationReason>() {
  using T = TerminationReason;
  static const std::vector<EnumValue<T>> values = {
      {T::kConverged, "converged", "a tolerance was met, or a callback reported convergence"},
      {T::kIterationLimit, "iteration limit", "the iteration limit was reached"},
      {T::kOracleLimit, "oracle limit", "the limit of sample + coordinate evaluations"},
      {T::kTimeLimit, "time limit", "the wall-time limit was reached"},
      {T::kNonFinite, "non-finite", "a non-finite estimate or iterate"},
      {T::kStoppedByCallback, "stopped by callback", "a callback asked to stop"},
      {T::kInterrupted, "interrupted", "the interrupt flag was set (Ctrl-C, SIGTERM)"},
  };
  return values;
}

namespace {

// "prox, simultaneous", "adam, extragradient (extrapolation step), ema averaging".
std::string how(const Summary& s) {
  std::string out = s.step_rule + ", " + to_string(s.scheme);
  if (s.scheme == Scheme::kExtragradient || s.scheme == Scheme::kExtragradientSameSample)
    if (s.extrapolation == Extrapolation::kStep) out += " (extrapolation step)";
  if (s.averaging != Averaging::kNone) out += ", " + to_string(s.averaging) + " averaging";
  return out;
}

}  // namespace

std::string Summary::BriefReport() const {
  char line[2048];
  std::snprintf(line, sizeof line,
                "%s [%s]: %s after %lld iterations, %.4g epochs, %lld bits, %.3g s; "
                "rel. dist^2 %.3e, residual^2 %.3e, step %.3g",
                method.c_str(), how(*this).c_str(), to_string(reason).c_str(),
                static_cast<long long>(counters.iterations), epochs,
                static_cast<long long>(counters.bits), solve_seconds, final_relative_distance_sq,
                final_residual_sq, initial_step_size);
  return line;
}

std::string Summary::FullReport() const {
  std::ostringstream out;
  out << "method                   " << method << "\n"
      << "step rule, scheme        " << how(*this) << "\n"
      << "termination              " << to_string(reason) << ": " << message << "\n"
      << "iterations               " << counters.iterations << "\n"
      << "sample evaluations       " << counters.sample_evaluations << " (" << epochs
      << " epochs)\n"
      << "full evaluations         " << counters.full_evaluations << "\n"
      << "coordinate evaluations   " << counters.coordinate_evaluations << "\n"
      << "bits sent                " << counters.bits << "\n"
      << "step size                " << initial_step_size;
  if (std::isfinite(theory_step_size)) out << " (theory " << theory_step_size << ")";
  out << "\n"
      << "relative distance^2      " << final_relative_distance_sq << "\n"
      << "natural residual^2       " << final_residual_sq << "\n"
      << "time: setup " << setup_seconds << " s, loop " << solve_seconds << " s (metrics "
      << metric_seconds << " s)\n";
  return out.str();
}

}  // namespace sgda
