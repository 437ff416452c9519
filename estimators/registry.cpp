#include "sgda/registry.hpp"

#include <cmath>
#include <sstream>

#include "sgda/error.hpp"
#include "sgda/estimators/coordinate_sgda.hpp"
#include "sgda/estimators/diana_sgda.hpp"
#include "sgda/estimators/l_svrgda.hpp"
#include "sgda/estimators/qsgda.hpp"
#include "sgda/estimators/sega_sgda.hpp"
#include "sgda/estimators/sgda.hpp"
#include "sgda/estimators/vr_diana_sgda.hpp"

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
      {"method",
       "qsgda",
       "W workers send Q(g_m); g = mean of Q(g_m)",
       {{"workers", "W, divides n (default 1)"},
        {"local", "exact | sample: local operator F_m or one local sample (default exact)"},
        {"compressor", "identity | rand-k | qsgd | natural | top-k (default identity)"},
        {"k", "rand-k/top-k coordinates, 1..d"},
        {"levels", "qsgd levels s >= 1"}}},
      {"method",
       "diana-sgda",
       "QSGDA with learned shifts h_m (compresses g_m - h_m)",
       {{"workers", "W, divides n (default 1)"},
        {"local", "exact | sample (default exact)"},
        {"compressor", "as qsgda"},
        {"alpha", "shift step in (0, 1/(1+omega)] (default 1/(1+omega))"}}},
      {"method",
       "vr-diana-sgda",
       "DIANA shifts over loopless-SVRG local estimators",
       {{"workers", "W, divides n (default 1)"},
        {"compressor", "as qsgda"},
        {"probability", "local snapshot probability p (default 1/m_loc)"},
        {"alpha", "shift step <= min{p/3, 1/(1+omega)} (default min{1/(3 m_loc), 1/(1+omega)})"}}},
      {"method", "coordinate-sgda", "g = d [F(x)]_j e_j, j uniform", {}},
      {"method", "sega-sgda", "g = h + d([F(x)]_j - h_j) e_j; h_j <- [F(x)]_j", {}},
      {"compressor", "identity", "sends d doubles; omega = 0", {}},
      {"compressor",
       "rand-k",
       "k random coordinates scaled by d/k; omega = d/k - 1",
       {{"k", "1..d"}}},
      {"compressor",
       "qsgd",
       "l2 random dithering with s levels; omega = min{d/(4s^2), sqrt(d)/s}",
       {{"levels", "s >= 1"}}},
      {"compressor", "natural", "random rounding to powers of two; omega = 1/8", {}},
      {"compressor", "top-k", "k largest magnitudes (biased: outside the theory)", {{"k", "1..d"}}},
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
        {"heavy_scale", "L_i of the second half / L_i of the first, mean unchanged (default 1)"},
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
      {"problem",
       "dirac-gan",
       "Dirac-GAN of Mescheder et al. 2018, f = phi(psi theta) + phi(0); equilibrium (0, 0)",
       {{"r1", "R1 penalty gamma >= 0 on the discriminator (default 0)"},
        {"theta0", "initial generator (default 1)"},
        {"psi0", "initial discriminator (default 1)"}}},
      {"problem",
       "gaussian-gan",
       "linear generator Az + b learning N(m, Sigma) against a quadratic discriminator",
       {{"dimension", "d >= 1 (default 2)"},
        {"samples", "N draws, > d, a multiple of batch (default 1024)"},
        {"batch", "draws per F_i (default 32)"},
        {"lambda", "discriminator ridge > 0 (default 1)"},
        {"exact_moments", "whiten the draws to mean m, covariance Sigma (default true)"},
        {"seed", "m, Sigma and the draws (default 0)"}}},
      {"problem",
       "mlp-gan",
       "MLP generator and discriminator on a ring of Gaussians; modes covered, good samples",
       {{"modes", "Gaussians on the ring (default 8)"},
        {"radius", "of the ring (default 2)"},
        {"std", "of each Gaussian (default 0.02)"},
        {"samples", "N draws, a multiple of batch (default 8192)"},
        {"batch", "draws per F_i (default 64)"},
        {"noise_dimension", "dimension of z (default 2)"},
        {"generator_width", "hidden units (default 64)"},
        {"generator_depth", "hidden layers (default 2)"},
        {"discriminator_width", "hidden units (default 64)"},
        {"discriminator_depth", "hidden layers (default 2)"},
        {"generator_activation", "identity|relu|leaky-relu|tanh|sigmoid (default relu)"},
        {"discriminator_activation", "the same (default leaky-relu)"},
        {"loss", "non-saturating|minimax (default non-saturating)"},
        {"eval_samples", "generator samples behind the metrics (default 2500)"},
        {"mode_threshold", "fraction of them a covered mode needs (default 0.01)"},
        {"seed", "data, noise and initial networks (default 0)"}}},
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
      {"step", "prox", "x <- prox(x - gamma g): every SGDA-type method (default)", {}},
      {"step",
       "momentum",
       "heavy ball: v <- mu v + g; x <- prox(x - gamma v)",
       {{"momentum", "mu in [0, 1) (default 0.9)"}}},
      {"step",
       "nesterov",
       "v <- mu v + g; x <- prox(x - gamma (g + mu v))",
       {{"momentum", "mu in [0, 1) (default 0.9)"}}},
      {"step",
       "adam",
       "bias-corrected moments in double; weight_decay adds lambda x to g",
       {{"beta1", "[0, 1) (default 0.9)"},
        {"beta2", "[0, 1) (default 0.999)"},
        {"epsilon", "> 0 (default 1e-8)"},
        {"weight_decay", ">= 0 (default 0)"}}},
      {"step", "adamw", "Adam with decoupled weight decay", {{"weight_decay", ">= 0"}}},
      {"step", "optimistic", "x <- prox(x - gamma (2 g_k - g_{k-1})) (past extragradient)", {}},
      {"scheme", "simultaneous", "all players step from the same estimate (default)", {}},
      {"scheme", "alternating", "player by player, each with a fresh estimate", {}},
      {"scheme", "extragradient", "extrapolate with g(x), update from x with g(x_half)", {}},
      {"scheme", "extragradient-same-sample", "the second estimate replays the first's draws", {}},
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
    return fail("method.probability: must be in (0, 1] (or 0 for the default)");
  if (workers < 1) return fail("method.workers: must be an integer >= 1");
  if (local != "exact" && local != "sample")
    return fail("method.local: unknown \"" + local + "\"; accepted: exact, sample");
  if (!(std::isfinite(alpha) && alpha >= 0.0 && alpha <= 1.0))
    return fail("method.alpha: must be in (0, 1] (or 0 for the default)");
  return compressor.IsValid(error);
}

