// Binary classification of noisy XOR data (problems/noisy_xor_data.hpp) by a bias-free ReLU
// network with a frozen output layer, trained on the logistic loss: the setting of Frei,
// Chatterji & Bartlett 2022 ("Random feature amplification: feature learning and
// generalization in neural networks"; two layers, small initialization, full-batch GD) and,
// deeper and wider, of Zou, Cao, Zhou & Gu 2020 ("Gradient descent optimizes over-parameterized
// deep ReLU networks"; He initialization).
//   relu    f(x) = Σ_j a_j ReLU([W_L ReLU(... ReLU(W_1 x))]_j), W_1 ∈ R^{m×p}, W_l ∈ R^{m×m},
//           the output weights a_j = ±s frozen (the first ⌈m/2⌉ positive, s = 1/√m by
//           default), only W trainable; W_l ~ N(0, ω²) (He, N(0, 2/fan_in), when ω = 0);
//   linear  f(x) = ⟨w, x⟩, w ∈ R^p: no linear classifier beats chance on XOR.
// Loss ℓ_i = log(1 + exp(−y_i f(x_i))) (stable softplus) with the noisy labels y_i ∈ {±1}, so
// F_i = ∇ℓ_i and F = ∇L, L = (1/n) Σ_i ℓ_i; the samples are the training examples. Full-batch
// gradient descent is `sgda` with sampling = "nice" and batch_size = n.
// Metrics: train_loss, train_error (against the noisy training labels), test_error (noisy test
// labels, flipped at the same rate), test_error_clean (the clusters' labels) and
// weight_movement = ‖θ − θ₀‖/‖θ₀‖, θ₀ the initial point. A prediction is sign f (+1 at 0).
// Not safe to share across threads (workspaces in const methods), as TrainingProblem.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sgda/options.hpp"
#include "sgda/problem.hpp"
#include "sgda/problems/noisy_xor_data.hpp"

namespace sgda {

enum class NoisyXorModel { kRelu, kLinear };
template <>
const std::vector<EnumValue<NoisyXorModel>>& enum_values<NoisyXorModel>();

struct NoisyXorOptions {
  Index dimension = 100;       // p
  double mean_norm = 5.0;      // ‖μ₁‖ = ‖μ₂‖
  Index samples = 1000;        // n
  Index test_samples = 10000;  // n_test
  double flip = 0.1;           // label noise of the training and the (noisy) test labels
  NoisyXorModel model = NoisyXorModel::kRelu;
  Index width = 256;           // m, the neurons of each hidden layer
  Index depth = 1;             // hidden layers (1: the two-layer network)
  double init_std = 1e-3;      // ω; 0 = He normal, variance 2/fan_in
  double output_weight = 0.0;  // s of the frozen a_j = ±s; 0 = 1/√m
  std::uint64_t seed = 0;      // the data and the initial weights

  static const OptionTable<NoisyXorOptions>& table();
  std::optional<FieldError> Check() const;  // the table's ranges and the memory bound
  bool IsValid(std::string* error) const { return passes(Check(), error); }
  NoisyXorDataSpec data_spec() const;
};

class NoisyXor final : public Problem {
 public:
  NoisyXor(const NoisyXorOptions& options,
           std::shared_ptr<const Regularizer> regularizer = nullptr);

  std::string name() const override { return "noisy-xor"; }
  Index dim() const override;
  Index num_samples() const override { return options_.samples; }
  // ∇ℓ_i(x), as a batch of one.
  void sample(Index i, ConstVectorRef x, VectorRef out) const override;
  // Σ_k w_k ∇ℓ_{i_k}(x): one forward and reverse pass over the gathered examples.
  void sample_sum(const SampleDraw& draw, ConstVectorRef x, VectorRef out,
                  VectorRef workspace) const override;
  // ∇L(x), over the training set in chunks.
  void full(ConstVectorRef x, VectorRef out) const override;
  // "layer0.weight", ..., one block per trainable layer; "linear.weight" for the linear model.
  std::vector<Block> blocks() const override;
  Vector initial_point() const override { return initial_; }
  std::vector<std::pair<std::string, double>> metrics(ConstVectorRef x) const override;

  struct Evaluation {
    double loss = 0.0;         // mean logistic loss against the noisy labels
    double error = 0.0;        // fraction misclassified against the noisy labels
    double clean_error = 0.0;  // against the clean labels
  };
  Evaluation evaluate_training(ConstVectorRef x) const;
  Evaluation evaluate_test(ConstVectorRef x) const;
  // f at the columns of `inputs` (p × B).
  Vector predict(ConstVectorRef x, const Eigen::Ref<const Matrix>& inputs) const;

  const NoisyXorData& data() const { return data_; }
  const Vector& output_weights() const { return output_; }  // a (relu); empty for linear
  const NoisyXorOptions& options() const { return options_; }
  static constexpr Index kChunk = 4096;  // examples per pass of full() and the metrics

 private:
  // f at the columns of `inputs`, into logits_; with `coefficients` (one per column) also
  // writes Σ_k c_k ∇ℓ_k(x) into `gradient`, the labels those of the columns.
  void pass(ConstVectorRef x, const Eigen::Ref<const Matrix>& inputs,
            const Eigen::Ref<const Vector>& labels, const Eigen::Ref<const Vector>* coefficients,
            VectorRef gradient) const;
  Evaluation evaluate(ConstVectorRef x, const Matrix& inputs, const Vector& labels,
                      const Vector& clean_labels) const;

  NoisyXorOptions options_;
  NoisyXorData data_;
  Vector output_;   // a
  Vector initial_;  // θ₀
  // Workspaces: pre-activations and activations per layer, the back-propagated signal.
  mutable std::vector<Matrix> z_, h_;
  mutable Matrix signal_, next_signal_, gathered_;
  mutable Vector logits_, gathered_labels_, coefficients_, chunk_gradient_;
};

}  // namespace sgda
