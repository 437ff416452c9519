// Batches are matrices with one example per column; parameters are views into one flat vector.
#pragma once

#include <Eigen/Core>

#include "sgda/types.hpp"

namespace sgda::nn {

using MatrixRef = Eigen::Ref<Matrix>;
using ConstMatrixRef = Eigen::Ref<const Matrix>;
using MatrixMap = Eigen::Map<Matrix>;
using ConstMatrixMap = Eigen::Map<const Matrix>;

}  // namespace sgda::nn
