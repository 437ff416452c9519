// Losses on a batch (columns = examples): each returns the mean over the batch and writes its
// gradient with respect to the predictions into `grad` (same shape; it may alias nothing else).
#pragma once

#include <vector>

#include "sgda/nn/matrix.hpp"

namespace sgda::nn {

// Mean squared error over all entries, (1/(k·B)) Σ (p − t)² as in common frameworks;
// grad = 2(p − t)/(k·B).
double mse_loss(const ConstMatrixRef& prediction, const ConstMatrixRef& target, MatrixRef grad);

// Logistic loss (binary cross-entropy on logits s, one row) with labels y ∈ [0, 1]:
// (1/B) Σ softplus(s) − y s, computed stably; grad = (σ(s) − y)/B.
double logistic_loss(const ConstMatrixRef& logits, const ConstMatrixRef& labels, MatrixRef grad);
// The same with one label for every example (a GAN's "real" = 1 or "fake" = 0).
double logistic_loss(const ConstMatrixRef& logits, double label, MatrixRef grad);

// Softmax cross-entropy with logits s (k × B) and target distributions t (columns sum to 1):
// (1/B) Σ_j logsumexp(s_j) − t_jᵀ s_j; grad = (softmax(s) − t)/B.
double softmax_cross_entropy(const ConstMatrixRef& logits, const ConstMatrixRef& targets,
                             MatrixRef grad);
// The same with class indices (one-hot targets), labels[j] ∈ {0, ..., k − 1}.
double softmax_cross_entropy(const ConstMatrixRef& logits, const std::vector<Index>& labels,
                             MatrixRef grad);

// log(1 + e^t) without overflow or cancellation.
double softplus(double t);
// 1/(1 + e^{−t}) without overflow.
double sigmoid(double t);

}  // namespace sgda::nn
