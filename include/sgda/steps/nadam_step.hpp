// NAdam (Dozat 2016) as torch.optim.NAdam, per block, with d = g + λx and t the block's steps:
//   μ_t = β1 (1 − ½·0.96^{tψ}),  Π_t = μ_1 ⋯ μ_t  (ψ = momentum_decay, default 0.004)
//   m ← β1 m + (1 − β1) d,  v ← β2 v + (1 − β2) d²,  σ = √(v/(1 − β2^t)) + ε
//   x ← x − γ (1 − μ_t)/(1 − Π_t) · d/σ − γ μ_{t+1}/(1 − Π_t μ_{t+1}) · m/σ
// torch's defaults: β = (0.9, 0.999), ε = 1e-8, learning rate 2e-3. Decoupled weight decay
// (torch's decoupled_weight_decay, NAdamW): d = g and x ← x − γλx besides. Π_t is kept per
// block. Sign-equivariant with λ = 0.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sgda/step.hpp"

namespace sgda {

class NadamStep final : public BlockRule {
 public:
  NadamStep(double beta1, double beta2, double epsilon, double momentum_decay,
            WeightDecay decay = {})
      : beta1_(beta1),
        beta2_(beta2),
        epsilon_(epsilon),
        momentum_decay_(momentum_decay),
        decay_(decay) {}
  std::string name() const override { return "nadam"; }
  DefaultStepSize default_step_size() const override { return {.gamma = 2e-3}; }  // torch's
  void save_state(StateArchive& out) const override;
  void load_state(const StateArchive& in) override;

 protected:
  void on_bind(Index dim) override;
  void step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                  ConstVectorRef x, VectorRef next) override;

 private:
  double beta1_, beta2_, epsilon_, momentum_decay_;
  WeightDecay decay_;
  Vector m_, v_;
  std::vector<std::int64_t> t_;     // per bound block: the steps it has taken
  std::vector<double> mu_product_;  // per bound block: Π_t
};

}  // namespace sgda
