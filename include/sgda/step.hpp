// The step core: turns (x, g, γ) into the next x, block by block. Game solvers and deep-network
// optimizers share it; a rule may keep state per block (momenta, Adam moments).
//
// Convention: the problem's operator F already carries each player's sign (F = (∇_{x1} f,
// −∇_{x2} f) for min_{x1} max_{x2} f), so every rule moves along −g for every block; a block's
// `maximize` flag is honoured through F. Rules are sign-equivariant, so Adam on −∇f is Adam
// ascent on f.
#pragma once

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "sgda/detail/checked_subtract.hpp"
#include "sgda/options.hpp"
#include "sgda/problem.hpp"
#include "sgda/state.hpp"
#include "sgda/types.hpp"

namespace sgda {

// What a guarded step found (StepRule::checked_step).
// kFiniteInPlace: the move wrote the finite next iterate into x itself (the solver's fused
// coordinate moves; step rules never return it).
enum class StepOutcome { kFinite, kFiniteInPlace, kNonFiniteEstimate, kNonFiniteIterate };

// The outcome of a step that computed `next` from estimate g: a non-finite g first, then a
// non-finite next. For the rules' slow paths, once a fused check has failed.
inline StepOutcome step_outcome(ConstVectorRef g, ConstVectorRef next) {
  if (!all_finite(g)) return StepOutcome::kNonFiniteEstimate;
  return all_finite(next) ? StepOutcome::kFinite : StepOutcome::kNonFiniteIterate;
}

// The step size a rule runs at when the run gives none (StepSizeOptions::rule "default").
struct DefaultStepSize {
  // The estimator's theory step size: the prox step's, the step Theorem 2.2 is about.
  bool theory = false;
  // Otherwise the rule's own default (> 0); NaN: it has none, and a step size must be given.
  double gamma = std::numeric_limits<double>::quiet_NaN();
};

// Parameter groups: the blocks a predicate selects (by default those whose name ends in "bias":
// layer0.bias, generator.layer1.bias) take no weight decay and a LARS/LAMB trust ratio of 1, as
// the reference implementations of LARS and LAMB (and the usual torch parameter groups) do.
using BlockPredicate = std::function<bool(const Block&)>;
// True for the blocks whose name ends in one of `patterns` (comma-separated, spaces ignored, as
// StepRuleOptions::no_decay holds them); "" selects no block.
BlockPredicate name_ends_with(const std::string& patterns);

// Weight decay λ ≥ 0, coupled (L2: the rule sees g + λx) or decoupled (AdamW-style: the rule
// sees g, and x ← x − γλx beside its own move), for the rules that honour it.
struct WeightDecay {
  double lambda = 0.0;
  bool decoupled = false;
};

class StepRule {
 public:
  virtual ~StepRule() = default;
  virtual std::string name() const = 0;
  // The step size when the run gives none: none by default (a rule outside the theory without an
  // established default needs a number); the prox step takes the theory's, Adam and AdamW 1e-3.
  virtual DefaultStepSize default_step_size() const { return {}; }
  // Binds to the blocks of `problem` this rule moves and sizes any state.
  virtual void bind(const Problem& problem, const std::vector<Block>& blocks) = 0;
  void reset(const Problem& problem) { bind(problem, problem.blocks()); }
  // Per-block state (momenta, moments, previous estimates) for checkpoints, as for estimators.
  virtual void save_state(StateArchive& out) const { (void)out; }
  virtual void load_state(const StateArchive& in) { (void)in; }
  // The blocks excluded from weight decay and from a trust ratio (parameter groups), for the
  // blocks bound after this call; rules without either ignore it. The default is
  // name_ends_with("bias"). A null predicate excludes nothing.
  virtual void exclude_blocks(BlockPredicate excluded) { (void)excluded; }
  // next_b ← the iterate after x_b from g_b at step size γ, for every bound block b, or only for
  // the blocks of player `only` when it is not null (the other bound blocks are copied from x):
  // the alternating scheme moves one player, all its blocks at once. A rule's state (momenta,
  // moments, Adam's step count, previous estimates) is kept per block and advanced only for the
  // blocks a call moves, so alternating advances each block once per iteration, as one
  // optimizer per player would. `next` and `x` are distinct buffers, so the solver keeps the
  // last finite iterate without copying. No allocation.
  virtual void step(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next,
                    const Player* only) = 0;
  void apply(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next) {
    step(gamma, g, x, next, nullptr);
  }
  // step() as the solver takes it, for a finite x: a non-finite g is refused before the rule's
  // state sees it (kNonFiniteEstimate, `next` undefined) and a non-finite result is reported
  // (kNonFiniteIterate). Rules whose step is one pass over the vector fuse the two checks.
  virtual StepOutcome checked_step(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next,
                                   const Player* only);
};

// The shape shared by per-block rules: a direction from g_b and the rule's state, then the
// proximal step next_b = prox_{γR}(x_b − γ d_b). Subclasses write x_b − γ d_b into next_b.
class BlockRule : public StepRule {
 public:
  void bind(const Problem& problem, const std::vector<Block>& blocks) final;
  void step(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next,
            const Player* only) final;
  bool covers_all() const { return covers_all_; }    // the bound blocks tile the whole variable
  bool regularized() const { return regularized_; }  // R ≠ 0
  void exclude_blocks(BlockPredicate excluded) override { excluded_ = std::move(excluded); }

