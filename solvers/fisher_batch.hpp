// What both Fisher preconditioners take from a minibatch (steps/fisher_step.hpp): the augmented
// inputs ã_k = [a_k; 1] and the per-example output gradients scaled so that Σ_k w_k δ_k δ_kᵀ is
// a plain product.
#pragma once

#include <cmath>
#include <vector>

#include "sgda/types.hpp"

namespace sgda::detail {

// out = [a; 1ᵀ]: the inputs of a dense layer with a row of ones for the bias.
inline void augmented_inputs(const Matrix& a, Matrix& out) {
  out.resize(a.rows() + 1, a.cols());
  out.topRows(a.rows()) = a;
  out.row(a.rows()).setOnes();
}

// out_k = 1/√w_k (0 where w_k = 0). A batch holds w_k δ_k, so (w_k δ_k)/√w_k = √w_k δ_k and
// Σ_k w_k δ_k δ_kᵀ is the product of those columns with themselves.
inline void inverse_sqrt_weights(const std::vector<double>& w, Vector& out) {
  out.resize(static_cast<Index>(w.size()));
  for (std::size_t k = 0; k < w.size(); ++k)
    out[static_cast<Index>(k)] = w[k] > 0.0 ? 1.0 / std::sqrt(w[k]) : 0.0;
}

}  // namespace sgda::detail
