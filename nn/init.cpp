#include "sgda/nn/init.hpp"

#include <cmath>

#include "sgda/error.hpp"

namespace sgda::nn {

const std::vector<std::string>& init_names() {
  static const std::vector<std::string> names = {"he-normal", "he-uniform", "xavier-normal",
                                                 "xavier-uniform"};
  return names;
}

std::string to_string(Init init) { return init_names()[static_cast<std::size_t>(init)]; }

Init init_from_string(const std::string& name) {
  const auto& names = init_names();
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return static_cast<Init>(i);
  std::string accepted;
  for (const auto& n : names) accepted += (accepted.empty() ? "" : ", ") + n;
  throw InputError("init: unknown \"" + name + "\"; accepted: " + accepted);
}

double init_variance(Init init, Index fan_in, Index fan_out) {
  switch (init) {
    case Init::kHeNormal:
    case Init::kHeUniform:
      return 2.0 / static_cast<double>(fan_in);
    case Init::kXavierNormal:
    case Init::kXavierUniform:
      return 2.0 / static_cast<double>(fan_in + fan_out);
  }
  return 0.0;
}

void initialize_weight(Init init, MatrixRef w, Rng& rng) {
  const double variance = init_variance(init, w.cols(), w.rows());
  const bool uniform = init == Init::kHeUniform || init == Init::kXavierUniform;
  const double scale = uniform ? std::sqrt(3.0 * variance) : std::sqrt(variance);
  for (Index j = 0; j < w.cols(); ++j)
    for (Index i = 0; i < w.rows(); ++i)
      w(i, j) = uniform ? scale * (2.0 * rng.uniform() - 1.0) : scale * rng.normal();
}

}  // namespace sgda::nn
