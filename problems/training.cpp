#include "sgda/problems/training.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "sgda/error.hpp"
#include "sgda/nn/loss.hpp"
#include "sgda/nn/reduced_space.hpp"
#include "sgda/rng.hpp"

namespace sgda {
namespace {

bool is_rectifier(nn::Activation a) {
  return a == nn::Activation::kRelu || a == nn::Activation::kLeakyRelu;
}

FieldError hidden_error(const std::string& problem) {
  return FieldError{"TrainingOptions::hidden", problem};
}

std::vector<Index> parse_widths(const std::string& text) {
  std::vector<Index> widths;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    std::string item = text.substr(start, end - start);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    std::size_t used = 0;
    long long width = 0;
    try {
      width = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || width < 1 || width > 1000000)
      throw InputError(hidden_error(
          "must be positive widths separated by commas (e.g. \"256,256\"), got \"" + text + "\""));
    widths.push_back(static_cast<Index>(width));
    start = end + 1;
  }
  return widths;
}

}  // namespace

template <>
const std::vector<EnumValue<TrainingTask>>& enum_values<TrainingTask>() {
  static const std::vector<EnumValue<TrainingTask>> values = {
      {TrainingTask::kClassifier, "classifier", "softmax cross-entropy on class labels"},
      {TrainingTask::kRegression, "regression", "squared loss on real targets"},
      {TrainingTask::kAutoencoder, "autoencoder",
       "encoder and mirrored decoder; binary cross-entropy reconstruction"},
  };
  return values;
}

const OptionTable<TrainingOptions>& TrainingOptions::table() {
  using O = TrainingOptions;
  static const OptionTable<O> table(
      "TrainingOptions",
      {
          field("hidden", &O::hidden,
                "hidden widths, comma-separated; an autoencoder's encoder ending in the code "
                "(the decoder mirrors it)")
              .defaults_to("256,256 (classifier, regression); 1000,500,250,30 (autoencoder)"),
          field("activation", &O::activation, "activation of the hidden layers"),
          field("seed", &O::seed, "the initial network"),
          field("init", &O::init,
                "the initial weights (biases are zero); orthogonal's gain is sqrt(2) for "
                "relu/leaky-relu, 1 otherwise")
              .defaults_to("he-normal for relu/leaky-relu, xavier-uniform otherwise"),
          field("init_std", &O::init_std, "sigma of init = \"normal\": N(0, sigma^2)")
              .above(0)
              .when("init", {nn::Init::kNormal}),
          field("normalization", &O::normalization,
                "after each hidden dense layer, before its activation; blocks "
                "layer<l>.norm.gain and layer<l>.norm.bias; batch: each minibatch's statistics "
                "in the steps (sgda, nice or shuffle sampling, batch_size >= 2), the running "
                "statistics (momentum 0.1, checkpointed) in full() and the metrics"),
          field("layer_gradient_norms", &O::layer_gradient_norms,
                "metrics grad_norm.layer<l>: the norm of the training loss's gradient in each "
                "layer's weights"),
      });
  return table;
}

std::optional<FieldError> TrainingOptions::Check() const {
  if (auto error = table().check(*this)) return error;
  try {
    if (!hidden.empty()) {
      // The hidden layers' weights (and their optimizer states) at most 1e9 doubles, as for
      // every other problem, checked before a network is built.
      const std::vector<Index> w = parse_widths(hidden);
      double weights = 0.0;
      for (std::size_t l = 1; l < w.size(); ++l) weights += double(w[l - 1]) * double(w[l]);
      if (weights > 1e9)
        return FieldError{"TrainingOptions::hidden",
                          "the hidden layers would hold " + std::to_string(std::int64_t(weights)) +
                              " weights; accepted up to 1e9 in all (8 GB): fewer or narrower "
                              "layers"};
    }
  } catch (const InputError& e) {
    return *e.field();
  }
  return std::nullopt;
}

