// Step-size schedules γ_k.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sgda/options.hpp"

namespace sgda {

// The base step γ (StepSizeOptions::rule, files' step_schedule):
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

// The learning-rate schedule on top of the base step γ of the rules default, constant and
// theory (torch.optim.lr_scheduler's, optax's): γ_k = γ · s(k). K is the run's iteration limit
// (SolverOptions::max_iterations), W = warmup_iterations, and the decay sees the iterations
// after the warmup: j = k − W over K' = K − W of them (torch's SequentialLR of LinearLR and the
// decay, with the milestone at W). For k < W, s(k) = w + (1 − w)·k/W (w = warmup_start_factor:
// LinearLR, optax's linear warmup); s(W) is the decay's s at j = 0, i.e. 1. Then:
// constant:      s = 1.
// step:          s = f^⌊j/E⌋, f = decay_factor, E = decay_every (StepLR).
// exponential:   s = r^j, r = decay_rate (ExponentialLR).
// polynomial:    s = e + (1 − e)(1 − min(j, K')/K')^p, e = decay_end, p = decay_power
//                (PolynomialLR to 0 when e = 0; optax's polynomial_schedule to e·γ).
// inverse-power: s = (j + 1)^(−α), α = decay_power (Robbins–Monro; α > 1 is summable).
// cosine:        s = e + (1 − e)(1 + cos(π t/T))/2 with e = decay_end and, without restarts
//                (restart_period = 0), t = min(j, K'), T = K' (CosineAnnealingLR to e·γ);
//                with restarts (SGDR, CosineAnnealingWarmRestarts) the cycles last T₀,
//                T₀·m, T₀·m², … (T₀ = restart_period, m = restart_mult) and t counts from
//                the start of the cycle j falls in, T its length: s = 1 at each restart.
enum class StepDecay { kConstant, kStep, kExponential, kPolynomial, kInversePower, kCosine };
template <>
const std::vector<EnumValue<StepDecay>>& enum_values<StepDecay>();

struct StepSizeOptions {
  StepSizeRule rule = StepSizeRule::kDefault;
  double gamma = 0.0;   // the step of the constant rule; > 0
  double factor = 1.0;  // multiplies the theory step size or the rule's default; > 0

  // The schedule γ_k = γ · s(k) (StepDecay above); not with the switching rule.
  StepDecay decay = StepDecay::kConstant;
  std::int64_t decay_every = 0;        // step: E ≥ 1 (no default: files must give it)
  double decay_factor = 0.1;           // step: f in (0, 1] (torch's gamma)
  double decay_rate = 1.0;             // exponential: r in (0, 1] (files must give it)
  double decay_power = 1.0;            // polynomial: p > 0; inverse-power: α > 0
  double decay_end = 0.0;              // polynomial, cosine: e in [0, 1] (torch's eta_min / γ)
  std::int64_t restart_period = 0;     // cosine: T₀ ≥ 1, or 0 for no restarts
  std::int64_t restart_mult = 1;       // cosine with restarts: m ≥ 1
  std::int64_t warmup_iterations = 0;  // W ≥ 0, < K; 0: no warmup
  double warmup_start_factor = 0.0;    // w in [0, 1]: s(0) with a warmup

  // A user-defined s(k), from the C++ API only (never from files): γ_k = γ · custom(k), in place
  // of decay and warmup (giving either too is an error). The solver calls it with k = the
  // iteration about to be taken (0, 1, …, K − 1 in order), and before the loop with k = 0 (for
  // Summary::initial_step_size) and the run's first k (its first trace row: 0, or where a
  // resumed run continues), so it must be a pure function of k: a resumed run replays it. It
  // must return a finite number ≥ 0 (solve() throws an InputError otherwise). Run files do not
  // record it: they show the options without it.
  std::function<double(std::int64_t k)> custom = nullptr;

  // Whether γ_k varies beyond the base rule: a decay, a warmup or a custom schedule.
  bool scheduled() const {
    return decay != StepDecay::kConstant || warmup_iterations > 0 || bool(custom);
  }

  // In files and flags: step_size (a number sets a constant γ, "theory" or "theory*F" the
  // theory's), step_schedule (the rule) and step_factor. Neither given: the rule's default.
  // Then step_decay and its keys, warmup_iterations and warmup_start_factor.
  static const OptionTable<StepSizeOptions>& table();
  // The table's ranges; constant needs gamma > 0; no schedule with switching; custom alone.
  std::optional<FieldError> Check() const;
  bool IsValid(std::string* error) const { return passes(Check(), error); }
};

// γ_k as a function of the iteration k, resolved once before the loop. The constant and the
// switching rule evaluate inline; a decay, warmup or custom schedule out of line.
class StepSchedule {
 public:
  static StepSchedule constant(double gamma);
  static StepSchedule switching(double h, double mu, std::int64_t total_iterations);
  // γ · s(k) with the decay, warmup or custom schedule of `options` (StepDecay above) over
  // total_iterations = K; constant(gamma) when options.scheduled() is false.
  static StepSchedule scheduled(double gamma, const StepSizeOptions& options,
                                std::int64_t total_iterations);

  double operator()(std::int64_t k) const {
    if (kind_ == Kind::kConstant) return gamma_;
    if (kind_ == Kind::kSwitching) {
      if (k <= k0_ || total_ <= h_ / mu_) return gamma_;
      return 2.0 / (2.0 * h_ + mu_ * static_cast<double>(k - k0_));
    }
    return shaped(k);
  }
  // γ_0.
  double initial() const { return kind_ == Kind::kScheduled ? shaped(0) : gamma_; }
  // γ_k = γ_0 for every k.
  bool constant() const { return kind_ == Kind::kConstant; }

 private:
  enum class Kind { kConstant, kSwitching, kScheduled };
  double shaped(std::int64_t k) const;

  Kind kind_ = Kind::kConstant;
  double gamma_ = 0.0, h_ = 0.0, mu_ = 0.0;
  std::int64_t k0_ = 0, total_ = 0;
  StepSizeOptions shape_;  // kScheduled: the decay, warmup or custom schedule
};

}  // namespace sgda
