// Internal (namespace sgda::detail, not part of the API): a value computed on first use, which
// several threads may ask for at once (the problem's caches behind its const methods: x*, its
// constants). Once computed, reading it costs one atomic load.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <utility>

namespace sgda::detail {

template <class T>
class Lazy {
 public:
  Lazy() = default;
  explicit Lazy(T value) : value_(std::move(value)), ready_(true) {}
  // Copies take the value when it is computed (a copy is not made while the original is being
  // computed: copying is not one of the const paths).
  Lazy(const Lazy& other) : value_(other.snapshot()), ready_(value_.has_value()) {}
  Lazy& operator=(const Lazy& other) {
    if (this != &other) {
      std::optional<T> value = other.snapshot();
      const std::lock_guard<std::mutex> lock(mutex_);
      value_ = std::move(value);
      ready_.store(value_.has_value(), std::memory_order_release);
    }
    return *this;
  }

  // The value, computed by `compute()` by the first caller; the others wait for it. The check
  // inlines (one load and a branch: AffineGame::coordinate is on the coordinate methods' hot
  // path); the first computation does not.
  template <class Compute>
  const T& get(Compute&& compute) const {
    if (ready_.load(std::memory_order_acquire)) [[likely]]
      return *value_;
    return compute_once(compute);
  }

 private:
  template <class Compute>
  [[gnu::noinline]] const T& compute_once(Compute& compute) const {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (!value_) {
      value_.emplace(compute());
      ready_.store(true, std::memory_order_release);
    }
    return *value_;
  }

  std::optional<T> snapshot() const {
    const std::lock_guard<std::mutex> lock(mutex_);
    return value_;
  }

  mutable std::mutex mutex_;
  mutable std::optional<T> value_;
  mutable std::atomic<bool> ready_{false};
};

}  // namespace sgda::detail
