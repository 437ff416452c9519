// sgda over MPI (the optional component sgda::mpi; CMake option SGDA_WITH_MPI). A process of an
// MPI job holds one Session: it initializes MPI, and hands out the communicator that the workers
// of a distributed method talk through (workers in contiguous blocks over the ranks) and the
// process group through which the solver agrees on its clock and interrupt decisions. Every rank
// runs the same solve (SPMD) and gets the same iterates, bit for bit those of the in-process
// backend with the same seed and number of workers.
//
// Ranks must run on machines of one byte order and one sgda build (the payloads travel as the
// bytes the compressors packed).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "sgda/estimators/workers.hpp"
#include "sgda/process_group.hpp"

namespace sgda::mpi {

// What this job's communicators put on the wire, summed over the ranks.
struct WireBytes {
  // The compressed payloads: 8 bytes per value and ⌈field bits / 8⌉ per message, so 8 × this
  // is the counted bits plus under 8 bits of padding per message.
  std::int64_t payload = 0;
  // Sizes and oracle-call counts sent beside them (16 bytes per worker and round, 8 per rank).
  std::int64_t header = 0;
  std::int64_t messages = 0;  // payloads sent: workers × rounds
};

// Thrown by a collective set-up call (load_game_part, load_dataset) on the ranks where it
// succeeded when it failed on another rank, which throws its own error.
using AnotherRankFailed = AnotherProcessFailed;

class Session {
 public:
  // Initializes MPI (MPI_THREAD_FUNNELED: only the main thread calls MPI); one per process.
  Session();
  ~Session();  // MPI_Finalize
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // How long a rank waits inside one collective call for the others before it ends the job
  // (one line naming the rank on stderr, exit code 2): MPI itself waits forever for a rank that
  // hangs without dying. 0: forever.
  static constexpr double kDefaultTimeoutSeconds = 600.0;
  void set_timeout(double seconds);

  int rank() const;
  int size() const;
  ProcessGroup& processes();

  // The communicator of W workers over this job's ranks: rank r runs workers
  // ⌊rW/R⌋ … ⌊(r+1)W/R⌋ − 1. Throws InputError unless R ≤ W.
  std::shared_ptr<Communicator> communicator(Index num_workers);

  // Collective: a sum accumulated along the ranks in rank order. Rank r receives the sum of
  // ranks 0..r−1 (zeros on rank 0), `add_mine` adds its own terms to it in place and it goes on
  // to rank r + 1; every rank returns the whole sum. Terms held in rank order are so added in
  // their order, as one process adds them (the mean of a game whose samples are split over
  // the ranks in order).
  Matrix running_sum(Index rows, Index cols, const std::function<void(Matrix&)>& add_mine);
  // Collective: the lowest rank on which `failed` is true, or −1 when it is false on every rank.
  int first_failing(bool failed);
  // Collective: returns once every rank has called it.
  void barrier();
  // Collective: the bytes that every communicator of this session has sent so far.
  WireBytes wire_bytes();
  // Ends every rank of the job with `code`, now (a failure on one rank that the others, inside a
  // collective call, cannot learn of otherwise).
  [[noreturn]] void abort(int code);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sgda::mpi
