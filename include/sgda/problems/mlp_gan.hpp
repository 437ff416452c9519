// A GAN of two multilayer perceptrons on the ring of Gaussians (Metz et al. 2017, "Unrolled
// generative adversarial networks"; Srivastava et al. 2017, VEEGAN): data from an equal mixture
// of `modes` Gaussians N(μ_k, σ²I) in R² with μ_k on a circle of radius r; generator G_θ: noise
// z ~ N(0, I) → R²; discriminator D_ψ: R² → logit. The game of Goodfellow et al. 2014,
//   V(θ, ψ) = E_x log σ(D_ψ(x)) + E_z log(1 − σ(D_ψ(G_θ(z)))),
// discriminator maximizing. The generator minimizes V ("minimax") or, as usually trained,
// −E_z log σ(D_ψ(G_θ(z))) ("non-saturating", their Sec. 3): then F is not the field of one
// objective, but still the VI operator (∇_θ L_G, −∇_ψ V) of the game.
//
// The finite sum: N data draws and N noise draws fixed by the seed, in n = N/batch minibatches;
// F_i is the minibatch gradient, by one batched forward and reverse pass per network (Eigen
// matrix products, columns = examples; no allocation after the first call per batch size).
// The parameters x = (θ, ψ) have one block per weight and bias: "generator.layer0.weight", ...
// (minimizing), "discriminator.layer0.weight", ... (maximizing).
//
// Metrics on a fixed set of generator samples (noise drawn once from the seed): a sample is
// good when it lies within 3σ of its nearest mode; good_fraction is the fraction of good
// samples and modes_covered the number of modes that are the nearest mode of at least
// mode_threshold · eval_samples good samples (a count threshold, stricter than VEEGAN's "at
// least one").
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sgda/nn/network.hpp"
#include "sgda/problem.hpp"

namespace sgda {

// The generator's loss (Goodfellow et al. 2014): minimize log(1 − D(G(z))), or the
// non-saturating −log D(G(z)).
enum class GanLoss { kNonSaturating, kMinimax };
template <>
const std::vector<EnumValue<GanLoss>>& enum_values<GanLoss>();

struct MlpGanOptions {
  Index modes = 8;                                  // mixture components, ≥ 1
  double radius = 2.0;                              // of the ring, > 0
  double std = 0.02;                                // σ of each component, > 0
  Index samples = 8192;                             // N data (and noise) draws, a multiple of batch
  Index batch = 64;                                 // draws per F_i (n = N / batch)
  Index noise_dimension = 2;                        // dimension of z
  Index generator_width = 64, generator_depth = 2;  // hidden units per layer, hidden layers
  Index discriminator_width = 64, discriminator_depth = 2;
  nn::Activation generator_activation = nn::Activation::kRelu;  // hidden layers
  nn::Activation discriminator_activation = nn::Activation::kLeakyRelu;
  GanLoss loss = GanLoss::kNonSaturating;
  Index eval_samples = 2500;     // generator samples behind the metrics
  double mode_threshold = 0.01;  // fraction of eval_samples a covered mode needs
  std::uint64_t seed = 0;        // data, noise, evaluation noise and the initial networks

  static const OptionTable<MlpGanOptions>& table();
  std::optional<FieldError> Check() const;  // the table's ranges; samples a multiple of batch
  bool IsValid(std::string* error) const { return passes(Check(), error); }
};

class MlpGan final : public Problem {
 public:
  // `regularizer` acts on each weight and bias block (e.g. a box: WGAN-style weight clipping).
  explicit MlpGan(const MlpGanOptions& options = {},
                  std::shared_ptr<const Regularizer> regularizer = nullptr);

  std::string name() const override { return "mlp-gan"; }
  Index dim() const override {
    return generator_.num_parameters() + discriminator_.num_parameters();
  }
  Index num_samples() const override { return data_.cols() / options_.batch; }
  void sample(Index i, ConstVectorRef x, VectorRef out) const override;
  // The whole data set, in chunks of whole minibatches.
  void full(ConstVectorRef x, VectorRef out) const override;
  std::vector<Block> blocks() const override;
  // He initialization for ReLU-type layers, Xavier for tanh/sigmoid ones (from the seed).
  Vector initial_point() const override { return initial_; }
  // modes_covered, good_fraction (see above).
  std::vector<std::pair<std::string, double>> metrics(ConstVectorRef x) const override;

  // Generator samples G_θ(z) for noise z (noise_dimension × B), as a 2 × B matrix.
  Matrix generate(ConstVectorRef x, const Matrix& noise) const;
  const nn::Network& generator() const { return generator_; }
  const nn::Network& discriminator() const { return discriminator_; }
  const Matrix& data() const { return data_; }    // 2 × N; minibatch i is columns [iB, (i+1)B)
  const Matrix& noise() const { return noise_; }  // noise_dimension × N, paired with the data
  const Matrix& mode_centres() const { return centres_; }  // 2 × modes
  const MlpGanOptions& options() const { return options_; }

 private:
  // Tapes and buffers for one batch size (sample, full and metrics each keep their own).
  struct Workspace {
    nn::Tape generator, discriminator;
    Matrix input, grad_logits, grad_fake;
    Vector part;  // full(): one chunk's mean
  };
  void evaluate(const nn::ConstMatrixRef& data, const nn::ConstMatrixRef& noise, ConstVectorRef x,
                VectorRef out, Workspace& work) const;

  MlpGanOptions options_;
  nn::Network generator_, discriminator_;
  bool non_saturating_ = true;
  Matrix data_, noise_, eval_noise_, centres_;
  Vector initial_;
  mutable Workspace batch_work_, full_work_;
  mutable nn::Tape eval_tape_;
};

}  // namespace sgda
