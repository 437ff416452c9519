// Coordinate SGDA: j uniform over the d coordinates, g^k = d [F(x^k)]_j e_j. Stateless:
// A = (2d − 1)ℓ/2, B = C = 0, ρ = 1, D1 = 2(d − 1)||F(x*)||², D2 = 0, so it stalls whenever
// F(x*) ≠ 0, e.g. with a regularizer (docs/theory.md, "Coordinate SGDA").
#pragma once

#include <utility>

#include "sgda/estimator.hpp"
#include "sgda/estimators/coordinate_oracle.hpp"
#include "sgda/estimators/sampling.hpp"

namespace sgda {

class CoordinateSgdaEstimator final : public Estimator {
 public:
  std::unique_ptr<Estimator> clone() const override {
    return std::make_unique<CoordinateSgdaEstimator>(*this);
  }
  std::string name() const override { return "coordinate-sgda"; }
  std::string describe() const override { return "coordinate-sgda"; }
  void reset(const Problem& problem, ConstVectorRef x0, Rng& rng, Counters& counters) override;
  void estimate(ConstVectorRef x, VectorRef g, Rng& rng, Counters& counters) override {
    const auto [j, value] = draw_with(*problem_, x, rng, counters);
    g.setZero();
    g[j] = value;
  }

  // The estimate's one non-zero entry (j, d [F(x)]_j), for the problem seen as its concrete
  // type P (the solver's fused path updates coordinate j alone).
  template <class P>
  std::pair<Index, double> draw_with(const P& problem, ConstVectorRef x, Rng& rng,
                                     Counters& counters) const {
    const Index d = problem.dim();
    const Index j = uniform_index(rng, d);
    return {j, static_cast<double>(d) * evaluate_coordinate(problem, j, x, counters)};
  }
  TheoryParameters parameters(const Problem& problem) const override;

 private:
  const Problem* problem_ = nullptr;
};

}  // namespace sgda
