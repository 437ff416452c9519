// The identity compressor Q(x) = x (ω = 0): d values of 64 bits, the uncompressed baseline.
// Header-only and final, so that the distributed estimators' typed loop inlines it.
#pragma once

#include <bit>
#include <cstring>

#include "sgda/estimators/compressor.hpp"

namespace sgda {

class IdentityCompressor final : public Compressor {
 public:
  explicit IdentityCompressor(Index d) : d_(d) {}
  std::string describe() const override { return "identity"; }
  double omega(Index) const override { return 0.0; }
  std::int64_t max_bits(Index d) const override { return 64 * d; }
  void encode(ConstVectorRef x, Rng& rng, Payload& out) const override { encode_with(x, rng, out); }
  void decode(const Payload& in, VectorRef out) const override {
    const std::uint64_t* words = in.words().data();
    for (Index i = 0; i < d_; ++i) out[i] = std::bit_cast<double>(words[i]);
  }
  void decode_add(const Payload& in, double weight, VectorRef acc) const override {
    add_to(in, weight, acc);
  }

  // Word i is x_i; X is a dense vector or an expression (g_m − h_m).
  template <class X>
  void encode_with(const X& x, Rng&, Payload& out) const {
    std::uint64_t* words = out.assign(64 * d_);
    if constexpr (requires { x.data(); })
      std::memcpy(words, x.data(), static_cast<std::size_t>(d_) * sizeof(double));
    else
      for (Index i = 0, d = d_; i < d; ++i) words[i] = std::bit_cast<std::uint64_t>(double(x[i]));
  }
  // sink(i, x_i) for every coordinate.
  template <class Sink>
  void for_each_sent(const Payload& in, Sink&& sink) const {
    const std::uint64_t* words = in.words().data();
    for (Index i = 0, d = d_; i < d; ++i) sink(i, std::bit_cast<double>(words[i]));
  }
  template <class Acc>
  void add_to(const Payload& in, double weight, Acc& acc) const {
    // Restrict: the payload and the sum never overlap, so the loop vectorizes.
    const std::uint64_t* __restrict words = in.words().data();
    double* __restrict sum = acc.data();
    for (Index i = 0; i < d_; ++i) sum[i] += weight * std::bit_cast<double>(words[i]);
  }

 private:
  Index d_;
};

}  // namespace sgda
