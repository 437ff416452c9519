// What the gradient tests of nn/ share: random inputs, central differences and the error
// measure their checks use.
#pragma once

#include <algorithm>
#include <functional>

#include "sgda/nn/matrix.hpp"
#include "sgda/rng.hpp"

namespace sgda::testing {

// The agreement a central difference with step 1e-5 reaches on these smooth compositions.
inline constexpr double kGradientTolerance = 1e-8;

inline Matrix random_matrix(Index rows, Index cols, Rng& rng, double scale = 1.0) {
  Matrix m(rows, cols);
  for (Index j = 0; j < cols; ++j)
    for (Index i = 0; i < rows; ++i) m(i, j) = scale * rng.normal();
  return m;
}

// Central differences of a scalar function of the entries of `at`.
inline Matrix numeric_gradient(const std::function<double(const Matrix&)>& f, Matrix at) {
  constexpr double h = 1e-5;
  Matrix g(at.rows(), at.cols());
  for (Index i = 0; i < at.size(); ++i) {
    const double keep = at(i);
    at(i) = keep + h;
    const double up = f(at);
    at(i) = keep - h;
    const double down = f(at);
    at(i) = keep;
    g(i) = (up - down) / (2.0 * h);
  }
  return g;
}

// max |a − b| / max(1, max |b|): relative to the gradient's scale, absolute near zero.
inline double relative_error(const Matrix& a, const Matrix& b) {
  return (a - b).cwiseAbs().maxCoeff() / std::max(1.0, b.cwiseAbs().maxCoeff());
}

}  // namespace sgda::testing
