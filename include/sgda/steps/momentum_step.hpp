// SGD as torch.optim.SGD: plain (rule sgd), heavy ball (momentum) and Nesterov, with weight decay
// and dampening (Polyak 1964; Sutskever et al. 2013). Per block, with d = g + λx (coupled weight
// decay; λ = 0 on excluded blocks):
//   sgd:       x ← x − γ d
//   momentum:  buf ← d on the block's first step, then buf ← μ buf + (1 − dampening) d;
//              x ← x − γ buf
//   nesterov:  the same buffer; x ← x − γ (d + μ buf)
// Decoupled weight decay instead: d = g and x ← x − γλx − γ (the move above). With dampening 0
// the buffer is the velocity v ← μ v + d from v = 0, and the heavy ball equals the two-iterate
// form x_{k+1} = x_k − γ d_k + μ (x_k − x_{k−1}) for a constant γ (unroll v); with a regularizer
// the prox is applied to the result. torch refuses Nesterov with dampening; here it is allowed.
// Sign-equivariant with λ = 0; with λ > 0 a maximizing block (F = −∇h) maximizes h − λ‖x‖²/2,
// as torch's maximize flag does. No default step size (torch ≥ 2 has none for SGD).
#pragma once

#include <string>
#include <vector>

#include "sgda/step.hpp"

namespace sgda {

class MomentumStep final : public BlockRule {
 public:
  // momentum 0 and not nesterov: plain SGD (named "sgd").
  MomentumStep(double momentum, bool nesterov, double dampening = 0.0, WeightDecay decay = {})
      : momentum_(momentum), dampening_(dampening), nesterov_(nesterov), decay_(decay) {}
  std::string name() const override {
    return nesterov_ ? "nesterov" : momentum_ == 0.0 ? "sgd" : "momentum";
  }
  void save_state(StateArchive& out) const override;
  void load_state(const StateArchive& in) override;

 protected:
  void on_bind(Index dim) override;
  void step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                  ConstVectorRef x, VectorRef next) override;

 private:
  bool buffered() const { return momentum_ != 0.0 || nesterov_; }
  double momentum_, dampening_;
  bool nesterov_;
  WeightDecay decay_;
  Vector velocity_;
  Vector direction_;           // d = g + λx for a block with coupled decay (sized at bind)
  std::vector<char> started_;  // per bound block: has a buffer
};

}  // namespace sgda
