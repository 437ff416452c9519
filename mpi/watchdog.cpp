#include "watchdog.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace sgda::mpi {
namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Watchdog::Watchdog(int rank, int size) : rank_(rank), size_(size), thread_([this] { watch(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void Watchdog::set_timeout(double seconds) { timeout_ = seconds; }

Watchdog::Wait::Wait(Watchdog& dog) : dog_(dog) {
  dog_.waiting_since_.store(now_ns(), std::memory_order_relaxed);
}

Watchdog::Wait::~Wait() { dog_.waiting_since_.store(0, std::memory_order_relaxed); }

void Watchdog::watch() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_; })) {
    const double timeout = timeout_;
    const std::int64_t since = waiting_since_.load(std::memory_order_relaxed);
    if (timeout <= 0.0 || since == 0) continue;
    const double waited = 1e-9 * static_cast<double>(now_ns() - since);
    if (waited > timeout) expire(waited);
  }
}

void Watchdog::expire(double waited) const {
  // One write, then out: MPI cannot be called from this thread, and the main thread is stuck.
  char line[512];
  const int length = std::snprintf(
      line, sizeof line,
      "sgda: error: rank %d of %d: no answer from the other ranks for %.0f s (the MPI timeout); "
      "ending the job, the run file keeps its last checkpoint\n",
      rank_, size_, waited);
  if (length > 0 && ::write(2, line, static_cast<std::size_t>(length)) < 0) ::_exit(2);
  ::_exit(2);
}

}  // namespace sgda::mpi
