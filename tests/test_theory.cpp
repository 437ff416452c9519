// analyse_theory (sgda/theory.hpp): every number of Theorem 2.2 for a run, checked against the
// formulas of docs/theory.md computed here from the game's matrices and evaluations alone (x*
// by a linear solve, μ, ℓ, ℓ̂, ℓ̂_W by Eigen's generalized eigensolver); the step rules' own
// default step sizes; the runs file's theory group, and runs files of sgda 0.1.0. That `sgda
// theory` prints the struct's numbers: tests/cli/test_theory.cpp.
#include <H5Cpp.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "sgda/error.hpp"
#include "sgda/estimators/l_svrgda.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/problems/affine_game.hpp"
#include "sgda/registry.hpp"
#include "sgda/report/analysis.hpp"
#include "sgda/report/experiment.hpp"
#include "sgda/report/writers.hpp"
#include "sgda/solver.hpp"
#include "sgda/steps/adam_step.hpp"
#include "sgda/steps/blockwise_step.hpp"
#include "sgda/steps/momentum_step.hpp"
#include "sgda/steps/optimistic_step.hpp"
#include "sgda/theory.hpp"
#include "theory_helpers.hpp"

using namespace sgda;
using namespace sgda::testing;

namespace {

AffineGame small_game() {
  QuadraticGameOptions o;
  o.samples = 30;
  o.dimension = 3;  // D = 6
  o.mu = 0.5;
  o.ell = 5.0;
  o.noise = 0.4;
  o.offset_noise = 0.7;
  o.seed = 11;
  return generate_quadratic_game(o);
}

// The game's facts computed from its matrices and evaluations, not by the library's routes.
struct Truth {
  Vector x_star;
  double mu = 0, ell = 0, ell_hat = 0;
  double sigma_star_sq = 0;  // (1/n) Σ ||F_i(x*) − F*||², F* = 0 (no regularizer)
};

Truth truth_of(const AffineGame& game) {
  const Index d = game.dim(), n = game.num_samples();
  Matrix mean = Matrix::Zero(d, d);
  for (Index i = 0; i < n; ++i) mean += game.sample_matrix(i) / double(n);
  Vector q(d);
  game.full(Vector::Zero(d), q);  // q̄
  Truth t;
  t.x_star = mean.partialPivLu().solve(-q);
  const Matrix s = sym_part(mean);
  t.mu = bottom_eigen(s).first;
  t.ell = top_generalized(mean.transpose() * mean, s).first;
  t.ell_hat = top_generalized(sample_gram(game, Vector::Constant(n, 1.0 / double(n))), s).first;
  Vector fi(d);
  for (Index i = 0; i < n; ++i) {
    game.sample(i, t.x_star, fi);
    t.sigma_star_sq += fi.squaredNorm() / double(n);
  }
  return t;
}

SolverOptions options_with(const std::string& rule, double factor_or_gamma,
                           std::int64_t iterations = 5000) {
  SolverOptions o;
  o.max_iterations = iterations;
  o.step_size.rule = parse_enum<StepSizeRule>(rule);
  if (rule == "constant")
    o.step_size.gamma = factor_or_gamma;
  else
    o.step_size.factor = factor_or_gamma;
  return o;
}

// The estimator reset at x0, as analyse_theory needs it for σ₀.
std::unique_ptr<Estimator> reset_at(const AffineGame& game, const EstimatorOptions& e,
                                    const Vector& x0) {
  std::unique_ptr<Estimator> estimator = make_estimator(e, game);
  Rng rng(3);
  Counters counters;
  estimator->reset(game, x0, rng, counters);
  return estimator;
}

constexpr double kRel = 1e-9;  // two eigensolvers and two orders of summation agree to this

}  // namespace

