// Optimistic gradient / past extragradient (Popov 1980; Daskalakis et al. 2018):
//   x ← x − γ (2 g^k − g^{k−1}),  with g^{−1} = g^0 (the first step is a plain step).
#pragma once

#include "sgda/step.hpp"

namespace sgda {

class OptimisticStep final : public BlockRule {
 public:
  std::string name() const override { return "optimistic"; }
  void save_state(StateArchive& out) const override;
  void load_state(const StateArchive& in) override;

 protected:
  void on_bind(Index dim) override;
  void step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                  ConstVectorRef x, VectorRef next) override;

 private:
  Vector previous_;
  std::vector<char> seen_;  // per block offset: has g^{k−1}
};

}  // namespace sgda
