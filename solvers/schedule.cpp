#include "sgda/schedule.hpp"

#include <cmath>
#include <sstream>

namespace sgda {

template <>
const std::vector<EnumValue<StepSizeRule>>& enum_values<StepSizeRule>() {
  static const std::vector<EnumValue<StepSizeRule>> values = {
      {StepSizeRule::kDefault, "default",
       "the step rule's own: the theory step for prox, 1e-3 for adam and adamw (times "
       "step_factor); the other rules need a step_size"},
      {StepSizeRule::kConstant, "constant", "gamma_k = step_size"},
      {StepSizeRule::kTheory, "theory", "gamma = factor * min{1/mu, 1/(2(A + 2BC/rho))}"},
      {StepSizeRule::kSwitching, "switching",
       "1/h for the first half, then 2/(2h + mu(k - k0)) (Theorem 2.2)"},
  };
  return values;
}

const OptionTable<StepSizeOptions>& StepSizeOptions::table() {
  using O = StepSizeOptions;
  static const OptionTable<O> table = [] {
    Field<O> step_size;
    step_size.key = "step_size";
    step_size.member = "gamma";
    step_size.type = FieldType::kStepSize;
    step_size.doc = "the step size gamma: a number for a constant step, or the theory's step";
    step_size.default_text = "the step rule's (step_schedule = \"default\")";
    step_size.get = [](const O& o) -> std::optional<FieldValue> {
      if (o.rule == StepSizeRule::kConstant) return o.gamma;
      if (o.rule == StepSizeRule::kDefault) return std::nullopt;  // step_schedule says it
      return std::string("theory");
    };
    step_size.set = [](O& o, const FieldValue& v) {
      if (const auto* text = std::get_if<std::string>(&v)) {
        double factor = 1.0;
        parse_theory_step(*text, &factor);
        if (o.rule == StepSizeRule::kConstant || o.rule == StepSizeRule::kDefault)
          o.rule = StepSizeRule::kTheory;
        if (text->find('*') != std::string::npos) o.factor = factor;
        return;
      }
      o.gamma = std::holds_alternative<double>(v) ? std::get<double>(v)
                                                  : double(std::get<std::int64_t>(v));
      o.rule = StepSizeRule::kConstant;
    };
    OptionTable<O> t(
        "StepSizeOptions",
        {
            std::move(step_size),
            field("step_schedule", &O::rule,
                  "how gamma_k is chosen; a numeric step_size implies constant")
                .member_name("rule"),
            field("step_factor", &O::factor,
                  "multiplies the theory (and switching) step size, or the rule's default")
                .member_name("factor")
                .above(0),
        });
    // A number and a theory schedule given together contradict each other; so do "theory*F"
    // and step_factor.
    t.check_layers([](const std::vector<std::pair<std::string, FieldValue>>& given)
                       -> std::optional<std::pair<std::string, std::string>> {
      const FieldValue* size = nullptr;
      const FieldValue* schedule = nullptr;
      bool factor = false;
      for (const auto& [key, value] : given) {
        if (key == "step_size") size = &value;
        if (key == "step_schedule") schedule = &value;
        if (key == "step_factor") factor = true;
      }
      const bool number = size && !std::holds_alternative<std::string>(*size);
      const std::string rule = schedule ? value_text(*schedule) : "";
      if (number && schedule && rule != "constant")
        return std::pair{std::string("step_size"),
                         "a number needs step_schedule = \"constant\" (or no step_schedule); "
                         "the rule \"" +
                             rule +
                             "\" derives the step from the theory, scale it with step_factor"};
      if (schedule && rule == "constant" && size && !number)
        return std::pair{
            std::string("step_schedule"),
            "\"constant\" needs step_size = a number > 0 (it is \"" + value_text(*size) + "\")"};
      if (size && !number && value_text(*size).find('*') != std::string::npos && factor)
        return std::pair{std::string("step_factor"),
                         "is given twice: by step_factor and by step_size = \"" +
                             value_text(*size) + "\"; accepted one of them"};
      return std::nullopt;
    });
    return t;
  }();
  return table;
}

std::optional<FieldError> StepSizeOptions::Check() const {
  if (rule == StepSizeRule::kConstant && !(std::isfinite(gamma) && gamma > 0.0))
    return FieldError{"StepSizeOptions::rule",
                      "\"constant\" needs step_size = a number > 0, got " + format_number(gamma)};
  return table().check(*this);
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
