// Private to sgda::mpi: ends this process when it has waited inside one collective call for
// longer than a timeout. MPI waits forever for a rank that hangs without dying (a stalled file
// system, a stopped process); once this rank exits, the launcher ends the others, and the run
// file keeps its last checkpoint (it is only ever replaced whole).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace sgda::mpi {

class Watchdog {
 public:
  Watchdog(int rank, int size);
  ~Watchdog();  // stops its thread
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  void set_timeout(double seconds);  // 0: wait forever

  // Marks a collective call from construction to destruction.
  class Wait {
   public:
    explicit Wait(Watchdog& dog);
    ~Wait();
    Wait(const Wait&) = delete;
    Wait& operator=(const Wait&) = delete;

   private:
    Watchdog& dog_;
  };

 private:
  void watch();
  [[noreturn]] void expire(double waited) const;

  const int rank_, size_;
  std::atomic<std::int64_t> waiting_since_{0};  // steady-clock ns; 0: not in a collective call
  std::atomic<double> timeout_{0.0};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace sgda::mpi
