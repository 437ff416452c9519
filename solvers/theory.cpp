// Theorem 2.2 of Beznosikov et al. (2023) in code, the one place it is computed: the formulas of
// TheoryParameters (step size, contraction, neighbourhood) and analyse_theory, which applies
// them to a run. docs/theory.md derives them.
#include "sgda/theory.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>

#include "sgda/estimator.hpp"
#include "sgda/estimators/distributed.hpp"
#include "sgda/solver.hpp"

namespace sgda {

bool TheoryParameters::known() const {
  return std::isfinite(A) && std::isfinite(B) && std::isfinite(C) && std::isfinite(D1) &&
         std::isfinite(D2) && std::isfinite(rho) && rho > 0.0;
}

double TheoryParameters::lyapunov_m() const { return B > 0.0 ? 2.0 * B / rho : 0.0; }

double TheoryParameters::step_size(double mu) const {
  if (!(std::isfinite(A) && std::isfinite(B) && std::isfinite(C) && rho > 0.0)) return kNaN;
  const double inner = A + C * lyapunov_m();
  double gamma = inner > 0.0 ? 1.0 / (2.0 * inner) : std::numeric_limits<double>::infinity();
  if (std::isfinite(mu) && mu > 0.0) gamma = std::min(gamma, 1.0 / mu);
  return gamma;
}

// min{γμ, ρ − B/M}; with M = 2B/ρ the second term is ρ/2 (ρ when B = 0, where M is free).
static double rate(const TheoryParameters& t, double gamma, double mu) {
  if (!(std::isfinite(mu) && mu > 0.0)) return TheoryParameters::kNaN;
  const double state_rate = t.B > 0.0 ? t.rho / 2.0 : t.rho;
  return std::min(gamma * mu, state_rate);
}

double TheoryParameters::contraction(double gamma, double mu) const {
  return 1.0 - rate(*this, gamma, mu);
}

double TheoryParameters::neighbourhood(double gamma, double mu) const {
  return gamma * gamma * (D1 + lyapunov_m() * D2) / rate(*this, gamma, mu);
}

double theory_step_size(const Problem& problem, const Estimator& estimator) {
  return estimator.parameters(problem).step_size(problem.constants().mu);
}

namespace {

constexpr double kNaN = Theory::kNaN;

// The shortest text that reads back to the same double ("nan" for NaN), as in runs files.
std::string number_text(double value) {
  if (std::isnan(value)) return "nan";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

}  // namespace

template <>
const std::vector<EnumValue<StepSource>>& enum_values<StepSource>() {
  static const std::vector<EnumValue<StepSource>> values = {
      {StepSource::kConstant, "constant", "the number given"},
      {StepSource::kTheory, "theory", "factor x the theory step size"},
      {StepSource::kSwitching, "switching", "the switching rule of Theorem 2.2"},
      {StepSource::kRuleDefault, "rule-default", "factor x the step rule's own default"},
      {StepSource::kMissing, "missing", "none: the step rule has no default"},
  };
  return values;
}

bool Theory::known() const {
  return std::isfinite(A) && std::isfinite(B) && std::isfinite(C) && std::isfinite(D1) &&
         std::isfinite(D2) && std::isfinite(rho) && rho > 0.0;
}

std::string Theory::applies_text() const { return applies ? "yes" : "no: " + why_not; }

Theory analyse_theory(const Problem& problem, const Estimator& estimator, const StepRule& step,
                      const SolverOptions& options, ConstVectorRef x0,
                      const TheoryOptions& theory_options) {
  Theory t;
  const TheoryParameters p = estimator.parameters(problem);
  t.A = p.A;
  t.B = p.B;
  t.C = p.C;
  t.D1 = p.D1;
  t.D2 = p.D2;
  t.rho = p.rho;
  t.sigma_definition = p.sigma_definition;
  t.note = p.note;
  t.alternatives = p.alternatives;
  const double mu = problem.constants().mu;
  const bool strongly_monotone = std::isfinite(mu) && mu > 0.0;
  t.mu = mu;
  t.lyapunov_m = std::isnan(p.B) ? kNaN : p.lyapunov_m();
  t.theory_step_size = p.step_size(mu);
  const bool theory_step_known = std::isfinite(t.theory_step_size) && t.theory_step_size > 0.0;

  // γ: the number given, factor × the theory step or the rule's default, or the switching rule's
  // first step 1/h.
  const StepSizeOptions& s = options.step_size;
  t.factor = s.factor;
  t.iterations = options.max_iterations;
  if (s.rule == StepSizeRule::kConstant) {
    t.step_source = StepSource::kConstant;
    t.gamma = s.gamma;
  } else if (s.rule == StepSizeRule::kSwitching) {
    t.step_source = StepSource::kSwitching;
    t.switching_k0 = std::ceil(double(options.max_iterations) / 2.0);
    if (theory_step_known) {
      const double h =
          std::max(2.0 * (p.A + p.C * p.lyapunov_m()), strongly_monotone ? 2.0 * mu / p.rho : 0.0);
      t.switching_h = h / s.factor;
      t.gamma = 1.0 / t.switching_h;  // StepSchedule::switching's first step
    }
  } else {
    const DefaultStepSize d = s.rule == StepSizeRule::kDefault ? step.default_step_size()
                                                               : DefaultStepSize{.theory = true};
    if (d.theory) {
      t.step_source = StepSource::kTheory;
      t.gamma = s.factor * t.theory_step_size;
    } else if (std::isfinite(d.gamma) && d.gamma > 0.0) {
      t.step_source = StepSource::kRuleDefault;
      t.gamma = s.factor * d.gamma;
    } else {
      t.step_source = StepSource::kMissing;
    }
  }

  // The rate at γ.
  const bool known = p.known();
  t.contraction = known ? p.contraction(t.gamma, mu) : kNaN;
  t.neighbourhood = known ? p.neighbourhood(t.gamma, mu) : kNaN;

  // The start: V₀ = ‖x⁰ − x*‖² + Mγ²σ₀², σ₀ of the estimator reset at x⁰.
  const std::optional<Vector> x_star = problem.solution();
  if (x_star) {
    t.initial_distance = (x0 - *x_star).squaredNorm();
    if (theory_options.estimator_at_x0) {
      t.initial_sigma_sq = estimator.sigma_squared(*x_star);
      t.initial_lyapunov =
          t.initial_distance +
          (p.B > 0.0 ? p.lyapunov_m() * t.gamma * t.gamma * t.initial_sigma_sq : 0.0);
    }
  }
  t.relative_neighbourhood = t.neighbourhood / t.initial_distance;

  if (const auto* d = dynamic_cast<const DistributedEstimator*>(&estimator)) {
    const DistributedConstants k = d->constants(problem);
    t.omega = k.omega;
    t.workers = k.workers;
    t.ell_hat_workers = k.ell_hat_workers;
  }

  // Theorem 2.2 is about the prox step with every player moving at once.
  if (!p.not_covered.empty())
    t.why_not = p.not_covered;
  else if (step.name() != "prox")
    t.why_not = "the step rule is not the plain prox step";
  else if (options.scheme != Scheme::kSimultaneous)
    t.why_not = "the scheme is " + to_string(options.scheme) + ", not simultaneous";
  else if (!known)
    t.why_not = "the method's constants are unknown here";
  else if (!strongly_monotone)
    t.why_not = "the problem is not strongly monotone (mu = " + number_text(mu) + ")";
  else if (!x_star)
    t.why_not = "x* is unknown";
  else if (s.scheduled())
    t.why_not = "the step follows a schedule (step_decay, warmup or custom), not the theorem's";
  else if (t.gamma > t.theory_step_size * (1.0 + 1e-12))
    t.why_not = "gamma = " + number_text(t.gamma) + " exceeds the theory step " +
                number_text(t.theory_step_size);
  t.applies = t.why_not.empty();

  // The switching rule's bound at the last iteration K, with h = 1/γ₀ as the run starts.
  if (t.step_source == StepSource::kSwitching && t.applies) {
    const double h = 1.0 / t.gamma;
    const double k = double(options.max_iterations);
    const double v0 =
        t.initial_distance + (p.B > 0.0 ? p.lyapunov_m() * t.initial_sigma_sq / (h * h) : 0.0);
    const double state = p.B > 0.0 ? 2.0 * p.B * p.D2 / p.rho : 0.0;
    t.switching_bound =
        32.0 * h * v0 / mu * std::exp(-mu * k / h) + 36.0 * (p.D1 + state) / (mu * mu * k);
  }

  // Iterations to the target at a constant step, where the bound goes to 0:
  // ‖x^k − x*‖²/‖x⁰ − x*‖² ≤ q^k V₀/‖x⁰ − x*‖² ≤ target.
  t.target = theory_options.target;
  const bool linear = std::isfinite(t.gamma) && strongly_monotone && known;
  if (linear && t.step_source != StepSource::kSwitching && !s.scheduled() && p.D1 == 0.0 &&
      p.D2 == 0.0 && x_star) {
    if (!(t.initial_distance > 0.0)) {
      t.iterations_to_target = 0.0;
    } else if (theory_options.estimator_at_x0) {
      const double k = std::ceil(std::log(t.target * t.initial_distance / t.initial_lyapunov) /
                                 std::log1p(-(1.0 - t.contraction)));
      t.iterations_to_target = std::max(0.0, k);
    }
  }
  return t;
}

}  // namespace sgda