std::vector<Index> TrainingOptions::hidden_widths(TrainingTask task) const {
  if (!hidden.empty()) return parse_widths(hidden);
  if (task == TrainingTask::kAutoencoder) return {1000, 500, 250, 30};
  return {256, 256};
}

nn::Init TrainingOptions::resolved_init() const {
  if (init) return *init;
  return is_rectifier(activation) ? nn::Init::kHeNormal : nn::Init::kXavierUniform;
}

nn::InitScale TrainingOptions::init_scale() const {
  nn::InitScale scale;
  scale.normal_std = init_std;
  scale.orthogonal_gain = is_rectifier(activation) ? std::sqrt(2.0) : 1.0;
  return scale;
}

TrainingProblem::TrainingProblem(TrainingTask task, const TrainingOptions& options,
                                 std::shared_ptr<const Dataset> data,
                                 std::shared_ptr<const Regularizer> regularizer)
    : Problem(std::move(regularizer)), task_(task), options_(options), data_(std::move(data)) {
  if (const auto error = options_.Check()) throw InputError(*error);
  if (!data_ || data_->examples() < 1 || data_->dimension() < 1)
    throw InputError("training: the data set has no examples");
  const Dataset& d = *data_;
  const std::string where = d.name.empty() ? "data" : d.name;
  auto fail = [&](const std::string& problem) { throw InputError(where + ": " + problem); };
  if (d.has_test() && d.test_features.rows() != d.dimension())
    fail("X_test: has " + std::to_string(d.test_features.rows()) + " features, X has " +
         std::to_string(d.dimension()));
  auto check_labels = [&](const std::vector<Index>& labels, Index n, Index first,
                          const char* name) {
    if (static_cast<Index>(labels.size()) != n)
      fail(std::string(name) + ": " + std::to_string(labels.size()) + " labels for " +
           std::to_string(n) + " examples");
    for (std::size_t i = 0; i < labels.size(); ++i)
      if (labels[i] < 0 || labels[i] >= d.classes)
        fail(std::string(name) + ": label " + std::to_string(labels[i]) + " of example " +
             std::to_string(first + static_cast<Index>(i)) + " out of range; accepted 0.." +
             std::to_string(d.classes - 1));
  };
  Index outputs = 0;
  switch (task_) {
    case TrainingTask::kClassifier:
      if (d.classes < 2) fail("y: a classifier needs integer class labels (at least 2 classes)");
      check_labels(d.labels, d.size(), d.first, "y");
      if (d.has_test()) check_labels(d.test_labels, d.test_features.cols(), d.test_first, "y_test");
      outputs = d.classes;
      break;
    case TrainingTask::kRegression:
      if (d.targets.cols() != d.size() || d.targets.rows() < 1)
        fail("y: a regression needs real targets, one per example (" +
             std::to_string(d.targets.cols()) + " for " + std::to_string(d.size()) + ")");
      if (d.has_test() && (d.test_targets.cols() != d.test_features.cols() ||
                           d.test_targets.rows() != d.targets.rows()))
        fail("y_test: needs one target of " + std::to_string(d.targets.rows()) +
             " values per test example");
      outputs = d.targets.rows();
      break;
    case TrainingTask::kAutoencoder:
      outputs = d.dimension();
      break;
  }

  const std::vector<Index> hidden = options_.hidden_widths(task_);
  const nn::Activation act = options_.activation;
  std::vector<Index> widths{d.dimension()};
  std::vector<nn::Activation> activations;
  for (Index w : hidden) widths.push_back(w), activations.push_back(act);
  if (task_ == TrainingTask::kAutoencoder) {
    activations.back() = nn::Activation::kIdentity;  // the code layer is linear
    for (std::size_t l = hidden.size() - 1; l-- > 0;)
      widths.push_back(hidden[l]), activations.push_back(act);
  }
  widths.push_back(outputs);
  activations.push_back(nn::Activation::kIdentity);  // logits or predictions
  network_ = nn::Network(widths, activations, /*slope=*/0.2, options_.normalization);

  Rng rng(options_.seed);
  initial_.resize(dim());
  network_.initialize(initial_, options_.resolved_init(), rng, options_.init_scale());
  // In the reduced space, the equivalent network (the same function, unit hidden rows).
  if (dynamic_cast<const nn::NeuronSphere*>(&this->regularizer()))
    initial_ = nn::to_reduced_space(network_, initial_);
  single_.indices.assign(1, 0);
  single_.weights.assign(1, 1.0);
  running_ = network_.initial_statistics();
  holds_rows_ = assign_rows(nullptr);  // else set_data_parallel says which rows it holds
}

