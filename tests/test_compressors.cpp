#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "sgda/error.hpp"
#include "sgda/estimators/compressor.hpp"

using namespace sgda;

namespace {

Vector test_vector(Index d, std::uint64_t seed) {
  Rng rng(seed);
  Vector x(d);
  for (auto& v : x) v = rng.normal() * std::exp(rng.normal());  // varied magnitudes
  x[1] = 0.0;                                                   // and an exact zero
  return x;
}

std::unique_ptr<Compressor> make(const std::string& type, Index d, Index k = 4, int levels = 2) {
  CompressorOptions o;
  o.type = sgda::parse_enum<sgda::CompressorType>(type);
  o.k = k;
  o.levels = levels;
  return make_compressor(o, d);
}

}  // namespace

TEST_CASE("runs of fields of one width are packed back to back, bit b in word b / 64",
          "[compressor]") {
  Rng rng(3);
  for (int width : {1, 3, 5, 13, 31, 32, 33, 62, 63}) {
    for (int n : {0, 1, 2, 7, 64, 65, 130}) {
      INFO("width " << width << ", " << n << " fields");
      std::vector<std::uint64_t> values(static_cast<std::size_t>(n));
      for (auto& v : values) v = rng.next() & low_bits(width);
      Payload payload;
      std::uint64_t* words = payload.assign(2, std::int64_t{n} * width).fields;
      std::fill(words, words + payload.fields().size(), ~std::uint64_t{0});  // stale content
      {
        FieldWriter writer(words, width);
        for (std::uint64_t v : values) writer.put(v);
      }                                                           // the last word is stored here
      CHECK(payload.bits() == 2 * 64 + std::int64_t{n} * width);  // 2 values and the fields
      CHECK(payload.fields().size() == static_cast<std::size_t>((n * width + 63) / 64));
      // Bit by bit: bit j of field i is payload bit i·width + j; the bits after the run are 0.
      auto bit = [&](std::int64_t b) {
        return (payload.fields()[std::size_t(b / 64)] >> (b % 64)) & 1;
      };
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < width; ++j)
          REQUIRE(bit(std::int64_t{i} * width + j) == ((values[std::size_t(i)] >> j) & 1));
      for (std::int64_t b = std::int64_t{n} * width; b < 64 * std::int64_t(payload.fields().size());
           ++b)
        REQUIRE(bit(b) == 0);
      FieldReader reader(payload.fields().data(), width);
      for (std::uint64_t v : values) REQUIRE(reader.get() == v);
    }
  }
}

TEST_CASE("decode_add adds weight times the decoded vector, only where something was sent",
          "[compressor]") {
  const Index d = 20;
  const Vector x = test_vector(d, 7);
  const Vector start = test_vector(d, 8);
  for (const std::string& type : enum_names<CompressorType>()) {
    const auto q = make(type, d, 4, 3);
    INFO(q->describe());
    Rng rng(9);
    Payload payload;
    q->encode(x, rng, payload);
    Vector decoded(d);
    q->decode(payload, decoded);
    Vector sum = start;
    q->decode_add(payload, 0.3, sum);
    for (Index i = 0; i < d; ++i) CHECK(sum[i] == start[i] + 0.3 * decoded[i]);  // exactly
    if (type == "rand-k" || type == "top-k") CHECK((sum.array() != start.array()).count() <= 4);
  }
}

TEST_CASE("unbiased compressors: E Q(x) = x and E||Q(x) − x||² <= omega ||x||²", "[compressor]") {
  const Index d = 20;
  const Vector x = test_vector(d, 3);
  const int draws = 40000;
  const std::vector<std::pair<std::string, int>> configurations = {
      {"identity", 1}, {"rand-k", 1}, {"qsgd", 1}, {"qsgd", 4}, {"natural", 1}};
  for (const auto& [type, levels] : configurations) {
    {
      const auto q = make(type, d, 4, levels);
      INFO(q->describe());
      Rng rng(11);
      Payload payload;
      payload.reserve(q->max_bits(d));
      Vector out(d), sum = Vector::Zero(d), sum_sq = Vector::Zero(d);
      double error_sum = 0.0, error_sq_sum = 0.0;
      for (int t = 0; t < draws; ++t) {
        q->encode(x, rng, payload);
        REQUIRE(payload.bits() <= q->max_bits(d));
        q->decode(payload, out);
        sum += out;
        sum_sq += out.cwiseAbs2();
        const double e = (out - x).squaredNorm();
        error_sum += e;
        error_sq_sum += e * e;
      }
      const Vector mean = sum / draws;
      const Vector sd = (sum_sq / draws - mean.cwiseAbs2()).cwiseMax(0.0).cwiseSqrt();
      // Per coordinate: |mean − x| ≤ 6 sd/√N + rounding of N summands (N·eps ≈ 1e-11 relative);
      // 20 coordinates × P(|Z| > 6) ≈ 4e-8.
      for (Index i = 0; i < d; ++i)
        CHECK(std::abs(mean[i] - x[i]) <=
              6.0 * sd[i] / std::sqrt(double(draws)) + 1e-10 * std::abs(x[i]));
      // The mean squared error, with its own Monte Carlo error, stays below ω||x||².
      const double mse = error_sum / draws;
      const double mse_sd = std::sqrt(std::max(0.0, error_sq_sum / draws - mse * mse));
      CHECK(mse - 6.0 * mse_sd / std::sqrt(double(draws)) <= q->omega(d) * x.squaredNorm());
    }
  }
}

