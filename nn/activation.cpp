#include "sgda/nn/activation.hpp"

#include <cmath>

#include "sgda/error.hpp"

namespace sgda {

template <>
const std::vector<EnumValue<nn::Activation>>& enum_values<nn::Activation>() {
  using nn::Activation;
  static const std::vector<EnumValue<Activation>> values = {
      {Activation::kIdentity, "identity", "y = z"},
      {Activation::kRelu, "relu", "y = max(z, 0)"},
      {Activation::kLeakyRelu, "leaky-relu", "y = z for z > 0, 0.2 z otherwise"},
      {Activation::kTanh, "tanh", "y = tanh(z)"},
      {Activation::kSigmoid, "sigmoid", "y = 1 / (1 + exp(-z))"},
  };
  return values;
}

}  // namespace sgda

namespace sgda::nn {

void activate(Activation activation, const ConstMatrixRef& z, MatrixRef y, double slope) {
  switch (activation) {
    case Activation::kIdentity:
      y = z;
      break;
    case Activation::kRelu:
      y = z.cwiseMax(0.0);
      break;
    case Activation::kLeakyRelu:
      y = z.unaryExpr([slope](double t) { return t > 0.0 ? t : slope * t; });
      break;
    case Activation::kTanh:
      y = z.array().tanh();
      break;
    case Activation::kSigmoid:
      // 1/(1 + e^{−z}) for z ≥ 0 and e^{z}/(1 + e^{z}) otherwise: no overflow of the exponential.
      y = z.unaryExpr([](double t) {
        if (t >= 0.0) return 1.0 / (1.0 + std::exp(-t));
        const double e = std::exp(t);
        return e / (1.0 + e);
      });
      break;
  }
}

void activation_backward(Activation activation, const ConstMatrixRef& z, const ConstMatrixRef& y,
                         const ConstMatrixRef& dy, MatrixRef dz, double slope) {
  switch (activation) {
    case Activation::kIdentity:
      dz = dy;
      break;
    case Activation::kRelu:
      dz.array() = (z.array() > 0.0).select(dy.array(), 0.0);
      break;
    case Activation::kLeakyRelu:
      dz.array() = (z.array() > 0.0).select(dy.array(), slope * dy.array());
      break;
    case Activation::kTanh:
      dz = dy.array() * (1.0 - y.array().square());
      break;
    case Activation::kSigmoid:
      dz = dy.array() * y.array() * (1.0 - y.array());
      break;
  }
}

}  // namespace sgda::nn
