// The reduced parameter space of ReLU networks (seed paper: "training can be accomplished in a
// reduced parameter space": each neuron's incoming weights on the unit sphere, its threshold in
// a bounded interval).
//
// Equivalence. The hidden activations σ of relu, leaky-relu and identity are positively
// homogeneous, σ(cz) = c σ(z) for c > 0. For hidden neuron j of layer l, with incoming weights
// w_j (row j of W_l), bias b_j and c = ‖w_j‖ > 0,
//   W_{l+1}[:, j] σ(w_jᵀa + b_j) = (c W_{l+1}[:, j]) σ((w_j/c)ᵀa + b_j/c),
// so dividing row j and b_j by c and multiplying column j of W_{l+1} by c leaves the network's
// output unchanged. Done layer by layer from the first (the column scaling of layer l + 1
// changes its rows, which are normalized next), every hidden neuron ends with ‖w_j‖ = 1 and
// the function is the same: to_reduced_space(). The output layer is not constrained.
//
// The threshold bound X_B (ReducedSpaceOptions::threshold_bound) is a constraint the user
// chooses; the projection clamps every hidden bias to [−X_B, X_B]. What that preserves, for a
// first-layer ReLU neuron with ‖w_j‖ = 1 and inputs ‖x‖ ≤ X_B (so |w_jᵀx| ≤ X_B): a bias below
// −X_B makes the neuron output 0 on every input, and so does −X_B; a bias above X_B makes it
// linear on every input, and X_B changes its output by the constant b_j − X_B, which the next
// layer's bias can absorb (the projection does not move it there). So with inputs in the ball
// of radius X_B the first layer's functions are those of the standard network. For deeper
// layers the inputs are the previous layers' outputs, whose bound sgda does not track, and for
// leaky-relu a dead neuron is not constant: there the clamp is a constraint and no equivalence
// is claimed. to_reduced_space() does not clamp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sgda/block_regularizer.hpp"
#include "sgda/nn/network.hpp"
#include "sgda/options.hpp"

namespace sgda::nn {

// Where a network problem's parameters live: the whole space, or the reduced one (projected
// onto by NeuronSphere after every step).
enum class ParameterSpace { kStandard, kReduced };

// [problem]'s keys of network problems (classifier, regression, autoencoder, constant-target).
struct ReducedSpaceOptions {
  ParameterSpace parameter_space = ParameterSpace::kStandard;
  double threshold_bound = 1.0;  // X_B: each hidden neuron's bias is clamped to [−X_B, X_B]

  static const OptionTable<ReducedSpaceOptions>& table();
  std::optional<FieldError> Check() const { return table().check(*this); }
  bool IsValid(std::string* error) const { return passes(Check(), error); }
};

// The first hidden activation of `network` that is not positively homogeneous (relu,
// leaky-relu and identity are), or "" when there is none.
std::string inhomogeneous_activation(const Network& network);

// The parameters of the same function with every hidden neuron's incoming weights of norm 1
// (above). A neuron with w_j = 0 outputs the constant σ(b_j): that constant is moved into the
// next layer's bias and the neuron becomes w_j = e_1, b_j = 0 with outgoing weights 0. Throws
// InputError when an activation is not positively homogeneous or the size is wrong.
Vector to_reduced_space(const Network& network, ConstVectorRef params);

// The projection onto the reduced space: each hidden layer's rows w_j ← w_j/‖w_j‖ (a zero row
// stays: every point of the sphere is nearest) and biases b_j ← clamp(b_j, −X_B, X_B); the
// output layer is left as it is. In place, without allocation; idempotent.
void project_to_reduced_space(const Network& network, double threshold_bound, VectorRef params);

// The regularizer "neuron-sphere": the indicator of the reduced space, whose prox is
// project_to_reduced_space (a non-convex set, as "sphere": the theory of convex regularizers
// does not cover it). Step rules apply it block by block (prox_block): a hidden layer's weight
// block has its rows normalized, its bias block clamped; other blocks are left as they are.
// Throws InputError naming ReducedSpaceOptions::parameter_space when an activation is not
// positively homogeneous, ReducedSpaceOptions::threshold_bound when X_B ≤ 0.
class NeuronSphere final : public BlockRegularizer {
 public:
  // For `network`, whose parameters are at `offset` of the problem's variable.
  NeuronSphere(Network network, double threshold_bound, Index offset = 0);
  std::string name() const override { return "neuron-sphere"; }
  std::string describe() const override;
  // 0 when x (the whole variable) is in the reduced space up to rounding, +infinity otherwise.
  double value(ConstVectorRef x) const override;
  // The projection of the whole variable (x.size() must be offset + the network's parameters).
  void prox(double gamma, VectorRef x) const override;
  void prox_block(double gamma, const Block& block, VectorRef x_b) const override;

 private:
  Network network_;
  double bound_;
  Index offset_;
};

}  // namespace sgda::nn

namespace sgda {
// "standard", "reduced" (to_string, from_string: options.hpp).
template <>
const std::vector<EnumValue<nn::ParameterSpace>>& enum_values<nn::ParameterSpace>();
}  // namespace sgda
