// Callbacks that stop a run early, for the tests of checkpoints and resumes.
#pragma once

#include <cstdint>

#include "sgda/solver.hpp"

namespace sgda::testing {

// Stops the run at its first log point at or after `iteration`.
class StopAt final : public Callback {
 public:
  explicit StopAt(std::int64_t iteration) : iteration_(iteration) {}
  CallbackResult logged(const LogEntry& e) override {
    return e.counters.iterations < iteration_ ? CallbackResult::kContinue : CallbackResult::kStop;
  }

 private:
  std::int64_t iteration_;
};

// Stops the run at `iteration`, whether or not it is a log point (as a clock reading that finds
// Ctrl-C does).
class StopBetweenLogs final : public Callback {
 public:
  explicit StopBetweenLogs(std::int64_t iteration) : iteration_(iteration) {}
  std::int64_t period() const override { return iteration_; }
  CallbackResult iteration(const IterationEntry&) override { return CallbackResult::kStop; }

 private:
  std::int64_t iteration_;
};

}  // namespace sgda::testing