TEST_CASE("analyse_theory gives the formulas of docs/theory.md for SGDA", "[theory]") {
  const AffineGame game = small_game();
  const Truth truth = truth_of(game);
  Rng rng(5);
  const Vector x0 = random_vector(game.dim(), rng);
  const double distance = (x0 - truth.x_star).squaredNorm();
  const auto estimator = reset_at(game, EstimatorOptions{}, x0);
  ProxStep prox;

  // SGDA, uniform sampling: A = ℓ̂, B = C = 0, ρ = 1, D1 = 2σ*², D2 = 0.
  const double a = truth.ell_hat, d1 = 2.0 * truth.sigma_star_sq;
  const double theory_gamma = std::min(1.0 / truth.mu, 1.0 / (2.0 * a));
  const Theory t = analyse_theory(game, *estimator, prox, options_with("theory", 0.5), x0);
  CHECK(t.A == Approx(a).epsilon(kRel));
  CHECK(t.B == 0.0);
  CHECK(t.C == 0.0);
  CHECK(t.D1 == Approx(d1).epsilon(kRel));
  CHECK(t.D2 == 0.0);
  CHECK(t.rho == 1.0);
  CHECK(t.mu == Approx(truth.mu).epsilon(kRel));
  CHECK(t.lyapunov_m == 0.0);
  CHECK(t.theory_step_size == Approx(theory_gamma).epsilon(kRel));
  CHECK(t.step_source == StepSource::kTheory);
  const double gamma = 0.5 * theory_gamma;
  CHECK(t.gamma == Approx(gamma).epsilon(kRel));
  // B = 0: the contraction is 1 − min{γμ, ρ}, the neighbourhood γ²D1/min{γμ, ρ}.
  const double rate = std::min(gamma * truth.mu, 1.0);
  CHECK(t.contraction == Approx(1.0 - rate).epsilon(kRel));
  CHECK(t.neighbourhood == Approx(gamma * gamma * d1 / rate).epsilon(kRel));
  CHECK(t.initial_distance == Approx(distance).epsilon(kRel));
  CHECK(t.relative_neighbourhood == Approx(gamma * gamma * d1 / rate / distance).epsilon(kRel));
  CHECK(t.initial_sigma_sq == 0.0);
  CHECK(t.initial_lyapunov == Approx(distance).epsilon(kRel));
  CHECK(std::isnan(t.iterations_to_target));  // D1 > 0: the bound stalls
  CHECK(std::isnan(t.switching_h));
  CHECK(std::isnan(t.switching_bound));
  CHECK_FALSE(t.distributed());
  CHECK(std::isnan(t.omega));
  CHECK(t.applies);
  CHECK(t.why_not.empty());
  CHECK(t.applies_text() == "yes");

  SECTION("a constant step above the theory step is outside the theorem") {
    const Theory c =
        analyse_theory(game, *estimator, prox, options_with("constant", 3 * theory_gamma), x0);
    CHECK(c.step_source == StepSource::kConstant);
    CHECK(c.gamma == 3 * theory_gamma);
    CHECK_FALSE(c.applies);
    CHECK(c.why_not.rfind("gamma = ", 0) == 0);
    CHECK(c.why_not.find("exceeds the theory step") != std::string::npos);
    // The numbers of the theorem at that γ are still given.
    const double r = std::min(3 * theory_gamma * truth.mu, 1.0);
    CHECK(c.contraction == Approx(1.0 - r).epsilon(kRel));
  }
  SECTION("another step rule or scheme is outside the theorem, in that order") {
    MomentumStep momentum(0.9, false);
    SolverOptions alternating = options_with("constant", theory_gamma);
    alternating.scheme = sgda::Scheme::kAlternating;
    CHECK(analyse_theory(game, *estimator, momentum, alternating, x0).why_not ==
          "the step rule is not the plain prox step");
    CHECK(analyse_theory(game, *estimator, prox, alternating, x0).why_not ==
          "the scheme is alternating, not simultaneous");
  }
  SECTION("switching: h, k0 and the bound at K") {
    const std::int64_t k = 4001;
    const Theory s = analyse_theory(game, *estimator, prox, options_with("switching", 1.0, k), x0);
    const double h = std::max(2.0 * a, 2.0 * truth.mu / 1.0);
    CHECK(s.step_source == StepSource::kSwitching);
    CHECK(s.switching_h == Approx(h).epsilon(kRel));
    CHECK(s.gamma == Approx(1.0 / h).epsilon(kRel));
    CHECK(s.switching_k0 == 2001);
    CHECK(s.iterations == k);
    const double bound = 32.0 * h * distance / truth.mu * std::exp(-truth.mu * double(k) / h) +
                         36.0 * d1 / (truth.mu * truth.mu * double(k));
    CHECK(s.switching_bound == Approx(bound).epsilon(kRel));
    CHECK(std::isnan(s.iterations_to_target));  // a count for constant steps only
  }
}

