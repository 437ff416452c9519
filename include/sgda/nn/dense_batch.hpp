// What curvature step rules (MBF, K-FAC: steps/fisher_step.hpp) need from a network problem:
// the per-example gradients of its dense layers on the last minibatch, in factored form. For
// layer z = W a + b, example k's gradient of the loss ℓ_k with respect to [W b] is the outer
// product δ_k ã_kᵀ, δ_k = ∂ℓ_k/∂z and ã_k = [a_k; 1], so the inputs and the output gradients of
// a batched reverse pass give every per-example gradient without a loop over examples.
#pragma once

#include <vector>

#include "sgda/nn/dense.hpp"

namespace sgda::nn {

struct DenseBatch {
  std::vector<Dense> layers;           // offsets of W and b in the variable
  std::vector<const Matrix*> inputs;   // per layer: a_k as columns (inputs × B)
  std::vector<const Matrix*> deltas;   // per layer: w_k δ_k as columns (outputs × B)
  const std::vector<double>* weights;  // w_k: the minibatch estimate is Σ_k w_k ∇ℓ_k
  Index batch() const { return inputs.empty() ? 0 : inputs.front()->cols(); }
};

// A problem whose operator is a network's gradient on minibatches (TrainingProblem).
class DenseBatchSource {
 public:
  virtual ~DenseBatchSource() = default;
  // The network's dense layers, input to output.
  virtual std::vector<Dense> dense_layers() const = 0;
  // The last minibatch of sample_sum (the step's batch, for the minibatch estimators): valid
  // until the next evaluation. Throws InputError before the first one.
  virtual DenseBatch last_batch() const = 0;
  // Throws InputError when last_batch() cannot hold whole minibatches (data-parallel training,
  // where a process evaluates only its rows of each); curvature rules check it when they bind.
  virtual void require_whole_batches() const {}
};

}  // namespace sgda::nn
