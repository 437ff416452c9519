// The step core: turns (x, g, γ) into the next x, block by block. Game solvers and deep-network
// optimizers share it; a rule may keep state per block (momenta, Adam moments).
//
// Convention: the problem's operator F already carries each player's sign (F = (∇_{x1} f,
// −∇_{x2} f) for min_{x1} max_{x2} f), so every rule moves along −g for every block; a block's
// `maximize` flag is honoured through F. Rules are sign-equivariant, so Adam on −∇f is Adam
// ascent on f.
#pragma once

#include <cmath>
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

 protected:
  // Sizes state for a variable of dimension `dim` (only the bound blocks' entries are used).
  virtual void on_bind(Index dim) { (void)dim; }
  // next_b from g_b and x_b for bound block number `index` (of blocks()), advancing that block's
  // state: called once per step() for each block the step moves.
  virtual void step_block(double gamma, std::size_t index, const Block& block, ConstVectorRef g,
                          ConstVectorRef x, VectorRef next) = 0;
  const Problem& problem() const { return *problem_; }
  const std::vector<Block>& blocks() const { return blocks_; }

 private:
  bool covers_all_ = false, regularized_ = false;
  const Problem* problem_ = nullptr;
  std::vector<Block> blocks_;
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

enum class StepRuleType { kProx, kMomentum, kNesterov, kAdam, kAdamW, kOptimistic };
template <>
const std::vector<EnumValue<StepRuleType>>& enum_values<StepRuleType>();

struct StepRuleOptions {
  StepRuleType rule = StepRuleType::kProx;
  double momentum = 0.9;      // momentum, nesterov: μ ∈ [0, 1)
  double beta1 = 0.9;         // adam, adamw: first-moment decay ∈ [0, 1)
  double beta2 = 0.999;       // adam, adamw: second-moment decay ∈ [0, 1)
  double epsilon = 1e-8;      // adam, adamw: added to √v̂, > 0
  double weight_decay = 0.0;  // adam: λ added to g as λx (L2); adamw: decoupled λ ≥ 0

  static const OptionTable<StepRuleOptions>& table();
  std::optional<FieldError> Check() const { return table().check(*this); }
  bool IsValid(std::string* error) const { return passes(Check(), error); }
};

// Throws InputError naming the field when the options are invalid.
std::unique_ptr<StepRule> make_step_rule(const StepRuleOptions& options);

}  // namespace sgda
