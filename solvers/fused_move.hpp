// The solver's fused path: one simultaneous move, g = estimate(x) then next = prox(x − γg),
// with every call resolved at compile time for the commonest configuration (an affine game,
// SGDA with uniform sampling or L-SVRGDA, the prox step). Through the interfaces the move makes
// about six indirect calls around Ref-typed Eigen loops, which at D = 20 costs as much as a
// third of the arithmetic; here it makes one. The draws and the arithmetic are the estimator's
// and the step's own code, so the fused and generic paths agree bit for bit (tested).
#pragma once

#include <memory>

#include "sgda/estimator.hpp"
#include "sgda/step.hpp"

namespace sgda {

class FusedMove {
 public:
  virtual ~FusedMove() = default;
  // g ← the estimate at x, next ← the step from x: what StepRule::checked_step reports.
  virtual StepOutcome operator()(double gamma, const Vector& x, Vector& g, Vector& next, Rng& rng,
                                 Counters& counters) = 0;
};

// The fused move for this problem, estimator and step rule, or null when they are not a
// configuration it knows (the solver then takes the interfaces).
std::unique_ptr<FusedMove> make_fused_move(const Problem& problem, Estimator& estimator,
                                           StepRule& step);

}  // namespace sgda
