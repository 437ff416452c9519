// The processes that run one solve together, SPMD style (the ranks of an MPI job): each runs
// the same loop on the same iterate, so every decision of the loop must be the same on all of
// them. The solver's own rules (iteration and oracle limits, log rows, tolerances, non-finite
// values) are, by construction; those taken from a clock or a signal (the time limit, periodic
// checkpoints, an interrupt) are agreed through this interface.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>

#include "sgda/types.hpp"

namespace sgda {

class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;
  virtual int rank() const = 0;  // 0 writes the run's output
  virtual int size() const = 0;
  // values[i] ← the maximum of values[i] over the processes, on every process (a collective
  // call: every process makes it at the same point of the loop).
  virtual void agree_max(std::span<std::int64_t> values) = 0;
  // values ← the sum of every process's values, added in rank order, so that every process
  // gets the same bits (collective, like agree_max).
  virtual void sum_in_rank_order(VectorRef values) = 0;
};

// Thrown by a collective set-up call (reading a data set or a game split over the processes)
// on the processes where it succeeded when it failed on another one, which throws its own error.
struct AnotherProcessFailed : std::runtime_error {
  AnotherProcessFailed() : std::runtime_error("another process failed") {}
};

// The contiguous share of process `rank` of `size` among n items: [⌊rank·n/size⌋,
// ⌊(rank+1)·n/size⌋) (a data set's rows, split over the processes of a group).
struct Share {
  Index first = 0;
  Index count = 0;
  Index end() const { return first + count; }
};
inline Share share_of(Index n, int rank, int size) {
  const Index first = n * rank / size;
  return {first, n * (rank + 1) / size - first};
}

}  // namespace sgda
