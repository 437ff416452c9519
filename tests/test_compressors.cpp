#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

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
  o.type = type;
  o.k = k;
  o.levels = levels;
  return make_compressor(o, d);
}

}  // namespace

TEST_CASE("payloads pack and unpack bit fields of any width", "[compressor]") {
  Payload p;
  Rng rng(1);
  std::vector<std::pair<std::uint64_t, int>> fields;
  for (int i = 0; i < 500; ++i) {
    const int width = 1 + static_cast<int>(rng.index(64));
    const std::uint64_t value = width == 64 ? rng.next() : rng.next() % (1ULL << width);
    fields.emplace_back(value, width);
    p.put(value, width);
  }
  PayloadReader reader(p);
  std::int64_t bits = 0;
  for (const auto& [value, width] : fields) {
    REQUIRE(reader.get(width) == value);
    bits += width;
  }
  CHECK(p.bits() == bits);
}

TEST_CASE("runs of fields of one width are laid out as put calls would lay them out",
          "[compressor]") {
  Rng rng(3);
  for (int width : {1, 3, 5, 13, 31, 32, 33, 63, 64}) {
    for (int n : {0, 1, 2, 7, 64, 65, 130}) {
      INFO("width " << width << ", " << n << " fields");
      std::vector<std::uint64_t> values(static_cast<std::size_t>(n));
      for (auto& v : values) v = rng.next();  // high bits beyond the width are dropped
      Payload fields, single;
      FieldWriter writer(fields.append_bits(std::int64_t{n} * width), width);
      for (std::uint64_t v : values) writer.put(v);
      for (std::uint64_t v : values) single.put(v, width);
      fields.put(0x5, 3);  // put continues after the run
      single.put(0x5, 3);
      CHECK(fields.bits() == single.bits());
      REQUIRE(std::ranges::equal(fields.words(), single.words()));
      FieldReader reader(fields.words().data(), width);
      for (std::uint64_t v : values) REQUIRE(reader.get() == (v & low_bits(width)));
    }
  }
}

TEST_CASE("runs of doubles are written and read as one double at a time would be", "[compressor]") {
  Rng rng(4);
  std::vector<double> values(9);
  for (auto& v : values) v = rng.normal();
  // Fields before the run: none, 5 bits, a whole word, a word and 5 bits (aligned or not).
  const std::vector<std::vector<int>> leads = {{}, {5}, {64}, {64, 5}};
  for (const auto& lead : leads) {
    INFO("leading fields " << lead.size());
    Payload bulk, single;
    for (Payload* p : {&bulk, &single})
      for (int width : lead) p->put(0x9e3779b97f4a7c15ULL, width);
    bulk.put_doubles(values.data(), static_cast<std::int64_t>(values.size()));
    for (double v : values) single.put_double(v);
    CHECK(bulk.bits() == single.bits());
    CHECK(std::ranges::equal(bulk.words(), single.words()));
    PayloadReader reader(bulk);
    for (int width : lead) reader.get(width);
    std::vector<double> back(values.size());
    reader.get_doubles(back.data(), static_cast<std::int64_t>(back.size()));
    CHECK(back == values);
    CHECK(reader.position() == bulk.bits());
  }
}

TEST_CASE("decode_add adds weight times the decoded vector, only where something was sent",
          "[compressor]") {
  const Index d = 20;
  const Vector x = test_vector(d, 7);
  const Vector start = test_vector(d, 8);
  for (const std::string& type : compressor_types()) {
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
  o.type = "rand";
  CHECK_THROWS_WITH(make_compressor(o, 10), Catch::Contains("method.compressor"));
  o.type = "rand-k";
  o.k = 11;
  CHECK_THROWS_WITH(make_compressor(o, 10), Catch::Contains("method.k"));
  o.k = 0;
  CHECK_THROWS_AS(make_compressor(o, 10), InputError);
  o.type = "qsgd";
  o.levels = 0;
  CHECK_THROWS_WITH(make_compressor(o, 10), Catch::Contains("method.levels"));
}