TEST_CASE("analyse_theory gives the formulas of docs/theory.md for L-SVRGDA", "[theory]") {
  const AffineGame game = small_game();
  const Truth truth = truth_of(game);
  const Index n = game.num_samples();
  Rng rng(6);
  const Vector x0 = random_vector(game.dim(), rng);
  const double distance = (x0 - truth.x_star).squaredNorm();
  EstimatorOptions e;
  e.method = sgda::Method::kLSvrgda;
  e.probability = 0.1;
  const auto estimator = reset_at(game, e, x0);
  ProxStep prox;

  // A = ℓ̂, B = 2, C = pℓ̂/2, ρ = p, D1 = D2 = 0; M = 4/p, so A + CM = 3ℓ̂.
  const double p = 0.1, a = truth.ell_hat, m = 4.0 / p;
  const double theory_gamma = std::min(1.0 / truth.mu, 1.0 / (6.0 * a));
  // σ₀² with the snapshot w⁰ = x⁰: (1/n) Σ ||F_i(x⁰) − F_i(x*)||² = (1/n) Σ ||M_i(x⁰ − x*)||².
  double sigma0 = 0;
  for (Index i = 0; i < n; ++i)
    sigma0 += (game.sample_matrix(i) * (x0 - truth.x_star)).squaredNorm() / double(n);

  const Theory t = analyse_theory(game, *estimator, prox, options_with("default", 1.0), x0);
  CHECK(t.A == Approx(a).epsilon(kRel));
  CHECK(t.B == 2.0);
  CHECK(t.C == Approx(p * a / 2).epsilon(kRel));
  CHECK(t.D1 == 0.0);
  CHECK(t.D2 == 0.0);
  CHECK(t.rho == p);
  CHECK(t.lyapunov_m == Approx(m).epsilon(kRel));
  CHECK(t.theory_step_size == Approx(theory_gamma).epsilon(kRel));
  CHECK(t.step_source == StepSource::kTheory);  // "default" with the prox step
  CHECK(t.gamma == t.theory_step_size);
  const double rate = std::min(theory_gamma * truth.mu, p / 2);
  CHECK(t.contraction == Approx(1.0 - rate).epsilon(kRel));
  CHECK(t.neighbourhood == 0.0);
  CHECK(t.initial_sigma_sq == Approx(sigma0).epsilon(kRel));
  const double v0 = distance + m * theory_gamma * theory_gamma * sigma0;
  CHECK(t.initial_lyapunov == Approx(v0).epsilon(kRel));
  // q^k V₀/‖x⁰ − x*‖² ≤ 1e-10 first at k = ⌈ln(1e-10 ‖x⁰ − x*‖²/V₀)/ln q⌉.
  const double k = std::ceil(std::log(1e-10 * distance / v0) / std::log(1.0 - rate));
  CHECK(t.target == 1e-10);
  CHECK(std::abs(t.iterations_to_target - k) <= 1.0);  // a ceiling of rounded logarithms
  CHECK(t.applies);

  SECTION("another target") {
    const Theory loose =
        analyse_theory(game, *estimator, prox, SolverOptions{}, x0, {.target = 1e-4});
    const double k4 = std::ceil(std::log(1e-4 * distance / v0) / std::log(1.0 - rate));
    CHECK(std::abs(loose.iterations_to_target - k4) <= 1.0);
  }
  SECTION("switching with a factor: h/factor, the state term in V₀ and the bound") {
    const std::int64_t big_k = 20000;
    const Theory s =
        analyse_theory(game, *estimator, prox, options_with("switching", 0.5, big_k), x0);
    const double h = std::max(2.0 * 3.0 * a, 2.0 * truth.mu / p) / 0.5;
    CHECK(s.switching_h == Approx(h).epsilon(kRel));
    CHECK(s.gamma == Approx(1.0 / h).epsilon(kRel));
    const double v0_h = distance + m * sigma0 / (h * h);
    CHECK(s.initial_lyapunov == Approx(v0_h).epsilon(kRel));
    const double bound = 32.0 * h * v0_h / truth.mu * std::exp(-truth.mu * double(big_k) / h);
    CHECK(s.switching_bound == Approx(bound).epsilon(kRel));
  }
  SECTION("before the estimator's reset: no σ₀, no V₀, the rest as after") {
    const auto fresh = make_estimator(e, game);
    const Theory b =
        analyse_theory(game, *fresh, prox, SolverOptions{}, x0, {.estimator_at_x0 = false});
    CHECK(std::isnan(b.initial_sigma_sq));
    CHECK(std::isnan(b.initial_lyapunov));
    CHECK(b.gamma == t.gamma);
    CHECK(b.contraction == t.contraction);
    CHECK(b.initial_distance == t.initial_distance);
  }
}

