// Compression operators for communication-efficient methods. An unbiased compressor has
//   E Q(x) = x  and  E||Q(x) − x||² ≤ ω||x||²   (docs/compressors.md derives each ω).
// encode() writes what would go on the wire; decode() turns it back into Q(x), decode_add() adds
// it to a sum.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sgda/estimators/payload.hpp"
#include "sgda/options.hpp"
#include "sgda/rng.hpp"
#include "sgda/types.hpp"

namespace sgda {

enum class CompressorType { kIdentity, kRandK, kQsgd, kNatural, kTopK };
template <>
const std::vector<EnumValue<CompressorType>>& enum_values<CompressorType>();

struct CompressorOptions {
  CompressorType type = CompressorType::kIdentity;
  Index k = 1;     // rand-k, top-k: coordinates sent, 1 ≤ k ≤ d
  int levels = 1;  // qsgd: quantization levels s ≥ 1, at most 2^30

  static const OptionTable<CompressorOptions>& table();
  std::optional<FieldError> Check() const { return table().check(*this); }
  bool IsValid(std::string* error) const { return passes(Check(), error); }
};

class Compressor {
 public:
  virtual ~Compressor() = default;
  virtual std::string describe() const = 0;
  // False for top-k, which is outside the theory.
  virtual bool unbiased() const { return true; }
  // The variance parameter ω for vectors of dimension d (NaN when biased).
  virtual double omega(Index d) const = 0;
  // An upper bound on the payload of a d-vector, to reserve buffers once.
  virtual std::int64_t max_bits(Index d) const = 0;
  // out ← the encoding of Q(x); draws its randomness from rng. No allocation once reserved.
  virtual void encode(ConstVectorRef x, Rng& rng, Payload& out) const = 0;
  // out ← Q(x) from the payload (out has size d).
  virtual void decode(const Payload& in, VectorRef out) const = 0;
  // acc ← acc + weight·Q(x) from the payload, touching only the coordinates the payload carries
  // (k of them for rand-k and top-k), each term computed as decode() computes Q(x)_i: how a
  // server sums the workers' messages without a dense temporary per message.
  virtual void decode_add(const Payload& in, double weight, VectorRef acc) const = 0;
};

// decode and decode_add for a wire format that Derived::read(in, sink) walks, calling
// sink(i, Q(x)_i) for every coordinate sent. A sparse format sends only some, so decode zeroes
// the others first. add_to is decode_add for any vector type, inline.
template <class Derived, bool kSparse>
class SinkDecoded : public Compressor {
 public:
  void decode(const Payload& in, VectorRef out) const override {
    if constexpr (kSparse) out.setZero();
    self().read(in, [&](Index i, double value) { out[i] = value; });
  }
  void decode_add(const Payload& in, double weight, VectorRef acc) const override {
    add_to(in, weight, acc);
  }
  template <class Acc>
  void add_to(const Payload& in, double weight, Acc& acc) const {
    self().read(in, [&](Index i, double value) { acc[i] += weight * value; });
  }
  // sink(i, Q(x)_i) for every coordinate sent.
  template <class Sink>
  void for_each_sent(const Payload& in, Sink&& sink) const {
    self().read(in, sink);
  }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

// decode_add through C: Compressor (the virtual call), or a concrete final compressor whose
// add_to template then inlines (the distributed estimators' typed loop). The same arithmetic
// either way.
template <class C, class Acc>
void decode_add_of(const C& compressor, const Payload& in, double weight, Acc& acc) {
  if constexpr (requires { compressor.add_to(in, weight, acc); })
    compressor.add_to(in, weight, acc);
  else
    compressor.decode_add(in, weight, acc);
}

// sum ← sum + Q(x) and shift ← shift + weight·Q(x) from one payload: a DIANA server's sum and
// the sender's shift. One read of the payload when C is a concrete compressor.
template <class C, class Sum, class Shift>
void decode_add_both(const C& compressor, const Payload& in, Sum& sum, double weight,
                     Shift& shift) {
  if constexpr (requires { compressor.for_each_sent(in, [](Index, double) {}); }) {
    compressor.for_each_sent(in, [&](Index i, double value) {
      sum[i] += 1.0 * value;  // as decode_add with weight 1
      shift[i] += weight * value;
    });
  } else {
    compressor.decode_add(in, 1.0, sum);
    compressor.decode_add(in, weight, shift);
  }
}

// Throws InputError naming the field when the options are invalid for dimension d.
std::unique_ptr<Compressor> make_compressor(const CompressorOptions& options, Index d);

}  // namespace sgda
