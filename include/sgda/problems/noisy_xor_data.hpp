// Noisy XOR data (Frei, Chatterji & Bartlett 2022, "Random feature amplification: feature
// learning and generalization in neural networks"; the XOR mixture of their Sec. 2):
// two orthogonal means μ₁ ⟂ μ₂ of norm ‖μ‖, four equally likely clusters ±μ₁ (label +1) and
// ±μ₂ (label −1), x = cluster mean + z with z ~ N(0, I_p). No linear classifier does better
// than chance on it (x ↦ −x keeps the labels). Each label is flipped independently with
// probability `flip` (the training set and the noisy copy of the test set's labels; the test
// set keeps its clean labels too).
// Reproducible from the seed, example by example: training example i is drawn from
// Rng::stream(seed, i), test example j from Rng::stream(seed, 2^62 + j) and the means from
// Rng::stream(seed, 2^64 − 1), so a larger set extends a smaller one.
#pragma once

#include <cstdint>

#include "sgda/types.hpp"

namespace sgda {

struct NoisyXorDataSpec {
  Index dimension = 100;   // p
  double mean_norm = 5.0;  // ‖μ₁‖ = ‖μ₂‖
  Index samples = 1000;    // n, training examples
  Index test_samples = 10000;
  double flip = 0.1;  // probability that a label is flipped
  std::uint64_t seed = 0;
};

struct NoisyXorData {
  Vector mean1, mean2;   // μ₁ ⟂ μ₂ (Gram–Schmidt on two Gaussian directions)
  Matrix features;       // p × n, one example per column
  Vector labels;         // ±1, flipped with probability `flip`
  Vector clean_labels;   // ±1, from the cluster
  Matrix test_features;  // p × n_test
  Vector test_labels;    // ±1, flipped with probability `flip`
  Vector test_clean_labels;
};

// Draws the data of `spec` (unchecked: dimension ≥ 2, flip ∈ [0, 1]).
NoisyXorData generate_noisy_xor(const NoisyXorDataSpec& spec);

}  // namespace sgda