TrainingProblem::Workspace& TrainingProblem::workspace(Index batch) const {
  Workspace& work = work_[batch];
  if (work.input.cols() != batch) {
    network_.prepare(work.tape, batch);
    work.input.resize(data_->dimension(), batch);
    work.grad.resize(network_.outputs(), batch);
    if (task_ == TrainingTask::kRegression) work.target.resize(network_.outputs(), batch);
    work.labels.resize(static_cast<std::size_t>(batch));
  }
  return work;
}

TrainingProblem::Evaluation TrainingProblem::batch(
    const FloatMatrix& features, const std::vector<Index>& labels, const FloatMatrix& targets,
    const Index* indices, Index first, Index count, const double* weights, double weight,
    ConstVectorRef x, VectorRef gradient, Workspace& work, bool training) const {
  // Gather the batch's columns (one example each), as doubles.
  if (indices) {
    for (Index k = 0; k < count; ++k) {
      const Index i = indices[k];
      work.input.col(k) = features.col(i).cast<double>();
      if (task_ == TrainingTask::kClassifier)
        work.labels[static_cast<std::size_t>(k)] = labels[static_cast<std::size_t>(i)];
      if (task_ == TrainingTask::kRegression) work.target.col(k) = targets.col(i).cast<double>();
    }
  } else {
    work.input.leftCols(count) = features.middleCols(first, count).cast<double>();
    if (task_ == TrainingTask::kClassifier)
      std::copy_n(labels.begin() + first, count, work.labels.begin());
    if (task_ == TrainingTask::kRegression)
      work.target.leftCols(count) = targets.middleCols(first, count).cast<double>();
  }
  // The workspace may be wider than the batch (sample_sum's share of a minibatch).
  const auto input = work.input.leftCols(count);
  const Matrix& out = training ? network_.forward_training(x, input, work.tape, &running_)
                               : network_.forward_evaluation(x, input, work.tape, running_);
  const bool want_gradient = gradient.size() > 0;
  Evaluation e;
  const Index k = out.rows();
  for (Index j = 0; j < count; ++j) {
    const double w = weights ? weights[j] : weight;
    const auto s = out.col(j);
    auto g = work.grad.col(j);
    switch (task_) {
      case TrainingTask::kClassifier: {
        // ℓ = logsumexp(s) − s_y; ∇ℓ = softmax(s) − e_y. Shifted by the maximum: no overflow.
        const Index y = work.labels[static_cast<std::size_t>(j)];
        Index arg = 0;
        const double shift = s.maxCoeff(&arg);
        g = (s.array() - shift).exp().matrix();
        const double sum = g.sum();
        e.loss += w * (shift + std::log(sum) - s[y]);
        e.accuracy += arg == y ? w : 0.0;
        if (want_gradient) {
          g *= w / sum;
          g[y] -= w;
        }
        break;
      }
      case TrainingTask::kRegression: {
        // ℓ = (1/k)‖p − t‖²; ∇ℓ = (2/k)(p − t).
        g = s - work.target.col(j);
        e.loss += w * g.squaredNorm() / double(k);
        if (want_gradient) g *= 2.0 * w / double(k);
        break;
      }
      case TrainingTask::kAutoencoder: {
        // ℓ = Σ_p softplus(s_p) − t_p s_p; ∇ℓ = σ(s) − t. Target = the input.
        double loss = 0.0, squared = 0.0;
        for (Index p = 0; p < k; ++p) {
          const double t = work.input(p, j), sp = s[p];
          loss += nn::softplus(sp) - t * sp;
          const double r = nn::sigmoid(sp) - t;
          squared += r * r;
          g[p] = w * r;
        }
        e.loss += w * loss;
        e.squared_error += w * squared;
        break;
      }
    }
  }
  if (want_gradient) {
    const auto used = work.grad.leftCols(count);
    network_.backward(x, used, work.tape, gradient, false);
  }
  return e;
}

