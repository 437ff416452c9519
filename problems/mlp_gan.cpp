#include "sgda/problems/mlp_gan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <string>
#include <utility>

#include "sgda/error.hpp"
#include "sgda/nn/loss.hpp"
#include "sgda/rng.hpp"

namespace sgda {
namespace {

std::vector<Index> widths(Index in, Index width, Index depth, Index out) {
  std::vector<Index> w{in};
  for (Index l = 0; l < depth; ++l) w.push_back(width);
  w.push_back(out);
  return w;
}

// Sizes: as for the affine games, what the problem holds is at most 1e9 doubles (8 GB), checked
// before anything is allocated; a network has at most 1000 hidden layers.
constexpr double kMaxValues = 1e9;
constexpr double kMaxDepth = 1000;

std::string approx(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3g", value);
  return text;
}

bool is_rectifier(nn::Activation a) {
  return a == nn::Activation::kRelu || a == nn::Activation::kLeakyRelu;
}

}  // namespace

template <>
const std::vector<EnumValue<GanLoss>>& enum_values<GanLoss>() {
  static const std::vector<EnumValue<GanLoss>> values = {
      {GanLoss::kNonSaturating, "non-saturating", "the generator minimizes -log D(G(z))"},
      {GanLoss::kMinimax, "minimax", "the generator minimizes log(1 - D(G(z)))"},
  };
  return values;
}

const OptionTable<MlpGanOptions>& MlpGanOptions::table() {
  using O = MlpGanOptions;
  static const OptionTable<O> table(
      "MlpGanOptions",
      {
          field("modes", &O::modes, "Gaussians on the ring").at_least(1),
          field("radius", &O::radius, "radius of the ring").above(0),
          field("std", &O::std, "standard deviation of each Gaussian").above(0),
          field("samples", &O::samples, "N data (and noise) draws, a multiple of batch")
              .at_least(1),
          field("batch", &O::batch, "draws per F_i (n = samples / batch)").at_least(1),
          field("noise_dimension", &O::noise_dimension, "dimension of the generator's noise z")
              .at_least(1),
          field("generator_width", &O::generator_width, "hidden units per generator layer")
              .at_least(1),
          field("generator_depth", &O::generator_depth, "hidden layers of the generator")
              .bounds(0, false, kMaxDepth, false),
          field("discriminator_width", &O::discriminator_width,
                "hidden units per discriminator layer")
              .at_least(1),
          field("discriminator_depth", &O::discriminator_depth,
                "hidden layers of the discriminator")
              .bounds(0, false, kMaxDepth, false),
          field("generator_activation", &O::generator_activation,
                "activation of the generator's hidden layers"),
          field("discriminator_activation", &O::discriminator_activation,
                "activation of the discriminator's hidden layers"),
          field("loss", &O::loss, "the generator's loss"),
          field("eval_samples", &O::eval_samples, "generator samples behind the metrics")
              .at_least(1),
          field("mode_threshold", &O::mode_threshold,
                "fraction of eval_samples a covered mode needs")
              .bounds(0, true, 1, false),
          field("seed", &O::seed, "data, noise and initial networks"),
      });
  return table;
}

std::optional<FieldError> MlpGanOptions::Check() const {
  if (auto error = table().check(*this)) return error;
  if (samples % batch != 0)
    return FieldError{"MlpGanOptions::samples",
                      "must be a positive multiple of batch = " + std::to_string(batch) + ", got " +
                          std::to_string(samples)};
  // What the networks (with room for the step rules' state), the data, the noise and the batched
  // passes hold, in doubles (in double arithmetic: no overflow), each part charged to the field
  // that makes it large; the depths are bounded by the table.
  const double nd = double(noise_dimension), gw = double(generator_width),
               gd = double(generator_depth), dw = double(discriminator_width),
               dd = double(discriminator_depth), n = double(samples), b = double(batch),
               e = double(eval_samples);
  const std::pair<const char*, double> parts[] = {
      {"modes", 2.0 * double(modes)},
      {"samples", 2.0 * n},
      {"noise_dimension", nd * (n + e + gw + b)},
      {"eval_samples", e * (4.0 + gw * (gd + 1.0))},
      {"generator_width", (gd * (gw * gw + gw) * 4.0 + 4.0 * gw) + b * gw * (gd + 1.0)},
      {"discriminator_width", (dd * (dw * dw + dw) * 4.0 + 4.0 * dw) + b * dw * (dd + 1.0)},
  };
  double total = 0.0;
  const std::pair<const char*, double>* largest = &parts[0];
  for (const auto& part : parts) {
    total += part.second;
    if (part.second > largest->second) largest = &part;
  }
  if (!(total <= kMaxValues))
    return FieldError{std::string("MlpGanOptions::") + largest->first,
                      "the networks, data and passes would hold about " + approx(total) +
                          " doubles; accepted sizes up to 1e9 doubles in all (8 GB): lower " +
                          largest->first};
  return std::nullopt;
}

MlpGan::MlpGan(const MlpGanOptions& options, std::shared_ptr<const Regularizer> regularizer)
    : Problem(std::move(regularizer)), options_(options) {
  if (const auto error = options_.Check()) throw InputError(*error);
  const MlpGanOptions& o = options_;
  const nn::Activation g_act = o.generator_activation;
  const nn::Activation d_act = o.discriminator_activation;
  generator_ =
      nn::Network(widths(o.noise_dimension, o.generator_width, o.generator_depth, 2), g_act);
  discriminator_ = nn::Network(widths(2, o.discriminator_width, o.discriminator_depth, 1), d_act);
  non_saturating_ = o.loss == GanLoss::kNonSaturating;

  Rng rng(o.seed);
  centres_.resize(2, o.modes);
  for (Index k = 0; k < o.modes; ++k) {
    const double angle = 2.0 * std::numbers::pi * double(k) / double(o.modes);
    centres_(0, k) = o.radius * std::cos(angle);
    centres_(1, k) = o.radius * std::sin(angle);
  }
  data_.resize(2, o.samples);
  for (Index j = 0; j < o.samples; ++j) {
    const auto k = static_cast<Index>(rng.index(static_cast<std::uint64_t>(o.modes)));
    data_(0, j) = centres_(0, k) + o.std * rng.normal();
    data_(1, j) = centres_(1, k) + o.std * rng.normal();
  }
  auto gaussian = [&](Index rows, Index cols) {
    Matrix m(rows, cols);
    for (Index j = 0; j < cols; ++j)
      for (Index i = 0; i < rows; ++i) m(i, j) = rng.normal();
    return m;
  };
  noise_ = gaussian(o.noise_dimension, o.samples);
  eval_noise_ = gaussian(o.noise_dimension, o.eval_samples);

  // He et al. 2015 for rectifiers, Glorot & Bengio 2010 otherwise.
  initial_.resize(dim());
  const Index pg = generator_.num_parameters();
  generator_.initialize(initial_.head(pg),
                        is_rectifier(g_act) ? nn::Init::kHeNormal : nn::Init::kXavierUniform, rng);
  discriminator_.initialize(initial_.tail(dim() - pg),
                            is_rectifier(d_act) ? nn::Init::kHeNormal : nn::Init::kXavierUniform,
                            rng);
}

std::vector<Block> MlpGan::blocks() const {
  std::vector<Block> blocks = generator_.blocks("generator.", 0, false);
  for (Block& b : discriminator_.blocks("discriminator.", generator_.num_parameters(), true))
    blocks.push_back(std::move(b));
  return blocks;
}

void MlpGan::evaluate(const nn::ConstMatrixRef& data, const nn::ConstMatrixRef& noise,
                      ConstVectorRef x, VectorRef out, Workspace& work) const {
  const Index b = data.cols(), pg = generator_.num_parameters(),
              pd = discriminator_.num_parameters();
  const auto theta = x.head(pg);
  const auto psi = x.tail(pd);
  auto grad_theta = out.head(pg);
  auto grad_psi = out.tail(pd);
  Eigen::Map<Vector> none(nullptr, 0);

  // One discriminator pass over [real, fake] (2 × 2B).
  const Matrix& fake = generator_.forward(theta, noise, work.generator);
  work.input.resize(2, 2 * b);
  work.input.leftCols(b) = data;
  work.input.rightCols(b) = fake;
  const Matrix& logits = discriminator_.forward(psi, work.input, work.discriminator);

  // The discriminator minimizes −V = BCE(D(x), 1) + BCE(D(G(z)), 0): F_ψ = ∇_ψ(−V) = −∇_ψ V.
  work.grad_logits.resize(1, 2 * b);
  nn::logistic_loss(logits.leftCols(b), 1.0, work.grad_logits.leftCols(b));
  nn::logistic_loss(logits.rightCols(b), 0.0, work.grad_logits.rightCols(b));
  const Matrix& grad_input = discriminator_.backward(psi, work.grad_logits, work.discriminator,
                                                     grad_psi, !non_saturating_);

  work.grad_fake.resize(2, b);
  if (non_saturating_) {
    // The generator minimizes BCE(D(G(z)), 1) = −E log σ(D(G(z))): a second reverse pass
    // through D for the input gradient only.
    work.grad_logits.leftCols(b).setZero();
    nn::logistic_loss(logits.rightCols(b), 1.0, work.grad_logits.rightCols(b));
    const Matrix& g =
        discriminator_.backward(psi, work.grad_logits, work.discriminator, none, true);
    work.grad_fake = g.rightCols(b);
  } else {
    // The generator minimizes V, whose fake half is −BCE(D(G(z)), 0): the negated input gradient.
    work.grad_fake = -grad_input.rightCols(b);
  }
  generator_.backward(theta, work.grad_fake, work.generator, grad_theta, false);
}

void MlpGan::sample(Index i, ConstVectorRef x, VectorRef out) const {
  const Index b = options_.batch;
  evaluate(data_.middleCols(i * b, b), noise_.middleCols(i * b, b), x, out, batch_work_);
}

void MlpGan::full(ConstVectorRef x, VectorRef out) const {
  // In chunks of whole minibatches (bounded memory); equal minibatch sizes make the weighted
  // mean of the chunk means the mean over the whole data set.
  const Index total = data_.cols(), b = options_.batch;
  const Index chunk = b * std::max<Index>(1, 2048 / b);
  full_work_.part.resize(dim());
  out.setZero();
  for (Index first = 0; first < total; first += chunk) {
    const Index cols = std::min(chunk, total - first);
    evaluate(data_.middleCols(first, cols), noise_.middleCols(first, cols), x, full_work_.part,
             full_work_);
    out += (static_cast<double>(cols) / static_cast<double>(total)) * full_work_.part;
  }
}

Matrix MlpGan::generate(ConstVectorRef x, const Matrix& noise) const {
  nn::Tape tape;
  return generator_.forward(x.head(generator_.num_parameters()), noise, tape);
}

std::vector<std::pair<std::string, double>> MlpGan::metrics(ConstVectorRef x) const {
  const Matrix& samples =
      generator_.forward(x.head(generator_.num_parameters()), eval_noise_, eval_tape_);
  const Index modes = centres_.cols(), m = samples.cols();
  std::vector<Index> good_per_mode(static_cast<std::size_t>(modes), 0);
  Index good = 0;
  const double limit = 3.0 * options_.std;
  for (Index j = 0; j < m; ++j) {
    Index nearest = 0;
    const double distance =
        std::sqrt((centres_.colwise() - samples.col(j)).colwise().squaredNorm().minCoeff(&nearest));
    if (distance <= limit) {  // NaN samples are never good
      ++good;
      ++good_per_mode[static_cast<std::size_t>(nearest)];
    }
  }
  const double needed = options_.mode_threshold * static_cast<double>(m);
  Index covered = 0;
  for (Index count : good_per_mode) covered += static_cast<double>(count) >= needed && count > 0;
  return {{"modes_covered", static_cast<double>(covered)},
          {"good_fraction", static_cast<double>(good) / static_cast<double>(m)}};
}

}  // namespace sgda
