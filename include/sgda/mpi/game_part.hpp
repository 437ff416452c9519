// A game file split over the ranks of an MPI job (docs/mpi.md): each rank reads the samples of
// its own workers only (hyperslabs of /M) and the whole game's mean operator is summed along the
// ranks in sample order, so that a rank holds 1/R of the M_i and the run is the whole game's,
// bit for bit, when the ranks' samples come in sample order (the contiguous partition; with a
// file's /workers partition that interleaves them, M̄ and so the metrics differ by rounding).
#pragma once

#include <memory>
#include <string>

#include "sgda/mpi/session.hpp"
#include "sgda/problems/sharded_game.hpp"

namespace sgda::mpi {

// Collective. The workers are those of session.communicator(num_workers), over the file's
// /workers partition when it has num_workers parts, else the contiguous one. A bad file or
// partition throws InputError on the ranks that found it and AnotherRankFailed on the others.
std::shared_ptr<ShardedGame> load_game_part(Session& session, const std::string& path,
                                            Index num_workers,
                                            std::shared_ptr<const Regularizer> regularizer);

}  // namespace sgda::mpi
