#include "fused_move.hpp"

#include "sgda/estimators/l_svrgda.hpp"
#include "sgda/estimators/sgda.hpp"
#include "sgda/problems/affine_game.hpp"

namespace sgda {
namespace {

template <class P, class E>
class Fused final : public FusedMove {
 public:
  Fused(const P& problem, E& estimator, ProxStep& step)
      : problem_(problem), estimator_(estimator), step_(step) {}

  // flatten: inline the estimator's and the step's code, whatever the inliner's size limits.
  [[gnu::flatten]] StepOutcome operator()(double gamma, const Vector& x, Vector& g, Vector& next,
                                          Rng& rng, Counters& counters) override {
    estimator_.estimate_with(problem_, x, g, rng, counters);
    return step_.checked_whole_step(gamma, g, x, next);
  }

 private:
  const P& problem_;
  E& estimator_;
  ProxStep& step_;
};

template <class P, class E>
std::unique_ptr<FusedMove> fused(const P& problem, E& estimator, ProxStep& step) {
  return std::make_unique<Fused<P, E>>(problem, estimator, step);
}

}  // namespace

std::unique_ptr<FusedMove> make_fused_move(const Problem& problem, Estimator& estimator,
                                           StepRule& step) {
  // The classes are final: a cast that succeeds found the exact type.
  auto* game = dynamic_cast<const AffineGame*>(&problem);
  auto* prox = dynamic_cast<ProxStep*>(&step);
  if (!game || !prox || !prox->covers_all()) return nullptr;
  if (auto* sgda = dynamic_cast<SgdaEstimator*>(&estimator)) return fused(*game, *sgda, *prox);
  if (auto* svrg = dynamic_cast<LSvrgdaEstimator*>(&estimator)) return fused(*game, *svrg, *prox);
  return nullptr;
}

}  // namespace sgda
