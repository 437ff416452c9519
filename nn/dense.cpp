#include "sgda/nn/dense.hpp"

namespace sgda::nn {

void Dense::forward(ConstVectorRef params, const ConstMatrixRef& x, MatrixRef z) const {
  z.noalias() = weight(params) * x;
  z.colwise() += bias(params);
}

void Dense::backward(ConstVectorRef params, const ConstMatrixRef& x, const ConstMatrixRef& dz,
                     VectorRef grad, MatrixRef dx) const {
  if (grad.size() > 0) {
    mutable_weight(grad).noalias() = dz * x.transpose();
    mutable_bias(grad).noalias() = dz.rowwise().sum();
  }
  if (dx.size() > 0) dx.noalias() = weight(params).transpose() * dz;
}

}  // namespace sgda::nn
