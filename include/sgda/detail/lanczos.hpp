// Internal (namespace sgda::detail, not part of the API): an extreme eigenvalue of a symmetric
// operator known only through products, by Lanczos with full reorthogonalization. Used where a
// dense eigendecomposition (O(D³)) of a large game would dominate (affine game constants, the
// quadratic game generator).
#pragma once

#include <functional>
#include <vector>

#include "sgda/types.hpp"

namespace sgda::detail {

// Games with D at most this keep dense eigendecompositions (exact, and what their constants and
// generated matrices have always been, bit for bit); larger ones use lanczos().
constexpr Index kDenseEigenDimension = 128;

// out = A·in for a symmetric D × D operator A.
using SymmetricOperator = std::function<void(const Vector& in, Vector& out)>;

enum class SpectrumEnd { kLargest, kSmallest };

struct LanczosResult {
  double value = 0.0;  // the extreme Ritz value θ
  double bound = 0.0;  // |θ − λ| ≤ bound for the eigenvalue λ that θ approximates
  double norm = 0.0;   // max |Ritz value|: a lower bound on ||A||, the scale of the tolerance
  Index steps = 0;     // products with A
};

// Stops when the Ritz value θ of the wanted end is within kLanczosTolerance·||A|| of an
// eigenvalue of A by the residual r = β_k|s_k| of the Ritz pair, |θ − λ| ≤ min(r, r²/gap) with
// gap the distance to the next Ritz value (Parlett, The Symmetric Eigenvalue Problem, 11.7),
// and r ≤ kLanczosResidual·||A||: the gap to the next Ritz value overstates the true one while a
// cluster at the end is unresolved, and then the error is still at most about r. It also stops
// when the Krylov space is exhausted (k = D, or β = 0: exact up to rounding). A Ritz value is a
// Rayleigh quotient: θ ≥ λ_min at the smallest end, θ ≤ λ_max at the largest. The start vector
// is a fixed pseudo-random one, so results are reproducible. Cost: k products with A, O(k²·D)
// for the reorthogonalization, O(k³) per check of the small tridiagonal problem (every 4 steps).
constexpr double kLanczosResidual = 1e-8;
constexpr double kLanczosTolerance = 1e-14;
LanczosResult lanczos(Index dimension, const SymmetricOperator& apply, SpectrumEnd end,
                      double tolerance = kLanczosTolerance);

// The same iteration driven from outside, for callers that advance several at once (one pass
// over the samples' matrices serving the Lanczos runs of all L_i and of ℓ̂): while !done(),
// multiply vector() by A and push() the product.
class Lanczos {
 public:
  Lanczos(Index dimension, SpectrumEnd end, double tolerance = kLanczosTolerance);
  bool done() const { return done_; }
  const Vector& vector() const { return q_; }
  void push(const Vector& product);
  const LanczosResult& result() const { return result_; }

 private:
  Index d_;
  SpectrumEnd end_;
  double tolerance_;
  bool done_ = false;
  Vector q_, w_;
  Matrix basis_;                      // q_1 .. q_k, grown on demand
  std::vector<double> alpha_, beta_;  // T_k = tridiag(β, α, β)
  LanczosResult result_;
};

}  // namespace sgda::detail
