// A small sequential network (a multilayer perceptron): dense layers, each followed by an
// activation, optionally with a normalization between a hidden layer and its activation
// (`Normalization`: layer normalization, nn/layer_norm.hpp, or batch normalization,
// nn/batch_norm.hpp). Forward passes cache what the reverse
// pass needs in a Tape; the reverse pass gives the gradient with respect to every weight and bias
// and to the input (reverse-mode differentiation, the backpropagation of Rumelhart, Hinton &
// Williams 1986).
//
// The parameters live in ONE flat vector: layer l's W_l (column-major) then b_l (then, for a
// normalized layer, its gain γ_l and bias β_l), layer after layer. blocks() names each weight and
// bias ("layer0.weight", "layer0.bias", "layer0.norm.gain", "layer0.norm.bias", ...) so step
// rules can act per block. Batches are matrices with one example per column.
#pragma once

#include <string>
#include <vector>

#include "sgda/nn/activation.hpp"
#include "sgda/nn/batch_norm.hpp"
#include "sgda/nn/dense.hpp"
#include "sgda/nn/init.hpp"
#include "sgda/nn/layer_norm.hpp"
#include "sgda/options.hpp"
#include "sgda/rng.hpp"

namespace sgda::nn {

// What follows each hidden dense layer, before its activation: nothing, layer normalization or
// batch normalization.
enum class Normalization { kNone, kLayer, kBatch };

}  // namespace sgda::nn

namespace sgda {
// "none", "layer", "batch" (to_string, from_string: options.hpp).
template <>
const std::vector<EnumValue<nn::Normalization>>& enum_values<nn::Normalization>();
}  // namespace sgda

namespace sgda::nn {

// Everything a forward pass leaves for the reverse pass, plus the reverse pass's workspaces.
// Sized on first use for a batch size and reused: with a fixed batch size, no allocation.
// One tape per concurrent use (a problem keeps one per batch size it evaluates).
struct Tape {
  Matrix input;              // x (inputs × B)
  std::vector<Matrix> pre;   // z_l = W_l a_{l−1} + b_l
  std::vector<Matrix> post;  // a_l = σ_l(z_l), or σ_l(y_l) if normalized; post.back(): output
  // Normalized layers only (empty matrices for the others): ẑ_l, y_l = γ_l ⊙ ẑ_l + β_l, the
  // inverse standard deviations (per example for layer normalization, per feature for batch
  // normalization), and ∂L/∂y_l in the reverse pass.
  std::vector<Matrix> normalized, affine, affine_grad;
  std::vector<Vector> inverse_std;
  bool training = true;       // batch normalization's mode in the last forward pass
  std::vector<Matrix> delta;  // reverse pass: ∂L/∂z_l
  std::vector<Matrix> grad;  // reverse pass: ∂L/∂a_{l−1}, the input of layer l (grad[0]: input)
  Index batch() const { return input.cols(); }
};

class Network {
 public:
  // widths = {inputs, hidden..., outputs} (at least two entries, all ≥ 1); `hidden` follows
  // every layer but the last, `output` the last. `slope` is LeakyReLU's negative slope.
  // `normalization` follows every layer but the last, before its activation.
  Network(std::vector<Index> widths, Activation hidden, Activation output = Activation::kIdentity,
          double slope = 0.2, Normalization normalization = Normalization::kNone);
  // One activation per layer (activations.size() = widths.size() − 1), e.g. an autoencoder's
  // linear code layer between nonlinear ones.
  Network(std::vector<Index> widths, std::vector<Activation> activations, double slope = 0.2,
          Normalization normalization = Normalization::kNone);
  Network() = default;

  Index inputs() const { return widths_.front(); }
  Index outputs() const { return widths_.back(); }
  Index num_layers() const { return static_cast<Index>(layers_.size()); }
  Index num_parameters() const { return parameters_; }
  const Dense& layer(Index l) const { return layers_[static_cast<std::size_t>(l)]; }
  Activation activation(Index l) const;
  Normalization normalization() const { return normalization_; }
  // Layer l's normalization (features = 0 when it has none): its gain and bias's layout, whatever
  // the normalization (the layer norm itself with Normalization::kLayer).
  const LayerNorm& layer_norm(Index l) const { return norms_[static_cast<std::size_t>(l)]; }
  // Layer l's batch normalization (features = 0 unless Normalization::kBatch and l is hidden).
  const BatchNorm& batch_norm(Index l) const { return batch_norms_[static_cast<std::size_t>(l)]; }
  bool normalized(Index l) const { return layer_norm(l).features > 0; }
  const std::vector<Index>& widths() const { return widths_; }

  // One block per weight and bias, named prefix + "layer<l>.weight" / ".bias", at `offset` in
  // the problem's variable, all with the given maximize flag.
  std::vector<Block> blocks(const std::string& prefix = "", Index offset = 0,
                            bool maximize = false) const;

  // Weights from `init` (with `scale` for orthogonal and normal), biases zero; normalization
  // gains one, their biases zero (no draws: a network's weights do not depend on it).
  void initialize(VectorRef params, Init init, Rng& rng, const InitScale& scale = {}) const;

  // Batch normalization's running statistics, one entry per layer (empty vectors for layers
  // without): mean 0, variance 1 to start with.
  using RunningStatistics = std::vector<BatchNorm::RunningStatistics>;
  RunningStatistics initial_statistics() const;

  // The output for a batch (inputs × B), kept in the tape (tape.post.back()). Batch
  // normalization in training mode (the batch's statistics), the running statistics untouched.
  const Matrix& forward(ConstVectorRef params, const ConstMatrixRef& input, Tape& tape) const;
  // The same, updating `running` (when not null) by the batch's statistics (BatchNorm).
  const Matrix& forward_training(ConstVectorRef params, const ConstMatrixRef& input, Tape& tape,
                                 RunningStatistics* running) const;
  // Batch normalization in evaluation mode: by the running statistics (each example on its own).
  // The same as forward() for networks without batch normalization.
  const Matrix& forward_evaluation(ConstVectorRef params, const ConstMatrixRef& input, Tape& tape,
                                   const RunningStatistics& running) const;

  // Reverse pass after forward(params, ..., tape) (or forward_training or forward_evaluation: the
  // tape knows which), from grad_output = ∂L/∂output (outputs × B):
  // writes ∂L/∂params into grad_params when it is not empty (size num_parameters()) and returns
  // ∂L/∂input (inputs × B, in the tape) when want_input is set; otherwise the returned matrix is
  // not meaningful.
  const Matrix& backward(ConstVectorRef params, const ConstMatrixRef& grad_output, Tape& tape,
                         VectorRef grad_params, bool want_input = false) const;

  // Sizes a tape for batch size B (done by forward; exposed so set-up can do it ahead).
  void prepare(Tape& tape, Index batch) const;

 private:
  std::vector<Index> widths_;
  std::vector<Dense> layers_;
  std::vector<Activation> activations_;  // one per layer
  std::vector<LayerNorm> norms_;         // one per layer; features = 0: none
  std::vector<BatchNorm> batch_norms_;   // one per layer; features = 0: none
  const Matrix& run(ConstVectorRef params, const ConstMatrixRef& input, Tape& tape, bool training,
                    const RunningStatistics* use, RunningStatistics* update) const;
  Normalization normalization_ = Normalization::kNone;
  double slope_ = 0.2;
  Index parameters_ = 0;
};

}  // namespace sgda::nn
