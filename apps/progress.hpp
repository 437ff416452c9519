// What `sgda solve` shows while it runs, and how it stops cleanly on SIGINT/SIGTERM.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include "sgda/solver.hpp"

namespace sgda::cli {

// Installs SIGINT/SIGTERM handlers that only set a flag, for its lifetime. SA_RESETHAND: a
// second signal gets the default action, so a stuck run can still be killed.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;

  static int received();  // the signal number, 0 if none
  // Set by the handlers: SolverOptions::interrupt stops a run within about a millisecond.
  static const std::atomic<bool>* flag();
};

// Draws a progress line on stderr (when `draw`) at logged iterations.
class Progress final : public Callback {
 public:
  explicit Progress(bool draw) : draw_(draw) {}
  CallbackResult logged(const LogEntry& entry) override;
  void end(const Summary& summary) override;

 private:
  bool draw_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

// A trace's last value of the further column `name` (Trace::extra), NaN when it has none.
double last_metric(const Trace& trace, const char* name);

// A training run's last logged metrics, test accuracy first ("test accuracy 88.1 %, test loss
// 0.34, ..."); empty for a run without them (games).
std::string training_metrics_line(const Trace& trace);

// Whether stderr is a terminal (the progress line would garble a pipe or a log file).
bool stderr_is_terminal();

}  // namespace sgda::cli
