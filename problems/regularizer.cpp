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
};

// Soft thresholding, the prox of t||x||₁: sign(x) max(|x| − t, 0), written as x − clip(x, −t, t)
// (the same numbers, with +0 for −0). A plain loop: it vectorizes without Eigen's alignment
// peeling, which costs more than the arithmetic on a short block.
void soft_threshold(double t, VectorRef x) {
  double* v = x.data();
  for (Index i = 0; i < x.size(); ++i) v[i] -= std::min(std::max(v[i], -t), t);
}

class L1 final : public Regularizer {
 public:
  explicit L1(double lambda) : lambda_(lambda) {}
  std::string name() const override { return "l1"; }
  std::string describe() const override { return "l1(lambda=" + format(lambda_) + ")"; }
  double value(ConstVectorRef x) const override { return lambda_ * x.lpNorm<1>(); }
  void prox(double gamma, VectorRef x) const override { soft_threshold(gamma * lambda_, x); }

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

 private:
  double lambda_, radius_;
};

bool positive(double v) { return std::isfinite(v) && v > 0.0; }

}  // namespace

const std::vector<std::string>& regularizer_types() {
  static const std::vector<std::string> types = {"none",      "l1",      "box",
                                                 "linf-ball", "l2-ball", "l1-linf"};
  return types;
}

bool RegularizerOptions::IsValid(std::string* error) const {
  auto fail = [&](const std::string& message) {
    if (error) *error = message;
    return false;
  };
  bool known = false;
  for (const auto& t : regularizer_types()) known = known || t == type;
  if (!known) {
    return fail("regularizer.type: unknown \"" + type +
                "\"; accepted: none, l1, box, linf-ball, l2-ball, l1-linf");
  }
  if ((type == "l1" || type == "l1-linf") && !(std::isfinite(lambda) && lambda >= 0.0))
    return fail("regularizer.lambda: must be a finite number >= 0, got " + format(lambda));
  if ((type == "linf-ball" || type == "l2-ball" || type == "l1-linf") && !positive(radius))
    return fail("regularizer.radius: must be a finite number > 0, got " + format(radius));
  if (type == "box" && !(std::isfinite(lower) && std::isfinite(upper) && lower <= upper))
    return fail("regularizer.lower/upper: need finite lower <= upper, got [" + format(lower) +
                ", " + format(upper) + "]");
  return true;
}

std::unique_ptr<Regularizer> make_regularizer(const RegularizerOptions& options) {
  std::string error;
  if (!options.IsValid(&error)) throw InputError(error);
  const std::string& t = options.type;
  if (t == "l1") return std::make_unique<L1>(options.lambda);
  if (t == "box") return std::make_unique<Box>("box", options.lower, options.upper);
  if (t == "linf-ball") return std::make_unique<Box>("linf-ball", -options.radius, options.radius);
  if (t == "l2-ball") return std::make_unique<L2Ball>(options.radius);
  if (t == "l1-linf") return std::make_unique<L1Linf>(options.lambda, options.radius);
  return std::make_unique<NoRegularizer>();
}

}  // namespace sgda
