// Natural-gradient steps for networks: each dense layer's gradient g_l (its W and b, which lie
// next to each other in the variable as one outputs × (inputs + 1) matrix [W b]) is
// preconditioned by an approximation of the layer's empirical Fisher matrix
//   F_l = Σ_k w_k vec(G_k) vec(G_k)ᵀ,   G_k = δ_k ã_kᵀ the gradient of example k
// (nn/dense_batch.hpp), then moved by the heavy ball of MomentumStep:
//   F_l ← β F_l + (1 − β) F_l(batch)   every `update_every` steps (F_l(batch) at the first),
//   factors of F_l + λI                 every `refresh_every` steps (damping λ),
//   d_l = (F_l + λI)⁻¹ g_l,  then  buf ← μ buf + d,  x ← x − γ buf   (MomentumStep on d).
// Weight decay is MomentumStep's, applied to d: coupled weight decay adds λ_wd x to d after
// the preconditioner, as the K-FAC reference implementations do.
// The statistics are those of the minibatch the step's estimate was computed on (the problem's
// last sample_sum), so the rule needs a network problem (nn::DenseBatchSource) and a minibatch
// estimator (sgda); blocks that are not dense layers move by the heavy ball alone.
//
// Two approximations of F_l (FisherPreconditioner):
//   mbf   mini-block Fisher (Bahamou, Goldfarb & Ren 2023): F_l block diagonal with small
//         blocks: parts of the rows of [W b] (an output neuron's weights and bias), parts of its
//         columns (an input's weights), single entries (diagonal), or the whole layer;
//   kfac  K-FAC (Martens & Grosse 2015): F_l ≈ A ⊗ G, A = Σ_k w_k ã_k ã_kᵀ, G = Σ_k w_k δ_k δ_kᵀ,
//         damped as (A + π√λ I) ⊗ (G + √λ/π I), π² = (tr A/(inputs + 1))/(tr G/outputs).
// Resume is exact: the statistics, the factors in use and the step count are checkpointed.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sgda/nn/dense_batch.hpp"
#include "sgda/step.hpp"
#include "sgda/steps/momentum_step.hpp"

namespace sgda {

// F_l of every preconditioned layer, its running statistics and the factors of F_l + λI.
class FisherPreconditioner {
 public:
  virtual ~FisherPreconditioner() = default;
  virtual std::string name() const = 0;
  // Sizes the statistics of `layers`; throws InputError (naming StepRuleOptions' field) when
  // they would not fit in memory.
  virtual void bind(const std::vector<nn::Dense>& layers) = 0;
  // F ← β F + (1 − β) F(batch) for every layer; F ← F(batch) when `first`.
  virtual void update(const nn::DenseBatch& batch, double beta, bool first) = 0;
  // The factors of F + λI that apply() uses until the next refresh.
  virtual void refresh(double damping) = 0;
  // g ← (F + λI)⁻¹ g for layer number `layer`, g its [W b] as a column-major matrix.
  virtual void apply(std::size_t layer, nn::MatrixMap g) = 0;
  virtual void save_state(StateArchive& out) const = 0;
  virtual void load_state(const StateArchive& in) = 0;
};

// make_step_rule fills these from StepRuleOptions (damping, fisher_decay, update_every,
// refresh_every, momentum, weight_decay), where the defaults are.
struct FisherOptions {
  double damping;       // λ > 0
  double decay;         // β ∈ [0, 1): the statistics' moving average
  Index update_every;   // the statistics every this many steps (≥ 1)
  Index refresh_every;  // the factors every this many steps (≥ 1)
  double momentum;      // MomentumStep's μ, on the preconditioned direction
  WeightDecay weight_decay;
};

class FisherStep final : public StepRule {
 public:
  FisherStep(std::unique_ptr<FisherPreconditioner> preconditioner, const FisherOptions& options);
  std::string name() const override { return preconditioner_->name(); }
  void bind(const Problem& problem, const std::vector<Block>& blocks) override;
  void step(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next,
            const Player* only) override;
  void exclude_blocks(BlockPredicate excluded) override {
    momentum_.exclude_blocks(std::move(excluded));
  }
  void save_state(StateArchive& out) const override;
  void load_state(const StateArchive& in) override;

 private:
  std::unique_ptr<FisherPreconditioner> preconditioner_;
  FisherOptions options_;
  MomentumStep momentum_;
  const nn::DenseBatchSource* source_ = nullptr;
  std::vector<nn::Dense> layers_;  // the bound dense layers
  std::int64_t steps_ = 0;
  Vector direction_;  // d: g with every bound layer preconditioned
};

}  // namespace sgda
