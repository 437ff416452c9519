// Heavy-ball and Nesterov momentum in the velocity form (Polyak 1964; Sutskever et al. 2013):
//   v ← μ v + g;  heavy ball: x ← x − γ v;  Nesterov: x ← x − γ (g + μ v).
// The velocity form equals the two-iterate form x_{k+1} = x_k − γ g_k + μ (x_k − x_{k−1}) for a
// constant γ (unroll v); with a regularizer the prox is applied to the result.
#pragma once

#include "sgda/step.hpp"

namespace sgda {

class MomentumStep final : public BlockRule {
 public:
  MomentumStep(double momentum, bool nesterov) : momentum_(momentum), nesterov_(nesterov) {}
  std::string name() const override { return nesterov_ ? "nesterov" : "momentum"; }
  void save_state(StateArchive& out) const override { out.put("velocity", velocity_); }
  void load_state(const StateArchive& in) override { velocity_ = in.vector("velocity"); }

 protected:
  void on_bind(Index dim) override { velocity_ = Vector::Zero(dim); }
  void step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                  ConstVectorRef x, VectorRef next) override;

 private:
  double momentum_;
  bool nesterov_;
  Vector velocity_;
};

}  // namespace sgda
