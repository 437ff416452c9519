// Weight initialization from sgda::Rng, so a seed gives the same network everywhere.
//   He (He et al. 2015, "Delving deep into rectifiers"): Var W = 2/fan_in, for ReLU layers;
//   Xavier (Glorot & Bengio 2010): Var W = 2/(fan_in + fan_out), for tanh/sigmoid layers.
// Each as a normal or as a uniform U(−a, a) with a = √(3 Var) (the same variance).
#pragma once

#include <string>
#include <vector>

#include "sgda/nn/matrix.hpp"
#include "sgda/rng.hpp"

namespace sgda::nn {

enum class Init { kHeNormal, kHeUniform, kXavierNormal, kXavierUniform };

// "he-normal", "he-uniform", "xavier-normal", "xavier-uniform".
std::string to_string(Init init);
Init init_from_string(const std::string& name);  // throws InputError naming the accepted ones
const std::vector<std::string>& init_names();

// The variance of every entry of a fan_out × fan_in weight matrix.
double init_variance(Init init, Index fan_in, Index fan_out);

// Fills w (fan_out × fan_in = rows × cols) column by column from rng.
void initialize_weight(Init init, MatrixRef w, Rng& rng);

}  // namespace sgda::nn