TEST_CASE("analyse_theory: DIANA-SGDA's constants and the distributed ones", "[theory]") {
  const AffineGame game = small_game();
  const Truth truth = truth_of(game);
  const Index d = game.dim(), n = game.num_samples(), workers = 5, k = 2;
  EstimatorOptions e;
  e.method = sgda::Method::kDianaSgda;
  e.workers = workers;
  e.compressor.type = sgda::CompressorType::kRandK;
  e.compressor.k = k;
  const Vector x0 = Vector::Zero(d);
  const auto estimator = reset_at(game, e, x0);
  ProxStep prox;
  const Theory t = analyse_theory(game, *estimator, prox, SolverOptions{}, x0);

  // Workers own contiguous blocks of n/W samples; ℓ̂_W = λ_max of (1/W) Σ_m M̄_mᵀM̄_m against S.
  Matrix mean = Matrix::Zero(d, d), gram = Matrix::Zero(d, d);
  const Index local = n / workers;
  for (Index m = 0; m < workers; ++m) {
    Matrix local_mean = Matrix::Zero(d, d);
    for (Index j = 0; j < local; ++j)
      local_mean += game.sample_matrix(m * local + j) / double(local);
    gram += local_mean.transpose() * local_mean / double(workers);
    mean += local_mean / double(workers);
  }
  const double ell_hat_w = top_generalized(gram, sym_part(mean)).first;
  const double omega = double(d) / double(k) - 1.0, w = double(workers);
  const double alpha = 1.0 / (1.0 + omega);
  CHECK(t.distributed());
  CHECK(t.workers == workers);
  CHECK(t.omega == Approx(omega).epsilon(1e-15));
  CHECK(t.ell_hat_workers == Approx(ell_hat_w).epsilon(kRel));
  // Exact local operators: A = ℓ/2 + ωℓ̂_W/W, B = 2ω/W, C = αℓ̂_W/2, ρ = α, D1 = D2 = 0.
  CHECK(t.A == Approx(truth.ell / 2 + omega * ell_hat_w / w).epsilon(kRel));
  CHECK(t.B == Approx(2 * omega / w).epsilon(1e-15));
  CHECK(t.C == Approx(alpha * ell_hat_w / 2).epsilon(kRel));
  CHECK(t.rho == Approx(alpha).epsilon(1e-15));
  const double m = 2 * (2 * omega / w) / alpha;
  const double gamma = std::min(1.0 / truth.mu, 1.0 / (2.0 * (t.A + t.C * m)));
  CHECK(t.theory_step_size == Approx(gamma).epsilon(kRel));
  CHECK(t.contraction == Approx(1.0 - std::min(gamma * truth.mu, alpha / 2)).epsilon(kRel));
  CHECK(t.applies);
}

TEST_CASE("analyse_theory without constants or x*: NaN, and why the theorem does not apply",
          "[theory]") {
  BilinearGameOptions o;
  o.samples = 8;
  o.dimension = 2;
  o.mu = 0.0;  // monotone, not strongly: ℓ = ℓ̂ = +∞
  const AffineGame game = generate_bilinear_game(o);
  const Vector x0 = Vector::Zero(game.dim());
  const auto estimator = reset_at(game, EstimatorOptions{}, x0);
  ProxStep prox;
  const Theory t = analyse_theory(game, *estimator, prox, SolverOptions{}, x0);
  CHECK(std::isnan(t.theory_step_size));
  CHECK(std::isnan(t.gamma));
  CHECK(std::isnan(t.contraction));
  CHECK(std::isnan(t.iterations_to_target));
  CHECK_FALSE(t.applies);
  CHECK(t.why_not == "the method's constants are unknown here");
  CHECK(t.applies_text() == "no: the method's constants are unknown here");
}

