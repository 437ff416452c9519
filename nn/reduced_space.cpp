#include "sgda/nn/reduced_space.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "sgda/error.hpp"

namespace sgda {

template <>
const std::vector<EnumValue<nn::ParameterSpace>>& enum_values<nn::ParameterSpace>() {
  static const std::vector<EnumValue<nn::ParameterSpace>> values = {
      {nn::ParameterSpace::kStandard, "standard", "every weight and bias free"},
      {nn::ParameterSpace::kReduced, "reduced",
       "after every step each hidden neuron's incoming weights are projected onto the unit "
       "sphere and its bias clamped to [-threshold_bound, threshold_bound]"},
  };
  return values;
}

}  // namespace sgda

namespace sgda::nn {
namespace {

bool homogeneous(Activation a) {
  return a == Activation::kRelu || a == Activation::kLeakyRelu || a == Activation::kIdentity;
}

void normalize_rows(MatrixMap w) {
  for (Index j = 0; j < w.rows(); ++j) {
    const double norm = w.row(j).norm();
    if (norm > 0.0) w.row(j) /= norm;
  }
}

void clamp(double bound, Eigen::Map<Vector> b) { b = b.cwiseMax(-bound).cwiseMin(bound); }

}  // namespace

std::string inhomogeneous_activation(const Network& network) {
  for (Index l = 0; l + 1 < network.num_layers(); ++l)
    if (!homogeneous(network.activation(l))) return sgda::to_string(network.activation(l));
  return "";
}

Vector to_reduced_space(const Network& network, ConstVectorRef params) {
  if (params.size() != network.num_parameters())
    throw InputError("to_reduced_space: the parameter vector does not match the network");
  if (const std::string a = inhomogeneous_activation(network); !a.empty())
    throw InputError(
        "to_reduced_space: needs positively homogeneous hidden activations (relu, "
        "leaky-relu, identity), got " +
        a);
  Vector reduced = params;
  for (Index l = 0; l + 1 < network.num_layers(); ++l) {
    const Dense& layer = network.layer(l);
    const Dense& next = network.layer(l + 1);
    MatrixMap w = layer.mutable_weight(reduced);
    Eigen::Map<Vector> b = layer.mutable_bias(reduced);
    MatrixMap w_next = next.mutable_weight(reduced);
    for (Index j = 0; j < layer.outputs; ++j) {
      const double c = w.row(j).norm();
      if (c > 0.0) {
        // W_{l+1}[:, j] σ(w_jᵀa + b_j) = (c W_{l+1}[:, j]) σ((w_j/c)ᵀa + b_j/c).
        w.row(j) /= c;
        b[j] /= c;
        w_next.col(j) *= c;
      } else {
        // A constant neuron σ(b_j): its contribution moves into the next layer's bias.
        Matrix z(1, 1), y(1, 1);
        z(0, 0) = b[j];
        activate(network.activation(l), z, y);
        next.mutable_bias(reduced) += w_next.col(j) * y(0, 0);
        w_next.col(j).setZero();
        w(j, 0) = 1.0;
        b[j] = 0.0;
      }
    }
  }
  return reduced;
}

void project_to_reduced_space(const Network& network, double threshold_bound, VectorRef params) {
  for (Index l = 0; l + 1 < network.num_layers(); ++l) {
    normalize_rows(network.layer(l).mutable_weight(params));
    clamp(threshold_bound, network.layer(l).mutable_bias(params));
  }
}

const OptionTable<ReducedSpaceOptions>& ReducedSpaceOptions::table() {
  using O = ReducedSpaceOptions;
  static const OptionTable<O> table(
      "ReducedSpaceOptions",
      {
          field("parameter_space", &O::parameter_space,
                "where the network's parameters live (relu, leaky-relu networks)"),
          field("threshold_bound", &O::threshold_bound,
                "X_B: the bound of the hidden neurons' biases (thresholds) in the reduced space")
              .above(0)
              .when("parameter_space", {ParameterSpace::kReduced}),
      });
  return table;
}

NeuronSphere::NeuronSphere(Network network, double threshold_bound, Index offset)
    : network_(std::move(network)), bound_(threshold_bound), offset_(offset) {
  if (!(threshold_bound > 0.0))
    throw InputError(FieldError{"ReducedSpaceOptions::threshold_bound", "must be > 0"});
  if (const std::string a = inhomogeneous_activation(network_); !a.empty())
    throw InputError(FieldError{"ReducedSpaceOptions::parameter_space",
                                "needs positively homogeneous hidden activations (relu, "
                                "leaky-relu): the network has " +
                                    a});
}

std::string NeuronSphere::describe() const {
  std::ostringstream out;
  out << "neuron-sphere(threshold_bound=" << bound_ << ")";
  return out.str();
}

double NeuronSphere::value(ConstVectorRef x) const {
  if (x.size() != offset_ + network_.num_parameters())
    return std::numeric_limits<double>::infinity();
  const auto params = x.segment(offset_, network_.num_parameters());
  for (Index l = 0; l + 1 < network_.num_layers(); ++l) {
    const Dense& layer = network_.layer(l);
    const ConstMatrixMap w = layer.weight(params);
    for (Index j = 0; j < w.rows(); ++j)
      if (std::abs(w.row(j).norm() - 1.0) > 1e-12) return std::numeric_limits<double>::infinity();
    if (layer.bias(params).cwiseAbs().maxCoeff() > bound_)
      return std::numeric_limits<double>::infinity();
  }
  return 0.0;
}

void NeuronSphere::prox(double, VectorRef x) const {
  if (x.size() != offset_ + network_.num_parameters())
    throw std::invalid_argument("neuron-sphere: prox of a vector that is not the network's");
  project_to_reduced_space(network_, bound_, x.segment(offset_, network_.num_parameters()));
}

void NeuronSphere::prox_block(double, const Block& block, VectorRef x_b) const {
  for (Index l = 0; l + 1 < network_.num_layers(); ++l) {
    const Dense& layer = network_.layer(l);
    if (block.offset == offset_ + layer.offset && block.size == layer.weight_size())
      return normalize_rows(MatrixMap(x_b.data(), layer.outputs, layer.inputs));
    if (block.offset == offset_ + layer.bias_offset() && block.size == layer.outputs)
      return clamp(bound_, Eigen::Map<Vector>(x_b.data(), layer.outputs));
  }
  // The output layer, or a block that is not a hidden layer's: unconstrained.
}

}  // namespace sgda::nn
