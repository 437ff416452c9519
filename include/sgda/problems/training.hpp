// Supervised training as a one-player problem: minimize the empirical risk
//   L(x) = (1/N) Σ_i ℓ(net_x(a_i), b_i)
// of a network (nn::Network) over a data set of N examples. A minimization is a game with one
// minimizing player, so F_i(x) = ∇ℓ_i(x), F = ∇L, and every estimator, step rule and scheme of
// sgda applies; the samples are the training examples (n = N).
//
// Tasks and losses (per example; the risk averages them):
//   classifier   softmax cross-entropy on the logits s (k = classes outputs):
//                ℓ = logsumexp(s) − s_y;
//   regression   squared loss averaged over the k outputs: ℓ = (1/k)‖p − t‖² (as
//                nn::mse_loss and torch's MSELoss);
//   autoencoder  the input is the target; the network is an encoder d-h_1-...-h_m (the last
//                width is the code, a linear layer) and its mirror h_m-...-h_1-d; the
//                reconstruction loss is the binary cross-entropy of the logits s against the
//                pixels t ∈ [0, 1], summed over the d pixels:
//                ℓ = Σ_p softplus(s_p) − t_p s_p (Hinton & Salakhutdinov 2006; Martens 2010's
//                and K-FAC's MNIST autoencoder 784-1000-500-250-30), the reconstruction being
//                σ(s). The squared error Σ_p (σ(s_p) − t_p)², which those papers also report,
//                is a metric.
//
// Evaluation is batched: a minibatch (SampleDraw) is ONE forward and reverse pass of Eigen
// matrix products over its gathered columns (sample_sum), each example's weight folded into
// its column of the loss gradient. full() and the metrics go through the data in chunks.
//
// blocks() are the network's weights and biases ("layer0.weight", "layer0.bias", ...), so step
// rules act per block. Metrics (trace columns; they cost a pass over the data, so log them
// every epoch or so): train_loss (and train_accuracy for a classifier) on the training set,
// test_loss, test_accuracy (classifier) or test_squared_error (autoencoder) on the test set
// when the data set has one. The training loss and accuracy reuse the pass of the last full()
// at the same x (the solver's residual), so logging costs one gradient pass plus the test set.
//
// Batch normalization (normalization = "batch", Ioffe & Szegedy 2015; nn/batch_norm.hpp). In
// training mode, the minibatches of sample_sum (a SampleDraw is one batch of B ≥ 2 examples),
// each hidden layer normalizes by the plain (unweighted) mean and biased variance of its B
// columns, the draw's weights scaling only the losses: F_ξ(x) = ∇_x Σ_k w_k ℓ(net_x(a_{i_k};
// batch ξ), b_{i_k}), the exact gradient of the minibatch objective, which is no longer a sum of
// per-example F_i (an example's output depends on its batch). Each such pass moves the running
// statistics as torch does: mean ← 0.9 mean + 0.1 μ_B, variance ← 0.9 variance + 0.1 σ_B²
// B/(B − 1) (starting at 0 and 1; state saved in checkpoints: save_state). full(), the metrics
// (train and test loss and accuracy), layer_gradient_norms and evaluate_* run in evaluation mode:
// each example normalized by the running statistics, which they leave unchanged, so F(x) is the
// gradient of the evaluation-mode risk with the statistics held constant. sample(i) alone (one
// example: no batch statistics) throws InputError naming TrainingOptions::normalization, and so
// does a minibatch of one; run files refuse the methods and samplings that evaluate examples
// one by one or at other points than the step's (io/run_config.cpp).
//
// The per-example gradients of the last minibatch, in factored form, are open to curvature step
// rules (nn::DenseBatchSource: MBF, K-FAC).
//
// With layer_gradient_norms, the metrics also hold grad_norm.layer<l> = ‖∂L/∂W_l‖ over the
// training set (from the last full() at the same x: no extra pass), to watch gradients explode or
// vanish through depth; layer_gradient_norms() gives them on a subset.
//
// Not safe to share across threads (workspaces in const methods), as MlpGan.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sgda/nn/dense_batch.hpp"
#include "sgda/nn/network.hpp"
#include "sgda/options.hpp"
#include "sgda/problem.hpp"
#include "sgda/process_group.hpp"

