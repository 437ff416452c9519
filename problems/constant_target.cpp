#include "sgda/problems/constant_target.hpp"

#include <algorithm>

#include "sgda/error.hpp"
#include "sgda/nn/reduced_space.hpp"
#include "sgda/problems/training.hpp"
#include "sgda/rng.hpp"

namespace sgda {
namespace {

// Streams of their own, outside the samples' indices [0, 2^62) (as StreamingPca's initial point).
constexpr std::uint64_t kInitialStream = ~std::uint64_t{0};
constexpr std::uint64_t kEvaluationStream = ~std::uint64_t{0} - 1;

// The widths of "8,8", parsed as the training problems' hidden widths are.
std::vector<Index> hidden_widths(const std::string& text) {
  TrainingOptions o;
  o.hidden = text;
  return o.hidden_widths(TrainingTask::kRegression);
}

}  // namespace

const OptionTable<ConstantTargetOptions>& ConstantTargetOptions::table() {
  using O = ConstantTargetOptions;
  static const OptionTable<O> table(
      "ConstantTargetOptions",
      {
          field("dimension", &O::dimension, "d of the inputs X ~ U[0, 1]^d")
              .bounds(1, false, 1e4, false),
          field("hidden", &O::hidden, "hidden widths of the ReLU network, comma-separated"),
          field("target", &O::target, "xi, the constant target: the loss is (net(X) - xi)^2"),
          field("seed", &O::seed,
                "the samples X_i, the evaluation sample and the initial network (He normal)"),
          field("eval_samples", &O::eval_samples,
                "M: the fixed evaluation sample of the risk metric (a Monte Carlo estimate) "
                "and of the full gradient")
              .bounds(1, false, 1e7, false),
      });
  return table;
}

std::optional<FieldError> ConstantTargetOptions::Check() const {
  if (auto error = table().check(*this)) return error;
  if (hidden.empty())
    return FieldError{"ConstantTargetOptions::hidden",
                      "must be positive widths separated by commas (e.g. \"8,8\"), got \"\""};
  std::vector<Index> widths;
  try {
    widths = hidden_widths(hidden);
  } catch (const InputError& e) {
    return FieldError{"ConstantTargetOptions::hidden", e.field() ? e.field()->problem : e.what()};
  }
  // The evaluation sample and the weights at most 1e9 doubles, as for every other problem.
  double weights = double(dimension) * double(widths.front()) + double(widths.back());
  for (std::size_t l = 1; l < widths.size(); ++l)
    weights += double(widths[l - 1]) * double(widths[l]);
  if (weights > 1e9)
    return FieldError{"ConstantTargetOptions::hidden",
                      "the network would hold more than 1e9 weights; accepted fewer or narrower "
                      "layers"};
  if (double(dimension) * double(eval_samples) > 1e9)
    return FieldError{"ConstantTargetOptions::eval_samples",
                      "the evaluation sample would hold dimension*eval_samples > 1e9 doubles; "
                      "accepted fewer"};
  return std::nullopt;
}

ConstantTarget::ConstantTarget(const ConstantTargetOptions& options,
                               std::shared_ptr<const Regularizer> regularizer)
    : Problem(std::move(regularizer)), options_(options), network_(network_for(options)) {
  Rng rng = Rng::stream(options_.seed, kInitialStream);
  initial_.resize(dim());
  network_.initialize(initial_, nn::Init::kHeNormal, rng);
  // In the reduced space, the equivalent network (the same function, unit hidden rows).
  if (dynamic_cast<const nn::NeuronSphere*>(&this->regularizer()))
    initial_ = nn::to_reduced_space(network_, initial_);
  evaluation_.resize(options_.dimension, options_.eval_samples);
  Rng eval = Rng::stream(options_.seed, kEvaluationStream);
  for (Index k = 0; k < evaluation_.cols(); ++k)
    for (Index j = 0; j < evaluation_.rows(); ++j) evaluation_(j, k) = eval.uniform();
  single_.indices.assign(1, 0);
  single_.weights.assign(1, 1.0);
}

nn::Network ConstantTarget::network_for(const ConstantTargetOptions& options) {
  if (const auto error = options.Check()) throw InputError(*error);
  std::vector<Index> widths{options.dimension};
  for (const Index w : hidden_widths(options.hidden)) widths.push_back(w);
  widths.push_back(1);
  return nn::Network(widths, nn::Activation::kRelu, nn::Activation::kIdentity);
}

void ConstantTarget::draw(Index i, VectorRef out) const {
  Rng rng = Rng::stream(options_.seed, static_cast<std::uint64_t>(i));
  for (Index j = 0; j < out.size(); ++j) out[j] = rng.uniform();
}

ConstantTarget::Workspace& ConstantTarget::workspace(Index batch) const {
  Workspace& work = work_[batch];
  if (work.input.cols() != batch) {
    network_.prepare(work.tape, batch);
    work.input.resize(options_.dimension, batch);
    work.grad.resize(1, batch);
  }
  return work;
}

double ConstantTarget::evaluate(Index count, const double* weights, double weight, ConstVectorRef x,
                                VectorRef gradient, Workspace& work) const {
  const Matrix& out = network_.forward(x, work.input.leftCols(count), work.tape);
  double loss = 0.0;
  for (Index k = 0; k < count; ++k) {
    // ℓ = (net − ξ)², ∂ℓ/∂net = 2(net − ξ), weighted.
    const double w = weights ? weights[k] : weight;
    const double residual = out(0, k) - options_.target;
    loss += w * residual * residual;
    work.grad(0, k) = 2.0 * w * residual;
  }
  if (gradient.size() > 0) network_.backward(x, work.grad.leftCols(count), work.tape, gradient);
  return loss;
}

void ConstantTarget::sample(Index i, ConstVectorRef x, VectorRef out) const {
  single_.indices[0] = i;
  Eigen::Map<Vector> none(nullptr, 0);
  sample_sum(single_, x, out, none);
}

void ConstantTarget::sample_sum(const SampleDraw& draw, ConstVectorRef x, VectorRef out,
                                VectorRef) const {
  const auto count = static_cast<Index>(draw.indices.size());
  Workspace& work = workspace(count);
  for (Index k = 0; k < count; ++k)
    this->draw(draw.indices[static_cast<std::size_t>(k)], work.input.col(k));
  evaluate(count, draw.weights.data(), 0.0, x, out, work);
}

double ConstantTarget::risk(ConstVectorRef x, VectorRef gradient) const {
  const Index total = evaluation_.cols();
  const double weight = 1.0 / static_cast<double>(total);
  const bool want_gradient = gradient.size() > 0;
  Eigen::Map<Vector> none(nullptr, 0);
  if (want_gradient) {
    part_.resize(dim());
    gradient.setZero();
  }
  double sum = 0.0;
  for (Index first = 0; first < total; first += kChunk) {
    const Index count = std::min(kChunk, total - first);
    Workspace& work = workspace(count);
    work.input = evaluation_.middleCols(first, count);
    sum += evaluate(count, nullptr, weight, x, want_gradient ? VectorRef(part_) : VectorRef(none),
                    work);
    if (want_gradient) gradient += part_;
  }
  return sum;
}

void ConstantTarget::full(ConstVectorRef x, VectorRef out) const {
  cached_risk_ = risk(x, out);
  cached_x_ = x;
}

std::vector<std::pair<std::string, double>> ConstantTarget::metrics(ConstVectorRef x) const {
  if (cached_x_.size() == x.size() && cached_x_ == x) return {{"risk", cached_risk_}};
  Eigen::Map<Vector> none(nullptr, 0);
  return {{"risk", risk(x, none)}};
}

}  // namespace sgda