namespace {

FieldError batch_norm_error(const std::string& problem) {
  return FieldError{"TrainingOptions::normalization", problem};
}

}  // namespace

void TrainingProblem::sample(Index i, ConstVectorRef x, VectorRef out) const {
  if (batch_normalized())
    throw InputError(batch_norm_error(
        "\"batch\" normalizes by a minibatch's statistics: there is no gradient of one example "
        "alone; accepted with methods that evaluate whole minibatches (sgda with nice or "
        "shuffle sampling)"));
  single_.indices[0] = i;
  Eigen::Map<Vector> none(nullptr, 0);
  sample_sum(single_, x, out, none);
}

void TrainingProblem::sample_sum(const SampleDraw& draw, ConstVectorRef x, VectorRef out,
                                 VectorRef) const {
  const auto count = static_cast<Index>(draw.indices.size());
  const Dataset& d = *data_;
  check_rows();
  if (batch_normalized() && count < 2)
    throw InputError(batch_norm_error(
        "\"batch\" normalizes by a minibatch's statistics: accepted minibatches of at least 2 "
        "examples, got one of " +
        std::to_string(count)));
  // The pairs of the draw whose example is in this process's rows (all of them alone), in draw
  // order, as columns of the Dataset.
  const Index lo = d.first + rows_.first, hi = lo + rows_.count;
  held_.clear();
  last_weights_.clear();
  for (Index k = 0; k < count; ++k) {
    const Index i = draw.indices[static_cast<std::size_t>(k)];
    if (i < lo || i >= hi) continue;
    held_.push_back(i - d.first);
    last_weights_.push_back(draw.weights[static_cast<std::size_t>(k)]);
  }
  const auto share = static_cast<Index>(held_.size());
  if (share > 0) {
    Workspace& work = workspace(count);  // by the draw's size: one workspace for every share
    batch(d.features, d.labels, d.targets, held_.data(), 0, share, last_weights_.data(), 0.0, x,
          out, work, batch_normalized());
    last_ = &work;
  } else {
    out.setZero();
  }
  if (data_parallel_) data_parallel_->sum_in_rank_order(out);
  // The running statistics moved: the metrics' cache of full() is stale.
  if (batch_normalized()) cached_x_.resize(0);
}

bool TrainingProblem::assign_rows(ProcessGroup* group) {
  const Dataset& d = *data_;
  const int rank = group ? group->rank() : 0, size = group ? group->size() : 1;
  const Share train = share_of(d.examples(), rank, size);
  const Share test = share_of(d.test_examples(), rank, size);
  const Index test_held = d.test_features.cols();
  if (train.first < d.first || train.end() > d.first + d.size() || test.first < d.test_first ||
      test.end() > d.test_first + test_held)
    return false;
  rows_ = {train.first - d.first, train.count};
  test_rows_ = {test.first - d.test_first, test.count};
  return true;
}

std::string TrainingProblem::rows_error(ProcessGroup* group) const {
  const Dataset& d = *data_;
  const int rank = group ? group->rank() : 0, size = group ? group->size() : 1;
  const Share train = share_of(d.examples(), rank, size);
  const std::string who =
      size > 1 ? "process " + std::to_string(rank) + " of " + std::to_string(size) : "one process";
  return (d.name.empty() ? std::string("data") : d.name) + ": holds the training examples " +
         std::to_string(d.first) + ".." + std::to_string(d.first + d.size() - 1) + " of " +
         std::to_string(d.examples()) + ", " + who + " evaluates " + std::to_string(train.first) +
         ".." + std::to_string(train.end() - 1) +
         " (and its share of the test set); accepted a data set loaded over the same processes "
         "(load_dataset with the group), or a whole one";
}

