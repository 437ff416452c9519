// QSGD, natural compression and the factory; their ω are derived in docs/compressors.md.
// identity_compressor.hpp and sparsifiers.hpp hold the others.
#include <algorithm>
#include <bit>
#include <cmath>

#include "sgda/error.hpp"
#include "sgda/estimators/compressor.hpp"
#include "identity_compressor.hpp"
#include "sparsifiers.hpp"

namespace sgda {
namespace {

// ℓ2 random dithering / QSGD with s levels (Alistarh et al. 2017): Q(x)_i = ||x|| sign(x_i) l_i/s
// with l_i = ⌊s|x_i|/||x||⌋ + Bernoulli(frac). Wire: the norm, then per coordinate a sign bit
// and the level (one field: sign | level << 1).
class Qsgd final : public SinkDecoded<Qsgd, false> {
 public:
  Qsgd(Index d, int levels) : d_(d), s_(levels), level_bits_(bits_for(std::uint64_t(levels) + 1)) {}
  std::string describe() const override { return "qsgd(levels=" + std::to_string(s_) + ")"; }
  double omega(Index d) const override {
    const double dd = static_cast<double>(d), s = s_;
    return std::min(dd / (4.0 * s * s), std::sqrt(dd) / s);
  }
  std::int64_t max_bits(Index d) const override { return 64 + d * (1 + level_bits_); }
  void encode(ConstVectorRef x, Rng& rng, Payload& out) const override {
    const double norm = x.norm();
    const Payload::Buffers buffers = out.assign(1, d_ * (1 + level_bits_));
    buffers.values[0] = norm;
    FieldWriter fields(buffers.fields, 1 + level_bits_);
    for (Index i = 0; i < d_; ++i) {
      std::uint64_t level = 0;
      if (norm > 0.0) {
        // At most s: rounding in the norm could push |x_i|/||x|| a hair above 1, and the level
        // field holds 0..s.
        const double scaled = std::min(s_ * std::abs(x[i]) / norm, double(s_));
        const double floor = std::floor(scaled);
        level = static_cast<std::uint64_t>(floor) + (rng.uniform() < scaled - floor ? 1 : 0);
      } else {
        rng.uniform();  // the same number of draws whatever x is: streams stay aligned
      }
      fields.put((std::signbit(x[i]) ? 1 : 0) | level << 1);
    }
  }

 private:
  friend SinkDecoded<Qsgd, false>;
  template <class Sink>
  void read(const Payload& in, Sink&& sink) const {
    const double norm = in.values()[0];
    FieldReader fields(in.fields().data(), 1 + level_bits_);
    for (Index i = 0; i < d_; ++i) {
      const std::uint64_t field = fields.get();
      const double sign = field & 1 ? -1.0 : 1.0;
      sink(i, sign * norm * static_cast<double>(field >> 1) / s_);
    }
  }
  Index d_;
  int s_, level_bits_;
};

// Natural compression (Horváth et al. 2019): |x_i| ∈ [2^a, 2^{a+1}) is rounded to 2^a with
// probability (2^{a+1} − |x_i|)/2^a, else to 2^{a+1}. Wire: a sign bit and a 12-bit exponent code
// per coordinate, one field sign | code << 1 (code 0 = zero; the code is a + 1100, which covers
// every double).
class Natural final : public SinkDecoded<Natural, false> {
 public:
  explicit Natural(Index d) : d_(d) {}
  std::string describe() const override { return "natural"; }
  double omega(Index) const override { return 1.0 / 8.0; }
  std::int64_t max_bits(Index d) const override { return d * (1 + kExponentBits); }
  void encode(ConstVectorRef x, Rng& rng, Payload& out) const override {
    FieldWriter fields(out.assign(0, max_bits(d_)).fields, 1 + kExponentBits);
    for (Index i = 0; i < d_; ++i) {
      const double magnitude = std::abs(x[i]);
      const double u = rng.uniform();
      std::uint64_t code = 0;
      if (magnitude > 0.0) {
        // magnitude ∈ [2^a, 2^(a+1)): a read from the exponent bits of a normal double.
        const auto biased = static_cast<int>(std::bit_cast<std::uint64_t>(magnitude) >> 52);
        int a;
        double low;
        if (biased >= 1 && biased <= 2046) {
          a = biased - 1023;
          low = std::bit_cast<double>(std::uint64_t(biased) << 52);
        } else {  // subnormal (or not finite)
          int e;
          std::frexp(magnitude, &e);  // magnitude ∈ [2^(e−1), 2^e)
          a = e - 1;
          low = std::ldexp(1.0, a);
        }
        const bool round_up = u < (magnitude - low) / low;
        code = static_cast<std::uint64_t>(a + (round_up ? 1 : 0) + kExponentOffset);
      }
      fields.put((std::signbit(x[i]) ? 1 : 0) | code << 1);
    }
  }

