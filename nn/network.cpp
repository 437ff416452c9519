#include "sgda/nn/network.hpp"

#include "sgda/error.hpp"

namespace sgda {

template <>
const std::vector<EnumValue<nn::Normalization>>& enum_values<nn::Normalization>() {
  using nn::Normalization;
  static const std::vector<EnumValue<Normalization>> values = {
      {Normalization::kNone, "none", "dense layers and activations only"},
      {Normalization::kLayer, "layer",
       "layer normalization after each hidden dense layer, before its activation (Ba et al. "
       "2016)"},
      {Normalization::kBatch, "batch",
       "batch normalization after each hidden dense layer, before its activation (Ioffe & "
       "Szegedy 2015)"},
  };
  return values;
}

}  // namespace sgda

namespace sgda::nn {

Network::Network(std::vector<Index> widths, Activation hidden, Activation output, double slope,
                 Normalization normalization)
    : Network(
          widths,
          [&] {
            std::vector<Activation> a(widths.size() < 2 ? 1 : widths.size() - 1, hidden);
            a.back() = output;
            return a;
          }(),
          slope, normalization) {}

Network::Network(std::vector<Index> widths, std::vector<Activation> activations, double slope,
                 Normalization normalization)
    : widths_(std::move(widths)),
      activations_(std::move(activations)),
      normalization_(normalization),
      slope_(slope) {
  if (widths_.size() < 2) throw InputError("network: needs at least an input and an output width");
  for (Index w : widths_)
    if (w < 1) throw InputError("network: every width must be at least 1");
  if (activations_.size() + 1 != widths_.size())
    throw InputError("network: needs one activation per layer");
  for (std::size_t l = 0; l + 1 < widths_.size(); ++l) {
    layers_.push_back(Dense{widths_[l], widths_[l + 1], parameters_});
    parameters_ += layers_.back().num_parameters();
    LayerNorm norm;  // the gain and bias's layout, whichever the normalization
    BatchNorm batch;
    if (normalization_ != Normalization::kNone && l + 2 < widths_.size()) {
      norm.features = widths_[l + 1];
      norm.offset = parameters_;
      parameters_ += norm.num_parameters();
      if (normalization_ == Normalization::kBatch) batch.features = norm.features;
      batch.offset = norm.offset;
    }
    norms_.push_back(norm);
    batch_norms_.push_back(batch);
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
    if (normalized(l)) {
      const LayerNorm& n = layer_norm(l);
      blocks.push_back(Block{name + ".norm.gain", offset + n.offset, n.features, maximize});
      blocks.push_back(Block{name + ".norm.bias", offset + n.bias_offset(), n.features, maximize});
    }
  }
  return blocks;
}

void Network::initialize(VectorRef params, Init init, Rng& rng, const InitScale& scale) const {
  if (params.size() != parameters_) throw InputError("network: wrong parameter vector size");
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const Dense& d = layers_[l];
    initialize_weight(init, d.mutable_weight(params), rng, scale);
    d.mutable_bias(params).setZero();
    if (norms_[l].features > 0) norms_[l].initialize(params);
  }
}

void Network::prepare(Tape& tape, Index batch) const {
  const auto layers = static_cast<std::size_t>(num_layers());
  tape.input.resize(inputs(), batch);  // no-ops when the sizes already match
  tape.pre.resize(layers);
  tape.post.resize(layers);
  tape.delta.resize(layers);
  tape.grad.resize(layers);
  for (auto* list : {&tape.normalized, &tape.affine, &tape.affine_grad}) list->resize(layers);
  tape.inverse_std.resize(layers);
  for (std::size_t l = 0; l < layers; ++l) {
    const Index features = norms_[l].features;  // 0: empty
    for (auto* list : {&tape.normalized, &tape.affine, &tape.affine_grad})
      (*list)[l].resize(features, features > 0 ? batch : 0);
    // Per example (layer normalization) or per feature (batch normalization).
    tape.inverse_std[l].resize(features == 0 ? 0 : batch_norms_[l].features > 0 ? features : batch);
    tape.pre[l].resize(layers_[l].outputs, batch);
    tape.post[l].resize(layers_[l].outputs, batch);
    tape.delta[l].resize(layers_[l].outputs, batch);
    tape.grad[l].resize(layers_[l].inputs, batch);
  }
}

