// Affine games in HDF5. Layout (docs/file-formats.md):
//   /M        float64 [n, D, D]   M_i, row-major: M[i, r, c] = (M_i)_{rc}
//   /q        float64 [n, D]      q_i
//   /x_star   float64 [D]         optional: x* of the unregularized game (R = 0)
//   /workers  int64 [n]           optional: the worker (0..W−1) that owns each sample, for
//                                 heterogeneous distributed runs; default a contiguous split
//   root attributes block_names (string, comma-separated), block_sizes (int64 [B]) and
//             block_maximize (int64 [B], 0/1): the players; optional, default one minimizing
//             block "x"
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "sgda/problems/affine_game.hpp"
#include "sgda/problems/game_sampler.hpp"
#include "sgda/problems/sharded_game.hpp"

namespace sgda {

// Writes the game (and x* of the unregularized game when it is known and R = 0).
// Throws InputError when the file cannot be written.
void save_affine_game(const std::string& path, const AffineGame& game);

// Writes the game of `sampler` (all its samples, drawn here) sample by sample, never holding
// two M_i: the file of save_affine_game(path, game) for the game the sampler's generator would
// hold, with the same bits. Returns its constants by Lanczos (AffineGame::EigenMethod::kLanczos,
// whatever D) from passes over the written file: O(k·n·D²) reads for k ≈ tens of passes.
// `progress` is told each tenth of the samples written, the first pass and then a pass every
// 5 s.
ProblemConstants save_generated_game(const std::string& path, GameSampler& sampler,
                                     std::shared_ptr<const Regularizer> regularizer = nullptr,
                                     const std::function<void(const std::string&)>& progress = {});

// Reads and validates a game; every problem (missing file, missing dataset, wrong shape or type,
// non-finite values, inconsistent blocks) is an InputError naming the file and the dataset.
AffineGame load_affine_game(const std::string& path,
                            std::shared_ptr<const Regularizer> regularizer = nullptr);
// The part of a game that one MPI rank holds: `choose(n, workers)` is told the game's n and the
// file's /workers partition (empty without one) and returns the samples to read (ascending);
// only their M_i are read, each a hyperslab of /M, so the memory is theirs, not the game's.
// Every q_i, x* and the blocks are read whole (small). The same checks as load_affine_game.
GamePart load_affine_game_part(
    const std::string& path, std::shared_ptr<const Regularizer> regularizer,
    const std::function<std::vector<Index>(Index, const std::vector<std::vector<Index>>&)>& choose);
// The same from an HDF5 file image in memory (`size` bytes at `data`, as a file holds them);
// `name` stands for the file in messages (the fuzz target reads games this way, without disk).
AffineGame load_affine_game_image(const std::string& name, const void* data, std::size_t size,
                                  std::shared_ptr<const Regularizer> regularizer = nullptr);

}  // namespace sgda
