// The compressors; their ω are derived in docs/compressors.md.
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "sgda/error.hpp"
#include "sgda/estimators/compressor.hpp"

namespace sgda {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Q(x) = x: d values of 64 bits.
class Identity final : public Compressor {
 public:
  explicit Identity(Index d) : d_(d) {}
  std::string describe() const override { return "identity"; }
  double omega(Index) const override { return 0.0; }
  std::int64_t max_bits(Index d) const override { return 64 * d; }
  void encode(ConstVectorRef x, Rng&, Payload& out) const override {
    out.clear();
    out.put_doubles(x.data(), x.size());
  }
  void decode(const Payload& in, VectorRef out) const override {
    PayloadReader(in).get_doubles(out.data(), d_);
  }
  void decode_add(const Payload& in, double weight, VectorRef acc) const override {
    // Word i is x_i. Restrict: the payload and the sum never overlap, so the loop vectorizes.
    const std::uint64_t* __restrict words = in.words().data();
    double* __restrict sum = acc.data();
    for (Index i = 0; i < d_; ++i) sum[i] += weight * std::bit_cast<double>(words[i]);
  }

 private:
  Index d_;
};

// decode and decode_add for a wire format that Derived::read(in, sink) walks, calling
// sink(i, Q(x)_i) for every coordinate sent. A sparse format sends only some, so decode zeroes
// the others first.
template <class Derived, bool kSparse>
class SinkDecoded : public Compressor {
 public:
  void decode(const Payload& in, VectorRef out) const override {
    if constexpr (kSparse) out.setZero();
    self().read(in, [&](Index i, double value) { out[i] = value; });
  }
  void decode_add(const Payload& in, double weight, VectorRef acc) const override {
    self().read(in, [&](Index i, double value) { acc[i] += weight * value; });
  }

 private:
  const Derived& self() const { return static_cast<const Derived&>(*this); }
};

// Sends k (index, value) pairs; the receiver scales by `scale` (d/k for rand-k, 1 for top-k).
class Sparsifier : public SinkDecoded<Sparsifier, true> {
 public:
  Sparsifier(Index d, Index k, double scale)
      : d_(d), k_(k), scale_(scale), index_bits_(bits_for(static_cast<std::uint64_t>(d))) {}
  std::int64_t max_bits(Index) const override { return k_ * (index_bits_ + 64); }

 protected:
  friend SinkDecoded<Sparsifier, true>;
  void put(Index i, double value, Payload& out) const {
    out.put(static_cast<std::uint64_t>(i), index_bits_);
    out.put_double(value);
  }
  // sink(i, Q(x)_i) for the k coordinates sent.
  template <class Sink>
  void read(const Payload& in, Sink&& sink) const {
    PayloadReader reader(in);
    for (Index j = 0; j < k_; ++j) {
      const auto i = static_cast<Index>(reader.get(index_bits_));
      sink(i, scale_ * reader.get_double());
    }
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
        marked_(static_cast<std::size_t>(d), 0),
        chosen_(static_cast<std::size_t>(k)) {}
  std::string describe() const override { return "rand-k(k=" + std::to_string(k_) + ")"; }
  double omega(Index d) const override { return static_cast<double>(d) / k_ - 1.0; }
  void encode(ConstVectorRef x, Rng& rng, Payload& out) const override {
    out.clear();
    std::size_t count = 0;
    for (Index j = d_ - k_; j < d_; ++j) {
      auto t = static_cast<Index>(rng.index(static_cast<std::uint64_t>(j + 1)));
      if (marked_[static_cast<std::size_t>(t)]) t = j;
      marked_[static_cast<std::size_t>(t)] = 1;
      chosen_[count++] = t;
    }
    for (Index i : chosen_) {
      marked_[static_cast<std::size_t>(i)] = 0;  // scratch only: no state between calls
      put(i, x[i], out);
    }
  }

 private:
  mutable std::vector<char> marked_;
  mutable std::vector<Index> chosen_;
};

// top-k: the k largest magnitudes, unscaled. Biased: outside the unified theory.
class TopK final : public Sparsifier {
 public:
  TopK(Index d, Index k) : Sparsifier(d, k, 1.0), order_(static_cast<std::size_t>(d)) {}
  std::string describe() const override { return "top-k(k=" + std::to_string(k_) + ")"; }
  bool unbiased() const override { return false; }
  double omega(Index) const override { return kNaN; }
  void encode(ConstVectorRef x, Rng&, Payload& out) const override {
    out.clear();
    for (Index i = 0; i < d_; ++i) order_[static_cast<std::size_t>(i)] = i;
    std::nth_element(
        order_.begin(), order_.begin() + (k_ - 1), order_.end(), [&](Index a, Index b) {
          return std::abs(x[a]) > std::abs(x[b]) || (std::abs(x[a]) == std::abs(x[b]) && a < b);
        });
    for (Index j = 0; j < k_; ++j) {
      const Index i = order_[static_cast<std::size_t>(j)];
      put(i, x[i], out);
    }
  }

