// The identity compressor Q(x) = x (ω = 0): d values of 64 bits, the uncompressed baseline.
// Header-only and final, so that the distributed estimators' typed loop inlines it.
#pragma once

#include "sgda/estimators/compressor.hpp"

namespace sgda {

class IdentityCompressor final : public Compressor {
 public:
  explicit IdentityCompressor(Index d) : d_(d) {}
  std::string describe() const override { return "identity"; }
  double omega(Index) const override { return 0.0; }
  std::int64_t max_bits(Index d) const override { return 64 * d; }
  void encode(ConstVectorRef x, Rng& rng, Payload& out) const override { encode_with(x, rng, out); }
  void decode(const Payload& in, VectorRef out) const override { out = message(in); }
  void decode_add(const Payload& in, double weight, VectorRef acc) const override {
    add_to(in, weight, acc);
  }

  // The d values; X is a dense vector or an expression (g_m − h_m).
  template <class X>
  void encode_with(const X& x, Rng&, Payload& out) const {
    Eigen::Map<Vector>(out.assign(d_, 0).values, d_) = x;
  }
  // `out` sized for a message, as a vector to compute x in: encode_with without the copy.
  Eigen::Map<Vector> message_to_write(Payload& out) const { return {out.assign(d_, 0).values, d_}; }
  template <class Acc>
  void add_to(const Payload& in, double weight, Acc& acc) const {
    acc += weight * message(in);
  }
  // sink(i, x_i) for every coordinate.
  template <class Sink>
  void for_each_sent(const Payload& in, Sink&& sink) const {
    const double* values = in.values().data();
    for (Index i = 0, d = d_; i < d; ++i) sink(i, values[i]);
  }

 private:
  Eigen::Map<const Vector> message(const Payload& in) const { return {in.values().data(), d_}; }
  Index d_;
};

}  // namespace sgda
