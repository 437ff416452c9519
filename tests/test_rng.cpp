#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "sgda/rng.hpp"

using sgda::Rng;

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
