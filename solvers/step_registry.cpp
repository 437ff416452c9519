#include <cmath>

#include "sgda/error.hpp"
#include "sgda/step.hpp"
#include "sgda/steps/adam_step.hpp"
#include "sgda/steps/momentum_step.hpp"
#include "sgda/steps/optimistic_step.hpp"

namespace sgda {

const std::vector<std::string>& step_rule_names() {
  static const std::vector<std::string> names = {"prox", "momentum", "nesterov",
                                                 "adam", "adamw",    "optimistic"};
  return names;
}

bool StepRuleOptions::IsValid(std::string* error) const {
  auto fail = [&](const std::string& message) {
    if (error) *error = message;
    return false;
  };
  bool known = false;
  for (const auto& n : step_rule_names()) known = known || n == rule;
  if (!known)
    return fail("step.rule: unknown \"" + rule +
                "\"; accepted: prox, momentum, nesterov, adam, adamw, optimistic");
  auto unit = [](double v) { return std::isfinite(v) && v >= 0.0 && v < 1.0; };
  if (!unit(momentum)) return fail("step.momentum: must be in [0, 1)");
  if (!unit(beta1)) return fail("step.beta1: must be in [0, 1)");
  if (!unit(beta2)) return fail("step.beta2: must be in [0, 1)");
  if (!(std::isfinite(epsilon) && epsilon > 0.0)) return fail("step.epsilon: must be > 0");
  if (!(std::isfinite(weight_decay) && weight_decay >= 0.0))
    return fail("step.weight_decay: must be >= 0");
  return true;
}

std::unique_ptr<StepRule> make_step_rule(const StepRuleOptions& o) {
  std::string error;
  if (!o.IsValid(&error)) throw InputError(error);
  if (o.rule == "momentum" || o.rule == "nesterov")
    return std::make_unique<MomentumStep>(o.momentum, o.rule == "nesterov");
  if (o.rule == "adam" || o.rule == "adamw")
    return std::make_unique<AdamStep>(o.beta1, o.beta2, o.epsilon, o.weight_decay,
                                      o.rule == "adamw");
  if (o.rule == "optimistic") return std::make_unique<OptimisticStep>();
  return std::make_unique<ProxStep>();
}

}  // namespace sgda
