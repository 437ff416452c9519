#include "sgda/mpi/game_part.hpp"

#include <algorithm>
#include <exception>

#include "sgda/error.hpp"
#include "sgda/io/game_file.hpp"

namespace sgda::mpi {

std::shared_ptr<ShardedGame> load_game_part(Session& session, const std::string& path,
                                            Index num_workers,
                                            std::shared_ptr<const Regularizer> regularizer) {
  GamePart part;
  std::exception_ptr error;
  try {
    const std::vector<Index> mine = session.communicator(num_workers)->local_workers();
    part = load_affine_game_part(
        path, regularizer, [&](Index n, const std::vector<std::vector<Index>>& file_partition) {
          const WorkerPartition partition = static_cast<Index>(file_partition.size()) == num_workers
                                                ? file_partition
                                                : contiguous_partition(n, num_workers);
          std::vector<Index> held;
          for (Index m : mine) {
            const auto& samples = partition[static_cast<std::size_t>(m)];
            held.insert(held.end(), samples.begin(), samples.end());
          }
          std::sort(held.begin(), held.end());
          return held;
        });
  } catch (...) {
    error = std::current_exception();
  }
  // The sum below is collective: every rank goes on to it, or none does.
  if (session.first_failing(error != nullptr) >= 0) {
    if (error) std::rethrow_exception(error);
    throw AnotherRankFailed();
  }
  const Index d = part.offsets.rows();
  const Index n = part.num_samples;
  const Matrix sum = session.running_sum(d, d, [&](Matrix& running) {
    for (const Matrix& m : part.matrices) running += m;  // in sample order, as AffineGame
  });
  return std::make_shared<ShardedGame>(std::move(part), sum / static_cast<double>(n),
                                       std::move(regularizer));
}

}  // namespace sgda::mpi
