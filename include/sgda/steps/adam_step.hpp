// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), moments kept in double, as
// torch.optim.Adam and AdamW (ε added to √v̂, outside the root):
//   m ← β1 m + (1 − β1) g,  v ← β2 v + (1 − β2) g²,  m̂ = m/(1 − β1^t),  v̂ = v/(1 − β2^t),
//   Adam:  g ← g + λx before the moments (L2 weight decay);
//   AdamW: x ← x − γ (m̂/(√v̂ + ε) + λ x) (decoupled weight decay; Adam with
//          decoupled_weight_decay is the same rule).
// AMSGrad (Reddi et al. 2018) is torch's amsgrad flag of Adam and AdamW: v_max ← max(v_max, v)
// and v̂ = v_max/(1 − β2^t). λ = 0 on the excluded blocks (StepRule::exclude_blocks).
// Sign-equivariant with λ = 0 (m flips with g, v does not), so Adam on −∇f is Adam ascent on f.
// The step count t is kept per block and advanced when that block moves, as torch.optim.Adam
// keeps state['step'] per parameter: the alternating scheme moves each block once per iteration,
// so t = k there too (not blocks × k), as with one optimizer per player. Extra-Adam moves every
// block twice per iteration (SolverOptions::extrapolation = Extrapolation::kStep), so t = 2k, as in
// Gidel et al. 2019, Algorithm 4.
#pragma once

#include <cstdint>
#include <vector>

#include "sgda/step.hpp"

namespace sgda {

class AdamStep final : public BlockRule {
 public:
  AdamStep(double beta1, double beta2, double epsilon, double weight_decay, bool decoupled,
           bool amsgrad = false)
      : beta1_(beta1),
        beta2_(beta2),
        epsilon_(epsilon),
        decay_(weight_decay),
        decoupled_(decoupled),
        amsgrad_(amsgrad) {}
  std::string name() const override { return decoupled_ ? "adamw" : "adam"; }
  // torch.optim.Adam's and AdamW's default learning rate.
  DefaultStepSize default_step_size() const override { return {.gamma = 1e-3}; }
  void save_state(StateArchive& out) const override;
  void load_state(const StateArchive& in) override;

 protected:
  void on_bind(Index dim) override;
  void step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                  ConstVectorRef x, VectorRef next) override;

 private:
  double beta1_, beta2_, epsilon_, decay_;
  bool decoupled_, amsgrad_;
  Vector m_, v_, v_max_;
  std::vector<std::int64_t> t_;  // per bound block: the steps it has taken
  // 1 − β1^t and 1 − β2^t for t = corrected_t_ (the blocks usually share t: two pow calls per
  // step, not per block)
  std::int64_t corrected_t_ = 0;
  double correction1_ = 1.0, correction2_ = 1.0;
};

}  // namespace sgda
