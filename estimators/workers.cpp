#include "sgda/estimators/workers.hpp"

#include <numeric>

#include "sgda/error.hpp"

namespace sgda {

WorkerPartition contiguous_partition(Index num_samples, Index num_workers) {
  if (num_workers < 1 || num_workers > num_samples || num_samples % num_workers != 0)
    throw InputError(FieldError{
        "workers", "must divide the number of samples (" + std::to_string(num_samples) +
                       ") so every worker owns as many, got " + std::to_string(num_workers)});
  WorkerPartition partition(static_cast<std::size_t>(num_workers));
  const Index local = num_samples / num_workers;
  for (Index m = 0; m < num_workers; ++m) {
    auto& samples = partition[static_cast<std::size_t>(m)];
    samples.resize(static_cast<std::size_t>(local));
    std::iota(samples.begin(), samples.end(), m * local);
  }
  return partition;
}

WorkerPartition resolve_partition(const Problem& problem, Index num_workers) {
  WorkerPartition given = problem.worker_partition();
  if (given.empty() || static_cast<Index>(given.size()) != num_workers)
    return contiguous_partition(problem.num_samples(), num_workers);
  std::vector<char> seen(static_cast<std::size_t>(problem.num_samples()), 0);
  for (const auto& samples : given) {
    if (samples.size() != given.front().size())
      throw InputError(FieldError{"workers",
                                  "every worker of the problem's partition must own the same "
                                  "number of samples"});
    for (Index i : samples) {
      if (i < 0 || i >= problem.num_samples() || seen[static_cast<std::size_t>(i)])
        throw InputError(FieldError{
            "workers", "the problem's worker partition must use each sample exactly once"});
      seen[static_cast<std::size_t>(i)] = 1;
    }
  }
  for (char s : seen)
    if (!s)
      throw InputError(FieldError{
          "workers", "the problem's worker partition must use each sample exactly once"});
  return given;
}

namespace {

class InProcessCommunicator final : public Communicator {
 public:
  explicit InProcessCommunicator(Index workers) : local_(static_cast<std::size_t>(workers)) {
    std::iota(local_.begin(), local_.end(), Index{0});
  }
  Index num_workers() const override { return static_cast<Index>(local_.size()); }
  const std::vector<Index>& local_workers() const override { return local_; }
  const std::vector<Payload>& allgather(const std::vector<Payload>& local, std::int64_t&) override {
    return local;  // every worker is local
  }
  std::vector<Vector> allgather_vectors(const std::vector<Vector>& local) override { return local; }

 private:
  std::vector<Index> local_;
};

}  // namespace

std::unique_ptr<Communicator> make_in_process_communicator(Index num_workers) {
  return std::make_unique<InProcessCommunicator>(num_workers);
}

}  // namespace sgda
