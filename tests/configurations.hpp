// One list of run configurations covering every method (with each sampling, local oracle and
// compressor), every step rule, every scheme and both averagings, on a small generated quadratic
// game (with and without a regularizer) and on the Dirac-GAN, built through the C++ API
// (make_estimator, make_step_rule, SolverOptions, solve). Shared by the golden file of final
// iterates (test_golden.cpp) and the no-allocation test (test_solver.cpp), so that a new option
// added here is pinned and checked by both.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "sgda/problems/affine_game.hpp"
#include "sgda/problems/dirac_gan.hpp"
#include "sgda/registry.hpp"
#include "sgda/regularizer.hpp"
#include "sgda/solver.hpp"
#include "sgda/step.hpp"

namespace sgda::testing {

enum class GameKind {
  kQuadratic,    // generated: n = 20 samples, two players of dimension 3 (D = 6), seed 11
  kQuadraticL1,  // the same game with R = λ||x||₁ + ball of radius r (l1-linf, λ = 0.05, r = 0.5)
  kDiracGan,     // the Dirac-GAN without R1, from (1, 1)
  kDiracGanR1,  // with the R1 penalty γ = 0.3
};

struct Configuration {
  std::string name;  // unique; the key of tests/golden/final_iterates.txt
  GameKind game = GameKind::kQuadratic;
  EstimatorOptions estimator;
  StepRuleOptions step;
  Scheme scheme = Scheme::kSimultaneous;
  Extrapolation extrapolation = Extrapolation::kProx;
  Averaging averaging = Averaging::kNone;
  double gamma = 0.05;  // a constant step: the golden file pins the streams and the formulas
};

// The games, generated once per process.
inline const Problem& game_of(GameKind kind) {
  static const AffineGame quadratic = [] {
    QuadraticGameOptions o;
    o.samples = 20;
    o.dimension = 3;
    o.mu = 1.0;
    o.ell = 5.0;
    o.seed = 11;
    return generate_quadratic_game(o);
  }();
  static const AffineGame regularized = [] {
    RegularizerOptions r;
    r.type = sgda::RegularizerType::kL1Linf;
    r.lambda = 0.05;
    r.radius = 0.5;
    return quadratic.with_regularizer(make_regularizer(r));
  }();
  static const DiracGan dirac;
  static const DiracGan dirac_r1 = [] {
    DiracGanOptions o;
    o.r1 = 0.3;
    return DiracGan(o);
  }();
  switch (kind) {
    case GameKind::kQuadratic:
      return quadratic;
    case GameKind::kQuadraticL1:
      return regularized;
    case GameKind::kDiracGan:
      return dirac;
    case GameKind::kDiracGanR1:
      break;
  }
  return dirac_r1;
}

inline std::vector<Configuration> all_configurations() {
  std::deque<Configuration> all;  // references to its elements survive push_back
  auto method = [&](const std::string& name, const std::string& method_name) -> Configuration& {
    Configuration c;
    c.name = name;
    c.estimator.method = sgda::parse_enum<sgda::Method>(method_name);
    all.push_back(c);
    return all.back();
  };
  auto distributed = [&](const std::string& name, const std::string& method_name,
                         const std::string& local, const std::string& compressor, Index k = 1,
                         int levels = 1) -> Configuration& {
    Configuration& c = method(name, method_name);
    c.estimator.workers = 4;  // 5 local samples each
    c.estimator.local = sgda::parse_enum<sgda::LocalOracle>(local);
    c.estimator.compressor.type = sgda::parse_enum<sgda::CompressorType>(compressor);
    c.estimator.compressor.k = k;
    c.estimator.compressor.levels = levels;
    return c;
  };

  // Every method, sampling, local oracle and compressor, with the prox step, simultaneous.
  method("sgda uniform", "sgda");
  Configuration& nice = method("sgda nice tau=4", "sgda");
  nice.estimator.sampling = sgda::SamplingType::kNice;
  nice.estimator.batch_size = 4;
  method("sgda importance", "sgda").estimator.sampling = sgda::SamplingType::kImportance;
  method("sgda adaptive", "sgda").estimator.sampling = sgda::SamplingType::kAdaptive;
  Configuration& adaptive = method("sgda adaptive tau=4", "sgda");
  adaptive.estimator.sampling = sgda::SamplingType::kAdaptive;
  adaptive.estimator.batch_size = 4;
  method("l-svrgda", "l-svrgda");
  method("l-svrgda p=0.3", "l-svrgda").estimator.probability = 0.3;
  distributed("qsgda exact identity", "qsgda", "exact", "identity");
  distributed("qsgda sample rand-2", "qsgda", "sample", "rand-k", 2);
  distributed("qsgda sample qsgd s=2", "qsgda", "sample", "qsgd", 1, 2);
  distributed("qsgda exact natural", "qsgda", "exact", "natural");
  distributed("qsgda exact top-2", "qsgda", "exact", "top-k", 2);
  distributed("diana-sgda exact rand-2", "diana-sgda", "exact", "rand-k", 2);
  distributed("diana-sgda sample identity", "diana-sgda", "sample", "identity");
  distributed("diana-sgda sample qsgd s=1", "diana-sgda", "sample", "qsgd", 1, 1);
  distributed("diana-sgda sample natural", "diana-sgda", "sample", "natural");
  distributed("diana-sgda exact top-3 alpha=0.2", "diana-sgda", "exact", "top-k", 3)
      .estimator.alpha = 0.2;
  distributed("vr-diana-sgda rand-2", "vr-diana-sgda", "exact", "rand-k", 2);
  distributed("vr-diana-sgda identity", "vr-diana-sgda", "exact", "identity");
  distributed("vr-diana-sgda qsgd s=4", "vr-diana-sgda", "exact", "qsgd", 1, 4);
  distributed("vr-diana-sgda natural p=0.5", "vr-diana-sgda", "exact", "natural")
      .estimator.probability = 0.5;
  distributed("vr-diana-sgda top-2", "vr-diana-sgda", "exact", "top-k", 2);
  method("coordinate-sgda", "coordinate-sgda").gamma = 0.02;
  method("sega-sgda", "sega-sgda").gamma = 0.02;

  // The same with a regularizer: the proxes, and the fused coordinate moves' regularized branch.
  for (const auto& [name, m] :
       std::vector<std::pair<std::string, std::string>>{{"sgda uniform", "sgda"},
                                                        {"l-svrgda", "l-svrgda"},
                                                        {"coordinate-sgda", "coordinate-sgda"},
                                                        {"sega-sgda", "sega-sgda"}}) {
    Configuration& c = method(name + " l1-linf", m);
    c.game = GameKind::kQuadraticL1;
    if (m == "coordinate-sgda" || m == "sega-sgda") c.gamma = 0.02;
  }
  distributed("diana-sgda exact rand-2 l1-linf", "diana-sgda", "exact", "rand-k", 2).game =
      GameKind::kQuadraticL1;

  // Every step rule, on SGDA (and on the regularized game, where the prox follows the rule).
  for (const std::string rule : {"momentum", "nesterov", "adam", "adamw", "optimistic"}) {
    Configuration& c = method("sgda uniform " + rule, "sgda");
    c.step.rule = sgda::parse_enum<sgda::StepRuleType>(rule);
    if (rule == "adam") c.step.weight_decay = 0.01;  // adamw: its default, 0.01
    // The heavy ball's effective step is γ/(1 − μ) = 10γ at the default μ = 0.9.
    if (rule == "momentum" || rule == "nesterov") c.gamma = 0.01;
    Configuration& r = method("sgda uniform " + rule + " l1-linf", "sgda");
    r.step.rule = sgda::parse_enum<sgda::StepRuleType>(rule);
    r.game = GameKind::kQuadraticL1;
  }
  Configuration& svrg_momentum = method("l-svrgda momentum=0.5", "l-svrgda");
  svrg_momentum.step.rule = sgda::StepRuleType::kMomentum;
  svrg_momentum.step.momentum = 0.5;

  // Every scheme, with SGDA, L-SVRGDA and a compressed method (the same-sample variant replays
  // the first estimate's samples and compression draws), and both averagings.
  for (const std::string scheme : {"alternating", "extragradient", "extragradient-same-sample"}) {
    const Scheme s = parse_enum<Scheme>(scheme);
    method("sgda uniform " + scheme, "sgda").scheme = s;
    method("l-svrgda " + scheme, "l-svrgda").scheme = s;
    distributed("diana-sgda sample rand-2 " + scheme, "diana-sgda", "sample", "rand-k", 2).scheme =
        s;
    Configuration& c = method("coordinate-sgda " + scheme, "coordinate-sgda");
    c.scheme = sgda::parse_enum<sgda::Scheme>(scheme);
    c.gamma = 0.02;
  }
  method("sgda uniform averaging=uniform", "sgda").averaging = sgda::Averaging::kUniform;
  method("sgda uniform averaging=ema", "sgda").averaging = sgda::Averaging::kEma;
  Configuration& eg_adam = method("sgda uniform extragradient adam l1-linf", "sgda");
  eg_adam.scheme = sgda::Scheme::kExtragradient;
  eg_adam.step.rule = sgda::StepRuleType::kAdam;
  eg_adam.game = GameKind::kQuadraticL1;

  // The Dirac-GAN: every scheme with the prox and the optimistic step, Adam, averaging, R1.
  for (const std::string scheme :
       {"simultaneous", "alternating", "extragradient", "extragradient-same-sample"}) {
    for (const std::string rule : {"prox", "optimistic", "adam"}) {
      Configuration& c = method("dirac-gan " + scheme + " " + rule, "sgda");
      c.game = GameKind::kDiracGan;
      c.scheme = sgda::parse_enum<sgda::Scheme>(scheme);
      c.step.rule = sgda::parse_enum<sgda::StepRuleType>(rule);
      c.gamma = 0.1;
    }
  }
  Configuration& extra_adam = method("dirac-gan extragradient adam extrapolation=step", "sgda");
  extra_adam.game = GameKind::kDiracGan;
  extra_adam.scheme = Scheme::kExtragradient;
  extra_adam.extrapolation = Extrapolation::kStep;
  extra_adam.step.rule = StepRuleType::kAdam;
  extra_adam.gamma = 0.1;
  Configuration& averaged = method("dirac-gan simultaneous prox averaging=ema", "sgda");
  averaged.game = GameKind::kDiracGan;
  averaged.averaging = sgda::Averaging::kEma;
  averaged.gamma = 0.1;
  Configuration& r1 = method("dirac-gan r1=0.3 simultaneous momentum", "sgda");
  r1.game = GameKind::kDiracGanR1;
  r1.step.rule = sgda::StepRuleType::kMomentum;
  r1.step.momentum = 0.5;
  r1.gamma = 0.1;
  return {all.begin(), all.end()};
}

// Solves `c` from the problem's initial point with `options` (its step size, scheme and
// averaging are set from `c`; the rest, iterations, seed and logging, are the caller's).
inline Summary run_configuration(const Configuration& c, SolverOptions options,
                                 const std::vector<Callback*>& callbacks = {}) {
  const Problem& problem = game_of(c.game);
  std::unique_ptr<Estimator> estimator = make_estimator(c.estimator, problem);
  std::unique_ptr<StepRule> step = make_step_rule(c.step);
  options.step_size.rule = sgda::StepSizeRule::kConstant;
  options.step_size.gamma = c.gamma;
  options.scheme = c.scheme;
  options.extrapolation = c.extrapolation;
  options.averaging = c.averaging;
  return solve(problem, *estimator, *step, options, problem.initial_point(), callbacks);
}

}  // namespace sgda::testing