TEST_CASE("decoded vectors have the compressor's structure and bits are the payload's",
          "[compressor]") {
  const Index d = 20;
  const Vector x = test_vector(d, 5);
  Rng rng(2);
  Payload payload;
  Vector out(d);
  const int index_bits = 5;  // ⌈log2 20⌉

  auto randk = make("rand-k", d, 4);
  Vector dense = x;
  dense[1] = 1.5;  // no zeros, so every chosen coordinate shows in the output
  randk->encode(dense, rng, payload);
  randk->decode(payload, out);
  CHECK(payload.bits() == 4 * (index_bits + 64));  // k indices and k values, nothing else
  int nonzero = 0;
  for (Index i = 0; i < d; ++i) {
    if (out[i] != 0.0) {
      ++nonzero;
      CHECK(out[i] == dense[i] * 5.0);  // scaled by d/k = 5
    }
  }
  CHECK(nonzero == 4);
  CHECK(randk->omega(d) == 4.0);

  auto top = make("top-k", d, 3);
  top->encode(x, rng, payload);
  top->decode(payload, out);
  CHECK_FALSE(top->unbiased());
  CHECK(payload.bits() == 3 * (index_bits + 64));
  Vector sorted = x.cwiseAbs();
  std::sort(sorted.begin(), sorted.end(), std::greater<>());
  CHECK(out.cwiseAbs().maxCoeff() == sorted[0]);
  CHECK((out.array() != 0).count() == 3);
  CHECK(out.cwiseAbs().sum() == Approx(sorted.head(3).sum()));

  auto qsgd = make("qsgd", d, 1, 4);
  qsgd->encode(x, rng, payload);
  qsgd->decode(payload, out);
  CHECK(payload.bits() == 64 + d * (1 + 3));  // norm, then sign + level in {0..4}
  for (Index i = 0; i < d; ++i) {
    const double level = std::abs(out[i]) / x.norm() * 4.0;
    CHECK(std::abs(level - std::round(level)) < 1e-9);
    CHECK(std::abs(level - 4.0 * std::abs(x[i]) / x.norm()) < 1.0);
  }

  auto natural = make("natural", d);
  natural->encode(x, rng, payload);
  natural->decode(payload, out);
  CHECK(payload.bits() == d * 13);
  for (Index i = 0; i < d; ++i) {
    if (x[i] == 0.0) {
      CHECK(out[i] == 0.0);
      continue;
    }
    int e;
    CHECK(std::frexp(std::abs(out[i]), &e) == 0.5);  // a power of two
    CHECK(std::abs(out[i]) <= 2.0 * std::abs(x[i]));
    CHECK(std::abs(out[i]) >= 0.5 * std::abs(x[i]));
    CHECK(std::signbit(out[i]) == std::signbit(x[i]));
  }

  auto identity = make("identity", d);
  identity->encode(x, rng, payload);
  identity->decode(payload, out);
  CHECK(out == x);
  CHECK(payload.bits() == 64 * d);
}

TEST_CASE("bad compressor options name the field", "[compressor]") {
  CompressorOptions o;
  CHECK_THROWS_WITH(parse_enum<CompressorType>("rand"),
                    Catch::Contains("unknown \"rand\"") && Catch::Contains("rand-k"));
  o.type = sgda::CompressorType::kRandK;
  o.k = 11;
  CHECK_THROWS_WITH(make_compressor(o, 10),
                    "CompressorOptions::k: must be at most the dimension 10, got 11");
  o.k = 0;
  CHECK_THROWS_WITH(make_compressor(o, 10), Catch::Contains("CompressorOptions::k"));
  o.type = sgda::CompressorType::kQsgd;
  o.levels = 0;
  CHECK_THROWS_WITH(make_compressor(o, 10), Catch::Contains("CompressorOptions::levels"));
}

TEST_CASE("natural compression rounds to a neighbouring power of two over the whole double range",
          "[compressor]") {
  // Normal numbers take the exponent-bit path, subnormals frexp/ldexp; both must round |x| to
  // 2^a or 2^(a+1) around it and keep powers of two exact. (Above 2^1023 the upper neighbour
  // overflows to +inf: docs/compressors.md.)
  const std::vector<double> values = {std::numeric_limits<double>::denorm_min(),
                                      3e-320,
                                      1e-310,
                                      -2.2250738585072014e-308,
                                      std::numeric_limits<double>::min(),
                                      1e-300,
                                      -0.75,
                                      1.0,
                                      3.0,
                                      -1024.0,
                                      1e300,
                                      8e307};
  const auto d = static_cast<Index>(values.size());
  const Vector x = Eigen::Map<const Vector>(values.data(), d);
  const auto q = make("natural", d);
  Rng rng(6);
  Payload payload;
  Vector out(d);
  for (int draw = 0; draw < 200; ++draw) {
    q->encode(x, rng, payload);
    q->decode(payload, out);
    for (Index i = 0; i < d; ++i) {
      INFO("x = " << x[i]);
      const double m = std::abs(x[i]);
      int e;
      REQUIRE(std::frexp(std::abs(out[i]), &e) == 0.5);  // a power of two...
      const double low = std::ldexp(1.0, std::ilogb(m));
      REQUIRE((std::abs(out[i]) == low || std::abs(out[i]) == 2.0 * low));  // ...around |x|
      if (m == low) REQUIRE(std::abs(out[i]) == m);  // exact powers of two stay
      REQUIRE(std::signbit(out[i]) == std::signbit(x[i]));
    }
  }
}
