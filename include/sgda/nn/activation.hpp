// Elementwise activations and their derivatives, on batches (columns = examples).
#pragma once

#include <string>
#include <vector>

#include "sgda/nn/matrix.hpp"
#include "sgda/options.hpp"

namespace sgda::nn {

enum class Activation { kIdentity, kRelu, kLeakyRelu, kTanh, kSigmoid };

}  // namespace sgda::nn

namespace sgda {
// "identity", "relu", "leaky-relu", "tanh", "sigmoid" (to_string, from_string: options.hpp).
template <>
const std::vector<EnumValue<nn::Activation>>& enum_values<nn::Activation>();
}  // namespace sgda

namespace sgda::nn {

// y = σ(z). `slope` is LeakyReLU's slope for z < 0 (Maas et al. 2013); ignored otherwise.
void activate(Activation activation, const ConstMatrixRef& z, MatrixRef y, double slope = 0.2);

// dz = dy ⊙ σ'(z), from z and y = σ(z) (tanh and sigmoid use y: σ' = 1 − y², y(1 − y)).
// ReLU'(0) = 0, the convention of common frameworks. dz may alias dy.
void activation_backward(Activation activation, const ConstMatrixRef& z, const ConstMatrixRef& y,
                         const ConstMatrixRef& dy, MatrixRef dz, double slope = 0.2);

}  // namespace sgda::nn
