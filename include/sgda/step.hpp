// The step core: turns (x, g, γ) into the next x, block by block. Game solvers and deep-network
// optimizers share it; a rule may keep state per block (momenta, Adam moments).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sgda/problem.hpp"
#include "sgda/state.hpp"
#include "sgda/types.hpp"

namespace sgda {

class StepRule {
 public:
  virtual ~StepRule() = default;
  virtual std::string name() const = 0;
  // Binds to the problem's blocks and sizes any state.
  virtual void reset(const Problem& problem) = 0;
  // Per-block state (momenta, moments, previous estimates) for checkpoints, as for estimators.
  virtual void save_state(StateArchive& out) const { (void)out; }
  virtual void load_state(const StateArchive& in) { (void)in; }
  // next ← the iterate after x from g at step size γ. `next` and `x` are distinct buffers, so
  // the solver keeps the last finite iterate without copying. No allocation.
  virtual void apply(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next) = 0;
};

// x_b ← prox_{γR}(x_b − γ g_b) for every block b: the step of every SGDA-type method.
class ProxStep final : public StepRule {
 public:
  std::string name() const override { return "prox"; }
  void reset(const Problem& problem) override;
  void apply(double gamma, ConstVectorRef g, ConstVectorRef x, VectorRef next) override;

 private:
  const Problem* problem_ = nullptr;
  std::vector<Block> blocks_;
};

}  // namespace sgda
