// QSGDA (Beznosikov et al. 2023, Sec. 5): worker m sends Q(g_m), g = (1/W) Σ_m Q(g_m). No shifts,
// so with heterogeneous workers (ζ*² > 0) it stalls at a neighbourhood even with exact local
// operators. Constants: docs/theory.md, "QSGDA".
#pragma once

#include "sgda/estimators/distributed.hpp"

namespace sgda {

class QsgdaEstimator final : public DistributedEstimator {
 public:
  // local: exact or sample; settings.alpha must be 0.
  explicit QsgdaEstimator(DistributedSettings settings,
                          std::shared_ptr<Communicator> communicator = nullptr);
  std::string name() const override { return "qsgda"; }
  TheoryParameters parameters(const Problem& problem) const override;
  std::unique_ptr<Estimator> clone() const override {
    return std::make_unique<QsgdaEstimator>(*this);
  }

 protected:
  double default_alpha(Index, double) const override { return 0.0; }
};

}  // namespace sgda
