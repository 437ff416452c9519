#include "sgda/steps/mini_block_fisher.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>

#include "fisher_batch.hpp"
#include "sgda/error.hpp"

namespace sgda {

namespace {

// Packed lower triangles, row by row: entry (p, q), q ≤ p, at p(p + 1)/2 + q.
constexpr Index packed(Index p, Index q) { return p * (p + 1) / 2 + q; }

// L Lᵀ = A + λI for the packed A; false when a pivot is not positive (then L is the diagonal
// fallback √(A_pp + λ)).
bool packed_cholesky(const double* a, Index size, double damping, double* l) {
  for (Index p = 0; p < size; ++p)
    for (Index q = 0; q <= p; ++q) {
      double s = a[packed(p, q)] + (p == q ? damping : 0.0);
      for (Index r = 0; r < q; ++r) s -= l[packed(p, r)] * l[packed(q, r)];
      if (p != q) {
        l[packed(p, q)] = s / l[packed(q, q)];
      } else if (s > 0.0 && std::isfinite(s)) {
        l[packed(p, p)] = std::sqrt(s);
      } else {
        for (Index i = 0; i < size; ++i)
          for (Index j = 0; j <= i; ++j)
            l[packed(i, j)] = i == j ? std::sqrt(std::max(a[packed(i, i)], 0.0) + damping) : 0.0;
        return false;
      }
    }
  return true;
}

// v ← (L Lᵀ)⁻¹ v: forward then backward substitution; v strided.
template <class V>
void packed_solve(const double* l, Index size, V&& v) {
  for (Index p = 0; p < size; ++p) {
    double s = v[p];
    for (Index q = 0; q < p; ++q) s -= l[packed(p, q)] * v[q];
    v[p] = s / l[packed(p, p)];
  }
  for (Index p = size; p-- > 0;) {
    double s = v[p];
    for (Index q = p + 1; q < size; ++q) s -= l[packed(q, p)] * v[q];
    v[p] = s / l[packed(p, p)];
  }
}

// Pair products per matrix product: bounds the workspace at (batch + lines) × this.
constexpr Index kPairsPerProduct = 2048;

FieldError size_error(const std::string& what) {
  return FieldError{"StepRuleOptions::mbf_block_size", what};
}

}  // namespace

MiniBlockFisher::MiniBlockFisher(MiniBlocks partition, Index block_size)
    : partition_(partition), block_size_(partition == MiniBlocks::kDiagonal ? 1 : block_size) {}

void MiniBlockFisher::bind(const std::vector<nn::Dense>& layers) {
  layers_.clear();
  Index values = 0;
  for (const nn::Dense& d : layers) {
    Layer layer;
    const Index outputs = d.outputs, columns = d.inputs + 1;
    if (partition_ == MiniBlocks::kLayer) {
      layer.m = 1;
      layer.n = outputs * columns;
      if (layer.n > Index(1) << 14)
        throw InputError(FieldError{
            "StepRuleOptions::mbf_blocks",
            "\"layer\" makes one block of the " + std::to_string(layer.n) +
                " weights and biases of a layer, above the 16384 it accepts; accepted: row, "
                "column or diagonal for larger layers"});
      values += 2 * layer.n * layer.n;
    } else {
      layer.m = rows() ? outputs : columns;
      layer.n = rows() ? columns : outputs;
      const Index chunk = block_size_ == 0 ? layer.n : std::min(block_size_, layer.n);
      for (Index start = 0; start < layer.n; start += chunk) {
        const Index size = std::min(chunk, layer.n - start);
        layer.start.push_back(start);
        layer.size.push_back(size);
        layer.packed.push_back(layer.pairs);
        layer.pairs += packed(size, 0);
      }
      values += 2 * layer.pairs * layer.m;
    }
    if (values > kMaxValues)
      throw InputError(size_error(
          "mini-blocks of " + std::to_string(block_size_) + " entries need " +
          std::to_string(values) + " statistics and factors, above the " +
          std::to_string(kMaxValues) + " (8 GiB) accepted; accepted: a smaller block size"));
    layers_.push_back(std::move(layer));
  }
  for (Layer& layer : layers_) {
    const Index rows = partition_ == MiniBlocks::kLayer ? layer.n : layer.pairs;
    const Index cols = partition_ == MiniBlocks::kLayer ? layer.n : layer.m;
    layer.stats = Matrix::Zero(rows, cols);
    layer.factors = Matrix::Zero(rows, cols);
  }
}

void MiniBlockFisher::update(const nn::DenseBatch& batch, double beta, bool first) {
  detail::inverse_sqrt_weights(*batch.weights, inverse_sqrt_w_);
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    detail::augmented_inputs(*batch.inputs[l], augmented_);
    if (partition_ == MiniBlocks::kLayer)
      update_layer(batch, l, beta, first);
    else
      update_lines(batch, l, beta, first);
  }
}

