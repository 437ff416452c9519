#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

#include "sgda/error.hpp"
#include "sgda/regularizer.hpp"
#include "sgda/rng.hpp"

using namespace sgda;

namespace {

// The prox objective R(y) + ||y − x||²/(2γ), minimized by prox_{γR}(x).
double prox_objective(const Regularizer& r, double gamma, const Vector& x, const Vector& y) {
  return r.value(y) + (y - x).squaredNorm() / (2 * gamma);
}

std::unique_ptr<Regularizer> make(const std::string& type) {
  RegularizerOptions o;
  o.type = sgda::parse_enum<sgda::RegularizerType>(type);
  o.lambda = 0.3;
  o.radius = 0.7;
  o.lower = -0.2;
  o.upper = 0.5;
  return make_regularizer(o);
}

}  // namespace

TEST_CASE("every prox is the minimizer of its prox objective", "[regularizer]") {
  // The prox objective is 1/γ-strongly convex, so any other point y has an objective larger by
  // at least ||y − p||²/(2γ); we check that lower bound (minus rounding) on random perturbations.
  Rng rng(5);
  for (const std::string& type : enum_names<RegularizerType>()) {
    if (type == "sphere") continue;  // not convex: its projection is tested below
    const auto r = make(type);
    for (int trial = 0; trial < 50; ++trial) {
      const double gamma = 0.1 + rng.uniform();
      Vector x(6);
      for (auto& v : x) v = 2.0 * rng.normal();
      Vector p = x;
      r->prox(gamma, p);
      const double best = prox_objective(*r, gamma, x, p);
      REQUIRE(std::isfinite(best));
      for (int k = 0; k < 20; ++k) {
        Vector y = p;
        for (auto& v : y) v += 0.05 * rng.normal();
        Vector feasible = y;  // a feasible perturbation: project through the prox at γ → 0
        r->prox(1e-12, feasible);
        const double other = prox_objective(*r, gamma, x, feasible);
        CHECK(other >= best + (feasible - p).squaredNorm() / (2 * gamma) - 1e-10);
      }
    }
  }
}

TEST_CASE("closed forms of the proxes", "[regularizer]") {
  Vector x(4);
  x << 1.0, -0.1, 0.25, -2.0;
  Vector p = x;
  make("l1")->prox(0.5, p);  // soft threshold at 0.15
  CHECK(p.isApprox((Vector(4) << 0.85, 0.0, 0.1, -1.85).finished(), 1e-15));
  p = x;
  make("box")->prox(1.0, p);
  CHECK(p == (Vector(4) << 0.5, -0.1, 0.25, -0.2).finished());
  p = x;
  make("linf-ball")->prox(1.0, p);
  CHECK(p == (Vector(4) << 0.7, -0.1, 0.25, -0.7).finished());
  p = x;
  make("l2-ball")->prox(1.0, p);
  CHECK(p.norm() == Approx(0.7).epsilon(1e-14));
  CHECK(p.normalized().isApprox(x.normalized(), 1e-14));
  p = x;
  make("l1-linf")->prox(0.5, p);  // soft threshold at 0.15, then clip to ±0.7
  CHECK(p.isApprox((Vector(4) << 0.7, 0.0, 0.1, -0.7).finished(), 1e-15));
  p = x;
  make("none")->prox(3.0, p);
  CHECK(p == x);
}

TEST_CASE("the sphere's projection is the nearest point of the sphere", "[regularizer]") {
  // The sphere is not convex, so the prox-objective bound above does not hold; the projection
  // r x/||x|| is still the nearest point: ||y − x|| ≥ ||p − x|| for every y on the sphere.
  const auto r = make("sphere");
  CHECK(!r->separable());
  Rng rng(9);
  for (int trial = 0; trial < 50; ++trial) {
    Vector x(6);
    for (auto& v : x) v = 2.0 * rng.normal();
    Vector p = x;
    r->prox(0.3, p);
    CHECK(p.norm() == Approx(0.7).epsilon(1e-14));
    CHECK(p.normalized().isApprox(x.normalized(), 1e-14));
    CHECK(r->value(p) == 0.0);
    CHECK(std::isinf(r->value(2.0 * p)));
    CHECK(std::isinf(r->value(0.5 * p)));  // inside: not on the sphere
    for (int k = 0; k < 20; ++k) {
      Vector y(6);
      for (auto& v : y) v = rng.normal();
      r->prox(1.0, y);
      CHECK((y - x).norm() >= (p - x).norm() - 1e-12);
    }
  }
  Vector zero = Vector::Zero(3);  // every point is nearest: 0 stays
  r->prox(1.0, zero);
  CHECK(zero.isZero(0.0));
}

