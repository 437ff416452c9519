// Per-player step rules and step-size scales: two time scales (e.g. the discriminator at 4× the
// generator's step) or different optimizers per player (Adam for one, plain SGDA for the other).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sgda/step.hpp"

namespace sgda {

class BlockwiseStep final : public StepRule {
 public:
  struct Part {
    // block names, or prefixes before a '.' ("generator" for generator.layer0.weight, ...);
    // empty = every block no other part names
    std::vector<std::string> blocks;
    std::unique_ptr<StepRule> rule;
    double scale = 1.0;  // this part's step is scale · γ_k
  };
  explicit BlockwiseStep(std::vector<Part> parts);

  std::string name() const override;
  // The parts' common default (one γ_k drives them all, each at its scale); none when they differ.
  DefaultStepSize default_step_size() const override;
  // Throws InputError when a part names a block the problem does not have.
  void bind(const Problem& problem, const std::vector<Block>& blocks) override;
  void step(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next,
            const Player* only) override;
  void save_state(StateArchive& out) const override;
  void load_state(const StateArchive& in) override;

 private:
  std::vector<Part> parts_;
};

}  // namespace sgda
