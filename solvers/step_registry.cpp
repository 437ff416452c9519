#include <cmath>

#include "sgda/error.hpp"
#include "sgda/step.hpp"
#include "sgda/steps/adagrad_step.hpp"
#include "sgda/steps/adam_step.hpp"
#include "sgda/steps/clipped_step.hpp"
#include "sgda/steps/fisher_step.hpp"
#include "sgda/steps/kfac.hpp"
#include "sgda/steps/lamb_step.hpp"
#include "sgda/steps/lars_step.hpp"
#include "sgda/steps/mini_block_fisher.hpp"
#include "sgda/steps/momentum_step.hpp"
#include "sgda/steps/nadam_step.hpp"
#include "sgda/steps/optimistic_step.hpp"
#include "sgda/steps/rmsprop_step.hpp"

namespace sgda {

template <>
const std::vector<EnumValue<StepRuleType>>& enum_values<StepRuleType>() {
  static const std::vector<EnumValue<StepRuleType>> values = {
      {StepRuleType::kProx, "prox", "x <- prox(x - gamma g): every SGDA-type method"},
      {StepRuleType::kSgd, "sgd",
       "torch.optim.SGD without momentum: x <- x - gamma (g + lambda x)"},
      {StepRuleType::kMomentum, "momentum",
       "heavy ball: buf <- mu buf + (1 - dampening) g (buf = g first); x <- prox(x - gamma buf)"},
      {StepRuleType::kNesterov, "nesterov",
       "the heavy ball's buffer; x <- prox(x - gamma (g + mu buf))"},
      {StepRuleType::kAdagrad, "adagrad", "s <- s + g^2; x <- x - gamma g/(sqrt(s) + eps)"},
      {StepRuleType::kRmsprop, "rmsprop",
       "s <- alpha s + (1 - alpha) g^2; x <- x - gamma g/(sqrt(s) + eps); centred optional"},
      {StepRuleType::kAdam, "adam",
       "bias-corrected moments in double; weight_decay adds lambda x "
       "to g"},
      {StepRuleType::kAdamW, "adamw", "Adam with decoupled weight decay"},
      {StepRuleType::kNadam, "nadam", "Adam with Nesterov momentum, torch's mu_t schedule"},
      {StepRuleType::kLars, "lars",
       "v <- mu v + q (g + lambda x), q = eta |x|/|g + lambda x| per block; x <- x - gamma v"},
      {StepRuleType::kLamb, "lamb",
       "r = Adam's direction + lambda x; x <- x - gamma phi(|x|)/|r| r per block"},
      {StepRuleType::kMbf, "mbf",
       "mini-block Fisher: d = (F + damping I)^-1 g per mini-block of each dense layer; then "
       "momentum"},
      {StepRuleType::kKfac, "kfac",
       "K-FAC: d = (G + ..)^-1 grad (A + ..)^-1 per dense layer (F ~ A x G); then momentum"},
      {StepRuleType::kOptimistic, "optimistic",
       "x <- prox(x - gamma (2 g_k - g_{k-1})) (past extragradient)"},
  };
  return values;
}

template <>
const std::vector<EnumValue<TrustNorm>>& enum_values<TrustNorm>() {
  static const std::vector<EnumValue<TrustNorm>> values = {
      {TrustNorm::kIdentity, "identity", "phi(|x|) = |x|"},
      {TrustNorm::kClip, "clip", "phi(|x|) = min(max(|x|, phi_min), phi_max)"},
  };
  return values;
}

template <>
const std::vector<EnumValue<MiniBlocks>>& enum_values<MiniBlocks>() {
  static const std::vector<EnumValue<MiniBlocks>> values = {
      {MiniBlocks::kRow, "row", "an output neuron's weights and bias, in blocks of block_size"},
      {MiniBlocks::kColumn, "column",
       "an input's weights (or the biases), in blocks of block_size"},
      {MiniBlocks::kDiagonal, "diagonal", "single entries: g/(diag F + damping)"},
      {MiniBlocks::kLayer, "layer", "one block per layer: the exact block natural gradient"},
  };
  return values;
}

const OptionTable<StepRuleOptions>& StepRuleOptions::table() {
  using O = StepRuleOptions;
  using T = StepRuleType;
  // The rules with weight decay (adamw's has its own default, torch's 0.01).
  const std::initializer_list<T> decaying = {T::kSgd,     T::kMomentum, T::kNesterov, T::kAdagrad,
                                             T::kRmsprop, T::kAdam,     T::kNadam,    T::kLars,
                                             T::kLamb,    T::kMbf,      T::kKfac};
  // The rules with parameter groups (no_decay): those and adamw, whose decay has its own default.
  const std::initializer_list<T> grouped = {T::kSgd,     T::kMomentum, T::kNesterov, T::kAdagrad,
                                            T::kRmsprop, T::kAdam,     T::kAdamW,    T::kNadam,
                                            T::kLars,    T::kLamb,     T::kMbf,      T::kKfac};
  const std::initializer_list<T> fisher = {T::kMbf, T::kKfac};
  static const OptionTable<O> table(
      "StepRuleOptions",
      {
          field("rule", &O::rule, "the step rule").with_flag("--step"),
          field("momentum", &O::momentum, "mu of the buffer buf <- mu buf + (1 - dampening) g")
              .bounds(0, false, 1, true)
              .when("rule", {T::kMomentum, T::kNesterov, T::kLars, T::kMbf, T::kKfac}),
          field("momentum", &O::rmsprop_momentum, "mu of the buffer b <- mu b + g/sigma")
              .bounds(0, false, 1, true)
              .when("rule", {T::kRmsprop}),
          field("dampening", &O::dampening,
                "buf <- mu buf + (1 - dampening) g after the first step")
              .bounds(0, false, 1, false)
              .when("rule", {T::kMomentum, T::kNesterov}),
          field("beta1", &O::beta1, "first-moment decay")
              .bounds(0, false, 1, true)
              .when("rule", {T::kAdam, T::kAdamW, T::kNadam, T::kLamb}),
          field("beta2", &O::beta2, "second-moment decay")
              .bounds(0, false, 1, true)
              .when("rule", {T::kAdam, T::kAdamW, T::kNadam, T::kLamb}),
          field("epsilon", &O::epsilon, "added to sqrt(v_hat) (rmsprop: to sqrt(s))")
              .above(0)
              .when("rule", {T::kAdam, T::kAdamW, T::kNadam, T::kRmsprop}),
          field("epsilon", &O::adagrad_epsilon, "added to sqrt(s)")
              .above(0)
              .when("rule", {T::kAdagrad}),
          field("epsilon", &O::lamb_epsilon, "added to sqrt(v_hat)")
              .above(0)
              .when("rule", {T::kLamb}),
          field("weight_decay", &O::weight_decay,
                "lambda: coupled (g + lambda x) unless decoupled; lars, lamb in the trust ratio")
              .at_least(0)
              .when("rule", decaying),
          field("weight_decay", &O::adamw_weight_decay,
                "lambda: decoupled, x <- x - gamma lambda x")
              .at_least(0)
              .when("rule", {T::kAdamW}),
          field("decoupled_weight_decay", &O::decoupled_weight_decay,
                "x <- x - gamma lambda x beside the rule's move instead of g + lambda x")
              .when("rule", {T::kSgd, T::kMomentum, T::kNesterov, T::kAdagrad, T::kRmsprop,
                             T::kAdam, T::kNadam, T::kMbf, T::kKfac}),
          field("amsgrad", &O::amsgrad, "v_hat from the running maximum of v (AMSGrad)")
              .when("rule", {T::kAdam, T::kAdamW}),
          field("lr_decay", &O::lr_decay, "gamma_t = gamma/(1 + (t - 1) lr_decay)")
              .at_least(0)
              .when("rule", {T::kAdagrad}),
          field("initial_accumulator_value", &O::initial_accumulator_value,
                "the sum of squares s starts here")
              .at_least(0)
              .when("rule", {T::kAdagrad}),
          field("alpha", &O::alpha, "square-average decay: s <- alpha s + (1 - alpha) g^2")
              .with_flag("--rmsprop-alpha")  // --alpha is DIANA's
              .bounds(0, false, 1, true)
              .when("rule", {T::kRmsprop}),
          field("centered", &O::centered, "divide by sqrt(s - a^2), a the average of g")
              .when("rule", {T::kRmsprop}),
          field("momentum_decay", &O::momentum_decay,
                "psi of mu_t = beta1 (1 - 0.5 * 0.96^(t psi))")
              .at_least(0)
              .when("rule", {T::kNadam}),
          field("trust_coefficient", &O::trust_coefficient,
                "eta of the trust ratio q = eta |x|/|g + lambda x|")
              .above(0)
              .when("rule", {T::kLars}),
          field("phi", &O::phi, "the norm the trust ratio scales each block's update to")
              .when("rule", {T::kLamb}),
          field("phi_min", &O::phi_min, "phi = clip: the lower bound of |x|")
              .at_least(0)
              .when("rule", {T::kLamb})
              .when("phi", {TrustNorm::kClip}),
          field("phi_max", &O::phi_max, "phi = clip: the upper bound of |x|")
              .above(0)
              .when("rule", {T::kLamb})
              .when("phi", {TrustNorm::kClip}),
          field("bias_correction", &O::bias_correction, "m and v divided by 1 - beta^t")
              .when("rule", {T::kLamb}),
          field("damping", &O::damping, "lambda of (F + lambda I)^-1")
              .above(0)
              .when("rule", fisher),
          field("fisher_decay", &O::fisher_decay,
                "beta of the statistics' average F <- beta F + (1 - beta) F(batch)")
              .bounds(0, false, 1, true)
              .when("rule", fisher),
          field("update_every", &O::update_every, "the Fisher statistics every this many steps")
              .at_least(1)
              .when("rule", fisher),
          field("refresh_every", &O::refresh_every,
                "the factors of F + lambda I every this many steps")
              .at_least(1)
              .when("rule", fisher),
          field("mbf_blocks", &O::mbf_blocks, "the mini-blocks of each dense layer")
              .when("rule", {T::kMbf}),
          field("mbf_block_size", &O::mbf_block_size,
                "entries per mini-block of a row or column (0: whole rows or columns)")
              .at_least(0)
              .when("rule", {T::kMbf})
              .when("mbf_blocks", {MiniBlocks::kRow, MiniBlocks::kColumn}),
          field("no_decay", &O::no_decay,
                "comma-separated block-name suffixes without weight decay and trust ratio; \"\" "
                "excludes none")
              .when("rule", grouped),
          field("clip_norm", &O::clip_norm,
                "g scaled to this norm when its norm (over the moved blocks) is above it")
              .above(0)
              .or_zero("off"),
          field("clip_block_norm", &O::clip_block_norm,
                "each block's g scaled to this norm when its norm is above it")
              .above(0)
              .or_zero("off"),
          field("clip_value", &O::clip_value, "each entry of g clamped to [-c, c]")
              .above(0)
              .or_zero("off"),
      });
  return table;
}

std::optional<FieldError> StepRuleOptions::Check() const {
  if (auto error = table().check(*this)) return error;
  if (rule == StepRuleType::kLamb && phi == TrustNorm::kClip && !(phi_min <= phi_max))
    return FieldError{"StepRuleOptions::phi_max", "must be a number >= phi_min (" +
                                                      format_number(phi_min) + "), got " +
                                                      format_number(phi_max)};
  return std::nullopt;
}

namespace {

std::unique_ptr<StepRule> make_rule(const StepRuleOptions& o) {
  const WeightDecay decay{o.weight_decay, o.decoupled_weight_decay};
  switch (o.rule) {
    case StepRuleType::kSgd:
      return std::make_unique<MomentumStep>(0.0, false, 0.0, decay);
    case StepRuleType::kMomentum:
    case StepRuleType::kNesterov:
      return std::make_unique<MomentumStep>(o.momentum, o.rule == StepRuleType::kNesterov,
                                            o.dampening, decay);
    case StepRuleType::kAdagrad:
      return std::make_unique<AdagradStep>(o.lr_decay, o.initial_accumulator_value,
                                           o.adagrad_epsilon, decay);
    case StepRuleType::kRmsprop:
      return std::make_unique<RmspropStep>(o.alpha, o.epsilon, o.rmsprop_momentum, o.centered,
                                           decay);
    case StepRuleType::kAdam:
    case StepRuleType::kAdamW:
      return std::make_unique<AdamStep>(
          o.beta1, o.beta2, o.epsilon,
          o.rule == StepRuleType::kAdamW ? o.adamw_weight_decay : o.weight_decay,
          o.rule == StepRuleType::kAdamW || o.decoupled_weight_decay, o.amsgrad);
    case StepRuleType::kNadam:
      return std::make_unique<NadamStep>(o.beta1, o.beta2, o.epsilon, o.momentum_decay, decay);
    case StepRuleType::kLars:
      return std::make_unique<LarsStep>(o.momentum, o.trust_coefficient, o.weight_decay);
    case StepRuleType::kLamb: {
      LambStep::Options l;
      l.beta1 = o.beta1, l.beta2 = o.beta2, l.epsilon = o.lamb_epsilon;
      l.weight_decay = o.weight_decay, l.bias_correction = o.bias_correction;
      l.clip_phi = o.phi == TrustNorm::kClip, l.phi_min = o.phi_min, l.phi_max = o.phi_max;
      return std::make_unique<LambStep>(l);
    }
    case StepRuleType::kMbf:
    case StepRuleType::kKfac: {
      const FisherOptions f{o.damping,       o.fisher_decay, o.update_every,
                            o.refresh_every, o.momentum,     decay};
      if (o.rule == StepRuleType::kKfac)
        return std::make_unique<FisherStep>(std::make_unique<Kfac>(), f);
      return std::make_unique<FisherStep>(
          std::make_unique<MiniBlockFisher>(o.mbf_blocks, o.mbf_block_size), f);
    }
    case StepRuleType::kOptimistic:
      return std::make_unique<OptimisticStep>();
    case StepRuleType::kProx:
      break;
  }
  return std::make_unique<ProxStep>();
}

}  // namespace

std::unique_ptr<StepRule> make_step_rule(const StepRuleOptions& o, BlockPredicate excluded) {
  if (const auto error = o.Check()) throw InputError(*error);
  std::unique_ptr<StepRule> rule = make_rule(o);
  rule->exclude_blocks(excluded ? std::move(excluded) : name_ends_with(o.no_decay));
  if (o.clip_norm > 0.0 || o.clip_block_norm > 0.0 || o.clip_value > 0.0)
    rule = std::make_unique<ClippedStep>(
        std::move(rule), ClippedStep::Clip{o.clip_norm, o.clip_block_norm, o.clip_value});
  return rule;
}

}  // namespace sgda
