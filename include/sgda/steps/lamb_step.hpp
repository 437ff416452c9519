// LAMB (You et al. 2020), per block, with t the block's steps:
//   m ← β1 m + (1 − β1) g,  v ← β2 v + (1 − β2) g²,
//   m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t)  (bias_correction; m̂ = m, v̂ = v without)
//   r = m̂/(√v̂ + ε) + λx,  ratio = φ(‖x‖)/‖r‖ (1 when ‖x‖ or ‖r‖ is 0),  x ← x − γ·ratio·r
// φ(‖x‖) = ‖x‖ (phi = identity) or clip(‖x‖, phi_min, phi_max) (phi = clip; 1e-3 and 10 by
// default). So a weight block moves by exactly γ φ(‖x‖) per step. Excluded blocks (biases by
// default) take ratio 1 and λ = 0: Adam. Defaults: the reference implementation's γ = 1e-3,
// β = (0.9, 0.999), ε = 1e-6, λ = 0; the default variant has bias correction on and φ the
// identity (as NVIDIA's FusedLAMB and TF-Addons; cybertronai's pytorch-lamb has bias correction
// off and φ = clip(‖x‖, 0, 10)). Sign-equivariant with λ = 0.
// Two passes over a weight block: the moments and r (written into next) with ‖x‖ and ‖r‖, then
// next = x − γ·ratio·next: 10 arrays of memory traffic against Adam's 7.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "sgda/step.hpp"

namespace sgda {

class LambStep final : public BlockRule {
 public:
  struct Options {
    double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-6, weight_decay = 0.0;
    bool bias_correction = true;
    bool clip_phi = false;  // φ = clip(‖x‖, phi_min, phi_max); the identity otherwise
    double phi_min = 1e-3, phi_max = 10.0;
  };
  explicit LambStep(const Options& options) : o_(options) {}
  std::string name() const override { return "lamb"; }
  DefaultStepSize default_step_size() const override { return {.gamma = 1e-3}; }
  void save_state(StateArchive& out) const override;
  void load_state(const StateArchive& in) override;
  // φ(‖x‖).
  double phi(double norm) const {
    return o_.clip_phi ? std::min(std::max(norm, o_.phi_min), o_.phi_max) : norm;
  }

 protected:
  void on_bind(Index dim) override;
  void step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                  ConstVectorRef x, VectorRef next) override;

 private:
  Options o_;
  Vector m_, v_;
  std::vector<std::int64_t> t_;  // per bound block: the steps it has taken
};

}  // namespace sgda
