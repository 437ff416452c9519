// Private to sgda::mpi: the Communicator of a distributed method's workers over MPI ranks.
#pragma once

#include <mpi.h>

#include <vector>

#include "sgda/mpi/session.hpp"
#include "watchdog.hpp"

namespace sgda::mpi {

class MpiCommunicator final : public Communicator {
 public:
  // Workers 0..W−1 over the ranks of `comm` (not owned), in contiguous blocks; `watchdog` (not
  // owned) times its waits.
  MpiCommunicator(MPI_Comm comm, Index num_workers, Watchdog& watchdog);

  Index num_workers() const override { return num_workers_; }
  const std::vector<Index>& local_workers() const override { return local_; }
  const std::vector<Payload>& allgather(const std::vector<Payload>& local,
                                        std::int64_t& sample_evaluations) override;
  std::vector<Vector> allgather_vectors(const std::vector<Vector>& local) override;

  const WireBytes& sent() const { return sent_; }  // by this rank

 private:
  // MPI_Allgatherv of `type` on comm_, its wait timed by the watchdog.
  void allgatherv(const void* send, int count, MPI_Datatype type, void* receive, const int* counts,
                  const int* offsets);

  MPI_Comm comm_;
  Watchdog& watchdog_;
  Index num_workers_;
  std::vector<Index> local_;
  std::vector<int> first_worker_;  // by rank, and W at the end
  // Reused between rounds, so that a round allocates nothing once they have grown.
  std::vector<std::int64_t> headers_, local_header_;
  std::vector<int> header_counts_, header_offsets_, byte_counts_, byte_offsets_;
  std::vector<unsigned char> bytes_, local_bytes_;
  std::vector<Payload> all_;
  WireBytes sent_;
};

}  // namespace sgda::mpi
