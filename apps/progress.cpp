#include "progress.hpp"

#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>

namespace sgda::cli {
namespace {

volatile std::sig_atomic_t g_signal = 0;
std::atomic<bool> g_interrupted{false};  // lock-free: safe to set in a signal handler
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_signal(int signal) {
  g_signal = signal;
  g_interrupted.store(true, std::memory_order_relaxed);
}

struct sigaction g_previous_int, g_previous_term;

}  // namespace

InterruptGuard::InterruptGuard() {
  g_signal = 0;
  g_interrupted.store(false);
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;
  sigaction(SIGINT, &action, &g_previous_int);
  sigaction(SIGTERM, &action, &g_previous_term);
}

InterruptGuard::~InterruptGuard() {
  sigaction(SIGINT, &g_previous_int, nullptr);
  sigaction(SIGTERM, &g_previous_term, nullptr);
}

int InterruptGuard::received() { return g_signal; }

const std::atomic<bool>* InterruptGuard::flag() { return &g_interrupted; }

double last_metric(const Trace& trace, const char* name) {
  for (const TraceColumn& c : trace.extra)
    if (c.name == name && !c.values.empty()) return c.values.back();
  return std::nan("");
}

std::string training_metrics_line(const Trace& trace) {
  std::string line;
  auto show = [&](const char* name, const char* label, bool percent) {
    const double v = last_metric(trace, name);
    if (std::isnan(v)) return;
    char text[96];
    std::snprintf(text, sizeof text, percent ? "%s%s %.2f %%" : "%s%s %.4g",
                  line.empty() ? "" : ", ", label, percent ? 100.0 * v : v);
    line += text;
  };
  show("test_accuracy", "test accuracy", true);
  show("test_loss", "test loss", false);
  show("test_squared_error", "test squared error", false);
  show("train_accuracy", "train accuracy", true);
  show("train_loss", "train loss", false);
  return line;
}

CallbackResult Progress::logged(const LogEntry& entry) {
  if (draw_) {
    const auto now = std::chrono::steady_clock::now();
    // About ten redraws a second: enough to look alive, cheap next to the run.
    if (!drawn_ || now - last_ >= std::chrono::milliseconds(100)) {
      last_ = now;
      drawn_ = true;
      const double fraction =
          std::min(1.0, double(entry.counters.iterations) / double(entry.max_iterations));
      constexpr int kWidth = 30;
      char bar[kWidth + 1];
      const int filled = static_cast<int>(fraction * kWidth);
      for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
      bar[kWidth] = '\0';
      // Training problems: epoch, training loss and test accuracy (the last logged values).
      auto last = [&](const char* name) {
        return entry.trace ? last_metric(*entry.trace, name) : std::nan("");
      };
      const double loss = last("train_loss");
      if (!std::isnan(loss)) {
        char accuracy[48] = "";
        const double test = last("test_accuracy"), train = last("train_accuracy");
        if (!std::isnan(test))
          std::snprintf(accuracy, sizeof accuracy, "  test acc %.2f%%", 100.0 * test);
        else if (!std::isnan(train))
          std::snprintf(accuracy, sizeof accuracy, "  train acc %.2f%%", 100.0 * train);
        std::fprintf(stderr, "\r%3.0f%% [%s] epoch %.2f  loss %.4g%s  %.1f s\033[K",
                     100.0 * fraction, bar, entry.epochs, loss, accuracy, entry.wall_time);
      } else {
        char distance[32] = "n/a";
        if (std::isfinite(entry.relative_distance_sq))
          std::snprintf(distance, sizeof distance, "%.2e", entry.relative_distance_sq);
        std::fprintf(stderr,
                     "\r%3.0f%% [%s] iter %lld  rel.dist^2 %s  residual^2 %.2e  %.1f s\033[K",
                     100.0 * fraction, bar, static_cast<long long>(entry.counters.iterations),
                     distance, entry.residual_sq, entry.wall_time);
      }
      std::fflush(stderr);
    }
  }
  return CallbackResult::kContinue;
}

void Progress::end(const Summary&) {
  if (drawn_) {
    std::fputs("\r\033[K", stderr);  // the summary replaces the bar
    std::fflush(stderr);
  }
}

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

}  // namespace sgda::cli
