// Workers of distributed estimators and how they talk. Estimator code is written once against
// Communicator, SPMD style: every process runs its local workers, gathers every worker's payload
// and computes the same server aggregate, so an MPI backend (one worker per rank) can replace
// the in-process one without touching estimator code.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sgda/estimators/payload.hpp"
#include "sgda/problem.hpp"

namespace sgda {

// Which samples each worker owns: partition[m] lists worker m's sample indices.
using WorkerPartition = std::vector<std::vector<Index>>;

// Samples 0..n−1 in W contiguous, equal blocks; throws InputError unless W divides n.
WorkerPartition contiguous_partition(Index num_samples, Index num_workers);
// The problem's own partition if it has one with W workers, else the contiguous one. Checks that
// it is a partition of 0..n−1 into equally sized parts (equal sizes keep (1/W)Σ F_m = F).
WorkerPartition resolve_partition(const Problem& problem, Index num_workers);

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual Index num_workers() const = 0;
  // The workers this process runs: all of them in-process; under MPI a contiguous block of
  // worker ids per rank.
  virtual const std::vector<Index>& local_workers() const = 0;
  // Every worker's payload in worker order, on every process. `local` holds the payloads of
  // local_workers() in that order. `sample_evaluations`: in, what this process's workers spent
  // on the round; out, what all workers spent (it travels with the payloads' sizes). The result
  // stays valid until the next call.
  virtual const std::vector<Payload>& allgather(const std::vector<Payload>& local,
                                                std::int64_t& sample_evaluations) = 0;
  // Every worker's vector in worker order, on every process; `local` as above (the state of
  // every worker for a checkpoint).
  virtual std::vector<Vector> allgather_vectors(const std::vector<Vector>& local) = 0;
};
// All workers in this process; deterministic, no copies.
std::unique_ptr<Communicator> make_in_process_communicator(Index num_workers);

}  // namespace sgda
