#include "sgda/schedule.hpp"

#include <cmath>
#include <sstream>

namespace sgda {

bool StepSizeOptions::IsValid(std::string* error) const {
  auto fail = [&](const std::string& message) {
    if (error) *error = message;
    return false;
  };
  if (rule != "default" && rule != "constant" && rule != "theory" && rule != "switching")
    return fail("run.step_schedule: unknown \"" + rule +
                "\"; accepted: default, constant, theory, switching");
  if (rule == "constant" && !(std::isfinite(gamma) && gamma > 0.0)) {
    std::ostringstream out;
    out << "run.step_size: a constant step size must be a finite number > 0, got " << gamma;
    return fail(out.str());
  }
  if (!(std::isfinite(factor) && factor > 0.0))
    return fail("run.step_factor: must be a finite number > 0");
  return true;
}

StepSchedule StepSchedule::constant(double gamma) {
  StepSchedule s;
  s.gamma_ = gamma;
  return s;
}

StepSchedule StepSchedule::switching(double h, double mu, std::int64_t total_iterations) {
  StepSchedule s;
  s.switching_ = std::isfinite(mu) && mu > 0.0;
  s.gamma_ = 1.0 / h;
  s.h_ = h;
  s.mu_ = mu;
  s.total_ = total_iterations;
  s.k0_ = (total_iterations + 1) / 2;  // ⌈K/2⌉
  return s;
}

}  // namespace sgda
