// A regularizer whose prox depends on which block of the variable it acts on, such as a
// network's layers (nn::NeuronSphere: unit rows for hidden weight blocks, clamped hidden
// biases). Step rules and prox_blocks hand such a regularizer the block they project; every
// other regularizer acts on each block alike through Regularizer::prox.
#pragma once

#include "sgda/regularizer.hpp"

namespace sgda {

class BlockRegularizer : public Regularizer {
 public:
  // x_b ← prox_{γR}(x_b) for the block `block` of the variable (its name, offset and size).
  virtual void prox_block(double gamma, const Block& block, VectorRef x_b) const = 0;
  bool separable() const override { return false; }
};

// prox_{γR} of block b: BlockRegularizer::prox_block when `block_regularizer` (the regularizer
// seen as one, or null) is set, else regularizer.prox.
inline void prox_of_block(const Regularizer& regularizer, const BlockRegularizer* block_regularizer,
                          double gamma, const Block& block, VectorRef x_b) {
  if (block_regularizer)
    block_regularizer->prox_block(gamma, block, x_b);
  else
    regularizer.prox(gamma, x_b);
}

}  // namespace sgda