 private:
  friend SinkDecoded<Natural, false>;
  template <class Sink>
  void read(const Payload& in, Sink&& sink) const {
    FieldReader fields(in.fields().data(), 1 + kExponentBits);
    for (Index i = 0; i < d_; ++i) {
      const std::uint64_t field = fields.get();
      const double sign = field & 1 ? -1.0 : 1.0;
      const auto code = static_cast<int>(field >> 1);
      sink(i, code == 0 ? 0.0 : sign * power_of_two(code - kExponentOffset));
    }
  }
  // 2^a, from its exponent bits when it is a normal double.
  static double power_of_two(int a) {
    if (a >= -1022 && a <= 1023) return std::bit_cast<double>(std::uint64_t(a + 1023) << 52);
    return std::ldexp(1.0, a);
  }
  static constexpr int kExponentBits = 12;
  static constexpr int kExponentOffset = 1100;  // a ∈ [−1074, 1024] ↦ code ∈ [26, 2124]
  Index d_;
};

}  // namespace

template <>
const std::vector<EnumValue<CompressorType>>& enum_values<CompressorType>() {
  static const std::vector<EnumValue<CompressorType>> values = {
      {CompressorType::kIdentity, "identity", "sends the d doubles; omega = 0"},
      {CompressorType::kRandK, "rand-k", "k random coordinates scaled by d/k; omega = d/k - 1"},
      {CompressorType::kQsgd, "qsgd",
       "l2 random dithering with s levels; omega = min{d/(4s^2), sqrt(d)/s}"},
      {CompressorType::kNatural, "natural", "random rounding to powers of two; omega = 1/8"},
      {CompressorType::kTopK, "top-k", "k largest magnitudes (biased: outside the theory)"},
  };
  return values;
}

const OptionTable<CompressorOptions>& CompressorOptions::table() {
  using O = CompressorOptions;
  static const OptionTable<O> table(
      "CompressorOptions",
      {
          field("compressor", &O::type, "what each worker sends (docs/compressors.md)")
              .member_name("type"),
          field("k", &O::k, "coordinates rand-k and top-k send, at most the dimension D")
              .at_least(1)
              .when("compressor", {CompressorType::kRandK, CompressorType::kTopK}),
          field("levels", &O::levels, "quantization levels s of qsgd")
              .bounds(1, false, 1 << 30, false)
              .when("compressor", {CompressorType::kQsgd}),
      });
  return table;
}

std::unique_ptr<Compressor> make_compressor(const CompressorOptions& options, Index d) {
  if (const auto error = options.Check()) throw InputError(*error);
  const bool sparse =
      options.type == CompressorType::kRandK || options.type == CompressorType::kTopK;
  if (sparse && options.k > d)
    throw InputError(FieldError{"CompressorOptions::k", "must be at most the dimension " +
                                                            std::to_string(d) + ", got " +
                                                            std::to_string(options.k)});
  switch (options.type) {
    case CompressorType::kRandK:
      return std::make_unique<RandK>(d, options.k);
    case CompressorType::kTopK:
      return std::make_unique<TopK>(d, options.k);
    case CompressorType::kQsgd:
      return std::make_unique<Qsgd>(d, options.levels);
    case CompressorType::kNatural:
      return std::make_unique<Natural>(d);
    case CompressorType::kIdentity:
      break;
  }
  return std::make_unique<IdentityCompressor>(d);
}

}  // namespace sgda
