#include "sgda/problems/sharded_game.hpp"

#include <algorithm>
#include <string>

#include "sgda/error.hpp"

namespace sgda {
namespace {

Matrix held_offsets(const GamePart& part) {
  Matrix held(part.offsets.rows(), static_cast<Index>(part.samples.size()));
  for (std::size_t k = 0; k < part.samples.size(); ++k)
    held.col(static_cast<Index>(k)) = part.offsets.col(part.samples[k]);
  return held;
}

// The whole game's operator as a game of one sample: its mean is M̄, q̄ exactly (a sum of one
// term divided by 1), so full(), x* and coordinates are the whole game's, bit for bit. q̄ is
// the expression AffineGame computes it with.
AffineGame mean_game(const GamePart& part, const Matrix& mean_matrix,
                     std::shared_ptr<const Regularizer> regularizer) {
  if (!mean_matrix.allFinite() || !part.offsets.rowwise().mean().allFinite())
    throw InputError(
        "affine game: the mean over the samples overflows; accepted float64 values "
        "whose mean is finite");
  const Matrix mean_offset = part.offsets.rowwise().mean();
  return AffineGame({mean_matrix}, mean_offset, part.blocks, std::move(regularizer), part.solution);
}

}  // namespace

ShardedGame::ShardedGame(GamePart part, const Matrix& mean_matrix,
                         std::shared_ptr<const Regularizer> regularizer)
    : Problem(regularizer),
      held_(std::move(part.matrices), held_offsets(part), part.blocks, regularizer),
      mean_(mean_game(part, mean_matrix, regularizer)),
      samples_(std::move(part.samples)),
      num_samples_(part.num_samples),
      workers_(std::move(part.workers)) {}

Index ShardedGame::local_index(Index i) const {
  const auto it = std::lower_bound(samples_.begin(), samples_.end(), i);
  if (it == samples_.end() || *it != i)
    throw InputError("sample " + std::to_string(i) +
                     " of the game is held by another MPI rank; this rank holds " +
                     std::to_string(samples_.size()) + " samples, its workers'");
  return static_cast<Index>(it - samples_.begin());
}

void ShardedGame::sample(Index i, ConstVectorRef x, VectorRef out) const {
  held_.sample(local_index(i), x, out);
}

ProblemConstants ShardedGame::constants() const {
  throw InputError(
      "the theory constants (ℓ̂, every L_i) need every sample, and each MPI rank holds only its "
      "workers'; accepted a numeric step_size for a game file under MPI");
}

double ShardedGame::grouped_star_cocoercivity(const std::vector<std::vector<Index>>&,
                                              const Vector&) const {
  return constants().ell_hat;  // throws
}

std::unique_ptr<Problem> ShardedGame::subproblem(const std::vector<Index>& samples) const {
  std::vector<Index> local;
  local.reserve(samples.size());
  for (Index i : samples) local.push_back(local_index(i));
  return held_.subproblem(local);
}

}  // namespace sgda
