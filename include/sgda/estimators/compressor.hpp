// Compression operators for communication-efficient methods. An unbiased compressor has
//   E Q(x) = x  and  E||Q(x) − x||² ≤ ω||x||²   (docs/compressors.md derives each ω).
// encode() writes what would go on the wire; decode() turns it back into Q(x), decode_add() adds
// it to a sum.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "sgda/estimators/payload.hpp"
#include "sgda/rng.hpp"
#include "sgda/types.hpp"

namespace sgda {

struct CompressorOptions {
  std::string type = "identity";  // identity | rand-k | qsgd | natural | top-k
  Index k = 1;                    // rand-k, top-k: coordinates sent, 1 ≤ k ≤ d
  int levels = 1;                 // qsgd: quantization levels s ≥ 1

  bool IsValid(std::string* error) const;
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

// Throws InputError naming the field when the options are invalid for dimension d.
std::unique_ptr<Compressor> make_compressor(const CompressorOptions& options, Index d);
const std::vector<std::string>& compressor_types();

}  // namespace sgda