namespace sgda {

using FloatMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>;

// A data set in memory, one example per column (features as float: Fashion-MNIST's 60000
// images take 188 MB). Classification sets have labels, regression sets targets; a test set is
// optional (test_features empty when there is none).
//
// Split over the processes of data-parallel training (load_dataset with a group, docs/mpi.md),
// a process holds some rows of each set only: its columns are the examples first, first + 1,
// ... of a training set of `total` (test_first and test_total: of the test set). total = 0
// means the columns are the whole set.
struct Dataset {
  std::string name;           // where it came from, for messages
  FloatMatrix features;       // d × (the examples held)
  std::vector<Index> labels;  // one class index in [0, classes) per example held, or empty
  FloatMatrix targets;        // k × (the examples held) real targets, or empty
  FloatMatrix test_features;  // d × (the test examples held), or empty
  std::vector<Index> test_labels;
  FloatMatrix test_targets;
  Index classes = 0;  // number of classes (classification)
  Index first = 0, total = 0, test_first = 0, test_total = 0;

  Index size() const { return features.cols(); }  // examples held
  Index dimension() const { return features.rows(); }
  // In the whole sets.
  Index examples() const { return total > 0 ? total : size(); }
  Index test_examples() const { return test_total > 0 ? test_total : test_features.cols(); }
  bool has_test() const { return test_examples() > 0; }
};

enum class TrainingTask { kClassifier, kRegression, kAutoencoder };
template <>
const std::vector<EnumValue<TrainingTask>>& enum_values<TrainingTask>();

struct TrainingOptions {
  // Hidden widths, comma-separated ("256,256"); "" = the task's default: 256,256 for a
  // classifier or a regression, 1000,500,250,30 for an autoencoder (its encoder, ending in the
  // code; the decoder mirrors it).
  std::string hidden;
  nn::Activation activation = nn::Activation::kRelu;  // of the hidden layers (not the code)
  std::uint64_t seed = 0;                             // of the initial network
  // The initial weights (biases are zero); unset: He normal for (leaky) ReLU, Xavier uniform
  // otherwise. Orthogonal's gain is √2 for (leaky) ReLU, 1 otherwise (init_gain).
  std::optional<nn::Init> init;
  double init_std = 1.0;  // σ of init = normal
  // After each hidden dense layer, before its activation (the autoencoder's code layer too).
  // "batch": training mode on minibatches, evaluation mode in full() and the metrics (see
  // TrainingProblem).
  nn::Normalization normalization = nn::Normalization::kNone;
  // Metrics grad_norm.layer<l> = ‖∂L/∂W_l‖ (Frobenius, the full training gradient) per layer.
  bool layer_gradient_norms = false;

  static const OptionTable<TrainingOptions>& table();
  std::optional<FieldError> Check() const;  // the table's ranges; hidden parses
  bool IsValid(std::string* error) const { return passes(Check(), error); }
  // The hidden widths for `task`; throws InputError naming TrainingOptions::hidden.
  std::vector<Index> hidden_widths(TrainingTask task) const;
  // The initialization used: `init`, or the default for `activation`.
  nn::Init resolved_init() const;
  // init_std, and orthogonal's gain: √2 for relu and leaky-relu (as He's variance 2/fan_in,
  // whatever the slope), 1 otherwise.
  nn::InitScale init_scale() const;
};

class TrainingProblem final : public Problem, public nn::DenseBatchSource {
 public:
  // Checks that the data fit the task (labels for a classifier, targets for a regression,
  // test shapes); throws InputError naming the field.
  TrainingProblem(TrainingTask task, const TrainingOptions& options,
                  std::shared_ptr<const Dataset> data,
                  std::shared_ptr<const Regularizer> regularizer = nullptr);

  std::string name() const override { return to_string(task_); }
  Index dim() const override { return network_.num_parameters(); }
  Index num_samples() const override { return data_->examples(); }
  // ∇ℓ_i(x), through the batched path with one column.
  void sample(Index i, ConstVectorRef x, VectorRef out) const override;
  // Σ_k w_k ∇ℓ_{i_k}(x) by one batched forward and reverse pass; `workspace` is not used.
  void sample_sum(const SampleDraw& draw, ConstVectorRef x, VectorRef out,
                  VectorRef workspace) const override;
  // ∇L(x) over the whole training set in chunks; remembers L(x) for metrics().
  void full(ConstVectorRef x, VectorRef out) const override;
  std::vector<Block> blocks() const override { return network_.blocks(); }
  Vector initial_point() const override { return initial_; }
  std::vector<std::pair<std::string, double>> metrics(ConstVectorRef x) const override;
  // Data-parallel training (`mpirun ... sgda solve`, docs/mpi.md): with a group of processes
  // that all run the same solve, process r of R owns the contiguous rows share_of(N, r, R) of
  // the training set (and of the test set), which its Dataset must hold (all of them, or just
  // those: load_dataset with the group). sample_sum evaluates the pairs of each minibatch whose
  // example is in its rows, in draw order with their weights, full() and the metrics its rows,
  // and the partial sums are added over the group in rank order (collective calls), so every
  // process takes the same step and logs the same metrics. Null: every row here (the Dataset
  // must then be whole). Throws InputError with batch normalization (its statistics are the
  // whole minibatch's) and when the Dataset does not hold this process's rows.
  void set_data_parallel(ProcessGroup* group);
  std::vector<nn::Dense> dense_layers() const override;
  nn::DenseBatch last_batch() const override;
  void require_whole_batches() const override;  // not in data-parallel training
  // Batch normalization's running statistics under "batch_norm.layer<l>.mean" / ".variance"
  // (nothing without batch normalization); reset_state puts back mean 0, variance 1.
  void save_state(StateArchive& out) const override;
  void load_state(const StateArchive& in) const override;
  void reset_state() const override;
  const nn::Network::RunningStatistics& running_statistics() const { return running_; }

