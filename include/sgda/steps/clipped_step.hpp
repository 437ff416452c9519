// Gradient clipping before any step rule, as torch's clip_grad_value_ and clip_grad_norm_ before
// optimizer.step(): the rule (and its state) sees the clipped g. Over the blocks a step moves
// (the bound blocks, or those of the player `only`), in this order:
//   value c:        g_i ← min(max(g_i, −c), c)
//   block norm c:   g_b ← g_b · c/‖g_b‖ for each block with ‖g_b‖ > c
//   global norm c:  g ← g · c/‖g‖ when ‖g‖ > c, ‖g‖ over all moved blocks together
// Exactly to the threshold (torch divides by ‖g‖ + 1e-6); 0 turns a clip off. The clipped g is
// written into a buffer sized at bind, so a step allocates nothing. Sign-equivariant.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sgda/step.hpp"

namespace sgda {

class ClippedStep final : public StepRule {
 public:
  struct Clip {
    double norm = 0.0, block_norm = 0.0, value = 0.0;  // 0: off
  };
  ClippedStep(std::unique_ptr<StepRule> rule, Clip clip) : rule_(std::move(rule)), clip_(clip) {}
  std::string name() const override { return rule_->name(); }
  DefaultStepSize default_step_size() const override { return rule_->default_step_size(); }
  void bind(const Problem& problem, const std::vector<Block>& blocks) override;
  void save_state(StateArchive& out) const override { rule_->save_state(out); }
  void load_state(const StateArchive& in) override { rule_->load_state(in); }
  void exclude_blocks(BlockPredicate excluded) override {
    rule_->exclude_blocks(std::move(excluded));
  }
  void step(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next,
            const Player* only) override;
  // g clipped into `out` on the blocks a step with `only` moves (the rest of `out` untouched).
  void clip(ConstVectorRef g, VectorRef out, const Player* only) const;
  const StepRule& rule() const { return *rule_; }

 private:
  std::unique_ptr<StepRule> rule_;
  Clip clip_;
  std::vector<Block> blocks_;
  Vector clipped_;
};

}  // namespace sgda
