// The sparsifiers: rand-k (unbiased, ω = d/k − 1, docs/compressors.md) and top-k (biased, outside
// the theory). Both send k values and k indices. Header-only and final, so that the distributed
// estimators' typed loop inlines rand-k.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "sgda/estimators/compressor.hpp"

namespace sgda {

// Wire: the k values, and the k indices as fields of ⌈log2 d⌉ bits; the receiver scales the
// values by `scale` (d/k for rand-k, 1 for top-k).
class Sparsifier : public SinkDecoded<Sparsifier, true> {
 public:
  Sparsifier(Index d, Index k, double scale)
      : d_(d), k_(k), scale_(scale), index_bits_(bits_for(static_cast<std::uint64_t>(d))) {}
  std::int64_t max_bits(Index) const override { return k_ * (64 + index_bits_); }

 protected:
  friend SinkDecoded<Sparsifier, true>;
  // Writes the payload as the coordinates are chosen: put(j, i, x_i) for the j-th of the k.
  class Writer {
   public:
    Writer(const Sparsifier& s, Payload& out) : Writer(out.assign(s.k_, s.k_ * s.index_bits_), s) {}
    void put(Index j, Index i, double value) {
      values_[j] = value;
      indices_.put(static_cast<std::uint64_t>(i));
    }

   private:
    Writer(Payload::Buffers buffers, const Sparsifier& s)
        : values_(buffers.values), indices_(buffers.fields, s.index_bits_) {}
    double* values_;
    FieldWriter indices_;
  };
  // sink(i, Q(x)_i) for the k coordinates sent.
  template <class Sink>
  void read(const Payload& in, Sink&& sink) const {
    const double* values = in.values().data();
    const double scale = scale_;  // a local: the sink's stores could alias a member
    FieldReader indices(in.fields().data(), index_bits_);
    for (Index j = 0, k = k_; j < k; ++j)
      sink(static_cast<Index>(indices.get()), scale * values[j]);
  }
  Index d_, k_;
  double scale_;
  int index_bits_;
};

// rand-k: k distinct coordinates uniformly at random (Floyd's algorithm), scaled by d/k.
class RandK final : public Sparsifier {
 public:
  RandK(Index d, Index k)
      : Sparsifier(d, k, static_cast<double>(d) / static_cast<double>(k)),
        marked_(static_cast<std::size_t>(d), 0) {}
  std::string describe() const override { return "rand-k(k=" + std::to_string(k_) + ")"; }
  double omega(Index d) const override { return static_cast<double>(d) / k_ - 1.0; }
  void encode(ConstVectorRef x, Rng& rng, Payload& out) const override { encode_with(x, rng, out); }
  template <class X>
  void encode_with(const X& x, Rng& rng, Payload& out) const {
    // Floyd: t is taken unless already chosen, then j is. Chosen means marked with this call's
    // stamp, so nothing is cleared between calls.
    if (++stamp_ == 0) {  // wrapped after 2^32 calls: clear the marks and start again
      std::fill(marked_.begin(), marked_.end(), 0);
      stamp_ = 1;
    }
    std::uint32_t* marked = marked_.data();
    const std::uint32_t stamp = stamp_;
    Writer writer(*this, out);
    const Index d = d_;  // a local: the writer's stores could alias a member
    for (Index j = d - k_, count = 0; j < d; ++j, ++count) {
      auto t = static_cast<Index>(rng.index(static_cast<std::uint64_t>(j + 1)));
      if (marked[t] == stamp) t = j;
      marked[t] = stamp;
      writer.put(count, t, double(x[t]));
    }
  }

 private:
  mutable std::vector<std::uint32_t> marked_;  // marked_[i] == stamp_: i chosen by this call
  mutable std::uint32_t stamp_ = 0;
};

// top-k: the k largest magnitudes (ties: the lower index), unscaled.
class TopK final : public Sparsifier {
 public:
  TopK(Index d, Index k) : Sparsifier(d, k, 1.0), order_(static_cast<std::size_t>(d)) {}
  std::string describe() const override { return "top-k(k=" + std::to_string(k_) + ")"; }
  bool unbiased() const override { return false; }
  double omega(Index) const override { return std::numeric_limits<double>::quiet_NaN(); }
  void encode(ConstVectorRef x, Rng&, Payload& out) const override {
    for (Index i = 0; i < d_; ++i) order_[static_cast<std::size_t>(i)] = i;
    std::nth_element(
        order_.begin(), order_.begin() + (k_ - 1), order_.end(), [&](Index a, Index b) {
          return std::abs(x[a]) > std::abs(x[b]) || (std::abs(x[a]) == std::abs(x[b]) && a < b);
        });
    Writer writer(*this, out);
    for (Index j = 0; j < k_; ++j) {
      const Index i = order_[static_cast<std::size_t>(j)];
      writer.put(j, i, x[i]);
    }
  }

 private:
  mutable std::vector<Index> order_;
};

}  // namespace sgda
