// AdaGrad (Duchi, Hazan & Singer 2011) as torch.optim.Adagrad, per block, with d = g + λx:
//   t ← t + 1,  γ_t = γ/(1 + (t − 1) lr_decay),  s ← s + d²,  x ← x − γ_t d/(√s + ε)
// s starts at initial_accumulator_value; torch's defaults: lr_decay 0, initial value 0,
// ε = 1e-10 (outside the root), learning rate 1e-2. Decoupled weight decay instead: d = g and
// x ← x − γ_t λx besides. Sign-equivariant with λ = 0 (s sees d²).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sgda/step.hpp"

namespace sgda {

class AdagradStep final : public BlockRule {
 public:
  AdagradStep(double lr_decay, double initial_accumulator_value, double epsilon,
              WeightDecay decay = {})
      : lr_decay_(lr_decay),
        initial_(initial_accumulator_value),
        epsilon_(epsilon),
        decay_(decay) {}
  std::string name() const override { return "adagrad"; }
  DefaultStepSize default_step_size() const override { return {.gamma = 1e-2}; }  // torch's
  void save_state(StateArchive& out) const override;
  void load_state(const StateArchive& in) override;

 protected:
  void on_bind(Index dim) override;
  void step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                  ConstVectorRef x, VectorRef next) override;

 private:
  double lr_decay_, initial_, epsilon_;
  WeightDecay decay_;
  Vector sum_;                   // s, the sum of squares
  std::vector<std::int64_t> t_;  // per bound block: the steps it has taken
};

}  // namespace sgda
