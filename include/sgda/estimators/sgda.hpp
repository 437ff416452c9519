// SGDA with arbitrary sampling: g^k = F_ξ(x^k) (Beznosikov et al. 2023, Sec. 3; Loizou et al.
// 2021). Stateless: σ ≡ 0, A = ℓ_D, B = C = 0, ρ = 1, D1 = 2σ*², D2 = 0 (docs/theory.md §SGDA).
#pragma once

#include <memory>

#include "sgda/estimator.hpp"
#include "sgda/estimators/sampling.hpp"

namespace sgda {

class SgdaEstimator final : public Estimator {
 public:
  explicit SgdaEstimator(std::unique_ptr<Sampling> sampling);
  SgdaEstimator(const SgdaEstimator& other);
  std::unique_ptr<Estimator> clone() const override {
    return std::make_unique<SgdaEstimator>(*this);
  }

  std::string name() const override { return "sgda"; }
  std::string describe() const override;
  void reset(const Problem& problem, ConstVectorRef x0, Rng& rng, Counters& counters) override;
  void estimate(ConstVectorRef x, VectorRef g, Rng& rng, Counters& counters) override;
  TheoryParameters parameters(const Problem& problem) const override;

 private:
  std::unique_ptr<Sampling> sampling_;
  const Problem* problem_ = nullptr;
  SampleDraw draw_;
  Vector workspace_;
};

}  // namespace sgda
