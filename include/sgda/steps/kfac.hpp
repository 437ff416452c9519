// The K-FAC preconditioner (step rule "kfac"; Martens & Grosse 2015) for dense layers: each
// layer's empirical Fisher (steps/fisher_step.hpp) approximated by a Kronecker product
//   F_l ≈ A ⊗ G,  A = Σ_k w_k ã_k ã_kᵀ ((inputs + 1)²),  G = Σ_k w_k δ_k δ_kᵀ (outputs²),
// both moving averages, and inverted with factored Tikhonov damping (their Section 6.3):
//   (A + π√λ I)⁻¹ and (G + √λ/π I)⁻¹,  π² = (tr A/(inputs + 1))/(tr G/outputs),
// so a layer's direction is D = (G + √λ/π I)⁻¹ [∇W ∇b] (A + π√λ I)⁻¹: two matrix products per
// step and two Cholesky inversions per refresh. With one example of weight 1 the factors are
// ã ãᵀ and δ δᵀ, and on a linear model the step is this closed form.
#pragma once

#include <string>
#include <vector>

#include "sgda/steps/fisher_step.hpp"

namespace sgda {

class Kfac final : public FisherPreconditioner {
 public:
  std::string name() const override { return "kfac"; }
  void bind(const std::vector<nn::Dense>& layers) override;
  void update(const nn::DenseBatch& batch, double beta, bool first) override;
  void refresh(double damping) override;
  void apply(std::size_t layer, nn::MatrixMap g) override;
  void save_state(StateArchive& out) const override;
  void load_state(const StateArchive& in) override;

 private:
  struct Layer {
    Matrix a, g;                  // the factors' moving averages
    Matrix a_inverse, g_inverse;  // of the damped factors, at the last refresh
  };
  std::vector<Layer> layers_;
  Matrix augmented_, scaled_, product_;  // workspaces
  Vector inverse_sqrt_w_;
};

}  // namespace sgda
