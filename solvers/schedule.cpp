#include "sgda/schedule.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "sgda/error.hpp"

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

template <>
const std::vector<EnumValue<StepDecay>>& enum_values<StepDecay>() {
  static const std::vector<EnumValue<StepDecay>> values = {
      {StepDecay::kConstant, "constant", "s = 1: the base step throughout"},
      {StepDecay::kStep, "step", "s = decay_factor^floor(j/decay_every) (torch StepLR)"},
      {StepDecay::kExponential, "exponential", "s = decay_rate^j (torch ExponentialLR)"},
      {StepDecay::kPolynomial, "polynomial",
       "s = e + (1 - e)(1 - j/K')^decay_power, e = decay_end (torch PolynomialLR, optax)"},
      {StepDecay::kInversePower, "inverse-power",
       "s = (j + 1)^(-decay_power) (decay_power > 1: summable)"},
      {StepDecay::kCosine, "cosine",
       "s = e + (1 - e)(1 + cos(pi t/T))/2, e = decay_end: T = K' (torch CosineAnnealingLR), "
       "or cycles of restart_period, times restart_mult each (SGDR)"},
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
    // The schedule's entry keys show (in run files, effective problem files) only when set,
    // so that runs without a schedule keep their settings.
    const std::vector<std::string> base = {to_string(StepSizeRule::kDefault),
                                           to_string(StepSizeRule::kConstant),
                                           to_string(StepSizeRule::kTheory)};
    Field<O> decay = field("step_decay", &O::decay,
                           "the schedule: gamma_k = gamma s(k) after the warmup (j = k - "
                           "warmup_iterations, K' = iterations - warmup_iterations)")
                         .member_name("decay")
                         .when("step_schedule", base);
    decay.get = [](const O& o) -> std::optional<FieldValue> {
      if (o.decay == StepDecay::kConstant) return std::nullopt;
      return to_string(o.decay);
    };
    Field<O> warmup = field("warmup_iterations", &O::warmup_iterations,
                            "W: s(k) rises linearly from warmup_start_factor to 1 over k < W "
                            "(torch LinearLR), then the decay starts")
                          .at_least(1)
                          .or_zero("no warmup")
                          .when("step_schedule", base);
    warmup.get = [](const O& o) -> std::optional<FieldValue> {
      if (o.warmup_iterations == 0) return std::nullopt;
      return o.warmup_iterations;
    };
    Field<O> warmup_start =
        field("warmup_start_factor", &O::warmup_start_factor,
              "w: s(k) = w + (1 - w) k/W during the warmup (0: the first step is 0)")
            .bounds(0, false, 1, false)
            .when("step_schedule", base);
    warmup_start.get = [](const O& o) -> std::optional<FieldValue> {
      if (o.warmup_iterations == 0) return std::nullopt;
      return o.warmup_start_factor;
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
            std::move(decay),
            field("decay_every", &O::decay_every, "E: the step decays every E iterations")
                .at_least(1)
                .must_be_given()
                .defaults_to("none")
                .when("step_decay", {StepDecay::kStep}),
            field("decay_factor", &O::decay_factor, "f: the step's factor at each decay")
                .bounds(0, true, 1, false)
                .when("step_decay", {StepDecay::kStep}),
            field("decay_rate", &O::decay_rate, "r: the step's factor per iteration")
                .bounds(0, true, 1, false)
                .must_be_given()
                .defaults_to("none")
                .when("step_decay", {StepDecay::kExponential}),
            field("decay_power", &O::decay_power,
                  "p of polynomial, alpha of inverse-power ((j + 1)^-alpha)")
                .above(0)
                .when("step_decay", {StepDecay::kPolynomial, StepDecay::kInversePower}),
            field("decay_end", &O::decay_end,
                  "e: the last step as a fraction of the base step (torch's eta_min / gamma)")
                .bounds(0, false, 1, false)
                .when("step_decay", {StepDecay::kPolynomial, StepDecay::kCosine}),
            field("restart_period", &O::restart_period,
                  "T0: the first cosine cycle's iterations (warm restarts, SGDR)")
                .at_least(1)
                .or_zero("no restarts: one cycle over the iterations after the warmup")
                .when("step_decay", {StepDecay::kCosine}),
            field("restart_mult", &O::restart_mult,
                  "m: each cosine cycle is m times the one before (with restart_period)")
                .at_least(1)
                .when("step_decay", {StepDecay::kCosine}),
            std::move(warmup),
            std::move(warmup_start),
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
  const char* kSchedule = "StepSizeOptions::decay";
  if (rule == StepSizeRule::kSwitching && scheduled())
    return FieldError{
        decay != StepDecay::kConstant ? kSchedule
        : warmup_iterations > 0       ? "StepSizeOptions::warmup_iterations"
                                      : "StepSizeOptions::custom",
        "the switching rule is a schedule of its own; accepted step_schedule = \"default\", "
        "\"constant\" or \"theory\" with a decay or warmup"};
  if (custom && decay != StepDecay::kConstant)
    return FieldError{kSchedule, "is \"" + to_string(decay) +
                                     "\" beside a custom schedule; accepted \"constant\" (the "
                                     "custom schedule is the whole s(k))"};
  if (custom && warmup_iterations > 0)
    return FieldError{"StepSizeOptions::warmup_iterations",
                      "is " + std::to_string(warmup_iterations) +
                          " beside a custom schedule; accepted 0 (the custom schedule is the "
                          "whole s(k))"};
  return table().check(*this);
}

StepSchedule StepSchedule::constant(double gamma) {
  StepSchedule s;
  s.gamma_ = gamma;
  return s;
}

StepSchedule StepSchedule::scheduled(double gamma, const StepSizeOptions& options,
                                     std::int64_t total_iterations) {
  StepSchedule s = constant(gamma);
  if (!options.scheduled()) return s;
  s.kind_ = Kind::kScheduled;
  s.total_ = total_iterations;
  s.shape_ = options;
  return s;
}

double StepSchedule::shaped(std::int64_t k) const {
  const StepSizeOptions& o = shape_;
  if (o.custom) {
    const double s = o.custom(k);
    if (!(std::isfinite(s) && s >= 0.0))
      throw InputError(FieldError{"SolverOptions::step_size.custom",
                                  "returned " + format_number(s) + " at k = " + std::to_string(k) +
                                      "; accepted a finite number >= 0"});
    return gamma_ * s;
  }
  const std::int64_t w = o.warmup_iterations;
  if (k < w) {
    const double start = o.warmup_start_factor;
    return gamma_ * (start + (1.0 - start) * static_cast<double>(k) / static_cast<double>(w));
  }
  const std::int64_t j = k - w;                                       // the decay's iteration
  const std::int64_t length = std::max<std::int64_t>(1, total_ - w);  // K'
  const double e = o.decay_end;
  switch (o.decay) {
    case StepDecay::kConstant:
      return gamma_;
    case StepDecay::kStep:
      return gamma_ * std::pow(o.decay_factor, static_cast<double>(j / o.decay_every));
    case StepDecay::kExponential:
      return gamma_ * std::pow(o.decay_rate, static_cast<double>(j));
    case StepDecay::kPolynomial: {
      const double left = 1.0 - static_cast<double>(std::min(j, length)) / double(length);
      return gamma_ * (e + (1.0 - e) * std::pow(left, o.decay_power));
    }
    case StepDecay::kInversePower:
      return gamma_ * std::pow(static_cast<double>(j) + 1.0, -o.decay_power);
    case StepDecay::kCosine: {
      std::int64_t t = std::min(j, length), period = length;
      if (o.restart_period > 0) {
        t = j, period = o.restart_period;
        if (o.restart_mult == 1) {
          t = j % period;
        } else {
          // Cycles T0, T0 m, T0 m², ...: at most 63 of them fit in an int64 k.
          while (t >= period) {
            t -= period;
            if (period > std::numeric_limits<std::int64_t>::max() / o.restart_mult) break;
            period *= o.restart_mult;
          }
        }
      }
      const double pi = 3.14159265358979323846;
      const double c = 0.5 * (1.0 + std::cos(pi * static_cast<double>(t) / double(period)));
      return gamma_ * (e + (1.0 - e) * c);
    }
  }
  return gamma_;
}

StepSchedule StepSchedule::switching(double h, double mu, std::int64_t total_iterations) {
  StepSchedule s;
  s.kind_ = std::isfinite(mu) && mu > 0.0 ? Kind::kSwitching : Kind::kConstant;
  s.gamma_ = 1.0 / h;
  s.h_ = h;
  s.mu_ = mu;
  s.total_ = total_iterations;
  s.k0_ = (total_iterations + 1) / 2;  // ⌈K/2⌉
  return s;
}

}  // namespace sgda
