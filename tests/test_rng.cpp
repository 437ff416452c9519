#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <vector>

#include "sgda/rng.hpp"

using sgda::Rng;

// ---- known answers -------------------------------------------------------------------------
// The docs promise the same stream for a seed on every platform. These vectors were computed by
// tests/known_answers/rng_reference.py, a separate Python transcription of the published
// algorithms (Vigna's splitmix64.c and xoshiro256starstar.c, Lemire's bounded integers,
// Marsaglia's polar method with a correctly rounded log), which itself checks the published
// outputs of xoshiro256** from the state {1, 2, 3, 4} and of splitmix64 from 0 before printing
// anything. They were pasted from its output, never printed by the library: a change of any
// word here is a change of every run's numbers, on purpose or not.

namespace {

using Words = std::array<std::uint64_t, 4>;

struct Seeded {
  std::uint64_t seed;
  Words state;                       // four successive splitmix64 outputs from the seed
  std::array<std::uint64_t, 6> out;  // the first xoshiro256** outputs
};

const Seeded kSeeded[] = {
    {0,
     {0xe220a8397b1dcdafULL, 0x6e789e6aa1b965f4ULL, 0x06c45d188009454fULL, 0xf88bb8a8724c81ecULL},
     {0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL, 0x1a5f849d4933e6e0ULL, 0x6aa594f1262d2d2cULL,
      0xbba5ad4a1f842e59ULL, 0xffef8375d9ebcacaULL}},
    {1,
     {0x910a2dec89025cc1ULL, 0xbeeb8da1658eec67ULL, 0xf893a2eefb32555eULL, 0x71c18690ee42c90bULL},
     {0xb3f2af6d0fc710c5ULL, 0x853b559647364ceaULL, 0x92f89756082a4514ULL, 0x642e1c7bc266a3a7ULL,
      0xb27a48e29a233673ULL, 0x24c123126ffda722ULL}},
    {42,
     {0xbdd732262feb6e95ULL, 0x28efe333b266f103ULL, 0x47526757130f9f52ULL, 0x581ce1ff0e4ae394ULL},
     {0x15780b2e0c2ec716ULL, 0x6104d9866d113a7eULL, 0xae17533239e499a1ULL, 0xecb8ad4703b360a1ULL,
      0xfde6dc7fe2ec5e64ULL, 0xc50da53101795238ULL}},
    {0xffffffffffffffffULL,
     {0xe4d971771b652c20ULL, 0xe99ff867dbf682c9ULL, 0x382ff84cb27281e9ULL, 0x6d1db36ccba982d2ULL},
     {0x8f5520d52a7ead08ULL, 0xc476a018caa1802dULL, 0x81de31c0d260469eULL, 0xbf658d7e065f3c2fULL,
      0x913593fda1bca32aULL, 0xbb535e93941ba525ULL}},
};

}  // namespace

TEST_CASE("known answers: splitmix64 seeding and the first xoshiro256** outputs", "[rng]") {
  for (const Seeded& k : kSeeded) {
    INFO("seed " << k.seed);
    Rng rng(k.seed);
    CHECK(rng.state().words == k.state);
    for (const std::uint64_t word : k.out) CHECK(rng.next() == word);
    rng.reseed(k.seed);  // reseeding starts the same stream again
    CHECK(rng.next() == k.out[0]);
  }
}

TEST_CASE("known answers: xoshiro256** from the state {1, 2, 3, 4}, as published", "[rng]") {
  // The outputs the Rust crate rand_xoshiro checks, made with Vigna's reference C code.
  const std::uint64_t published[] = {11520ULL,
                                     0ULL,
                                     1509978240ULL,
                                     1215971899390074240ULL,
                                     1216172134540287360ULL,
                                     607988272756665600ULL,
                                     16172922978634559625ULL,
                                     8476171486693032832ULL,
                                     10595114339597558777ULL,
                                     2904607092377533576ULL};
  Rng rng;
  rng.set_state({{1, 2, 3, 4}, false, 0.0});
  for (const std::uint64_t word : published) CHECK(rng.next() == word);
}

TEST_CASE("known answers: uniform(), index(n) and normal() from seed 42", "[rng]") {
  Rng u(42);  // the 53 high bits of each word times 2^-53: exact, no rounding involved
  for (const double expected :
       {0x1.5780b2e0c2ec0p-4, 0x1.84136619b444ep-2, 0x1.5c2ea66473c93p-1, 0x1.d9715a8e0766cp-1})
    CHECK(u.uniform() == expected);

  // Lemire's multiply-and-reject; n = 2^63 + 1 rejects about half of all words, here the first
  // two, so the six draws take eight words and the next word is the ninth.
  Rng i(42);
  const std::uint64_t bounds[] = {7, 10, (std::uint64_t(1) << 63) + 1, 1000, 7, 10};
  const std::uint64_t expected[] = {0, 3, 9147776489032658738ULL, 769, 5, 8};
  for (int k = 0; k < 6; ++k) CHECK(i.index(bounds[k]) == expected[k]);
  CHECK(i.next() == 0xc2e96e726e97647eULL);

  // The polar method in pairs (u·f, then the spare v·f). The reference rounds ln(s) correctly;
  // std::log of glibc agrees at these arguments (a libm whose log is off by an ulp here would
  // break the cross-platform promise for normal draws, and this check would say so).
  Rng z(42);
  for (const double expected : {-0x1.73d2feb0fb377p-1, -0x1.b088028693f9cp-3, 0x1.c5e21f7812a4cp-3,
                                0x1.0ba8bb0c5fa51p-1, 0x1.db514bfac5b4ep-2, 0x1.7b6195d5a3e23p-1})
    CHECK(z.normal() == expected);
}

