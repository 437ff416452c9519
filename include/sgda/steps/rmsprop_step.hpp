// RMSprop (Tieleman & Hinton 2012) as torch.optim.RMSprop, per block, with d = g + λx:
//   s ← α s + (1 − α) d²;  centred: a ← α a + (1 − α) d, σ = √(s − a²) + ε; plain: σ = √s + ε
//   μ = 0: x ← x − γ d/σ;  μ > 0: b ← μ b + d/σ, x ← x − γ b
// s, a and b start at 0 (no bias correction). torch's defaults: α = 0.99, ε = 1e-8, μ = 0, not
// centred, learning rate 1e-2. Decoupled weight decay instead: d = g and x ← x − γλx besides.
// Sign-equivariant with λ = 0.
#pragma once

#include <string>

#include "sgda/step.hpp"

namespace sgda {

class RmspropStep final : public BlockRule {
 public:
  RmspropStep(double alpha, double epsilon, double momentum, bool centered, WeightDecay decay = {})
      : alpha_(alpha), epsilon_(epsilon), momentum_(momentum), centered_(centered), decay_(decay) {}
  std::string name() const override { return "rmsprop"; }
  DefaultStepSize default_step_size() const override { return {.gamma = 1e-2}; }  // torch's
  void save_state(StateArchive& out) const override;
  void load_state(const StateArchive& in) override;

 protected:
  void on_bind(Index dim) override;
  void step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                  ConstVectorRef x, VectorRef next) override;

 private:
  double alpha_, epsilon_, momentum_;
  bool centered_;
  WeightDecay decay_;
  Vector square_avg_, grad_avg_, buffer_;  // s, a (centred), b (μ > 0)
};

}  // namespace sgda
