// SEGA-SGDA (Beznosikov et al. 2023, Sec. 6): coordinate randomization with a learned shift h,
//   g^k = h^k + d([F(x^k)]_j − h^k_j) e_j,   h^{k+1} = h^k + ([F(x^k)]_j − h^k_j) e_j.
// σ_k² = ||h^k − F(x*)||²; A = (2d − 1)ℓ/2, B = 2(d − 1), C = ℓ/(2d), ρ = 1/d, D1 = D2 = 0, so it
// converges linearly to x* even with a regularizer (docs/theory.md, "SEGA-SGDA").
#pragma once

#include "sgda/estimator.hpp"

namespace sgda {

class SegaSgdaEstimator final : public Estimator {
 public:
  std::unique_ptr<Estimator> clone() const override {
    return std::make_unique<SegaSgdaEstimator>(*this);
  }
  std::string name() const override { return "sega-sgda"; }
  std::string describe() const override { return "sega-sgda"; }
  // h⁰ = 0.
  void reset(const Problem& problem, ConstVectorRef x0, Rng& rng, Counters& counters) override;
  void estimate(ConstVectorRef x, VectorRef g, Rng& rng, Counters& counters) override;
  TheoryParameters parameters(const Problem& problem) const override;
  double sigma_squared(ConstVectorRef x_star) const override;
  void save_state(StateArchive& out) const override { out.put("shift", shift_); }
  void load_state(const StateArchive& in) override { shift_ = in.vector("shift"); }

 private:
  const Problem* problem_ = nullptr;
  Vector shift_;  // h
};

}  // namespace sgda
