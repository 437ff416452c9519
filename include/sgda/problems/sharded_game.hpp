// The part of an affine game that one process of an MPI job holds (docs/mpi.md): the samples of
// its own workers, and the whole game's mean operator M̄, q̄, from which full(), x* and the
// metrics come. The distributed estimators take their workers' local problems from it
// (subproblem), so a rank holds 1/R of the M_i instead of all of them. When M̄ was accumulated
// in sample order (load it with load_affine_game_part, sum it along the ranks), every number a
// run computes is the whole game's, bit for bit.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "sgda/problems/affine_game.hpp"

namespace sgda {

// What a process reads of a game file (load_affine_game_part, sgda/io/game_file.hpp).
struct GamePart {
  std::vector<Index> samples;      // the held samples' ids in the whole game, ascending
  std::vector<Matrix> matrices;    // their M_i, in that order
  Index num_samples = 0;           // n of the whole game
  Matrix offsets;                  // D × n: every q_i (small: every process holds them)
  std::optional<Vector> solution;  // x* when the file gives it (and R = 0)
  std::vector<Block> blocks;
  std::vector<std::vector<Index>> workers;  // the file's /workers partition, or empty
};

class ShardedGame final : public Problem {
 public:
  // `mean_matrix` is (1/n) Σ_i M_i of the whole game. Throws InputError when its mean operator
  // is not finite.
  ShardedGame(GamePart part, const Matrix& mean_matrix,
              std::shared_ptr<const Regularizer> regularizer);

  std::string name() const override { return mean_.name(); }
  Index dim() const override { return mean_.dim(); }
  Index num_samples() const override { return num_samples_; }
  // The held samples only; another throws InputError naming it.
  void sample(Index i, ConstVectorRef x, VectorRef out) const override;
  void full(ConstVectorRef x, VectorRef out) const override { mean_.full(x, out); }
  double coordinate(Index j, ConstVectorRef x) const override { return mean_.coordinate(j, x); }
  bool coordinates_are_cheap() const override { return true; }
  std::vector<Block> blocks() const override { return mean_.blocks(); }
  std::optional<Vector> solution() const override { return mean_.solution(); }
  // The constants need every M_i (ℓ̂, L_i): throw InputError, as do grouped constants.
  ProblemConstants constants() const override;
  double grouped_star_cocoercivity(const std::vector<std::vector<Index>>& groups,
                                   const Vector& weights) const override;
  // Of held samples only (a worker of this process): an AffineGame sharing their matrices.
  std::unique_ptr<Problem> subproblem(const std::vector<Index>& samples) const override;
  std::vector<std::vector<Index>> worker_partition() const override { return workers_; }

  Index held_samples() const { return held_.num_samples(); }
  // The held samples as one game, of the type its subproblems (the workers' local problems)
  // have: the solver's fused path runs distributed methods on it.
  const AffineGame& held() const { return held_; }

 private:
  Index local_index(Index i) const;  // position of sample i in held_, or InputError

  AffineGame held_;  // the held samples, in the order of samples_
  AffineGame mean_;  // one sample, M̄ and q̄: the whole game's operator
  std::vector<Index> samples_;
  Index num_samples_;
  std::vector<std::vector<Index>> workers_;
};

}  // namespace sgda