 private:
  mutable std::vector<Index> order_;
};

// ℓ2 random dithering / QSGD with s levels (Alistarh et al. 2017): Q(x)_i = ||x|| sign(x_i) l_i/s
// with l_i = ⌊s|x_i|/||x||⌋ + Bernoulli(frac). Wire: the norm, then per coordinate a sign bit
// and the level.
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
    out.clear();
    const double norm = x.norm();
    out.put_double(norm);
    for (Index i = 0; i < d_; ++i) {
      std::uint64_t level = 0;
      if (norm > 0.0) {
        const double scaled = s_ * std::abs(x[i]) / norm;
        const double floor = std::floor(scaled);
        level = static_cast<std::uint64_t>(floor) + (rng.uniform() < scaled - floor ? 1 : 0);
      } else {
        rng.uniform();  // the same number of draws whatever x is: streams stay aligned
      }
      out.put(std::signbit(x[i]) ? 1 : 0, 1);
      out.put(level, level_bits_);
    }
  }

 private:
  friend SinkDecoded<Qsgd, false>;
  template <class Sink>
  void read(const Payload& in, Sink&& sink) const {
    PayloadReader reader(in);
    const double norm = reader.get_double();
    for (Index i = 0; i < d_; ++i) {
      const double sign = reader.get(1) ? -1.0 : 1.0;
      sink(i, sign * norm * static_cast<double>(reader.get(level_bits_)) / s_);
    }
  }
  Index d_;
  int s_, level_bits_;
};

// Natural compression (Horváth et al. 2019): |x_i| ∈ [2^a, 2^{a+1}) is rounded to 2^a with
// probability (2^{a+1} − |x_i|)/2^a, else to 2^{a+1}. Wire: a sign bit and a 12-bit exponent code
// per coordinate (code 0 = zero; the code is a + 1100, which covers every double).
class Natural final : public SinkDecoded<Natural, false> {
 public:
  explicit Natural(Index d) : d_(d) {}
  std::string describe() const override { return "natural"; }
  double omega(Index) const override { return 1.0 / 8.0; }
  std::int64_t max_bits(Index d) const override { return d * (1 + kExponentBits); }
  void encode(ConstVectorRef x, Rng& rng, Payload& out) const override {
    out.clear();
    for (Index i = 0; i < d_; ++i) {
      const double magnitude = std::abs(x[i]);
      const double u = rng.uniform();
      std::uint64_t code = 0;
      if (magnitude > 0.0) {
        int e;
        std::frexp(magnitude, &e);  // magnitude ∈ [2^(e−1), 2^e)
        const int a = e - 1;
        const double low = std::ldexp(1.0, a);
        const bool round_up = u < (magnitude - low) / low;
        code = static_cast<std::uint64_t>(a + (round_up ? 1 : 0) + kExponentOffset);
      }
      out.put(std::signbit(x[i]) ? 1 : 0, 1);
      out.put(code, kExponentBits);
    }
  }

 private:
  friend SinkDecoded<Natural, false>;
  template <class Sink>
  void read(const Payload& in, Sink&& sink) const {
    PayloadReader reader(in);
    for (Index i = 0; i < d_; ++i) {
      const double sign = reader.get(1) ? -1.0 : 1.0;
      const auto code = static_cast<int>(reader.get(kExponentBits));
      sink(i, code == 0 ? 0.0 : sign * std::ldexp(1.0, code - kExponentOffset));
    }
  }
  static constexpr int kExponentBits = 12;
  static constexpr int kExponentOffset = 1100;  // a ∈ [−1074, 1024] ↦ code ∈ [26, 2124]
  Index d_;
};

}  // namespace

const std::vector<std::string>& compressor_types() {
  static const std::vector<std::string> types = {"identity", "rand-k", "qsgd", "natural", "top-k"};
  return types;
}

bool CompressorOptions::IsValid(std::string* error) const {
  auto fail = [&](const std::string& message) {
    if (error) *error = message;
    return false;
  };
  bool known = false;
  for (const auto& t : compressor_types()) known = known || t == type;
  if (!known)
    return fail("method.compressor: unknown \"" + type +
                "\"; accepted: identity, rand-k, qsgd, natural, top-k");
  if ((type == "rand-k" || type == "top-k") && k < 1)
    return fail("method.k: must be an integer >= 1");
  if (type == "qsgd" && levels < 1) return fail("method.levels: must be an integer >= 1");
  return true;
}

std::unique_ptr<Compressor> make_compressor(const CompressorOptions& options, Index d) {
  std::string error;
  if (!options.IsValid(&error)) throw InputError(error);
  if ((options.type == "rand-k" || options.type == "top-k") && options.k > d)
    throw InputError("method.k: must be at most the dimension " + std::to_string(d) + ", got " +
                     std::to_string(options.k));
  if (options.type == "rand-k") return std::make_unique<RandK>(d, options.k);
  if (options.type == "top-k") return std::make_unique<TopK>(d, options.k);
  if (options.type == "qsgd") return std::make_unique<Qsgd>(d, options.levels);
  if (options.type == "natural") return std::make_unique<Natural>(d);
  return std::make_unique<Identity>(d);
}

}  // namespace sgda
