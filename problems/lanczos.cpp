#include "sgda/detail/lanczos.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <limits>

#include "sgda/rng.hpp"

namespace sgda::detail {

Lanczos::Lanczos(Index dimension, SpectrumEnd end, double tolerance)
    : d_(dimension), end_(end), tolerance_(tolerance), q_(dimension), w_(dimension) {
  Rng rng(0x6c616e637a6f73ULL);
  for (Index j = 0; j < d_; ++j) q_[j] = rng.normal();
  q_.normalize();
  basis_.resize(d_, std::min<Index>(d_, 64));
}

void Lanczos::push(const Vector& product) {
  const Index k = static_cast<Index>(alpha_.size());
  if (k == basis_.cols()) basis_.conservativeResize(Eigen::NoChange, std::min(d_, 2 * k));
  basis_.col(k) = q_;
  ++result_.steps;
  w_ = product;
  alpha_.push_back(q_.dot(w_));
  // Full reorthogonalization, twice (classical Gram–Schmidt, "twice is enough"): O(k·D) each.
  for (int pass = 0; pass < 2; ++pass) {
    const Vector coefficients = basis_.leftCols(k + 1).transpose() * w_;
    w_.noalias() -= basis_.leftCols(k + 1) * coefficients;
  }
  const double b = w_.norm();
  const Index m = k + 1;
  const bool exhausted = m == d_;
  // The tridiagonal problem (O(m³)) every 4 steps, and when the Krylov space is exhausted.
  if (exhausted || m % 4 == 0 || b == 0.0) {
    Vector diag = Eigen::Map<const Vector>(alpha_.data(), m);
    Vector sub = m > 1 ? Vector(Eigen::Map<const Vector>(beta_.data(), m - 1)) : Vector();
    Eigen::SelfAdjointEigenSolver<Matrix> small;
    small.computeFromTridiagonal(diag, sub, Eigen::ComputeEigenvectors);
    const Vector& theta = small.eigenvalues();  // ascending
    const Index at = end_ == SpectrumEnd::kLargest ? m - 1 : 0;
    const double scale = std::max(std::abs(theta[0]), std::abs(theta[m - 1]));
    const double residual = std::abs(b * small.eigenvectors()(m - 1, at));
    double gap = std::numeric_limits<double>::infinity();
    if (m > 1) gap = std::abs(theta[at] - theta[end_ == SpectrumEnd::kLargest ? m - 2 : 1]);
    result_.value = theta[at];
    result_.norm = scale;
    result_.bound = std::min(residual, residual * residual / std::max(gap - residual, 0.0));
    // An exhausted Krylov space (k = D, or an invariant subspace: β = 0) makes θ exact.
    if (exhausted || b <= 1e-15 * scale) {
      result_.bound = b;
      done_ = true;
    } else if (result_.bound <= tolerance_ * scale && residual <= kLanczosResidual * scale) {
      done_ = true;
    }
    if (done_) {
      basis_ = Matrix();  // the memory of a finished run, O(k·D), back
      return;
    }
  }
  beta_.push_back(b);
  q_ = w_ / b;
}

LanczosResult lanczos(Index dimension, const SymmetricOperator& apply, SpectrumEnd end,
                      double tolerance) {
  Lanczos run(dimension, end, tolerance);
  Vector product(dimension);
  while (!run.done()) {
    apply(run.vector(), product);
    run.push(product);
  }
  return run.result();
}

}  // namespace sgda::detail
