#include "sgda/mpi/session.hpp"

#include <mpi.h>

#include <cstdlib>
#include <limits>
#include <string>

#include "communicator.hpp"
#include "sgda/error.hpp"

namespace sgda::mpi {

namespace {

class MpiProcessGroup final : public ProcessGroup {
 public:
  MpiProcessGroup(MPI_Comm comm, Watchdog& watchdog) : comm_(comm), watchdog_(watchdog) {
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void agree_max(std::span<std::int64_t> values) override {
    Watchdog::Wait wait(watchdog_);
    MPI_Allreduce(MPI_IN_PLACE, values.data(), static_cast<int>(values.size()), MPI_INT64_T,
                  MPI_MAX, comm_);
  }
  void sum_in_rank_order(VectorRef values) override {
    const auto d = static_cast<int>(values.size());
    const Vector mine = values;
    all_.resize(static_cast<Index>(d) * size_);
    {
      Watchdog::Wait wait(watchdog_);
      MPI_Allgather(mine.data(), d, MPI_DOUBLE, all_.data(), d, MPI_DOUBLE, comm_);
    }
    values = all_.head(d);
    for (int r = 1; r < size_; ++r) values += all_.segment(static_cast<Index>(r) * d, d);
  }

 private:
  MPI_Comm comm_;
  Watchdog& watchdog_;
  Vector all_;  // every process's values, by rank
  int rank_ = 0, size_ = 1;
};

}  // namespace

struct Session::Impl {
  MPI_Comm comm = MPI_COMM_NULL;  // sgda's own, duplicated from MPI_COMM_WORLD
  std::unique_ptr<Watchdog> watchdog;
  std::unique_ptr<MpiProcessGroup> processes;
  std::vector<std::shared_ptr<MpiCommunicator>> communicators;
};

Session::Session() : impl_(std::make_unique<Impl>()) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) throw InputError("mpi: MPI is already initialized; accepted one Session");
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_dup(MPI_COMM_WORLD, &impl_->comm);
  int rank = 0, size = 1;
  MPI_Comm_rank(impl_->comm, &rank);
  MPI_Comm_size(impl_->comm, &size);
  impl_->watchdog = std::make_unique<Watchdog>(rank, size);
  impl_->watchdog->set_timeout(kDefaultTimeoutSeconds);
  impl_->processes = std::make_unique<MpiProcessGroup>(impl_->comm, *impl_->watchdog);
}

Session::~Session() {
  impl_->communicators.clear();
  impl_->processes.reset();
  impl_->watchdog.reset();
  MPI_Comm_free(&impl_->comm);
  MPI_Finalize();
}

int Session::rank() const { return impl_->processes->rank(); }
int Session::size() const { return impl_->processes->size(); }
ProcessGroup& Session::processes() { return *impl_->processes; }

std::shared_ptr<Communicator> Session::communicator(Index num_workers) {
  auto communicator = std::make_shared<MpiCommunicator>(impl_->comm, num_workers, *impl_->watchdog);
  impl_->communicators.push_back(communicator);
  return communicator;
}

Matrix Session::running_sum(Index rows, Index cols, const std::function<void(Matrix&)>& add_mine) {
  const std::int64_t count = static_cast<std::int64_t>(rows) * cols;
  if (count > std::numeric_limits<int>::max())
    throw InputError("mpi: a running sum of " + std::to_string(count) +
                     " values exceeds 2^31; accepted a smaller dimension");
  const int r = rank(), last = size() - 1;
  Matrix sum = Matrix::Zero(rows, cols);
  Watchdog::Wait wait(*impl_->watchdog);
  if (r > 0)
    MPI_Recv(sum.data(), static_cast<int>(count), MPI_DOUBLE, r - 1, 0, impl_->comm,
             MPI_STATUS_IGNORE);
  add_mine(sum);
  if (r < last) MPI_Send(sum.data(), static_cast<int>(count), MPI_DOUBLE, r + 1, 0, impl_->comm);
  MPI_Bcast(sum.data(), static_cast<int>(count), MPI_DOUBLE, last, impl_->comm);
  return sum;
}

int Session::first_failing(bool failed) {
  int rank = failed ? this->rank() : size();
  Watchdog::Wait wait(*impl_->watchdog);
  MPI_Allreduce(MPI_IN_PLACE, &rank, 1, MPI_INT, MPI_MIN, impl_->comm);
  return rank == size() ? -1 : rank;
}

void Session::barrier() {
  Watchdog::Wait wait(*impl_->watchdog);
  MPI_Barrier(impl_->comm);
}

void Session::set_timeout(double seconds) { impl_->watchdog->set_timeout(seconds); }

WireBytes Session::wire_bytes() {
  std::int64_t sums[3] = {0, 0, 0};
  for (const auto& c : impl_->communicators) {
    sums[0] += c->sent().payload;
    sums[1] += c->sent().header;
    sums[2] += c->sent().messages;
  }
  Watchdog::Wait wait(*impl_->watchdog);
  MPI_Allreduce(MPI_IN_PLACE, sums, 3, MPI_INT64_T, MPI_SUM, impl_->comm);
  return {sums[0], sums[1], sums[2]};
}

void Session::abort(int code) {
  MPI_Abort(impl_->comm, code);
  std::_Exit(code);  // MPI_Abort does not return; this keeps [[noreturn]] honest
}

}  // namespace sgda::mpi