void TrainingProblem::check_rows() const {
  if (!holds_rows_) throw InputError(rows_error(data_parallel_));
}

void TrainingProblem::set_data_parallel(ProcessGroup* group) {
  if (group && batch_normalized())
    throw InputError(batch_norm_error(
        "\"batch\" normalizes by a whole minibatch's statistics: accepted \"none\" or "
        "\"layer\" for data-parallel training over MPI"));
  if (!assign_rows(group)) throw InputError(rows_error(group));
  holds_rows_ = true;
  data_parallel_ = group;
}

void TrainingProblem::save_state(StateArchive& out) const {
  if (!batch_normalized()) return;
  for (std::size_t l = 0; l < running_.size(); ++l) {
    if (running_[l].mean.size() == 0) continue;
    const std::string key = "batch_norm.layer" + std::to_string(l);
    out.put(key + ".mean", running_[l].mean);
    out.put(key + ".variance", running_[l].variance);
  }
}

void TrainingProblem::load_state(const StateArchive& in) const {
  if (!batch_normalized()) return;
  nn::Network::RunningStatistics running = network_.initial_statistics();
  for (std::size_t l = 0; l < running.size(); ++l) {
    if (running[l].mean.size() == 0) continue;
    const std::string key = "batch_norm.layer" + std::to_string(l);
    for (auto [name, v] :
         {std::pair{".mean", &running[l].mean}, std::pair{".variance", &running[l].variance}}) {
      const Vector& saved = in.vector(key + name);
      if (saved.size() != v->size())
        throw InputError("checkpoint: state '" + key + name + "' has " +
                         std::to_string(saved.size()) + " values, the network needs " +
                         std::to_string(v->size()));
      *v = saved;
    }
  }
  running_ = std::move(running);
  cached_x_.resize(0);
}

void TrainingProblem::reset_state() const {
  if (!batch_normalized()) return;
  running_ = network_.initial_statistics();
  cached_x_.resize(0);
}

std::vector<nn::Dense> TrainingProblem::dense_layers() const {
  std::vector<nn::Dense> layers;
  for (Index l = 0; l < network_.num_layers(); ++l) layers.push_back(network_.layer(l));
  return layers;
}

void TrainingProblem::require_whole_batches() const {
  if (data_parallel_)
    throw InputError(name() +
                     ": the curvature of a minibatch (mbf, kfac) needs all of its examples in "
                     "every process; accepted the other step rules in data-parallel training");
}

nn::DenseBatch TrainingProblem::last_batch() const {
  require_whole_batches();
  if (!last_) throw InputError(name() + ": no minibatch has been evaluated yet");
  nn::DenseBatch b;
  b.layers = dense_layers();
  for (std::size_t l = 0; l < b.layers.size(); ++l) {
    b.inputs.push_back(l == 0 ? &last_->tape.input : &last_->tape.post[l - 1]);
    b.deltas.push_back(&last_->tape.delta[l]);
  }
  b.weights = &last_weights_;
  return b;
}

TrainingProblem::Evaluation TrainingProblem::pass(const FloatMatrix& features,
                                                  const std::vector<Index>& labels,
                                                  const FloatMatrix& targets, Share rows,
                                                  Index total, ConstVectorRef x,
                                                  VectorRef gradient) const {
  check_rows();
  const double weight = 1.0 / static_cast<double>(total);
  const bool want_gradient = gradient.size() > 0;
  Eigen::Map<Vector> none(nullptr, 0);
  if (want_gradient) {
    part_.resize(dim());
    gradient.setZero();
  }
  Evaluation sum;
  for (Index first = rows.first; first < rows.end(); first += kChunk) {
    const Index count = std::min(kChunk, rows.end() - first);
    const Evaluation e =
        batch(features, labels, targets, nullptr, first, count, nullptr, weight, x,
              want_gradient ? VectorRef(part_) : VectorRef(none), workspace(count));
    if (want_gradient) gradient += part_;
    sum.loss += e.loss;
    sum.accuracy += e.accuracy;
    sum.squared_error += e.squared_error;
  }
  if (data_parallel_) {
    // The other processes' rows: the gradient and the three sums in one collective call.
    const Index k = gradient.size();
    reduce_.resize(k + 3);
    reduce_.head(k) = gradient;
    reduce_.tail(3) << sum.loss, sum.accuracy, sum.squared_error;
    data_parallel_->sum_in_rank_order(reduce_);
    gradient = reduce_.head(k);
    sum = {reduce_[k], reduce_[k + 1], reduce_[k + 2]};
  }
  return sum;
}