TEST_CASE("a step rule's own default step size: the theory for prox, 1e-3 for Adam, else none",
          "[theory][steps]") {
  const AffineGame game = small_game();
  const auto estimator = make_estimator(EstimatorOptions{}, game);
  const double theory_gamma = theory_step_size(game, *estimator);
  REQUIRE(std::isfinite(theory_gamma));
  auto solve_with = [&](StepRule& step, const SolverOptions& options) {
    return solve(game, *estimator, step, options, Vector::Zero(game.dim()));
  };
  SolverOptions o;
  o.max_iterations = 3;
  o.step_size.rule = StepSizeRule::kDefault;

  ProxStep prox;
  CHECK(prox.default_step_size().theory);
  Summary s = solve_with(prox, o);
  CHECK(s.initial_step_size == theory_gamma);
  CHECK(s.theory_step_size == theory_gamma);

  AdamStep adam(0.9, 0.999, 1e-8, 0.0, false), adamw(0.9, 0.999, 1e-8, 0.01, true);
  CHECK(solve_with(adam, o).initial_step_size == 1e-3);
  CHECK(std::isnan(solve_with(adam, o).theory_step_size));  // not taken from the theory
  CHECK(solve_with(adamw, o).initial_step_size == 1e-3);
  SolverOptions twice = o;
  twice.step_size.factor = 2.0;
  CHECK(solve_with(adam, twice).initial_step_size == 2e-3);
  // Asked for explicitly, the theory step is what Adam gets.
  SolverOptions theory = o;
  theory.step_size.rule = sgda::StepSizeRule::kTheory;
  CHECK(solve_with(adam, theory).initial_step_size == theory_gamma);

  MomentumStep momentum(0.9, false), nesterov(0.9, true);
  OptimisticStep optimistic;
  for (StepRule* rule : {static_cast<StepRule*>(&momentum), static_cast<StepRule*>(&nesterov),
                         static_cast<StepRule*>(&optimistic)}) {
    INFO(rule->name());
    CHECK(std::isnan(rule->default_step_size().gamma));
    CHECK_FALSE(rule->default_step_size().theory);
    try {
      solve_with(*rule, o);
      FAIL("no error");
    } catch (const InputError& e) {
      const std::string message = e.what();
      CHECK(message.rfind(
                "SolverOptions::step_size.gamma: none given, and the step rule " + rule->name(),
                0) == 0);
      CHECK(message.find('\n') == std::string::npos);
    }
    SolverOptions given = o;
    given.step_size.rule = sgda::StepSizeRule::kConstant;
    given.step_size.gamma = 0.01;
    CHECK(solve_with(*rule, given).initial_step_size == 0.01);
  }

  // Per player: a common default applies, at each player's scale; differing defaults need a number.
  std::vector<BlockwiseStep::Part> same;
  same.push_back({{"x"}, std::make_unique<ProxStep>(), 2.0});
  same.push_back({{}, std::make_unique<ProxStep>(), 1.0});
  BlockwiseStep two_scales(std::move(same));
  CHECK(solve_with(two_scales, o).initial_step_size == theory_gamma);
  std::vector<BlockwiseStep::Part> mixed;
  mixed.push_back({{"x"}, std::make_unique<AdamStep>(0.9, 0.999, 1e-8, 0.0, false), 1.0});
  mixed.push_back({{}, std::make_unique<ProxStep>(), 1.0});
  BlockwiseStep adam_and_prox(std::move(mixed));
  CHECK_FALSE(adam_and_prox.default_step_size().theory);
  CHECK(std::isnan(adam_and_prox.default_step_size().gamma));
  CHECK_THROWS_AS(solve_with(adam_and_prox, o), InputError);

  std::string error;
  CHECK(o.step_size.IsValid(&error));
  CHECK_THROWS_WITH(parse_enum<StepSizeRule>("defualt"),
                    "unknown \"defualt\" (did you mean \"default\"?); accepted: default, "
                    "constant, theory, switching");
}

