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

// The relative squared distance as "%.3e" would print it; beyond the range of a double (a huge
// but finite iterate) from the relative distance itself, "1.000e+400" rather than "inf".
std::string relative_distance_sq_text(const Summary& s) {
  char text[64];
  const double r = s.final_relative_distance;
  if (!std::isfinite(s.final_relative_distance_sq) && std::isfinite(r) && r > 0.0) {
    const double exponent10 = 2.0 * std::log10(r);
    double whole = std::floor(exponent10);
    double mantissa = std::pow(10.0, exponent10 - whole);
    if (mantissa >= 9.9995) {  // "%.3f" would round it up to 10.000
      mantissa /= 10.0;
      whole += 1.0;
    }
    std::snprintf(text, sizeof text, "%.3fe%+03.0f", mantissa, whole);
  } else {
    std::snprintf(text, sizeof text, "%.3e", s.final_relative_distance_sq);
  }
  return text;
}

}  // namespace

std::string Summary::BriefReport() const {
  char line[2048];
  std::snprintf(line, sizeof line,
                "%s [%s]: %s after %lld iterations, %.4g epochs, %lld bits, %.3g s; "
                "rel. dist^2 %s, residual^2 %.3e, step %.3g",
                method.c_str(), how(*this).c_str(), to_string(reason).c_str(),
                static_cast<long long>(counters.iterations), epochs,
                static_cast<long long>(counters.bits), solve_seconds,
                relative_distance_sq_text(*this).c_str(), final_residual_sq, initial_step_size);
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
      << "relative distance^2      " << relative_distance_sq_text(*this) << "\n"
      << "natural residual^2       " << final_residual_sq << "\n"
      << "time: setup " << setup_seconds << " s, loop " << solve_seconds << " s (metrics "
      << metric_seconds << " s)\n";
  return out.str();
}

}  // namespace sgda