Network::RunningStatistics Network::initial_statistics() const {
  RunningStatistics running;
  for (const BatchNorm& b : batch_norms_) running.push_back(b.initial_statistics());
  return running;
}

const Matrix& Network::forward(ConstVectorRef params, const ConstMatrixRef& input,
                               Tape& tape) const {
  return run(params, input, tape, true, nullptr, nullptr);
}

const Matrix& Network::forward_training(ConstVectorRef params, const ConstMatrixRef& input,
                                        Tape& tape, RunningStatistics* running) const {
  return run(params, input, tape, true, nullptr, running);
}

const Matrix& Network::forward_evaluation(ConstVectorRef params, const ConstMatrixRef& input,
                                          Tape& tape, const RunningStatistics& running) const {
  return run(params, input, tape, false, &running, nullptr);
}

const Matrix& Network::run(ConstVectorRef params, const ConstMatrixRef& input, Tape& tape,
                           bool training, const RunningStatistics* use,
                           RunningStatistics* update) const {
  if (input.rows() != inputs() || params.size() != parameters_)
    throw InputError("network: input rows or parameter size do not match the network");
  for (const RunningStatistics* r : {use, static_cast<const RunningStatistics*>(update)})
    if (r && r->size() != layers_.size())
      throw InputError("network: running statistics for another network");
  prepare(tape, input.cols());
  tape.input = input;
  tape.training = training;
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const Matrix& in = l == 0 ? tape.input : tape.post[l - 1];
    layers_[l].forward(params, in, tape.pre[l]);
    if (norms_[l].features > 0) {
      const BatchNorm& batch = batch_norms_[l];
      if (batch.features == 0)
        norms_[l].forward(params, tape.pre[l], tape.normalized[l], tape.inverse_std[l],
                          tape.affine[l]);
      else if (training)
        batch.forward_training(params, tape.pre[l], tape.normalized[l], tape.inverse_std[l],
                               tape.affine[l], update ? &(*update)[l] : nullptr);
      else
        batch.forward_evaluation(params, tape.pre[l], (*use)[l], tape.normalized[l],
                                 tape.inverse_std[l], tape.affine[l]);
      activate(activation(static_cast<Index>(l)), tape.affine[l], tape.post[l], slope_);
    } else {
      activate(activation(static_cast<Index>(l)), tape.pre[l], tape.post[l], slope_);
    }
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
    if (norms_[l].features > 0) {
      // Through the activation to ∂L/∂y_l, then the normalization to ∂L/∂z_l.
      activation_backward(activation(static_cast<Index>(l)), tape.affine[l], tape.post[l], upstream,
                          tape.affine_grad[l], slope_);
      const BatchNorm& batch = batch_norms_[l];
      if (batch.features == 0)
        norms_[l].backward(params, tape.normalized[l], tape.inverse_std[l], tape.affine_grad[l],
                           grad_params, tape.delta[l]);
      else if (tape.training)
        batch.backward(params, tape.normalized[l], tape.inverse_std[l], tape.affine_grad[l],
                       grad_params, tape.delta[l]);
      else
        batch.backward_evaluation(params, tape.normalized[l], tape.inverse_std[l],
                                  tape.affine_grad[l], grad_params, tape.delta[l]);
    } else {
      activation_backward(activation(static_cast<Index>(l)), tape.pre[l], tape.post[l], upstream,
                          tape.delta[l], slope_);
    }
    const Matrix& in = l == 0 ? tape.input : tape.post[l - 1];
    const bool need_dx = l > 0 || want_input;
    layers_[l].backward(params, in, tape.delta[l], grad_params,
                        need_dx ? MatrixRef(tape.grad[l]) : MatrixRef(none));
  }
  return tape.grad[0];
}

}  // namespace sgda::nn