TEST_CASE("bad regularizer options are refused naming the field", "[regularizer]") {
  RegularizerOptions o;
  CHECK_THROWS_WITH(parse_enum<RegularizerType>("l3"), Catch::Contains("l1-linf"));
  o.type = sgda::RegularizerType::kL1;
  o.lambda = -1;
  CHECK_THROWS_WITH(make_regularizer(o),
                    "RegularizerOptions::lambda: must be a number >= 0, got -1");
  o.type = sgda::RegularizerType::kL2Ball;
  o.radius = 0;
  CHECK_THROWS_WITH(make_regularizer(o), "RegularizerOptions::radius: must be a number > 0, got 0");
  o.type = sgda::RegularizerType::kBox;
  o.lower = 1;
  o.upper = 0;
  CHECK_THROWS_WITH(make_regularizer(o),
                    "RegularizerOptions::upper: must be at least lower (1), got 0");
}

TEST_CASE("prox_limit bounds how far from 0 every prox puts a coordinate", "[regularizer]") {
  // |prox(v)_i| ≤ max(||v||∞, c): checked on vectors of every scale, and c attained where it is
  // positive (a box on one side of 0, the sphere), so that it is not merely large.
  Rng rng(8);
  auto with = [](const std::string& type, double lower, double upper) {
    RegularizerOptions o;
    o.type = sgda::parse_enum<sgda::RegularizerType>(type);
    o.lambda = 0.3;
    o.radius = 0.7;
    o.lower = lower;
    o.upper = upper;
    return make_regularizer(o);
  };
  std::vector<std::unique_ptr<Regularizer>> regularizers;
  for (const std::string& type : enum_names<RegularizerType>())
    regularizers.push_back(with(type, -0.2, 0.5));
  regularizers.push_back(with("box", 2.0, 3.0));    // 0 below the box: c = 2
  regularizers.push_back(with("box", -3.0, -2.0));  // 0 above it: c = 2
  for (const auto& r : regularizers) {
    INFO(r->describe());
    const double c = r->prox_limit();
    REQUIRE(std::isfinite(c));
    double reached = 0.0;  // the largest |prox(v)_i| − ||v||∞ seen
    for (int trial = 0; trial < 200; ++trial) {
      const double scale = std::pow(10.0, 6.0 * rng.uniform() - 3.0);
      const double gamma = std::pow(10.0, 4.0 * rng.uniform() - 2.0);
      Vector v(5);
      for (auto& e : v) e = scale * rng.normal();
      if (trial == 0) v << 1e-3, 0, 0, 0, 0;  // the sphere's farthest: onto an axis
      Vector p = v;
      r->prox(gamma, p);
      CHECK(p.lpNorm<Eigen::Infinity>() <= std::max(v.lpNorm<Eigen::Infinity>(), c));
      reached = std::max(reached, p.lpNorm<Eigen::Infinity>());
    }
    if (c > 0.0) CHECK(reached >= c * (1.0 - 1e-12));
  }
  CHECK(with("box", 2.0, 3.0)->prox_limit() == 2.0);
  CHECK(with("box", -3.0, -2.0)->prox_limit() == 2.0);
  CHECK(with("box", -0.2, 0.5)->prox_limit() == 0.0);
}

TEST_CASE("step_prox is x - gamma g followed by the prox, bit for bit", "[regularizer]") {
  Rng rng(12);
  for (const std::string& type : enum_names<RegularizerType>()) {
    INFO(type);
    const auto r = make(type);
    for (int trial = 0; trial < 20; ++trial) {
      const double gamma = std::pow(10.0, 3.0 * rng.uniform() - 2.0);
      Vector x(7), g(7);
      for (auto& v : x) v = rng.normal();
      for (auto& v : g) v = 10.0 * rng.normal();
      Vector two = x;
      two -= gamma * g;
      r->prox(gamma, two);
      Vector one = x;
      r->step_prox(gamma, g, one);
      CHECK(std::memcmp(one.data(), two.data(), sizeof(double) * 7) == 0);
    }
  }
}
