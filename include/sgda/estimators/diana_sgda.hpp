// DIANA-SGDA (Beznosikov et al. 2023, Sec. 5): QSGDA with learned shifts h_m, α ≤ 1/(1+ω)
// (default 1/(1+ω)). With exact local operators σ_k² = (1/W) Σ_m ||h_m − F_m(x*)||² → 0 and the
// method converges linearly to x*. Constants: docs/theory.md, "DIANA-SGDA".
#pragma once

#include "sgda/estimators/distributed.hpp"

namespace sgda {

class DianaSgdaEstimator final : public DistributedEstimator {
 public:
  // local: exact or sample.
  explicit DianaSgdaEstimator(DistributedSettings settings,
                              std::shared_ptr<Communicator> communicator = nullptr);
  std::string name() const override { return "diana-sgda"; }
  TheoryParameters parameters(const Problem& problem) const override;
  std::unique_ptr<Estimator> clone() const override {
    return std::make_unique<DianaSgdaEstimator>(*this);
  }

 protected:
  double default_alpha(Index, double omega) const override { return 1.0 / (1.0 + omega); }
};

}  // namespace sgda
