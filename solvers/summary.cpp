#include <cmath>
#include <cstdio>
#include <sstream>

#include "sgda/solver.hpp"

namespace sgda {

std::string to_string(TerminationReason reason) {
  switch (reason) {
    case TerminationReason::kConverged:
      return "converged";
    case TerminationReason::kIterationLimit:
      return "iteration limit";
    case TerminationReason::kOracleLimit:
      return "oracle limit";
    case TerminationReason::kTimeLimit:
      return "time limit";
    case TerminationReason::kNonFinite:
      return "non-finite";
    case TerminationReason::kStoppedByCallback:
      return "stopped by callback";
  }
  return "unknown";
}

std::string Summary::BriefReport() const {
  char line[512];
  std::snprintf(line, sizeof line,
                "%s: %s after %lld iterations, %.4g epochs, %lld bits, %.3g s; "
                "rel. dist^2 %.3e, residual^2 %.3e, step %.3g",
                method.c_str(), to_string(reason).c_str(),
                static_cast<long long>(counters.iterations), epochs,
                static_cast<long long>(counters.bits), solve_seconds, final_relative_distance_sq,
                final_residual_sq, initial_step_size);
  return line;
}

std::string Summary::FullReport() const {
  std::ostringstream out;
  out << "method                   " << method << "\n"
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
