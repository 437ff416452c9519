// The mini-block Fisher preconditioner (step rule "mbf"; Bahamou, Goldfarb & Ren 2023, "A
// mini-block Fisher method for deep neural networks"): each dense layer's empirical Fisher F_l
// (steps/fisher_step.hpp) approximated by a block diagonal of small blocks, partitions of the
// layer's outputs × (inputs + 1) matrix [W b]:
//   row       each row (an output neuron's weights and bias) cut into blocks of `block_size`
//             consecutive entries (0: whole rows);
//   column    each column (one input's weights, or the biases) cut likewise;
//   diagonal  single entries: d = g/(diag F + λ);
//   layer     the whole layer as one block: the exact block natural gradient (small layers).
// A block's statistics come from one matrix product per layer, no loop over examples: for rows,
// F_j(p, q) = Σ_k w_k δ_kj² ã_kp ã_kq is (δ² scaled by w) times the products of input pairs;
// for columns, F_c(p, q) = Σ_k w_k ã_kc² δ_kp δ_kq. Each block is kept as a packed lower
// triangle and factorized by its own small Cholesky at a refresh; a block that is not positive
// definite in floating point falls back to its diagonal. Memory: (block_size + 1)/2 values per
// parameter for the statistics and as many for the factors ((outputs·(inputs + 1))² per layer
// for `layer`).
#pragma once

#include <string>
#include <vector>

#include "sgda/steps/fisher_step.hpp"

namespace sgda {

class MiniBlockFisher final : public FisherPreconditioner {
 public:
  // Statistics and factors of one preconditioner hold at most this many values (8 GiB).
  static constexpr Index kMaxValues = Index(1) << 30;

  MiniBlockFisher(MiniBlocks partition, Index block_size);
  std::string name() const override { return "mbf"; }
  void bind(const std::vector<nn::Dense>& layers) override;
  void update(const nn::DenseBatch& batch, double beta, bool first) override;
  void refresh(double damping) override;
  void apply(std::size_t layer, nn::MatrixMap g) override;
  void save_state(StateArchive& out) const override;
  void load_state(const StateArchive& in) override;

 private:
  // A layer seen as m lines of n entries (rows of [W b]: m = outputs, n = inputs + 1; columns:
  // the other way round), each line cut into chunks; kLayer: one block of n entries.
  struct Layer {
    Index m = 0, n = 0;
    std::vector<Index> start, size, packed;  // per chunk: first entry, entries, packed offset
    Index pairs = 0;                         // packed values per line
    Matrix stats, factors;  // pairs × m (column i: line i's packed blocks); kLayer: n × n
  };
  bool rows() const { return partition_ != MiniBlocks::kColumn; }
  void update_lines(const nn::DenseBatch& batch, std::size_t l, double beta, bool first);
  void update_layer(const nn::DenseBatch& batch, std::size_t l, double beta, bool first);

  MiniBlocks partition_;
  Index block_size_;
  std::vector<Layer> layers_;
  // Workspaces reused across layers and updates: ã, the scaled factors, the pair products.
  Matrix augmented_, scale_, line_factors_, pair_products_, product_, transposed_;
  Vector inverse_sqrt_w_;
};

}  // namespace sgda