namespace {

struct TempFile {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() /
      ("sgda_theory_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".h5");
  ~TempFile() { std::filesystem::remove(path); }
  static inline int counter = 0;
};

RunRecord run_record(const std::string& label) {
  RunRecord r;
  r.settings = {{"experiment.label", label}, {"experiment.key", label},
                {"experiment.seed", "0"},    {"run.step_schedule", "switching"},
                {"run.step_factor", "0.5"},  {"run.iterations", "1000"}};
  r.trace.iteration = {0};
  r.trace.sample_evaluations = {0};
  r.trace.coordinate_evaluations = {0};
  r.trace.epochs = {0};
  r.trace.bits = {0};
  r.trace.wall_time = {0};
  r.trace.relative_distance_sq = {1};
  r.trace.residual_sq = {1};
  r.trace.step_size = {0.1};
  r.x_final = Vector::Zero(2);
  return r;
}

}  // namespace

TEST_CASE("runs appended to a runs file load in the order of their group numbers", "[report][io]") {
  // The first append writes the file, the others add to it in place, out of order and across
  // a change of width (r9999, r10000); the root attributes given replace those there.
  TempFile file;
  const std::string path = file.path.string();
  const Settings first = {{"experiment.title", "t"}, {"experiment.planned_runs", "20000"}};
  append_experiment_run(path, &first, "/runs/r10000", run_record("c"), true);
  append_experiment_run(path, nullptr, "/runs/r0002", run_record("a"), false);
  const Settings second = {{"experiment.title", "u"}, {"experiment.planned_runs", "20000"}};
  append_experiment_run(path, &second, "/runs/r9999", run_record("b"), false);
  ExperimentRuns runs = load_experiment_runs(path);
  CHECK(runs.groups == std::vector<std::string>{"r0002", "r9999", "r10000"});
  REQUIRE(runs.runs.size() == 3);
  CHECK(runs.runs[0].settings.at("experiment.label") == "a");
  CHECK(runs.runs[2].settings.at("experiment.label") == "c");
  CHECK(runs.attributes.at("experiment.title") == "u");
  update_experiment_attributes(path, first);
  CHECK(load_experiment_runs(path).attributes.at("experiment.title") == "t");
  // A group that is there already is refused, naming it; the file still loads.
  CHECK_THROWS_WITH(append_experiment_run(path, nullptr, "/runs/r0002", run_record("d"), false),
                    Catch::Contains("/runs/r0002"));
  CHECK(load_experiment_runs(path).runs.size() == 3);
  std::filesystem::remove(experiment_backup_path(path));
}

TEST_CASE("runs files keep the theory as a typed group, files of sgda 0.1.0 still load",
          "[theory][io]") {
  const AffineGame game = small_game();
  EstimatorOptions e;
  e.method = sgda::Method::kDianaSgda;
  e.workers = 5;
  e.compressor.type = sgda::CompressorType::kRandK;
  e.compressor.k = 2;
  const Vector x0 = Vector::Ones(game.dim());
  const auto estimator = reset_at(game, e, x0);
  ProxStep prox;
  Theory theory = analyse_theory(game, *estimator, prox, options_with("switching", 0.5, 999), x0);
  REQUIRE(theory.applies);
  theory.why_not = "a text\nwith a newline";  // texts come back as written
  theory.alternatives.clear();                // not kept

  TempFile file;
  ExperimentRuns runs;
  runs.attributes = {{"experiment.title", "t"}};
  runs.runs.push_back(run_record("new"));
  runs.runs.back().theory = theory;
  runs.runs.push_back(run_record("none"));  // a run without a theory
  save_experiment_runs(file.path.string(), runs);
  const ExperimentRuns loaded = load_experiment_runs(file.path.string());
  REQUIRE(loaded.runs.size() == 2);
  REQUIRE(loaded.runs[0].theory);
  CHECK_FALSE(loaded.runs[1].theory);
  const Theory& back = *loaded.runs[0].theory;
  auto same = [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); };
  for (const auto& [name, a, b] : std::vector<std::tuple<std::string, double, double>>{
           {"A", theory.A, back.A},
           {"B", theory.B, back.B},
           {"C", theory.C, back.C},
           {"D1", theory.D1, back.D1},
           {"D2", theory.D2, back.D2},
           {"rho", theory.rho, back.rho},
           {"mu", theory.mu, back.mu},
           {"lyapunov_m", theory.lyapunov_m, back.lyapunov_m},
           {"theory_step_size", theory.theory_step_size, back.theory_step_size},
           {"factor", theory.factor, back.factor},
           {"gamma", theory.gamma, back.gamma},
           {"switching_h", theory.switching_h, back.switching_h},
           {"switching_k0", theory.switching_k0, back.switching_k0},
           {"contraction", theory.contraction, back.contraction},
           {"neighbourhood", theory.neighbourhood, back.neighbourhood},
           {"relative_neighbourhood", theory.relative_neighbourhood, back.relative_neighbourhood},
           {"initial_distance", theory.initial_distance, back.initial_distance},
           {"initial_sigma_sq", theory.initial_sigma_sq, back.initial_sigma_sq},
           {"initial_lyapunov", theory.initial_lyapunov, back.initial_lyapunov},
           {"switching_bound", theory.switching_bound, back.switching_bound},
           {"target", theory.target, back.target},
           {"iterations_to_target", theory.iterations_to_target, back.iterations_to_target},
           {"omega", theory.omega, back.omega},
           {"ell_hat_workers", theory.ell_hat_workers, back.ell_hat_workers}}) {
    INFO(name << ": " << a << " vs " << b);
    CHECK(same(a, b));
  }
  CHECK(std::isnan(back.iterations_to_target));  // NaN survives
  CHECK(back.iterations == 999);
  CHECK(back.workers == 5);
  CHECK(back.step_source == StepSource::kSwitching);
  CHECK(back.applies);
  CHECK(back.sigma_definition == theory.sigma_definition);
  CHECK(back.note == theory.note);
  CHECK(back.why_not == "a text\nwith a newline");
  for (const auto& [key, value] : loaded.runs[0].settings) CHECK(key.rfind("theory", 0) != 0);

