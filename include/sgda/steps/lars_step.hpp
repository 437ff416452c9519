// LARS (You, Gitman & Ginsburg 2017), per block (a weight tensor, a bias, a player):
//   d = g + λx,  q = η‖x‖/‖d‖ (q = 1 when either norm is 0),  v ← μ v + q d,  x ← x − γ v
// with the trust coefficient η (default 1e-3) and μ the momentum (default 0.9); v starts at 0.
// Excluded blocks (biases by default, StepRule::exclude_blocks) take q = 1 and λ = 0: momentum
// SGD. So the first step of a weight block moves it by γη‖x‖, whatever the scale of g. No
// default step size (torch.optim has no LARS, and its step depends on the batch size).
// Sign-equivariant with λ = 0. Two passes over a weight block (the norms, then the move): 7
// arrays of memory traffic against the 5 a one-pass rule would move.
#pragma once

#include <string>

#include "sgda/step.hpp"

namespace sgda {

class LarsStep final : public BlockRule {
 public:
  LarsStep(double momentum, double trust_coefficient, double weight_decay)
      : momentum_(momentum), trust_(trust_coefficient), decay_{weight_decay} {}
  std::string name() const override { return "lars"; }
  void save_state(StateArchive& out) const override { out.put("velocity", velocity_); }
  void load_state(const StateArchive& in) override { velocity_ = in.vector("velocity"); }

 protected:
  void on_bind(Index dim) override { velocity_ = Vector::Zero(dim); }
  void step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                  ConstVectorRef x, VectorRef next) override;

 private:
  double momentum_, trust_;
  WeightDecay decay_;
  Vector velocity_;
};

}  // namespace sgda
