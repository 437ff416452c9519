// The solver's fused path: for the commonest configuration (an affine game, SGDA or L-SVRGDA,
// the prox step, simultaneous updates) the solver's loop is instantiated with the concrete
// types, so that the estimator's and the step's code inline into it. Through the interfaces an
// iteration makes about six indirect calls around Ref-typed Eigen loops, which at D = 20 costs
// as much as a third of the arithmetic. The draws and the arithmetic are the estimator's and
// the step's own code, so the fused and generic loops agree bit for bit (tests/test_fused_path).
#pragma once

#include "sgda/estimators/l_svrgda.hpp"
#include "sgda/estimators/sgda.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/step.hpp"

namespace sgda {

// One simultaneous move, g = estimate(x) then next = prox(x − γg), with P and E known.
template <class P, class E>
struct FusedMove {
  const P& problem;
  E& estimator;
  ProxStep& step;

  // flatten: the estimator's and the step's code inline, whatever the inliner's size limits.
  [[gnu::flatten]] StepOutcome operator()(double gamma, const Vector& x, Vector& g, Vector& next,
                                          Rng& rng, Counters& counters) const {
    estimator.estimate_with(problem, x, g, rng, counters);
    return step.checked_whole_step(gamma, g, x, next);
  }
};

// Calls run(FusedMove<P, E>{...}) and returns true when the problem, estimator and step rule
// are types it knows; returns false (and calls nothing) otherwise. The classes are final, so a
// cast that succeeds found the exact type.
template <class Run>
bool with_fused_move(const Problem& problem, Estimator& estimator, StepRule& step, Run&& run) {
  auto* game = dynamic_cast<const AffineGame*>(&problem);
  auto* prox = dynamic_cast<ProxStep*>(&step);
  if (!game || !prox || !prox->covers_all()) return false;
  if (auto* sgda = dynamic_cast<SgdaEstimator*>(&estimator)) {
    run(FusedMove<AffineGame, SgdaEstimator>{*game, *sgda, *prox});
    return true;
  }
  if (auto* svrg = dynamic_cast<LSvrgdaEstimator*>(&estimator)) {
    run(FusedMove<AffineGame, LSvrgdaEstimator>{*game, *svrg, *prox});
    return true;
  }
  return false;
}

}  // namespace sgda