  SECTION("sgda 0.1.0 wrote theory.* string attributes: read into the struct") {
    TempFile old_file;
    ExperimentRuns old_runs;
    old_runs.attributes = runs.attributes;
    RunRecord r = run_record("old");
    r.settings.insert({{"theory.A", "26.279"},
                       {"theory.B", "0.5"},
                       {"theory.C", "0.25"},
                       {"theory.D1", "0"},
                       {"theory.D2", "0"},
                       {"theory.rho", "0.2"},
                       {"theory.mu", "0.5"},
                       {"theory.step_size", "0.015"},
                       {"theory.gamma", "0.0078125"},
                       {"theory.contraction", "0.99609375"},
                       {"theory.neighbourhood", "0"},
                       {"theory.initial_distance", "4"},
                       {"theory.initial_lyapunov", "5"},
                       {"theory.omega", "2"},
                       {"theory.workers", "5"},
                       {"theory.ell_hat_workers", "3.5"},
                       {"theory.switching_k0", "500"},
                       {"theory.switching_bound", "1e-05"},
                       {"theory.sigma_definition", "sigma"},
                       {"theory.note", "note"},
                       {"theory.applies", "no: x* is unknown"}});
    old_runs.runs.push_back(r);
    save_experiment_runs(old_file.path.string(), old_runs);  // settings: string attributes
    const ExperimentRuns read = load_experiment_runs(old_file.path.string());
    REQUIRE(read.runs.size() == 1);
    REQUIRE(read.runs[0].theory);
    const Theory& t = *read.runs[0].theory;
    CHECK(t.A == 26.279);
    CHECK(t.B == 0.5);
    CHECK(t.rho == 0.2);
    CHECK(t.lyapunov_m == 2 * 0.5 / 0.2);
    CHECK(t.theory_step_size == 0.015);
    CHECK(t.gamma == 0.0078125);
    CHECK(t.step_source == StepSource::kSwitching);
    CHECK(t.factor == 0.5);
    CHECK(t.iterations == 1000);
    CHECK(t.switching_h == 128.0);
    CHECK(t.switching_k0 == 500);
    CHECK(t.switching_bound == 1e-5);
    CHECK(t.contraction == 0.99609375);
    CHECK(t.relative_neighbourhood == 0.0);
    CHECK(t.initial_distance == 4);
    CHECK(t.initial_lyapunov == 5);
    CHECK(std::isnan(t.initial_sigma_sq));
    CHECK(t.omega == 2);
    CHECK(t.workers == 5);
    CHECK(t.ell_hat_workers == 3.5);
    CHECK(t.sigma_definition == "sigma");
    CHECK(t.note == "note");
    CHECK_FALSE(t.applies);
    CHECK(t.why_not == "x* is unknown");
    CHECK(read.runs[0].settings.count("theory.A") == 0);
    CHECK(read.runs[0].settings.at("experiment.label") == "old");
  }
  SECTION("a theory group of another format: one line naming the file, the group, what is read") {
    {
      H5::H5File h5(file.path.string(), H5F_ACC_RDWR);
      H5::Group group = h5.openGroup("/runs/r0000/theory");
      group.removeAttr("format_version");
      const std::int64_t two = 2;
      group.createAttribute("format_version", H5::PredType::STD_I64LE, H5::DataSpace(H5S_SCALAR))
          .write(H5::PredType::NATIVE_INT64, &two);
    }
    try {
      load_experiment_runs(file.path.string());
      FAIL("no error");
    } catch (const InputError& e) {
      const std::string message = e.what();
      INFO(message);
      CHECK(message.rfind(
                file.path.string() + ": /runs/r0000/theory attribute format_version: is 2", 0) ==
            0);
      CHECK(message.find("accepted 1") != std::string::npos);
      CHECK(message.find('\n') == std::string::npos);
    }
  }
  SECTION("a missing field names itself") {
    {
      H5::H5File h5(file.path.string(), H5F_ACC_RDWR);
      h5.openGroup("/runs/r0000/theory").removeAttr("gamma");
    }
    CHECK_THROWS_WITH(load_experiment_runs(file.path.string()),
                      Catch::Contains("/runs/r0000/theory attribute gamma: missing"));
  }
}

