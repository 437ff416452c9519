// Weight initialization from sgda::Rng, so a seed gives the same network everywhere.
//   He (He et al. 2015, "Delving deep into rectifiers"): Var W = 2/fan_in, for ReLU layers;
//   Xavier (Glorot & Bengio 2010): Var W = 2/(fan_in + fan_out), for tanh/sigmoid layers;
// each as a normal or as a uniform U(−a, a) with a = √(3 Var) (the same variance);
//   orthogonal (Saxe, McClelland & Ganguli 2014): W = gain · Q, Q the (semi-)orthogonal factor
//   of the QR decomposition of a Gaussian matrix with diag(R) > 0 (Haar distributed: the sign
//   fix of Mezzadri 2007), so WᵀW = gain² I (tall W) or WWᵀ = gain² I (wide W);
//   normal: the naive N(0, σ²) whatever the fan-in, which explodes or vanishes with depth.
#pragma once

#include <string>
#include <vector>

#include "sgda/nn/matrix.hpp"
#include "sgda/options.hpp"
#include "sgda/rng.hpp"

namespace sgda::nn {

enum class Init { kHeNormal, kHeUniform, kXavierNormal, kXavierUniform, kOrthogonal, kNormal };

// What some initializations take besides the shape: σ of `normal`, the gain of `orthogonal`.
struct InitScale {
  double normal_std = 1.0;
  double orthogonal_gain = 1.0;
};

}  // namespace sgda::nn

namespace sgda {
// "he-normal", "he-uniform", "xavier-normal", "xavier-uniform", "orthogonal", "normal"
// (to_string, from_string: options.hpp).
template <>
const std::vector<EnumValue<nn::Init>>& enum_values<nn::Init>();
}  // namespace sgda

namespace sgda::nn {

Init init_from_string(const std::string& name);  // throws InputError naming the accepted ones
std::vector<std::string> init_names();

// The variance of every entry of a fan_out × fan_in weight matrix (orthogonal: gain²/max(fan_in,
// fan_out), the mean of the squared entries of gain · Q).
double init_variance(Init init, Index fan_in, Index fan_out, const InitScale& scale = {});

// Fills w (fan_out × fan_in = rows × cols) column by column from rng (orthogonal: the Gaussian
// matrix of the taller shape column by column, then its QR).
void initialize_weight(Init init, MatrixRef w, Rng& rng, const InitScale& scale = {});

// The Q factor of a tall a (rows ≥ cols) with diag(R) > 0, in place: Gram-Schmidt with one
// reorthogonalization ("twice is enough", Giraud et al. 2005), in plain loops so that the
// result does not depend on Eigen's vectorization.
void orthonormalize_columns(MatrixRef a);

}  // namespace sgda::nn