 protected:
  // Sizes state for a variable of dimension `dim` (only the bound blocks' entries are used).
  virtual void on_bind(Index dim) { (void)dim; }
  // next_b from g_b and x_b for bound block number `index` (of blocks()), advancing that block's
  // state: called once per step() for each block the step moves.
  virtual void step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                          ConstVectorRef x, VectorRef next) = 0;
  const Problem& problem() const { return *problem_; }
  const std::vector<Block>& blocks() const { return blocks_; }
  // Whether bound block number `index` is excluded from weight decay and trust ratios.
  bool excluded(std::size_t index) const { return excluded_blocks_[index] != 0; }
  // λ for bound block `index`: `decay`'s, or 0 for an excluded block.
  double decay_of(std::size_t index, const WeightDecay& decay) const {
    return excluded(index) ? 0.0 : decay.lambda;
  }

 private:
  bool covers_all_ = false, regularized_ = false;
  const Problem* problem_ = nullptr;
  std::vector<Block> blocks_;
  BlockPredicate excluded_ = name_ends_with("bias");
  std::vector<char> excluded_blocks_;  // per bound block
};

// x_b ← prox_{γR}(x_b − γ g_b): the step of every SGDA-type method.
class ProxStep final : public BlockRule {
 public:
  std::string name() const override { return "prox"; }
  DefaultStepSize default_step_size() const override { return {.theory = true}; }
  StepOutcome checked_step(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next,
                           const Player* only) override {
    if (only || !covers_all()) return StepRule::checked_step(gamma, g, x, next, only);
    return checked_whole_step(gamma, g, x, next);
  }
  // checked_step() when the bound blocks cover x. Stateless, so it is x − γg in one pass,
  // checked once: x is finite, so x − γg is finite exactly when g is and nothing overflowed,
  // and the prox keeps it finite. Inline for the solver's fused path.
  StepOutcome checked_whole_step(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next) {
    if (!detail::subtract_scaled_checked(x, gamma, g, next)) return step_outcome(g, next);
    prox(gamma, next);
    return StepOutcome::kFinite;
  }
  // Regularizer::prox_limit() of this step's prox: 0 when R = 0, +∞ when it is not one prox of
  // the whole variable.
  double prox_limit() const {
    if (!regularized()) return 0.0;
    return whole_prox_ ? whole_prox_->prox_limit() : std::numeric_limits<double>::infinity();
  }
  // x ← prox_{γR}(x − γg) in place when one prox covers x (prox_limit() finite): the bits of
  // checked_whole_step() without its test, in the regularizer's one pass where it has one.
  void step_in_place(double gamma, const Vector& g, Vector& x) const {
    if (whole_prox_)
      whole_prox_->step_prox(gamma, g, x);
    else
      x.noalias() -= gamma * g;
  }
  // next ← prox_{γR}(next) on the bound blocks; nothing when R = 0.
  void prox(double gamma, VectorRef next) const {
    if (whole_prox_)
      whole_prox_->prox(gamma, next);
    else if (regularized())
      prox_blocks(problem(), blocks(), gamma, next);
  }

 protected:
  void on_bind(Index dim) override;
  void step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                  ConstVectorRef x, VectorRef next) override;

 private:
  // R when one prox of the whole variable does (R separable, blocks covering x), else null.
  const Regularizer* whole_prox_ = nullptr;
};

enum class StepRuleType {
  kProx,
  kSgd,
  kMomentum,
  kNesterov,
  kAdagrad,
  kRmsprop,
  kAdam,
  kAdamW,
  kNadam,
  kLars,
  kLamb,
  kMbf,
  kKfac,
  kOptimistic
};
template <>
const std::vector<EnumValue<StepRuleType>>& enum_values<StepRuleType>();

