// What both Fisher preconditioners share (steps/fisher_step.hpp): from a minibatch, the augmented
// inputs ã_k = [a_k; 1] and the per-example output gradients scaled so that Σ_k w_k δ_k δ_kᵀ is
// a plain product; the moving average of their statistics; their matrices in checkpoints.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "sgda/error.hpp"
#include "sgda/state.hpp"
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

// stats ← batch on the first update, β·stats + (1 − β)·batch after: the moving average of the
// curvature statistics (Matrix or a block of one; evaluated in place, no temporary).
template <class Stats, class Batch>
void moving_average(Stats&& stats, const Batch& batch, double beta, bool first) {
  if (first)
    stats = batch;
  else
    stats = beta * stats + (1.0 - beta) * batch;
}

// A matrix of the step state as one vector of the checkpoint, and back into a matrix of the
// same shape (the rule's layer), refusing a checkpoint of another network.
inline void put_matrix(StateArchive& out, const std::string& key, const Matrix& m) {
  out.put(key, Eigen::Map<const Vector>(m.data(), m.size()));
}
inline void get_matrix(const StateArchive& in, const std::string& key, Matrix& m) {
  const Vector& v = in.vector(key);
  if (v.size() != m.size())
    throw InputError("checkpoint: step state '" + key + "' has " + std::to_string(v.size()) +
                     " values, the rule's layer has " + std::to_string(m.size()));
  m = Eigen::Map<const Matrix>(v.data(), m.rows(), m.cols());
}

}  // namespace sgda::detail
