// The regularizer R of the composite variational inequality and its proximal operator
//   prox_{γR}(x) = argmin_y R(y) + ||y − x||² / (2γ).
// A problem applies its regularizer to every block separately, R(x) = Σ_b R(x_b), so a ball
// constrains each player on its own; for the separable choices this equals the whole-vector R.
#pragma once

#include <limits>
#include <memory>
#include <string>

#include "sgda/options.hpp"
#include "sgda/types.hpp"

namespace sgda {

enum class RegularizerType { kNone, kL1, kBox, kLinfBall, kL2Ball, kL1Linf, kSphere };
template <>
const std::vector<EnumValue<RegularizerType>>& enum_values<RegularizerType>();

struct RegularizerOptions {
  RegularizerType type = RegularizerType::kNone;
  double lambda = 0.0;  // weight of λ||x||₁ (l1, l1-linf)
  double radius = 1.0;  // radius r of the ℓ∞ / ℓ2 ball or the sphere (linf-ball, l2-ball, l1-linf,
                        // sphere)
  double lower = -1.0;  // box lower bound (box)
  double upper = 1.0;   // box upper bound (box)

  static const OptionTable<RegularizerOptions>& table();
  // The table's ranges, then lower ≤ upper.
  std::optional<FieldError> Check() const;

  bool IsValid(std::string* error) const { return passes(Check(), error); }
};

class Regularizer {
 public:
  virtual ~Regularizer() = default;
  virtual std::string name() const = 0;
  // A short description with parameters, e.g. "l1-linf(lambda=0.1, radius=0.1)".
  virtual std::string describe() const = 0;
  virtual bool is_zero() const { return false; }
  // True when the prox acts on each coordinate alone, so one prox of the whole vector equals
  // the prox of every block (the ℓ2-ball's does not: it constrains each player's norm).
  virtual bool separable() const { return true; }
  // R(x); +infinity outside the feasible set.
  virtual double value(ConstVectorRef x) const = 0;
  // x ← prox_{γR}(x), in place and without allocation; finite when x is.
  virtual void prox(double gamma, VectorRef x) const = 0;
  // x ← prox_{γR}(x − γg), in place: the bits of x − γg followed by prox(); one pass where a
  // regularizer overrides it (the solver's in-place moves).
  virtual void step_prox(double gamma, ConstVectorRef g, VectorRef x) const {
    x -= gamma * g;
    prox(gamma, x);
  }
  // A c with |prox_{γR}(v)_i| ≤ max(‖v‖∞, c) for every v, γ and i: how far from 0 the prox may
  // put a coordinate that was nearer (0: it never moves one outward); +∞ when not known. Lets
  // the solver bound its iterates without reading them (solvers/fused_move.hpp).
  virtual double prox_limit() const { return std::numeric_limits<double>::infinity(); }
};

// Builds a regularizer; throws InputError naming the field when the options are invalid.
std::unique_ptr<Regularizer> make_regularizer(const RegularizerOptions& options);

}  // namespace sgda