namespace {

// The number text of sgda 0.1.0's runs files: the shortest round trip, "nan" for NaN.
std::string old_number(double value) {
  if (std::isnan(value)) return "nan";
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

// The theory.* attributes sgda 0.1.0's execute_run wrote for a run, from its Theory.
void write_old_attributes(RunRecord& run) {
  const Theory& t = *run.theory;
  Settings& a = run.settings;
  a["theory.A"] = old_number(t.A);
  a["theory.B"] = old_number(t.B);
  a["theory.C"] = old_number(t.C);
  a["theory.D1"] = old_number(t.D1);
  a["theory.D2"] = old_number(t.D2);
  a["theory.rho"] = old_number(t.rho);
  a["theory.sigma_definition"] = t.sigma_definition;
  a["theory.note"] = t.note;
  a["theory.mu"] = old_number(t.mu);
  a["theory.step_size"] = old_number(t.theory_step_size);
  a["theory.gamma"] = old_number(t.gamma);
  a["theory.contraction"] = old_number(t.contraction);
  a["theory.neighbourhood"] = old_number(t.neighbourhood);
  a["theory.initial_distance"] = old_number(t.initial_distance);
  a["theory.initial_lyapunov"] = old_number(t.initial_lyapunov);
  if (t.distributed()) {
    a["theory.omega"] = old_number(t.omega);
    a["theory.workers"] = std::to_string(t.workers);
    a["theory.ell_hat_workers"] = old_number(t.ell_hat_workers);
  }
  a["theory.applies"] = t.applies_text();
  if (t.step_source == StepSource::kSwitching && t.applies) {
    a["theory.switching_k0"] = old_number(t.switching_k0);
    a["theory.switching_bound"] = old_number(t.switching_bound);
  }
  run.theory.reset();
}

}  // namespace

TEST_CASE("a runs file in sgda 0.1.0's layout gives the same report as in the new one",
          "[theory][report]") {
  const ExperimentPlan plan = parse_experiment(R"([experiment]
title = "layouts"
seeds = [0, 1]
step_sizes = ["theory", "theory*0.5", 0.05]

[problem]
type = "quadratic"
samples = 20
dimension = 2
mu = 0.5
ell = 4.0
seed = 2

[run]
iterations = 600
log_every = 20
step_schedule = "switching"

[[method]]
name = "sgda"
label = "SGDA"

[[method]]
name = "l-svrgda"
label = "L-SVRGDA"

[[method]]
name = "diana-sgda"
label = "DIANA"
workers = 4
compressor = "rand-k"
k = 2
)",
                                               "layouts.toml");
  const std::shared_ptr<Problem> problem = make_problem(plan.runs.front().config);
  ExperimentRuns runs;
  runs.attributes = experiment_attributes(plan, *problem);
  for (const PlannedRun& run : plan.runs) runs.runs.push_back(execute_run(run, *problem));
  ExperimentRuns old_runs = runs;
  for (RunRecord& r : old_runs.runs) write_old_attributes(r);

  TempFile new_file, old_file;
  save_experiment_runs(new_file.path.string(), runs);
  save_experiment_runs(old_file.path.string(), old_runs);
  const ExperimentReport new_report =
      analyse_experiment(load_experiment_runs(new_file.path.string()), "runs.h5");
  const ExperimentReport old_report =
      analyse_experiment(load_experiment_runs(old_file.path.string()), "runs.h5");
  REQUIRE(new_report.groups.size() == 9);
  int checked = 0;
  for (const GroupSummary& g : new_report.groups) checked += g.bound.checked;
  CHECK(checked >= 6);  // switching and theory steps within the theorem; 0.05 may not be
  CHECK(json_report({new_report}) == json_report({old_report}));
}