TEST_CASE("known answers: split() seeds a child from one parent word", "[rng]") {
  Rng parent(42);
  Rng child = parent.split();  // Rng(next() ^ 0x9e3779b97f4a7c15)
  CHECK(child.state().words == Words{0xa68abb36b23c2d61ULL, 0x9f2869bffa551590ULL,
                                     0x8d2f290d133aa30dULL, 0x40798410b6742999ULL});
  for (const std::uint64_t word :
       {0x0d4b5f807a652875ULL, 0x7a9b2206d935a85bULL, 0xdfe3d22aa46fcc2dULL, 0xc85237791de0bf5fULL})
    CHECK(child.next() == word);
  // The parent spent exactly one word: it goes on with its own second and third outputs.
  CHECK(parent.next() == 0x6104d9866d113a7eULL);
  CHECK(parent.next() == 0xae17533239e499a1ULL);
}

TEST_CASE("the same seed gives the same stream, another seed another", "[rng]") {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const auto x = a.next();
    REQUIRE(x == b.next());
    differs = differs || x != c.next();
  }
  CHECK(differs);
}

TEST_CASE("state() and set_state() resume the stream exactly, spare normal included", "[rng]") {
  Rng a(7);
  a.normal();  // leaves a spare normal in the state
  const Rng::State saved = a.state();
  std::vector<double> first;
  for (int i = 0; i < 10; ++i) first.push_back(a.normal() + a.uniform());
  Rng b(0);
  b.set_state(saved);
  for (int i = 0; i < 10; ++i) CHECK(b.normal() + b.uniform() == first[static_cast<size_t>(i)]);
}

TEST_CASE("index() is uniform: chi-square test", "[rng]") {
  // 7 cells, N = 70000 draws: chi-square with 6 degrees of freedom has P(X > 30) < 4e-5.
  Rng rng(1);
  const int cells = 7, draws = 70000;
  std::vector<int> counts(cells, 0);
  for (int i = 0; i < draws; ++i) {
    const auto k = rng.index(cells);
    REQUIRE(k < static_cast<std::uint64_t>(cells));
    ++counts[k];
  }
  double chi2 = 0.0;
  const double expected = double(draws) / cells;
  for (int c : counts) chi2 += (c - expected) * (c - expected) / expected;
  CHECK(chi2 < 30.0);
}

TEST_CASE("uniform(), bernoulli() and normal() have the right moments", "[rng]") {
  // N = 2e5; each tolerance is 6 standard errors of the estimated moment.
  Rng rng(3);
  const int n = 200000;
  double sum_u = 0, sum_b = 0, sum_z = 0, sum_z2 = 0;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum_u += u;
    sum_b += rng.bernoulli(0.3) ? 1.0 : 0.0;
    const double z = rng.normal();
    sum_z += z;
    sum_z2 += z * z;
  }
  CHECK(std::abs(sum_u / n - 0.5) < 6 * std::sqrt(1.0 / 12 / n));
  CHECK(std::abs(sum_b / n - 0.3) < 6 * std::sqrt(0.21 / n));
  CHECK(std::abs(sum_z / n) < 6 * std::sqrt(1.0 / n));
  CHECK(std::abs(sum_z2 / n - 1.0) < 6 * std::sqrt(2.0 / n));  // Var(z²) = 2
}

