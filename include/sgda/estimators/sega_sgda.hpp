// SEGA-SGDA (Beznosikov et al. 2023, Sec. 6): coordinate randomization with a learned shift h,
//   g^k = h^k + d([F(x^k)]_j − h^k_j) e_j,   h^{k+1} = h^k + ([F(x^k)]_j − h^k_j) e_j.
// σ_k² = ||h^k − F(x*)||²; A = (2d − 1)ℓ/2, B = 2(d − 1), C = ℓ/(2d), ρ = 1/d, D1 = D2 = 0, so it
// converges linearly to x* even with a regularizer (docs/theory.md, "SEGA-SGDA").
#pragma once

#include <utility>

#include "sgda/estimator.hpp"
#include "sgda/estimators/coordinate_oracle.hpp"
#include "sgda/estimators/sampling.hpp"

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
  void estimate(ConstVectorRef x, VectorRef g, Rng& rng, Counters& counters) override {
    const auto [j, f_j] = coordinate_with(*problem_, x, rng, counters);
    g = shift_;
    g[j] = take(j, f_j);
  }

  // The two halves of estimate(), for the solver's fused path (the problem seen as its concrete
  // type P): the coordinate j drawn and f_j = [F(x)]_j; then, with h^k still in shift(),
  // take(j, f_j) returns [g^k]_j = h_j + d(f_j − h_j) and sets h_j ← f_j.
  template <class P>
  std::pair<Index, double> coordinate_with(const P& problem, ConstVectorRef x, Rng& rng,
                                           Counters& counters) const {
    const Index j = uniform_index(rng, problem.dim());
    return {j, evaluate_coordinate(problem, j, x, counters)};
  }
  double take(Index j, double f_j) {
    const double g_j = coordinate_estimate(j, f_j);
    shift_[j] = f_j;
    return g_j;
  }
  // [g^k]_j = h_j + d(f_j − h_j), without taking it.
  double coordinate_estimate(Index j, double f_j) const {
    return shift_[j] + static_cast<double>(shift_.size()) * (f_j - shift_[j]);
  }
  const Vector& shift() const { return shift_; }
  TheoryParameters parameters(const Problem& problem) const override;
  double sigma_squared(ConstVectorRef x_star) const override;
  void save_state(StateArchive& out) const override { out.put("shift", shift_); }
  void load_state(const StateArchive& in) override { shift_ = in.vector("shift"); }

 private:
  const Problem* problem_ = nullptr;
  Vector shift_;  // h
};

}  // namespace sgda
