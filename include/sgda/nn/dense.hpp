// A dense (fully connected) layer z = W x + b 1ᵀ on a batch x (inputs × B). Its parameters are
// a view into a flat vector: W (outputs × inputs, column-major) at `offset`, then b.
#pragma once

#include "sgda/nn/matrix.hpp"

namespace sgda::nn {

struct Dense {
  Index inputs = 0;
  Index outputs = 0;
  Index offset = 0;  // of W in the parameter vector

  Index weight_size() const { return outputs * inputs; }
  Index bias_offset() const { return offset + weight_size(); }
  Index num_parameters() const { return outputs * (inputs + 1); }

  ConstMatrixMap weight(ConstVectorRef params) const {
    return ConstMatrixMap(params.data() + offset, outputs, inputs);
  }
  MatrixMap mutable_weight(VectorRef params) const {
    return MatrixMap(params.data() + offset, outputs, inputs);
  }
  Eigen::Map<const Vector> bias(ConstVectorRef params) const {
    return Eigen::Map<const Vector>(params.data() + bias_offset(), outputs);
  }
  Eigen::Map<Vector> mutable_bias(VectorRef params) const {
    return Eigen::Map<Vector>(params.data() + bias_offset(), outputs);
  }

  // z = W x + b 1ᵀ; z must already be outputs × B.
  void forward(ConstVectorRef params, const ConstMatrixRef& x, MatrixRef z) const;
  // From dz = ∂L/∂z: ∂L/∂W = dz xᵀ and ∂L/∂b = dz 1 into grad (the layout of params) when grad
  // is not empty, and ∂L/∂x = Wᵀ dz into dx when dx is not empty.
  void backward(ConstVectorRef params, const ConstMatrixRef& x, const ConstMatrixRef& dz,
                VectorRef grad, MatrixRef dx) const;
};

}  // namespace sgda::nn
