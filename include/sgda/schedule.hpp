// Step-size schedules γ_k.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sgda/options.hpp"

namespace sgda {

// default:  the step rule's own (StepRule::default_step_size): for the prox step, as theory;
//           for adam and adamw γ_k = factor · 1e-3 (torch.optim's); the other rules have
//           none, and solve() throws an InputError naming SolverOptions::step_size.
// constant: γ_k = gamma.
// theory:   γ_k = factor · min{1/μ, 1/(2(A + 2BC/ρ))}, from the estimator's parameters.
// switching: the decreasing rule of Theorem 2.2 (Beznosikov et al. 2023): with
//   h = max{2(A + 2BC/ρ), 2μ/ρ}/factor and k0 = ⌈K/2⌉, γ_k = 1/h while k ≤ k0 or K ≤ h/μ,
//   then γ_k = 2/(2h + μ(k − k0)); K is the iteration limit.
// The numbers come from analyse_theory (sgda/theory.hpp).
enum class StepSizeRule { kDefault, kConstant, kTheory, kSwitching };
template <>
const std::vector<EnumValue<StepSizeRule>>& enum_values<StepSizeRule>();

struct StepSizeOptions {
  StepSizeRule rule = StepSizeRule::kDefault;
  double gamma = 0.0;   // the step of the constant rule; > 0
  double factor = 1.0;  // multiplies the theory step size or the rule's default; > 0

  // In files and flags: step_size (a number sets a constant γ, "theory" or "theory*F" the
  // theory's), step_schedule (the rule) and step_factor. Neither given: the rule's default.
  static const OptionTable<StepSizeOptions>& table();
  std::optional<FieldError> Check() const;  // the table's ranges; constant needs gamma > 0
  bool IsValid(std::string* error) const { return passes(Check(), error); }
};

// γ_k as a function of the iteration k, resolved once before the loop.
class StepSchedule {
 public:
  static StepSchedule constant(double gamma);
  static StepSchedule switching(double h, double mu, std::int64_t total_iterations);

  double operator()(std::int64_t k) const {
    if (!switching_ || k <= k0_ || total_ <= h_ / mu_) return gamma_;
    return 2.0 / (2.0 * h_ + mu_ * static_cast<double>(k - k0_));
  }
  double initial() const { return gamma_; }

 private:
  bool switching_ = false;
  double gamma_ = 0.0, h_ = 0.0, mu_ = 0.0;
  std::int64_t k0_ = 0, total_ = 0;
};

}  // namespace sgda