namespace {

std::vector<double> weight_norms(const nn::Network& network, ConstVectorRef gradient) {
  std::vector<double> norms;
  for (Index l = 0; l < network.num_layers(); ++l)
    norms.push_back(network.layer(l).weight(gradient).norm());
  return norms;
}

}  // namespace

void TrainingProblem::full(ConstVectorRef x, VectorRef out) const {
  const Dataset& d = *data_;
  cached_ = pass(d.features, d.labels, d.targets, rows_, d.examples(), x, out);
  cached_x_ = x;
  if (options_.layer_gradient_norms) cached_layer_norms_ = weight_norms(network_, out);
}

std::vector<double> TrainingProblem::layer_gradient_norms(ConstVectorRef x, Index examples) const {
  const Dataset& d = *data_;
  const Index total = examples > 0 ? std::min(examples, d.examples()) : d.examples();
  Vector gradient(dim());
  if (total == d.examples()) {
    full(x, gradient);
    return weight_norms(network_, gradient);
  }
  // The subset: the first `total` examples, of which this process's rows.
  const Index lo = d.first + rows_.first;
  const Share subset{rows_.first, std::clamp<Index>(total - lo, 0, rows_.count)};
  pass(d.features, d.labels, d.targets, subset, total, x, gradient);
  return weight_norms(network_, gradient);
}

TrainingProblem::Evaluation TrainingProblem::evaluate_training(ConstVectorRef x) const {
  if (cached_x_.size() == x.size() && cached_x_ == x) return cached_;
  const Dataset& d = *data_;
  Eigen::Map<Vector> none(nullptr, 0);
  return pass(d.features, d.labels, d.targets, rows_, d.examples(), x, none);
}

TrainingProblem::Evaluation TrainingProblem::evaluate_test(ConstVectorRef x) const {
  const Dataset& d = *data_;
  if (!d.has_test()) throw InputError(d.name + ": has no test set");
  Eigen::Map<Vector> none(nullptr, 0);
  return pass(d.test_features, d.test_labels, d.test_targets, test_rows_, d.test_examples(), x,
              none);
}

std::vector<std::pair<std::string, double>> TrainingProblem::metrics(ConstVectorRef x) const {
  std::vector<std::pair<std::string, double>> out;
  const bool cached = cached_x_.size() == x.size() && cached_x_ == x;
  // The norms need the gradient: one full() pass, which the training loss then reuses.
  std::vector<double> norms;
  if (options_.layer_gradient_norms) norms = cached ? cached_layer_norms_ : layer_gradient_norms(x);
  const Evaluation train = evaluate_training(x);
  out.emplace_back("train_loss", train.loss);
  if (task_ == TrainingTask::kClassifier) out.emplace_back("train_accuracy", train.accuracy);
  if (data_->has_test()) {
    const Evaluation test = evaluate_test(x);
    out.emplace_back("test_loss", test.loss);
    if (task_ == TrainingTask::kClassifier) out.emplace_back("test_accuracy", test.accuracy);
    if (task_ == TrainingTask::kAutoencoder)
      out.emplace_back("test_squared_error", test.squared_error);
  }
  for (std::size_t l = 0; l < norms.size(); ++l)
    out.emplace_back("grad_norm.layer" + std::to_string(l), norms[l]);
  return out;
}

}  // namespace sgda