  // The loss (mean over the examples) and, for a classifier, the fraction classified right
  // (the arg max of the logits is the label); for an autoencoder, the mean squared error Σ_p.
  struct Evaluation {
    double loss = 0.0;
    double accuracy = 0.0;       // classifier
    double squared_error = 0.0;  // autoencoder
  };
  Evaluation evaluate_training(ConstVectorRef x) const;
  Evaluation evaluate_test(ConstVectorRef x) const;  // needs a test set

  // ‖∂L_S/∂W_l‖ (Frobenius) for each layer l, input to output, of the mean loss L_S over the
  // first `examples` training examples (all of them when 0 or more than N): how the gradient
  // grows or fades through depth (Sun 2019, Sec. 4: exploding and vanishing gradients).
  std::vector<double> layer_gradient_norms(ConstVectorRef x, Index examples = 0) const;

  TrainingTask task() const { return task_; }
  const nn::Network& network() const { return network_; }
  const Dataset& data() const { return *data_; }
  // Examples per chunk of full() and the metrics (bounded memory).
  static constexpr Index kChunk = 1024;

 private:
  struct Workspace {
    nn::Tape tape;
    Matrix input, target, grad;
    std::vector<Index> labels;
  };
  // Gathers the columns `indices` (weights `weights`, or 1/N... as given) and evaluates:
  // returns the weighted loss sum; with `gradient` non-empty writes Σ w ∇ℓ into it. Batch
  // normalization in training mode (updating the running statistics) when `training` is set,
  // else in evaluation mode.
  Evaluation batch(const FloatMatrix& features, const std::vector<Index>& labels,
                   const FloatMatrix& targets, const Index* indices, Index first, Index count,
                   const double* weights, double weight, ConstVectorRef x, VectorRef gradient,
                   Workspace& work, bool training = false) const;
  bool batch_normalized() const { return options_.normalization == nn::Normalization::kBatch; }
  // The mean over `total` examples, of which this process evaluates its columns `rows` in
  // chunks, summed over the group of data-parallel training (one collective call).
  Evaluation pass(const FloatMatrix& features, const std::vector<Index>& labels,
                  const FloatMatrix& targets, Share rows, Index total, ConstVectorRef x,
                  VectorRef gradient) const;
  // Sets rows_ and test_rows_ for `group` (every row alone); false when the Dataset does not
  // hold them.
  bool assign_rows(ProcessGroup* group);
  std::string rows_error(ProcessGroup* group) const;
  void check_rows() const;
  Workspace& workspace(Index batch) const;

  TrainingTask task_;
  TrainingOptions options_;
  std::shared_ptr<const Dataset> data_;
  nn::Network network_;
  Vector initial_;
  // By batch size: no allocation once seen, but in data-parallel training, where sample_sum
  // evaluates this process's share of a minibatch in the minibatch's workspace and the tape is
  // resized to each step's share.
  mutable std::map<Index, Workspace> work_;
  mutable Vector part_;        // full(): one chunk's gradient
  mutable SampleDraw single_;  // sample(): one pair
  mutable Vector cached_x_;    // the x of the last full(), and what it found
  mutable Evaluation cached_;
  mutable std::vector<double> cached_layer_norms_;  // of the last full() gradient
  mutable const Workspace* last_ = nullptr;         // of the last sample_sum, and its weights
  mutable std::vector<double> last_weights_;
  mutable nn::Network::RunningStatistics running_;  // batch normalization's
  ProcessGroup* data_parallel_ = nullptr;
  // The columns of the Dataset this process evaluates (set_data_parallel), if it holds them.
  Share rows_, test_rows_;
  bool holds_rows_ = false;
  mutable std::vector<Index> held_;  // sample_sum: the columns of the draw's pairs evaluated here
  mutable Vector reduce_;            // pass(): the sums sent over the group
};

}  // namespace sgda
