#include "sgda/nn/network.hpp"

#include "sgda/error.hpp"

namespace sgda::nn {

Network::Network(std::vector<Index> widths, Activation hidden, Activation output, double slope)
    : Network(
          widths,
          [&] {
            std::vector<Activation> a(widths.size() < 2 ? 1 : widths.size() - 1, hidden);
            a.back() = output;
            return a;
          }(),
          slope) {}

Network::Network(std::vector<Index> widths, std::vector<Activation> activations, double slope)
    : widths_(std::move(widths)), activations_(std::move(activations)), slope_(slope) {
  if (widths_.size() < 2) throw InputError("network: needs at least an input and an output width");
  for (Index w : widths_)
    if (w < 1) throw InputError("network: every width must be at least 1");
  if (activations_.size() + 1 != widths_.size())
    throw InputError("network: needs one activation per layer");
  for (std::size_t l = 0; l + 1 < widths_.size(); ++l) {
    layers_.push_back(Dense{widths_[l], widths_[l + 1], parameters_});
    parameters_ += layers_.back().num_parameters();
  }
}

Activation Network::activation(Index l) const { return activations_[static_cast<std::size_t>(l)]; }

std::vector<Block> Network::blocks(const std::string& prefix, Index offset, bool maximize) const {
  std::vector<Block> blocks;
  for (Index l = 0; l < num_layers(); ++l) {
    const Dense& d = layer(l);
    const std::string name = prefix + "layer" + std::to_string(l);
    blocks.push_back(Block{name + ".weight", offset + d.offset, d.weight_size(), maximize});
    blocks.push_back(Block{name + ".bias", offset + d.bias_offset(), d.outputs, maximize});
  }
  return blocks;
}

void Network::initialize(VectorRef params, Init init, Rng& rng) const {
  if (params.size() != parameters_) throw InputError("network: wrong parameter vector size");
  for (const Dense& d : layers_) {
    initialize_weight(init, d.mutable_weight(params), rng);
    d.mutable_bias(params).setZero();
  }
}

void Network::prepare(Tape& tape, Index batch) const {
  const auto layers = static_cast<std::size_t>(num_layers());
  tape.input.resize(inputs(), batch);  // no-ops when the sizes already match
  tape.pre.resize(layers);
  tape.post.resize(layers);
  tape.delta.resize(layers);
  tape.grad.resize(layers);
  for (std::size_t l = 0; l < layers; ++l) {
    tape.pre[l].resize(layers_[l].outputs, batch);
    tape.post[l].resize(layers_[l].outputs, batch);
    tape.delta[l].resize(layers_[l].outputs, batch);
    tape.grad[l].resize(layers_[l].inputs, batch);
  }
}

const Matrix& Network::forward(ConstVectorRef params, const ConstMatrixRef& input,
                               Tape& tape) const {
  if (input.rows() != inputs() || params.size() != parameters_)
    throw InputError("network: input rows or parameter size do not match the network");
  prepare(tape, input.cols());
  tape.input = input;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const Matrix& in = l == 0 ? tape.input : tape.post[l - 1];
    layers_[l].forward(params, in, tape.pre[l]);
    activate(activation(static_cast<Index>(l)), tape.pre[l], tape.post[l], slope_);
  }
  return tape.post.back();
}

const Matrix& Network::backward(ConstVectorRef params, const ConstMatrixRef& grad_output,
                                Tape& tape, VectorRef grad_params, bool want_input) const {
  if (grad_output.rows() != outputs() || grad_output.cols() != tape.batch())
    throw InputError("network: the output gradient does not match the last forward pass");
  MatrixMap none(nullptr, 0, 0);
  for (std::size_t l = layers_.size(); l-- > 0;) {
    // ∂L/∂z_l = ∂L/∂a_l ⊙ σ_l'(z_l), then the dense layer's reverse pass.
    const ConstMatrixRef upstream =
        l + 1 == layers_.size() ? grad_output : ConstMatrixRef(tape.grad[l + 1]);
    activation_backward(activation(static_cast<Index>(l)), tape.pre[l], tape.post[l], upstream,
                        tape.delta[l], slope_);
    const Matrix& in = l == 0 ? tape.input : tape.post[l - 1];
    const bool need_dx = l > 0 || want_input;
    layers_[l].backward(params, in, tape.delta[l], grad_params,
                        need_dx ? MatrixRef(tape.grad[l]) : MatrixRef(none));
  }
  return tape.grad[0];
}

}  // namespace sgda::nn
