// VR-DIANA-SGDA (Beznosikov et al. 2023, Sec. 5): DIANA shifts over loopless-SVRG local
// estimators (snapshot probability p, default 1/m_loc), α = min{1/(3 m_loc), 1/(1+ω)} by default;
// the theory needs α ≤ min{p/3, 1/(1+ω)}. Converges linearly to x* with one local sample per
// iteration. Constants: docs/theory.md, "VR-DIANA-SGDA".
#pragma once

#include "sgda/estimators/distributed.hpp"

namespace sgda {

class VrDianaSgdaEstimator final : public DistributedEstimator {
 public:
  explicit VrDianaSgdaEstimator(DistributedSettings settings,
                                std::shared_ptr<Communicator> communicator = nullptr);
  std::string name() const override { return "vr-diana-sgda"; }
  TheoryParameters parameters(const Problem& problem) const override;
  std::unique_ptr<Estimator> clone() const override {
    return std::make_unique<VrDianaSgdaEstimator>(*this);
  }

 protected:
  double default_alpha(Index local_samples, double omega) const override {
    return std::min(1.0 / (3.0 * static_cast<double>(local_samples)), 1.0 / (1.0 + omega));
  }
};

}  // namespace sgda
