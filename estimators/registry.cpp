#include "sgda/registry.hpp"

#include <cmath>
#include <sstream>

#include "sgda/error.hpp"
#include "sgda/estimators/l_svrgda.hpp"
#include "sgda/estimators/sgda.hpp"

namespace sgda {
namespace {

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  for (const auto& n : names)
    if (n == name) return true;
  return false;
}

}  // namespace

const std::vector<CatalogEntry>& catalog() {
  static const std::vector<CatalogEntry> entries = {
      {"method",
       "sgda",
       "SGDA with arbitrary sampling: g = F_xi(x)",
       {{"sampling", "uniform | nice | importance (default uniform)"},
        {"batch_size", "tau of nice sampling, 1..n (default 1)"}}},
      {"method",
       "l-svrgda",
       "loopless SVRG: g = F_j(x) - F_j(w) + F(w), w <- x w.p. p",
       {{"probability", "snapshot probability p in (0, 1] (default 1/n)"}}},
      {"sampling", "uniform", "one sample uniformly at random, weight 1", {}},
      {"sampling",
       "nice",
       "tau distinct samples uniformly at random, weight 1/tau each",
       {{"batch_size", "tau, 1..n"}}},
      {"sampling", "importance", "one sample w.p. p_i proportional to L_i, weight 1/(n p_i)", {}},
      {"problem",
       "quadratic",
       "two-player strongly monotone quadratic game with prescribed mu, ell",
       {{"samples", "n >= 1 (default 100)"},
        {"dimension", "d per player >= 1 (default 10)"},
        {"mu", "strong monotonicity > 0 (default 1)"},
        {"ell", "star-cocoercivity >= mu (default 10)"},
        {"noise", "per-sample matrix noise, relative to ell (default 0.3)"},
        {"offset_noise", "per-sample offset noise (default 1)"},
        {"heavy_scale", "scale of the second half of the samples (default 1)"},
        {"seed", "generator seed (default 0)"}}},
      {"problem",
       "bilinear",
       "bilinear game x'By + a'x - b'y + (mu/2)(|x|^2 - |y|^2)",
       {{"samples", "n >= 1 (default 100)"},
        {"dimension", "d per player >= 1 (default 10)"},
        {"mu", "lambda >= 0 (default 0.1)"},
        {"coupling", "spectral norm of the mean B (default 1)"},
        {"noise", "per-sample coupling noise, relative (default 1)"},
        {"offset_noise", "per-sample offset noise (default 1)"},
        {"seed", "generator seed (default 0)"}}},
      {"problem",
       "file",
       "affine game from HDF5 (docs/file-formats.md)",
       {{"file", "path to the .h5 file, relative to the problem file"}}},
      {"regularizer", "none", "R = 0", {}},
      {"regularizer", "l1", "lambda ||x||_1", {{"lambda", ">= 0"}}},
      {"regularizer",
       "box",
       "indicator of [lower, upper]^d",
       {{"lower", "finite"}, {"upper", ">= lower"}}},
      {"regularizer", "linf-ball", "indicator of ||x||_inf <= radius", {{"radius", "> 0"}}},
      {"regularizer",
       "l2-ball",
       "indicator of ||x_b||_2 <= radius for each player b",
       {{"radius", "> 0"}}},
      {"regularizer",
       "l1-linf",
       "lambda ||x||_1 + indicator of ||x||_inf <= radius",
       {{"lambda", ">= 0"}, {"radius", "> 0"}}},
      {"step-size", "constant", "gamma_k = step_size", {{"step_size", "a number > 0"}}},
      {"step-size",
       "theory",
       "gamma = factor * min{1/mu, 1/(2(A + 2BC/rho))}",
       {{"step_factor", "> 0 (default 1)"}}},
      {"step-size",
       "switching",
       "1/h for the first half, then 2/(2h + mu(k - k0)) (Theorem 2.2)",
       {{"step_factor", "> 0 (default 1)"}}},
  };
  return entries;
}

std::vector<std::string> names_of(const std::string& kind) {
  std::vector<std::string> names;
  for (const auto& entry : catalog())
    if (entry.kind == kind) names.push_back(entry.name);
  return names;
}

bool EstimatorOptions::IsValid(std::string* error) const {
  auto fail = [&](const std::string& message) {
    if (error) *error = message;
    return false;
  };
  if (!contains(names_of("method"), method))
    return fail("method.name: unknown \"" + method + "\"; accepted: " + join(names_of("method")));
  if (!contains(names_of("sampling"), sampling))
    return fail("method.sampling: unknown \"" + sampling +
                "\"; accepted: " + join(names_of("sampling")));
  if (batch_size < 1) return fail("method.batch_size: must be an integer >= 1");
  if (!(std::isfinite(probability) && probability >= 0.0 && probability <= 1.0))
    return fail("method.probability: must be in (0, 1] (or 0 for the default 1/n)");
  return true;
}

std::unique_ptr<Estimator> make_estimator(const EstimatorOptions& options, const Problem& problem) {
  std::string error;
  if (!options.IsValid(&error)) throw InputError(error);
  if (options.method == "l-svrgda") return std::make_unique<LSvrgdaEstimator>(options.probability);
  const Index n = problem.num_samples();
  std::unique_ptr<Sampling> sampling;
  if (options.sampling == "nice") {
    sampling = make_nice_sampling(n, options.batch_size);
  } else if (options.sampling == "importance") {
    sampling = make_lipschitz_importance_sampling(problem);
  } else {
    sampling = make_uniform_sampling(n);
  }
  return std::make_unique<SgdaEstimator>(std::move(sampling));
}

}  // namespace sgda
