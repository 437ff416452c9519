// The regularizers and their proximal operators (Parikh & Boyd 2014, §6).
#include "sgda/regularizer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "sgda/error.hpp"

namespace sgda {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string format(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

class NoRegularizer final : public Regularizer {
 public:
  std::string name() const override { return "none"; }
  std::string describe() const override { return "none"; }
  bool is_zero() const override { return true; }
  double value(ConstVectorRef) const override { return 0.0; }
  void prox(double, VectorRef) const override {}
  double prox_limit() const override { return 0.0; }
};

// Soft thresholding, the prox of t||x||₁: sign(x) max(|x| − t, 0), written as x − clip(x, −t, t)
// (the same numbers, with +0 for −0). A plain loop: it vectorizes without Eigen's alignment
// peeling, which costs more than the arithmetic on a short block.
void soft_threshold(double t, VectorRef x) {
  double* v = x.data();
  for (Index i = 0; i < x.size(); ++i) v[i] -= std::min(std::max(v[i], -t), t);
}
// x ← soft(x − γg, t) in one pass, the same numbers as the two.
void step_soft_threshold(double gamma, ConstVectorRef g, double t, VectorRef x) {
  double* v = x.data();
  const double* d = g.data();
  for (Index i = 0; i < x.size(); ++i) {
    const double y = v[i] - gamma * d[i];
    v[i] = y - std::min(std::max(y, -t), t);
  }
}

class L1 final : public Regularizer {
 public:
  explicit L1(double lambda) : lambda_(lambda) {}
  std::string name() const override { return "l1"; }
  std::string describe() const override { return "l1(lambda=" + format(lambda_) + ")"; }
  double value(ConstVectorRef x) const override { return lambda_ * x.lpNorm<1>(); }
  void prox(double gamma, VectorRef x) const override { soft_threshold(gamma * lambda_, x); }
  void step_prox(double gamma, ConstVectorRef g, VectorRef x) const override {
    step_soft_threshold(gamma, g, gamma * lambda_, x);
  }
  double prox_limit() const override { return 0.0; }  // |soft(v)| ≤ |v|

 private:
  double lambda_;
};

// Indicator of the box [lower, upper]^d; the ℓ∞-ball is the box [−r, r].
class Box final : public Regularizer {
 public:
  Box(std::string name, double lower, double upper)
      : name_(std::move(name)), lower_(lower), upper_(upper) {}
  std::string name() const override { return name_; }
  std::string describe() const override {
    if (name_ == "linf-ball") return "linf-ball(radius=" + format(upper_) + ")";
    return "box(lower=" + format(lower_) + ", upper=" + format(upper_) + ")";
  }
  double value(ConstVectorRef x) const override {
    return (x.array() >= lower_).all() && (x.array() <= upper_).all() ? 0.0 : kInf;
  }
  void prox(double, VectorRef x) const override { x = x.cwiseMax(lower_).cwiseMin(upper_); }
  // A clipped v_i lands on a bound; farther from 0 than v_i only for a bound on 0's far side.
  double prox_limit() const override { return std::max({0.0, lower_, -upper_}); }

 private:
  std::string name_;
  double lower_, upper_;
};

// Indicator of the ℓ2-ball of radius r: projection by rescaling.
class L2Ball final : public Regularizer {
 public:
  explicit L2Ball(double radius) : radius_(radius) {}
  std::string name() const override { return "l2-ball"; }
  std::string describe() const override { return "l2-ball(radius=" + format(radius_) + ")"; }
  double value(ConstVectorRef x) const override {
    // Projection rescales by r/||x||, which may land a rounding error outside the ball.
    return x.norm() <= radius_ * (1.0 + 1e-12) ? 0.0 : kInf;
  }
  bool separable() const override { return false; }
  void prox(double, VectorRef x) const override {
    const double norm = x.norm();
    if (norm > radius_) x *= radius_ / norm;
  }
  double prox_limit() const override { return 0.0; }  // a rescaling by at most 1

 private:
  double radius_;
};

// Indicator of the sphere ||x||₂ = r, a non-convex set: its "prox" is the projection x ← r x/||x||
// (the normalization of Oja-type streaming PCA, e.g. Async-MSGD of Liu et al. 2018), defined
// for x ≠ 0; x = 0 is left as it is (every point of the sphere is nearest). The theory of
// convex regularizers does not cover it.
class Sphere final : public Regularizer {
 public:
  explicit Sphere(double radius) : radius_(radius) {}
  std::string name() const override { return "sphere"; }
  std::string describe() const override { return "sphere(radius=" + format(radius_) + ")"; }
  double value(ConstVectorRef x) const override {
    // The projection lands within rounding of the sphere.
    return std::abs(x.norm() - radius_) <= 1e-12 * radius_ ? 0.0 : kInf;
  }
  bool separable() const override { return false; }
  void prox(double, VectorRef x) const override {
    const double norm = x.norm();
    if (norm > 0.0) x *= radius_ / norm;
  }
  double prox_limit() const override { return radius_; }  // |x_i| ≤ ||x||₂ = r

 private:
  double radius_;
};

// λ||x||₁ + indicator(||x||∞ ≤ r). Both parts are separable, so the prox acts per coordinate:
// minimizing λ|y| + (y − x)²/(2γ) over |y| ≤ r gives clip(soft(x, γλ), −r, r).
class L1Linf final : public Regularizer {
 public:
  L1Linf(double lambda, double radius) : lambda_(lambda), radius_(radius) {}
  std::string name() const override { return "l1-linf"; }
  std::string describe() const override {
    return "l1-linf(lambda=" + format(lambda_) + ", radius=" + format(radius_) + ")";
  }
  double value(ConstVectorRef x) const override {
    return x.lpNorm<Eigen::Infinity>() <= radius_ ? lambda_ * x.lpNorm<1>() : kInf;
  }
  void prox(double gamma, VectorRef x) const override {
    soft_threshold(gamma * lambda_, x);
    x = x.cwiseMax(-radius_).cwiseMin(radius_);
  }
  double prox_limit() const override { return 0.0; }  // soft thresholding, then clipping

 private:
  double lambda_, radius_;
};

}  // namespace

template <>
const std::vector<EnumValue<RegularizerType>>& enum_values<RegularizerType>() {
  static const std::vector<EnumValue<RegularizerType>> values = {
      {RegularizerType::kNone, "none", "R = 0"},
      {RegularizerType::kL1, "l1", "lambda ||x||_1"},
      {RegularizerType::kBox, "box", "indicator of [lower, upper]^d"},
      {RegularizerType::kLinfBall, "linf-ball", "indicator of ||x||_inf <= radius"},
      {RegularizerType::kL2Ball, "l2-ball", "indicator of ||x_b||_2 <= radius for each player b"},
      {RegularizerType::kL1Linf, "l1-linf", "lambda ||x||_1 + indicator of ||x||_inf <= radius"},
      {RegularizerType::kSphere, "sphere",
       "indicator of ||x_b||_2 = radius for each player b (non-convex: projection x <- "
       "radius x/||x||)"},
  };
  return values;
}

const OptionTable<RegularizerOptions>& RegularizerOptions::table() {
  using O = RegularizerOptions;
  using T = RegularizerType;
  static const OptionTable<O> table(
      "RegularizerOptions",
      {
          field("type", &O::type, "the regularizer R, applied to each player"),
          field("lambda", &O::lambda, "weight of lambda ||x||_1")
              .at_least(0)
              .when("type", {T::kL1, T::kL1Linf}),
          field("radius", &O::radius, "radius of the ball")
              .above(0)
              .when("type", {T::kLinfBall, T::kL2Ball, T::kL1Linf, T::kSphere}),
          field("lower", &O::lower, "lower bound of the box").when("type", {T::kBox}),
          field("upper", &O::upper, "upper bound of the box, >= lower").when("type", {T::kBox}),
      });
  return table;
}

std::optional<FieldError> RegularizerOptions::Check() const {
  if (auto error = table().check(*this)) return error;
  if (type == RegularizerType::kBox && !(lower <= upper))
    return FieldError{"RegularizerOptions::upper",
                      "must be at least lower (" + format(lower) + "), got " + format(upper)};
  return std::nullopt;
}

std::unique_ptr<Regularizer> make_regularizer(const RegularizerOptions& options) {
  if (const auto error = options.Check()) throw InputError(*error);
  switch (options.type) {
    case RegularizerType::kL1:
      return std::make_unique<L1>(options.lambda);
    case RegularizerType::kBox:
      return std::make_unique<Box>("box", options.lower, options.upper);
    case RegularizerType::kLinfBall:
      return std::make_unique<Box>("linf-ball", -options.radius, options.radius);
    case RegularizerType::kL2Ball:
      return std::make_unique<L2Ball>(options.radius);
    case RegularizerType::kL1Linf:
      return std::make_unique<L1Linf>(options.lambda, options.radius);
    case RegularizerType::kSphere:
      return std::make_unique<Sphere>(options.radius);
    case RegularizerType::kNone:
      break;
  }
  return std::make_unique<NoRegularizer>();
}

}  // namespace sgda
