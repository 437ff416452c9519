#include "sgda/problems/noisy_xor.hpp"

#include <cmath>

#include "sgda/error.hpp"
#include "sgda/nn/activation.hpp"
#include "sgda/nn/init.hpp"
#include "sgda/nn/loss.hpp"
#include "sgda/rng.hpp"

namespace sgda {

template <>
const std::vector<EnumValue<NoisyXorModel>>& enum_values<NoisyXorModel>() {
  static const std::vector<EnumValue<NoisyXorModel>> values = {
      {NoisyXorModel::kRelu, "relu",
       "bias-free ReLU network, frozen output weights +-s, trainable hidden layers"},
      {NoisyXorModel::kLinear, "linear", "f(x) = <w, x>: cannot beat chance on XOR"},
  };
  return values;
}

const OptionTable<NoisyXorOptions>& NoisyXorOptions::table() {
  using O = NoisyXorOptions;
  static const OptionTable<O> table(
      "NoisyXorOptions",
      {
          field("dimension", &O::dimension, "p, the dimension of the examples")
              .bounds(2, false, 1e6, false),
          field("mean_norm", &O::mean_norm, "|mu_1| = |mu_2|, the clusters' distance from 0")
              .bounds(0, false, 1e6, false),
          field("samples", &O::samples, "n, the training examples (the samples F_i)")
              .bounds(1, false, 1e8, false),
          field("test_samples", &O::test_samples, "the test examples (metrics)")
              .bounds(1, false, 1e8, false),
          field("flip", &O::flip,
                "probability that a label is flipped (training labels and the noisy test "
                "labels)")
              .bounds(0, false, 0.5, true),
          field("model", &O::model, "the classifier"),
          field("width", &O::width, "m, the neurons of each hidden layer")
              .bounds(2, false, 1e6, false)
              .when("model", {NoisyXorModel::kRelu}),
          field("depth", &O::depth, "the hidden layers (1: a two-layer network)")
              .bounds(1, false, 100, false)
              .when("model", {NoisyXorModel::kRelu}),
          field("init_std", &O::init_std, "omega: initial weights N(0, omega^2)")
              .above(0)
              .or_zero("He normal, N(0, 2/fan_in)"),
          field("output_weight", &O::output_weight,
                "s of the frozen output weights +-s (half each)")
              .above(0)
              .or_zero("1/sqrt(width)")
              .when("model", {NoisyXorModel::kRelu}),
          field("seed", &O::seed, "the data and the initial weights"),
      });
  return table;
}

std::optional<FieldError> NoisyXorOptions::Check() const {
  if (auto error = table().check(*this)) return error;
  // The data, one layer's activations of a chunk and the weights, in doubles.
  const double p = double(dimension), m = model == NoisyXorModel::kRelu ? double(width) : 1.0;
  const double entries = p * double(samples + test_samples) + 4.0 * m * double(NoisyXor::kChunk) +
                         m * p + double(depth - 1) * m * m;
  if (entries > 1e9)
    return FieldError{"NoisyXorOptions::samples",
                      "the problem would hold dimension*(samples+test_samples) + weights = " +
                          format_number(entries) +
                          " doubles; accepted up to 1e9 (8 GB): lower samples, dimension or width"};
  return std::nullopt;
}

NoisyXorDataSpec NoisyXorOptions::data_spec() const {
  NoisyXorDataSpec spec;
  spec.dimension = dimension;
  spec.mean_norm = mean_norm;
  spec.samples = samples;
  spec.test_samples = test_samples;
  spec.flip = flip;
  spec.seed = seed;
  return spec;
}

namespace {

bool is_relu(const NoisyXorOptions& o) { return o.model == NoisyXorModel::kRelu; }

// The shape (rows × cols) of trainable layer l.
std::pair<Index, Index> layer_shape(const NoisyXorOptions& o, Index l) {
  if (!is_relu(o)) return {1, o.dimension};
  return {o.width, l == 0 ? o.dimension : o.width};
}
Index num_layers(const NoisyXorOptions& o) { return is_relu(o) ? o.depth : 1; }

}  // namespace

NoisyXor::NoisyXor(const NoisyXorOptions& options, std::shared_ptr<const Regularizer> regularizer)
    : Problem(std::move(regularizer)), options_(options) {
  if (const auto error = options_.Check()) throw InputError(*error);
  data_ = generate_noisy_xor(options_.data_spec());
  const Index layers = num_layers(options_);
  if (is_relu(options_)) {
    const Index m = options_.width;
    const double s = options_.output_weight > 0.0 ? options_.output_weight
                                                  : 1.0 / std::sqrt(static_cast<double>(m));
    output_.resize(m);
    for (Index j = 0; j < m; ++j) output_[j] = j < (m + 1) / 2 ? s : -s;
    z_.resize(layers);
    h_.resize(layers);
  }
  // θ₀ from a stream of its own (the data use the streams 0, 1, ... and 2^62 + j, 2^64 − 1).
  Rng rng = Rng::stream(options_.seed, ~std::uint64_t{0} - 1);
  initial_.resize(dim());
  Index offset = 0;
  for (Index l = 0; l < layers; ++l) {
    const auto [rows, cols] = layer_shape(options_, l);
    const double scale = options_.init_std > 0.0
                             ? options_.init_std
                             : std::sqrt(nn::init_variance(nn::Init::kHeNormal, cols, rows));
    for (Index k = 0; k < rows * cols; ++k) initial_[offset + k] = scale * rng.normal();
    offset += rows * cols;
  }
}

Index NoisyXor::dim() const {
  Index total = 0;
  for (Index l = 0; l < num_layers(options_); ++l) {
    const auto [rows, cols] = layer_shape(options_, l);
    total += rows * cols;
  }
  return total;
}

std::vector<Block> NoisyXor::blocks() const {
  if (!is_relu(options_)) return {Block{"linear.weight", 0, dim(), false}};
  std::vector<Block> blocks;
  Index offset = 0;
  for (Index l = 0; l < num_layers(options_); ++l) {
    const auto [rows, cols] = layer_shape(options_, l);
    blocks.push_back(Block{"layer" + std::to_string(l) + ".weight", offset, rows * cols, false});
    offset += rows * cols;
  }
  return blocks;
}

void NoisyXor::pass(ConstVectorRef x, const Eigen::Ref<const Matrix>& inputs,
                    const Eigen::Ref<const Vector>& labels,
                    const Eigen::Ref<const Vector>* coefficients, VectorRef gradient) const {
  const Index batch = inputs.cols();
  if (!is_relu(options_)) {
    logits_.noalias() = inputs.transpose() * x;
  } else {
    // Forward: z_l = W_l h_{l−1} (h_{−1} = the inputs), h_l = ReLU(z_l), f = aᵀ h_{L−1}.
    Index offset = 0;
    for (std::size_t l = 0; l < z_.size(); ++l) {
      const auto [rows, cols] = layer_shape(options_, Index(l));
      const nn::ConstMatrixMap w(x.data() + offset, rows, cols);
      z_[l].resize(rows, batch);
      h_[l].resize(rows, batch);
      if (l == 0)
        z_[l].noalias() = w * inputs;
      else
        z_[l].noalias() = w * h_[l - 1];
      nn::activate(nn::Activation::kRelu, z_[l], h_[l]);
      offset += rows * cols;
    }
    logits_.noalias() = h_.back().transpose() * output_;
  }
  if (coefficients == nullptr) return;

  // g_k = c_k dℓ_k/df_k with ℓ = softplus(−y f): dℓ/df = −y σ(−y f).
  coefficients_.resize(batch);
  for (Index k = 0; k < batch; ++k)
    coefficients_[k] = -(*coefficients)[k] * labels[k] * nn::sigmoid(-labels[k] * logits_[k]);
  if (!is_relu(options_)) {
    gradient.noalias() = inputs * coefficients_;
    return;
  }
  // Reverse: δ_{L−1} = a gᵀ ⊙ ReLU'(z_{L−1}); ∇W_l = δ_l h_{l−1}ᵀ; δ_{l−1} = W_lᵀ δ_l ⊙ ReLU'.
  signal_.noalias() = output_ * coefficients_.transpose();
  Index offset = dim();
  for (Index l = Index(z_.size()) - 1; l >= 0; --l) {
    const auto [rows, cols] = layer_shape(options_, l);
    offset -= rows * cols;
    nn::activation_backward(nn::Activation::kRelu, z_[l], h_[l], signal_, signal_);
    nn::MatrixMap grad(gradient.data() + offset, rows, cols);
    if (l == 0) {
      grad.noalias() = signal_ * inputs.transpose();
    } else {
      grad.noalias() = signal_ * h_[l - 1].transpose();
      const nn::ConstMatrixMap w(x.data() + offset, rows, cols);
      next_signal_.noalias() = w.transpose() * signal_;
      signal_.swap(next_signal_);
    }
  }
}

void NoisyXor::sample(Index i, ConstVectorRef x, VectorRef out) const {
  const Vector one = Vector::Ones(1);
  const Eigen::Ref<const Vector> weights(one);
  pass(x, data_.features.col(i), data_.labels.segment(i, 1), &weights, out);
}

void NoisyXor::sample_sum(const SampleDraw& draw, ConstVectorRef x, VectorRef out,
                          VectorRef workspace) const {
  (void)workspace;
  const Index batch = Index(draw.indices.size());
  gathered_.resize(options_.dimension, batch);
  gathered_labels_.resize(batch);
  for (Index k = 0; k < batch; ++k) {
    gathered_.col(k) = data_.features.col(draw.indices[k]);
    gathered_labels_[k] = data_.labels[draw.indices[k]];
  }
  const Eigen::Map<const Vector> weights(draw.weights.data(), batch);
  const Eigen::Ref<const Vector> coefficients(weights);
  pass(x, gathered_, gathered_labels_, &coefficients, out);
}

void NoisyXor::full(ConstVectorRef x, VectorRef out) const {
  const Index n = options_.samples;
  out.setZero();
  chunk_gradient_.resize(dim());
  for (Index first = 0; first < n; first += kChunk) {
    const Index count = std::min(kChunk, n - first);
    const Vector weights = Vector::Constant(count, 1.0 / double(n));
    const Eigen::Ref<const Vector> coefficients(weights);
    pass(x, data_.features.middleCols(first, count), data_.labels.segment(first, count),
         &coefficients, chunk_gradient_);
    out += chunk_gradient_;
  }
}

NoisyXor::Evaluation NoisyXor::evaluate(ConstVectorRef x, const Matrix& inputs,
                                        const Vector& labels, const Vector& clean_labels) const {
  Evaluation e;
  const Index n = inputs.cols();
  for (Index first = 0; first < n; first += kChunk) {
    const Index count = std::min(kChunk, n - first);
    pass(x, inputs.middleCols(first, count), labels.segment(first, count), nullptr,
         chunk_gradient_);
    for (Index k = 0; k < count; ++k) {
      const double y = labels[first + k], f = logits_[k];
      const double predicted = f >= 0.0 ? 1.0 : -1.0;
      e.loss += nn::softplus(-y * f);
      e.error += predicted != y ? 1.0 : 0.0;
      e.clean_error += predicted != clean_labels[first + k] ? 1.0 : 0.0;
    }
  }
  e.loss /= double(n);
  e.error /= double(n);
  e.clean_error /= double(n);
  return e;
}

NoisyXor::Evaluation NoisyXor::evaluate_training(ConstVectorRef x) const {
  return evaluate(x, data_.features, data_.labels, data_.clean_labels);
}

NoisyXor::Evaluation NoisyXor::evaluate_test(ConstVectorRef x) const {
  return evaluate(x, data_.test_features, data_.test_labels, data_.test_clean_labels);
}

Vector NoisyXor::predict(ConstVectorRef x, const Eigen::Ref<const Matrix>& inputs) const {
  const Vector none;
  pass(x, inputs, none, nullptr, chunk_gradient_);
  return logits_;
}

std::vector<std::pair<std::string, double>> NoisyXor::metrics(ConstVectorRef x) const {
  const Evaluation train = evaluate_training(x);
  const Evaluation test = evaluate_test(x);
  return {{"train_loss", train.loss},
          {"train_error", train.error},
          {"test_error", test.error},
          {"test_error_clean", test.clean_error},
          {"weight_movement", (x - initial_).norm() / initial_.norm()}};
}

}  // namespace sgda