TEST_CASE("known answers: stream(seed, index) hashes both through splitmix64", "[rng]") {
  struct Stream {
    std::uint64_t seed, index;
    Words state;
    std::array<std::uint64_t, 3> out;
  };
  const Stream streams[] = {
      {0,
       0,
       {0x238275bc38fcbe91ULL, 0xf89a2566b5822c54ULL, 0x47200e1d9780fa44ULL, 0xe710dc7a64e2470aULL},
       {0x8c4986f3f0e565d5ULL, 0xf4547fdf5c2f56b6ULL, 0x6a9e0d6a14f022fbULL}},
      {0,
       1,
       {0x44e5b98100c67fb0ULL, 0xa73822ac2ea54ab1ULL, 0x9403b3663716577cULL, 0x81e08d6d33187e20ULL},
       {0x6f0c221987108fb2ULL, 0x068a99bcd127fe03ULL, 0x35c925a786232a40ULL}},
      {7,
       0,
       {0x9c01479161bc5d78ULL, 0x68bffcd4b372ef48ULL, 0xff2a2af97c9c6861ULL, 0x19f4e3db116503dcULL},
       {0xdfb8b1c59a07d42dULL, 0x8ecf155248301f7cULL, 0x271c70d172d16be6ULL}},
      {7,
       1,
       {0x7010c70c013e27ecULL, 0x28168ccac4ece17bULL, 0x170995db55193da0ULL, 0x3719a1fd752d14e2ULL},
       {0xfb5fd24ed1d15304ULL, 0xe5059939ed9457edULL, 0xcb05141324fcbeccULL}},
      {7,
       2,
       {0x81c67f1890b379ddULL, 0xdb9b3f40ea190da9ULL, 0x2f8026305908f146ULL, 0x6fbed094b0772ab9ULL},
       {0x250f349333b35bcdULL, 0xf5802721c8b4e656ULL, 0xed60383cb6544dbaULL}},
      {0xffffffffffffffffULL,
       63,
       {0x8ee5c18ab929cb63ULL, 0x646f2ef5c639647eULL, 0x2bce7a80c524fc25ULL, 0xe7b1cfa6e6465e28ULL},
       {0xc5a099ec0b551753ULL, 0x872ef9dd99506f7bULL, 0xd4f55052789f179bULL}},
  };
  for (const Stream& k : streams) {
    INFO("stream(" << k.seed << ", " << k.index << ")");
    Rng rng = Rng::stream(k.seed, k.index);
    CHECK(rng.state().words == k.state);
    for (const std::uint64_t word : k.out) CHECK(rng.next() == word);
  }
}

namespace {

// How many words the states of `a` and `b` have in common, in any positions.
int shared_words(const Rng& a, const Rng& b) {
  int shared = 0;
  for (const std::uint64_t x : a.state().words)
    for (const std::uint64_t y : b.state().words) shared += x == y;
  return shared;
}

}  // namespace

TEST_CASE("the workers' streams of an iteration share no state word and no early output", "[rng]") {
  // The distributed estimators give worker m of an iteration Rng::stream(base, m), base one word
  // of the run's stream (include/sgda/estimators/distributed.hpp). 50 iterations' bases, 64
  // workers each: no two workers' states share a word, and neighbouring workers' first 256
  // outputs have no value in common (for independent streams, a coincidence among 256² pairs of
  // 64-bit words has probability 2^-48).
  constexpr int kBases = 50, kWorkers = 64, kDraws = 256;
  Rng run(2023);
  for (int b = 0; b < kBases; ++b) {
    const std::uint64_t base = run.next();
    std::vector<Rng> workers;
    for (int m = 0; m < kWorkers; ++m) workers.push_back(Rng::stream(base, std::uint64_t(m)));
    for (int m = 0; m < kWorkers; ++m)
      for (int k = m + 1; k < kWorkers; ++k) REQUIRE(shared_words(workers[m], workers[k]) == 0);
    for (int m = 0; m + 1 < kWorkers; ++m) {
      Rng a = workers[m], c = workers[m + 1];
      std::vector<std::uint64_t> left(kDraws), right(kDraws);
      for (int i = 0; i < kDraws; ++i) {
        left[std::size_t(i)] = a.next();
        right[std::size_t(i)] = c.next();
      }
      std::sort(left.begin(), left.end());
      std::sort(right.begin(), right.end());
      std::vector<std::uint64_t> common;
      std::set_intersection(left.begin(), left.end(), right.begin(), right.end(),
                            std::back_inserter(common));
      REQUIRE(common.empty());
    }
  }
  // The check sees the defect it guards against: seeds base + G·(m + 1), as the workers had
  // before, give neighbouring workers states with three words in common.
  const std::uint64_t base = Rng(1).next(), g = 0x9e3779b97f4a7c15ULL;
  CHECK(shared_words(Rng(base + g), Rng(base + 2 * g)) == 3);
}

TEST_CASE("worker streams are uncorrelated: neighbours' uniforms across iterations", "[rng]") {
  // The first uniform() of workers m and m + 1 over 20000 iterations' bases: their sample
  // correlation is within 6 standard errors (1/sqrt(N)) of 0, as for independent streams, and
  // so is each one's mean of 1/2 (variance 1/12).
  constexpr int kIterations = 20000;
  Rng run(11);
  for (const std::uint64_t m : {0, 1, 62}) {
    double su = 0, sv = 0, suv = 0, suu = 0, svv = 0;
    for (int i = 0; i < kIterations; ++i) {
      const std::uint64_t base = run.next();
      const double u = Rng::stream(base, m).uniform(), v = Rng::stream(base, m + 1).uniform();
      su += u;
      sv += v;
      suv += u * v;
      suu += u * u;
      svv += v * v;
    }
    const double n = kIterations, mu = su / n, mv = sv / n;
    const double r = (suv / n - mu * mv) / std::sqrt((suu / n - mu * mu) * (svv / n - mv * mv));
    INFO("workers " << m << ", " << m + 1 << ": correlation " << r);
    CHECK(std::abs(r) < 6.0 / std::sqrt(n));
    CHECK(std::abs(mu - 0.5) < 6.0 * std::sqrt(1.0 / 12 / n));
    CHECK(std::abs(mv - 0.5) < 6.0 * std::sqrt(1.0 / 12 / n));
  }
}