// LAMB's φ, the norm of x the trust ratio scales the update to.
enum class TrustNorm { kIdentity, kClip };
template <>
const std::vector<EnumValue<TrustNorm>>& enum_values<TrustNorm>();

// MBF's partition of each dense layer into mini-blocks (steps/mini_block_fisher.hpp).
enum class MiniBlocks { kRow, kColumn, kDiagonal, kLayer };
template <>
const std::vector<EnumValue<MiniBlocks>>& enum_values<MiniBlocks>();

// Defaults are torch.optim's (LAMB: the reference implementation's); which rules a member
// applies to is in table() (the `.when` of its row).
struct StepRuleOptions {
  StepRuleType rule = StepRuleType::kProx;
  double momentum = 0.9;             // momentum, nesterov, lars: μ ∈ [0, 1)
  double dampening = 0.0;            // momentum, nesterov: buf ← μ buf + (1 − dampening) g
  double rmsprop_momentum = 0.0;     // rmsprop (key "momentum"): μ ∈ [0, 1)
  double beta1 = 0.9;                // adam, adamw, nadam, lamb: first-moment decay ∈ [0, 1)
  double beta2 = 0.999;              // adam, adamw, nadam, lamb: second-moment decay ∈ [0, 1)
  double epsilon = 1e-8;             // adam, adamw, nadam, rmsprop: added to √v̂, > 0
  double adagrad_epsilon = 1e-10;    // adagrad (key "epsilon")
  double lamb_epsilon = 1e-6;        // lamb (key "epsilon")
  double weight_decay = 0.0;         // λ ≥ 0 (every rule but prox, optimistic and adamw)
  double adamw_weight_decay = 0.01;  // adamw (key "weight_decay"): torch.optim.AdamW's default
  // Decoupled (x ← x − γλx) rather than coupled (g + λx) weight decay: sgd, momentum, nesterov,
  // adagrad, rmsprop, adam, nadam (adamw is always decoupled; lars and lamb have their formula).
  bool decoupled_weight_decay = false;
  bool amsgrad = false;                    // adam, adamw: v̂ from the running max of v
  double lr_decay = 0.0;                   // adagrad: γ/(1 + (t − 1) lr_decay)
  double initial_accumulator_value = 0.0;  // adagrad: the sum of squares starts here
  double alpha = 0.99;                     // rmsprop: square-average decay
  bool centered = false;                   // rmsprop: divide by the variance estimate
  double momentum_decay = 0.004;           // nadam: ψ of μ_t = β1 (1 − ½ 0.96^{tψ})
  double trust_coefficient = 1e-3;         // lars: η of q = η‖x‖/‖d‖
  TrustNorm phi = TrustNorm::kIdentity;  // lamb: φ(‖x‖) = ‖x‖ or clip(‖x‖, phi_min, phi_max)
  double phi_min = 1e-3, phi_max = 10.0;  // lamb, phi = clip
  bool bias_correction = true;            // lamb: m̂, v̂ bias-corrected as Adam's
  std::string no_decay = "bias";  // block-name suffixes without decay and trust ratio; "" none
  double clip_norm = 0.0;         // g scaled to this global norm when above it; 0 off
  double clip_block_norm = 0.0;   // each block's g scaled to this norm when above it; 0 off
  double clip_value = 0.0;        // each entry of g clamped to [−c, c]; 0 off
  // mbf, kfac (steps/fisher_step.hpp): the Fisher statistics and their factors.
  double damping = 1e-2;                     // λ > 0 of (F + λI)⁻¹
  double fisher_decay = 0.95;                // β ∈ [0, 1) of F ← β F + (1 − β) F(batch)
  std::int64_t update_every = 10;            // the statistics every this many steps
  std::int64_t refresh_every = 100;          // the factors every this many steps
  MiniBlocks mbf_blocks = MiniBlocks::kRow;  // mbf: the partition of each layer
  std::int64_t mbf_block_size = 16;          // mbf, row or column: entries per block; 0 whole

  static const OptionTable<StepRuleOptions>& table();
  // The table's checks, and phi_min ≤ phi_max.
  std::optional<FieldError> Check() const;
  bool IsValid(std::string* error) const { return passes(Check(), error); }
};

// Throws InputError naming the field when the options are invalid. The rule excludes the blocks
// `no_decay` names from weight decay and trust ratios, or those `excluded` selects when it is
// given; with clip_* set it is wrapped in a ClippedStep.
std::unique_ptr<StepRule> make_step_rule(const StepRuleOptions& options,
                                         BlockPredicate excluded = nullptr);

}  // namespace sgda
