#include "sgda/nn/loss.hpp"

#include <cmath>

#include "sgda/error.hpp"

namespace sgda::nn {
namespace {

void check_shapes(const char* loss, const ConstMatrixRef& a, Index rows, Index cols,
                  const MatrixRef& grad) {
  if (a.cols() == 0) throw InputError(std::string(loss) + ": the batch is empty");
  if (a.rows() != rows || a.cols() != cols || grad.rows() != a.rows() || grad.cols() != a.cols())
    throw InputError(std::string(loss) + ": predictions, targets and gradient must match in shape");
}

// Softmax of one column into grad_col, returning logsumexp (shifted by the maximum: no overflow).
template <typename In, typename Out>
double softmax_column(const In& s, Out&& p) {
  const double shift = s.maxCoeff();
  p = (s.array() - shift).exp().matrix();
  const double sum = p.sum();
  p /= sum;
  return shift + std::log(sum);
}

}  // namespace

double softplus(double t) { return std::max(t, 0.0) + std::log1p(std::exp(-std::abs(t))); }

double sigmoid(double t) {
  if (t >= 0.0) return 1.0 / (1.0 + std::exp(-t));
  const double e = std::exp(t);
  return e / (1.0 + e);
}

double mse_loss(const ConstMatrixRef& prediction, const ConstMatrixRef& target, MatrixRef grad) {
  check_shapes("mse loss", prediction, target.rows(), target.cols(), grad);
  const double scale = 1.0 / static_cast<double>(prediction.size());
  grad = prediction - target;
  const double value = scale * grad.squaredNorm();
  grad *= 2.0 * scale;
  return value;
}

double logistic_loss(const ConstMatrixRef& logits, const ConstMatrixRef& labels, MatrixRef grad) {
  check_shapes("logistic loss", logits, 1, labels.cols(), grad);
  if (labels.rows() != 1) throw InputError("logistic loss: labels must be one row");
  const double scale = 1.0 / static_cast<double>(logits.cols());
  double value = 0.0;
  for (Index j = 0; j < logits.cols(); ++j) {
    const double s = logits(0, j), y = labels(0, j);
    value += softplus(s) - y * s;
    grad(0, j) = scale * (sigmoid(s) - y);
  }
  return scale * value;
}

double logistic_loss(const ConstMatrixRef& logits, double label, MatrixRef grad) {
  check_shapes("logistic loss", logits, 1, logits.cols(), grad);
  const double scale = 1.0 / static_cast<double>(logits.cols());
  double value = 0.0;
  for (Index j = 0; j < logits.cols(); ++j) {
    const double s = logits(0, j);
    value += softplus(s) - label * s;
    grad(0, j) = scale * (sigmoid(s) - label);
  }
  return scale * value;
}

double softmax_cross_entropy(const ConstMatrixRef& logits, const ConstMatrixRef& targets,
                             MatrixRef grad) {
  check_shapes("softmax cross-entropy", logits, targets.rows(), targets.cols(), grad);
  const double scale = 1.0 / static_cast<double>(logits.cols());
  double value = 0.0;
  for (Index j = 0; j < logits.cols(); ++j) {
    const double lse = softmax_column(logits.col(j), grad.col(j));
    // Σ_c t_c (lse − s_c) = lse − tᵀs when the targets sum to 1.
    value += targets.col(j).sum() * lse - targets.col(j).dot(logits.col(j));
    grad.col(j) = scale * (grad.col(j) - targets.col(j));
  }
  return scale * value;
}

double softmax_cross_entropy(const ConstMatrixRef& logits, const std::vector<Index>& labels,
                             MatrixRef grad) {
  check_shapes("softmax cross-entropy", logits, logits.rows(), static_cast<Index>(labels.size()),
               grad);
  const double scale = 1.0 / static_cast<double>(logits.cols());
  double value = 0.0;
  for (Index j = 0; j < logits.cols(); ++j) {
    const Index label = labels[static_cast<std::size_t>(j)];
    if (label < 0 || label >= logits.rows())
      throw InputError("softmax cross-entropy: label " + std::to_string(label) +
                       " out of range; accepted 0.." + std::to_string(logits.rows() - 1));
    const double lse = softmax_column(logits.col(j), grad.col(j));
    value += lse - logits(label, j);
    grad(label, j) -= 1.0;
    grad.col(j) *= scale;
  }
  return scale * value;
}

}  // namespace sgda::nn