std::unique_ptr<Estimator> make_estimator(const EstimatorOptions& options, const Problem& problem) {
  std::string error;
  if (!options.IsValid(&error)) throw InputError(error);
  if (options.method == "l-svrgda") return std::make_unique<LSvrgdaEstimator>(options.probability);
  if (options.method == "coordinate-sgda") return std::make_unique<CoordinateSgdaEstimator>();
  if (options.method == "sega-sgda") return std::make_unique<SegaSgdaEstimator>();
  if (options.method == "qsgda" || options.method == "diana-sgda" ||
      options.method == "vr-diana-sgda") {
    DistributedSettings s;
    s.workers = options.workers;
    s.local = options.local == "sample" ? LocalOracle::kSample : LocalOracle::kExact;
    s.compressor = options.compressor;
    s.alpha = options.alpha;
    s.probability = options.probability;
    if ((options.compressor.type == "rand-k" || options.compressor.type == "top-k") &&
        options.compressor.k > problem.dim())
      throw InputError("method.k: must be at most the dimension " + std::to_string(problem.dim()) +
                       ", got " + std::to_string(options.compressor.k));
    resolve_partition(problem, options.workers);  // fails early with a clear message
    if (options.method == "qsgda") return std::make_unique<QsgdaEstimator>(s);
    if (options.method == "diana-sgda") return std::make_unique<DianaSgdaEstimator>(s);
    return std::make_unique<VrDianaSgdaEstimator>(s);
  }
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