void MiniBlockFisher::update_lines(const nn::DenseBatch& batch, std::size_t l, double beta,
                                   bool first) {
  Layer& layer = layers_[l];
  // Rows: the line j scales the pair products of ã by w_k δ_kj²; columns: the line c scales
  // those of √w_k δ_k by ã_kc². scale_ is m × B, line_factors_ B × n.
  const Matrix& delta = *batch.deltas[l];
  if (rows()) {
    scale_ = (delta * inverse_sqrt_w_.asDiagonal()).array().square();
    line_factors_ = augmented_.transpose();
  } else {
    scale_ = augmented_.array().square();
    line_factors_ = (delta * inverse_sqrt_w_.asDiagonal()).transpose();
  }
  const Index batch_size = scale_.cols();
  pair_products_.resize(batch_size, std::min(kPairsPerProduct, layer.pairs));
  Index first_pair = 0, filled = 0;
  auto flush = [&] {
    product_.noalias() = pair_products_.leftCols(filled).transpose() * scale_.transpose();
    detail::moving_average(layer.stats.middleRows(first_pair, filled), product_, beta, first);
    first_pair += filled;
    filled = 0;
  };
  for (std::size_t c = 0; c < layer.start.size(); ++c)
    for (Index p = 0; p < layer.size[c]; ++p)
      for (Index q = 0; q <= p; ++q) {
        pair_products_.col(filled++) = line_factors_.col(layer.start[c] + p)
                                           .cwiseProduct(line_factors_.col(layer.start[c] + q));
        if (filled == pair_products_.cols()) flush();
      }
  if (filled > 0) flush();
}

void MiniBlockFisher::update_layer(const nn::DenseBatch& batch, std::size_t l, double beta,
                                   bool first) {
  // Column k: vec(√w_k δ_k ã_kᵀ) = ã_k ⊗ √w_k δ_k, the variable's order (W column-major, b).
  Layer& layer = layers_[l];
  const Matrix& delta = *batch.deltas[l];
  const Index outputs = delta.rows(), batch_size = delta.cols();
  scale_.resize(layer.n, batch_size);
  for (Index k = 0; k < batch_size; ++k)
    for (Index c = 0; c < augmented_.rows(); ++c)
      scale_.col(k).segment(c * outputs, outputs) =
          (augmented_(c, k) * inverse_sqrt_w_[k]) * delta.col(k);
  product_.noalias() = scale_ * scale_.transpose();
  detail::moving_average(layer.stats, product_, beta, first);
}

void MiniBlockFisher::refresh(double damping) {
  for (Layer& layer : layers_) {
    if (partition_ == MiniBlocks::kLayer) {
      product_ = layer.stats;
      product_.diagonal().array() += damping;
      Eigen::LLT<Eigen::Ref<Matrix>> llt(product_);  // in place
      if (llt.info() == Eigen::Success) {
        layer.factors = product_.triangularView<Eigen::Lower>();
      } else {
        layer.factors.setZero();
        layer.factors.diagonal() =
            (layer.stats.diagonal().array().max(0.0) + damping).sqrt().matrix();
      }
      continue;
    }
    for (Index i = 0; i < layer.m; ++i)
      for (std::size_t c = 0; c < layer.start.size(); ++c)
        packed_cholesky(&layer.stats(layer.packed[c], i), layer.size[c], damping,
                        &layer.factors(layer.packed[c], i));
  }
}

void MiniBlockFisher::apply(std::size_t l, nn::MatrixMap g) {
  const Layer& layer = layers_[l];
  if (partition_ == MiniBlocks::kLayer) {
    Eigen::Map<Vector> v(g.data(), g.size());
    layer.factors.triangularView<Eigen::Lower>().solveInPlace(v);
    layer.factors.triangularView<Eigen::Lower>().transpose().solveInPlace(v);
    return;
  }
  // Line i is column i of gᵀ (rows) or of g (columns): contiguous either way.
  if (rows()) transposed_ = g.transpose();
  Matrix& lines = transposed_;
  for (Index i = 0; i < layer.m; ++i) {
    double* line = rows() ? &lines(0, i) : &g(0, i);
    for (std::size_t c = 0; c < layer.start.size(); ++c)
      packed_solve(&layer.factors(layer.packed[c], i), layer.size[c], line + layer.start[c]);
  }
  if (rows()) g = transposed_.transpose();
}

void MiniBlockFisher::save_state(StateArchive& out) const {
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const std::string prefix = "layer" + std::to_string(l) + ".";
    detail::put_matrix(out, prefix + "statistics", layers_[l].stats);
    detail::put_matrix(out, prefix + "factors", layers_[l].factors);
  }
}

void MiniBlockFisher::load_state(const StateArchive& in) {
  for (std::size_t l = 0; l < layers_.size(); ++l) {
    const std::string prefix = "layer" + std::to_string(l) + ".";
    detail::get_matrix(in, prefix + "statistics", layers_[l].stats);
    detail::get_matrix(in, prefix + "factors", layers_[l].factors);
  }
}

}  // namespace sgda
