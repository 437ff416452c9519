#include <cmath>

#include "sgda/error.hpp"
#include "sgda/step.hpp"
#include "sgda/steps/adam_step.hpp"
#include "sgda/steps/momentum_step.hpp"
#include "sgda/steps/optimistic_step.hpp"

namespace sgda {

template <>
const std::vector<EnumValue<StepRuleType>>& enum_values<StepRuleType>() {
  static const std::vector<EnumValue<StepRuleType>> values = {
      {StepRuleType::kProx, "prox", "x <- prox(x - gamma g): every SGDA-type method"},
      {StepRuleType::kMomentum, "momentum", "heavy ball: v <- mu v + g; x <- prox(x - gamma v)"},
      {StepRuleType::kNesterov, "nesterov", "v <- mu v + g; x <- prox(x - gamma (g + mu v))"},
      {StepRuleType::kAdam, "adam",
       "bias-corrected moments in double; weight_decay adds lambda x "
       "to g"},
      {StepRuleType::kAdamW, "adamw", "Adam with decoupled weight decay"},
      {StepRuleType::kOptimistic, "optimistic",
       "x <- prox(x - gamma (2 g_k - g_{k-1})) (past extragradient)"},
  };
  return values;
}

const OptionTable<StepRuleOptions>& StepRuleOptions::table() {
  using O = StepRuleOptions;
  using T = StepRuleType;
  static const OptionTable<O> table(
      "StepRuleOptions", {
                             field("rule", &O::rule, "the step rule").with_flag("--step"),
                             field("momentum", &O::momentum, "mu of the velocity v <- mu v + g")
                                 .bounds(0, false, 1, true)
                                 .when("rule", {T::kMomentum, T::kNesterov}),
                             field("beta1", &O::beta1, "first-moment decay")
                                 .bounds(0, false, 1, true)
                                 .when("rule", {T::kAdam, T::kAdamW}),
                             field("beta2", &O::beta2, "second-moment decay")
                                 .bounds(0, false, 1, true)
                                 .when("rule", {T::kAdam, T::kAdamW}),
                             field("epsilon", &O::epsilon, "added to sqrt(v_hat)")
                                 .above(0)
                                 .when("rule", {T::kAdam, T::kAdamW}),
                             field("weight_decay", &O::weight_decay,
                                   "lambda: adam adds lambda x to g (L2); adamw decays x decoupled")
                                 .at_least(0)
                                 .when("rule", {T::kAdam, T::kAdamW}),
                         });
  return table;
}

std::unique_ptr<StepRule> make_step_rule(const StepRuleOptions& o) {
  if (const auto error = o.Check()) throw InputError(*error);
  switch (o.rule) {
    case StepRuleType::kMomentum:
    case StepRuleType::kNesterov:
      return std::make_unique<MomentumStep>(o.momentum, o.rule == StepRuleType::kNesterov);
    case StepRuleType::kAdam:
    case StepRuleType::kAdamW:
      return std::make_unique<AdamStep>(o.beta1, o.beta2, o.epsilon, o.weight_decay,
                                        o.rule == StepRuleType::kAdamW);
    case StepRuleType::kOptimistic:
      return std::make_unique<OptimisticStep>();
    case StepRuleType::kProx:
      break;
  }
  return std::make_unique<ProxStep>();
}

}  // namespace sgda
