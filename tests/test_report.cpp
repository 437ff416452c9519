// Reports: the rate fitter, experiment files and runs files, the report in HTML/CSV/JSON, and the
// paper's findings in examples/experiments/ checked on the JSON the report writes, all through
// the library. The `sgda experiment` and `sgda report` commands: tests/cli/test_report.cpp and
// tests/cli/test_experiment.cpp.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli_helpers.hpp"
#include "fixtures.hpp"
#include "report_helpers.hpp"
#include "sgda/error.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/io/trace_file.hpp"
#include "sgda/report/analysis.hpp"
#include "sgda/report/experiment.hpp"
#include "sgda/report/rate_fit.hpp"
#include "sgda/report/writers.hpp"
#include "sgda/rng.hpp"

using namespace sgda;

namespace {

using sgda::testing::check_html;
using sgda::testing::count;
using sgda::testing::Json;
using sgda::testing::kSmallExperiment;
using sgda::testing::kSource;
using sgda::testing::num;

// Runs an experiment file through the library, as `sgda experiment` does, and analyses it.
ExperimentReport run_experiment(const ExperimentPlan& plan, ExperimentRuns* stored = nullptr) {
  const std::shared_ptr<Problem> problem = make_problem(plan.runs.front().config);
  ExperimentRuns runs;
  runs.attributes = experiment_attributes(plan, *problem);
  for (const PlannedRun& run : plan.runs) runs.runs.push_back(execute_run(run, *problem));
  ExperimentReport report = analyse_experiment(runs, plan.source);
  if (stored) *stored = std::move(runs);
  return report;
}

std::string example(const std::string& name) {
  return (kSource / "examples" / "experiments" / name).string();
}

}  // namespace

// ---- the rate fitter ------------------------------------------------------------------------

TEST_CASE("the rate fitter recovers a noisy geometric rate and the plateau under it", "[report]") {
  // y_k = (q^k + f)·exp(σ ε_k) at k = 0, 10, ..., 10000: a linear phase from 1 down to f = 1e-8
  // (until k ≈ 3700), then a plateau; log-normal noise of σ = 0.1 on every row.
  const double q = 0.995, f = 1e-8, sigma = 0.1;
  Rng rng(7);
  std::vector<double> x, y;
  for (int k = 0; k <= 10000; k += 10) {
    x.push_back(k);
    y.push_back((std::pow(q, k) + f) * std::exp(sigma * rng.normal()));
  }
  const RateFitOptions options;
  const RateFit fit = fit_rate(x, y, options);
  INFO(fit.note << "; window " << fit.x_begin << " to " << fit.x_end << ", contraction "
                << fit.contraction << ", floor " << fit.floor);
  REQUIRE(fit.linear);
  REQUIRE(fit.plateau);

  // Tolerance, derived. Over the window ln y = a + k ln q + δ_k + σ ε_k with
  // δ_k = ln(1 + f/q^k) ≥ 0. The window ends where the (median-smoothed) curve first comes
  // within floor_margin_decades = m of the measured floor, so f/q^k ≤ 10^-m there, times
  // e^{σ²/2} (the floor is a mean of log-normal values) and a 3-sd excursion of the smoothed
  // noise (median of 5: sd ≈ 1.25σ/√5): together at most 1.5·10^-m, so 0 ≤ δ_k ≤
  // ln(1 + 1.5·10^-m). For n rows evenly spread over a width L, least squares turns a
  // perturbation δ into a slope error |Σ(k − k̄)δ_k| / Σ(k − k̄)² ≤ max δ · (nL/4) / (nL²/12)
  // = 3 max δ / L, and the noise into one of standard deviation σ √(12/n) / L. Four standard
  // deviations on top of the bias:
  const double n = double(fit.end - fit.begin), width = fit.x_end - fit.x_begin;
  const double bias = 3.0 * std::log1p(1.5 * std::pow(10.0, -options.floor_margin_decades));
  const double tolerance = (bias + 4.0 * sigma * std::sqrt(12.0 / n)) / width;
  CHECK(std::abs(std::log(fit.contraction) - std::log(q)) <= tolerance);
  // That is a few per cent of ln q here; the window covers most of the linear phase (the
  // curve falls 8 decades to f, the window stops one above the floor).
  CHECK(tolerance <= 0.05 * std::abs(std::log(q)));
  CHECK(fit.decades >= 6.0);
  CHECK(fit.x_begin <= 200);

  // The floor: the mean over the plateau of f·exp(σε) is f·e^{σ²/2} ≈ 1.005 f, up to the
  // sampling error σ/√(rows) ≈ 0.4% and the tail of q^k where the plateau starts (q^k ≤ 0.15 f
  // there, averaging to < 1% over 6000 iterations): within 5%.
  CHECK(fit.floor == Approx(f * std::exp(sigma * sigma / 2)).epsilon(0.05));
  CHECK(fit.plateau_begin * 10 >= 3000);
  CHECK(fit.plateau_begin * 10 <= 4500);
}

TEST_CASE("the rate fitter is exact on a noiseless geometric sequence without a plateau",
          "[report]") {
  std::vector<double> x, y;
  for (int k = 0; k <= 2000; k += 5) {
    x.push_back(k);
    y.push_back(3.0 * std::pow(0.99, k));
  }
  const RateFit fit = fit_rate(x, y);
  REQUIRE(fit.linear);
  CHECK_FALSE(fit.plateau);
  CHECK(fit.contraction == Approx(0.99).epsilon(1e-12));
  CHECK(fit.x_begin == 0);
  CHECK(fit.x_end == 2000);
  CHECK(std::isnan(fit.floor));
}

TEST_CASE("the rate fitter says when there is no linear phase", "[report]") {
  Rng rng(3);
  std::vector<double> x, y;
  SECTION("stationary noise: a plateau from the start") {
    for (int k = 0; k < 500; ++k) x.push_back(k), y.push_back(1e-3 * std::exp(0.5 * rng.normal()));
    const RateFit fit = fit_rate(x, y);
    CHECK_FALSE(fit.linear);
    CHECK(fit.note.rfind("no linear phase", 0) == 0);
    CHECK(fit.plateau);
    CHECK(fit.floor == Approx(1e-3 * std::exp(0.125)).epsilon(0.15));
  }
  SECTION("a growing curve") {
    for (int k = 0; k < 500; ++k) x.push_back(k), y.push_back(std::exp(0.01 * k));
    const RateFit fit = fit_rate(x, y);
    CHECK_FALSE(fit.linear);
    CHECK(fit.note == "no linear phase: the curve does not decrease");
    CHECK(fit.contraction > 1.0);
  }
  SECTION("a fall of a third of a decade before a noisy floor") {
    for (int k = 0; k < 1000; ++k)
      x.push_back(k), y.push_back(std::pow(10.0, -0.3 * std::min(1.0, k / 100.0)) *
                                  std::exp(0.05 * rng.normal()));
    const RateFit fit = fit_rate(x, y);
    CHECK_FALSE(fit.linear);
    CHECK(fit.note.rfind("no linear phase", 0) == 0);
    CHECK(fit.plateau);
  }
  SECTION("too few points, zeros and NaN") {
    x = {0, 1, 2, 3, 4, 5, 6, 7};
    y = {1, 0.5, NAN, 0, -1, 0.1, INFINITY, 0.01};
    const RateFit fit = fit_rate(x, y);
    CHECK_FALSE(fit.linear);
    CHECK(fit.note == "no linear phase: only 4 positive points");
  }
  SECTION("a random walk") {
    double z = 0;
    for (int k = 0; k < 2000; ++k) x.push_back(k), y.push_back(std::exp(z += 0.05 * rng.normal()));
    const RateFit fit = fit_rate(x, y);
    INFO(fit.note);
    // Whatever it finds, it never claims a clean linear decline of a walk without drift.
    CHECK((!fit.linear || fit.decades < 3.0));
  }
}

// ---- the verdict -----------------------------------------------------------------------------

namespace {

// A runs file in memory with one run whose theory says r_k ≤ 0.9^k + 0.01 and whose trace
// follows `values` at iterations 0, 1, 2, ...
ExperimentRuns synthetic_run(const std::vector<double>& values, const std::string& applies) {
  ExperimentRuns runs;
  runs.attributes = {{"experiment.title", "synthetic"}, {"experiment.target", "1e-3"}};
  RunRecord r;
  r.settings = {{"experiment.label", "m"},      {"experiment.step", "theory"},
                {"experiment.seed", "0"},       {"experiment.key", "k"},
                {"method.name", "sgda"},        {"termination", "iteration limit"},
                {"run.step_schedule", "theory"}};
  Theory& t = r.theory.emplace();
  t.contraction = 0.9;
  t.neighbourhood = 0.02;
  t.initial_distance = 2;
  t.relative_neighbourhood = 0.01;
  t.initial_lyapunov = 2;
  t.applies = applies == "yes";
  if (!t.applies) t.why_not = applies.substr(4);  // after "no: "
  t.gamma = 0.1;
  t.theory_step_size = 0.1;
  for (std::size_t k = 0; k < values.size(); ++k) {
    Trace& t = r.trace;
    t.iteration.push_back(std::int64_t(k));
    t.sample_evaluations.push_back(std::int64_t(k));
    t.coordinate_evaluations.push_back(0);
    t.epochs.push_back(double(k) / 10);
    t.bits.push_back(0);
    t.wall_time.push_back(1e-3 * double(k));
    t.relative_distance_sq.push_back(values[k]);
    t.residual_sq.push_back(values[k]);
    t.step_size.push_back(0.1);
  }
  runs.runs.push_back(std::move(r));
  return runs;
}

}  // namespace

TEST_CASE(
    "the verdict says whether a curve stays within the theorem's bound, and by how much "
    "it breaks it",
    "[report]") {
  std::vector<double> slow, fast;
  double worst = 0, at = 0;
  for (int k = 0; k <= 60; ++k) {
    slow.push_back(std::pow(0.95, k));
    fast.push_back(0.5 * std::pow(0.8, k));
    const double ratio = std::pow(0.95, k) / (std::pow(0.9, k) + 0.01);
    if (k > 0 && ratio > worst) worst = ratio, at = k;
  }
  const ExperimentReport broken = analyse_experiment(synthetic_run(slow, "yes"), "s.h5");
  REQUIRE(broken.groups.size() == 1);
  const BoundCheck& b = broken.groups[0].bound;
  CHECK(b.checked);
  CHECK_FALSE(b.within);
  CHECK(b.worst_ratio == Approx(worst).epsilon(1e-12));
  CHECK(b.worst_iteration == at);
  char expected[96];
  std::snprintf(expected, sizeof expected, "breaks it: %.3gx the bound at iteration %.0f", worst,
                at);
  CHECK(b.verdict == expected);
  CHECK(broken.groups[0].bound_curve.size() == 61);
  CHECK(broken.groups[0].bound_curve[10] == Approx(std::pow(0.9, 10) + 0.01));

  const ExperimentReport within = analyse_experiment(synthetic_run(fast, "yes"), "s.h5");
  CHECK(within.groups[0].bound.within);
  CHECK(within.groups[0].bound.verdict.rfind("within (at most 0.", 0) == 0);
  CHECK(within.groups[0].target.reached == 1);
  CHECK(within.groups[0].target.iterations == 28);  // first k with 0.5·0.8^k ≤ 1e-3

  fast[30] = NAN;  // a run that went non-finite
  CHECK_FALSE(analyse_experiment(synthetic_run(fast, "yes"), "s.h5").groups[0].bound.within);

  const ExperimentReport outside = analyse_experiment(
      synthetic_run(slow, "no: gamma = 0.2 exceeds the theory step 0.1"), "s.h5");
  CHECK_FALSE(outside.groups[0].bound.checked);
  CHECK(outside.groups[0].bound.verdict ==
        "not checked: outside the theorem: gamma = 0.2 exceeds the theory step 0.1");
  CHECK(outside.groups[0].bound_curve.empty());
}

TEST_CASE("the JSON report: text escaped, numbers exact, non-finite null, fields in order",
          "[report]") {
  std::vector<double> values;
  for (int k = 0; k <= 40; ++k) values.push_back(std::pow(0.8, k));
  ExperimentReport report = analyse_experiment(synthetic_run(values, "yes"), "s.h5");
  report.title = "quote \" backslash \\ newline \n tab \t bell \x07 accent \xc3\xa9";
  report.description = "not UTF-8: \xff.";
  REQUIRE(report.groups.size() == 1);
  GroupSummary& g = report.groups[0];
  g.A = INFINITY;
  g.B = -INFINITY;
  g.gamma = 0.1 + 0.2;  // 0.30000000000000004: every digit matters
  g.C = -0.0;
  const std::string text = json_report({report});

  const nlohmann::ordered_json json = nlohmann::ordered_json::parse(text);  // strict: throws
  const auto& e = json.at("experiments").at(0);
  CHECK(e.at("title").get<std::string>() == report.title);
  CHECK(e.at("description").get<std::string>() == "not UTF-8: \xef\xbf\xbd.");  // U+FFFD
  const auto& group = e.at("groups").at(0);
  CHECK(group.at("A").is_null());
  CHECK(group.at("B").is_null());
  CHECK(group.at("omega").is_null());  // NaN: no compressor
  CHECK(group.at("gamma").get<double>() == 0.1 + 0.2);
  CHECK(std::signbit(group.at("C").get<double>()));
  // Whole numbers are written as integers, as counts read: "iterations": 40, not 40.0.
  CHECK(group.at("runs").at(0).at("iterations").is_number_integer());
  CHECK(text.find("\"iterations\": 40,") != std::string::npos);
  CHECK(text.find("\"gamma\": 0.30000000000000004,") != std::string::npos);
  // The documented order of fields (docs/reports.md), not alphabetical.
  std::vector<std::string> keys;
  for (const auto& item : json.items()) keys.push_back(item.key());
  CHECK(keys == std::vector<std::string>{"sgda_version", "columns", "experiments"});
  keys.clear();
  for (const auto& item : group.items()) keys.push_back(item.key());
  REQUIRE(keys.size() >= 3);
  CHECK(std::vector<std::string>(keys.begin(), keys.begin() + 3) ==
        std::vector<std::string>{"label", "step", "method"});
  CHECK(keys.back() == "runs");
  CHECK(text.back() == '\n');
}

TEST_CASE(
    "further trace columns: a curve and final values per group, a log or linear plot each, "
    "columns in the CSV and JSON",
    "[report]") {
  std::vector<double> values;
  for (int k = 0; k <= 40; ++k) values.push_back(std::pow(0.8, k));
  ExperimentRuns runs = synthetic_run(values, "yes");
  runs.runs.push_back(runs.runs.front());  // a second seed of the same group
  runs.runs[1].settings["experiment.seed"] = "1";
  runs.runs[1].settings["experiment.key"] = "k1";
  std::vector<double> modes[2], error;
  for (int k = 0; k <= 40; ++k) {
    modes[0].push_back(std::min(8, k / 4));
    modes[1].push_back(std::min(7, k / 5));
    error.push_back(std::pow(0.7, k));  // 6 decades: a log scale
  }
  runs.runs[0].trace.extra = {{"modes_covered", modes[0]}, {"error", error}};
  runs.runs[1].trace.extra = {{"modes_covered", modes[1]}};  // a run without "error"
  runs.runs[1].trace.extra[0].values.resize(40);             // and one row short: cut to 40 rows
  for (auto* column : {&runs.runs[1].trace.iteration, &runs.runs[1].trace.sample_evaluations,
                       &runs.runs[1].trace.coordinate_evaluations, &runs.runs[1].trace.bits})
    column->resize(40);
  for (auto* column : {&runs.runs[1].trace.epochs, &runs.runs[1].trace.wall_time,
                       &runs.runs[1].trace.relative_distance_sq, &runs.runs[1].trace.residual_sq,
                       &runs.runs[1].trace.step_size})
    column->resize(40);

  const ExperimentReport report = analyse_experiment(runs, "s.h5");
  CHECK(report.extra_columns == std::vector<std::string>{"modes_covered", "error"});
  REQUIRE(report.groups.size() == 1);
  const GroupSummary& g = report.groups[0];
  REQUIRE(g.extras.size() == 2);
  const Curve& m = g.extras[0].curve;
  REQUIRE(m.x.size() == 40);  // the rows both runs have
  CHECK(m.x[39] == 39);
  CHECK(m.mean[39] == 8.0 / 2 + 7.0 / 2);
  CHECK(m.low[39] == 7);
  CHECK(m.high[39] == 8);
  CHECK(g.extras[0].final_value == 7.5);
  CHECK(std::isnan(g.extras[1].final_value));  // one run lacks it
  CHECK(g.extras[1].curve.low[10] == error[10]);
  CHECK(g.runs[0].extra_final == std::vector<double>{8, error[40]});
  CHECK(g.runs[1].extra_final[0] == 7);
  CHECK(std::isnan(g.runs[1].extra_final[1]));

  const std::string html = html_report({report});
  CHECK(check_html(html) == "");
  CHECK(count(html, "<svg xmlns") == 3 + 2);
  CHECK(count(html, "<title>modes_covered vs iterations</title>") == 1);
  CHECK(count(html, "<title>error vs iterations</title>") == 1);
  // Counts on a linear axis from 0, the error over its decades.
  CHECK(count(html,
              "rotate(-90)\" text-anchor=\"middle\" font-size=\"12\" fill=\"#333\">"
              "modes_covered</text>") == 1);
  CHECK(count(html, ">error (log scale)</text>") == 1);
  CHECK(count(html, "text-anchor=\"end\">0</text>") == 1);
  CHECK(count(html, "text-anchor=\"end\">8</text>") == 1);
  CHECK(count(html, "<th>modes_covered</th>") == 2);  // the final values and every run
  CHECK(count(html, "<td>7.5 (7&#8211;8)</td>") == 1);

  const std::string csv = csv_report({report});
  CHECK(
      csv.substr(0, csv.find('\n')).find(",epochs_per_iteration,noise_scale,final_modes_covered,final_error") !=
      std::string::npos);
  CHECK(csv.substr(csv.size() - 6) == ",7.5,\n");

  const Json json = Json::parse(json_report({report}));
  const Json& e = json.at("experiments").at(0);
  REQUIRE(e.at("extra_columns").size() == 2);
  CHECK(e.at("extra_columns").at(1).get<std::string>() == "error");
  const Json& group = e.at("groups").at(0);
  CHECK(num(group.at("extra").at("modes_covered")) == 7.5);
  CHECK(num(group.at("extra_min").at("modes_covered")) == 7);
  CHECK(num(group.at("extra_max").at("modes_covered")) == 8);
  CHECK(group.at("extra").at("error").is_null());
  CHECK(num(group.at("runs").at(0).at("extra").at("error")) == error[40]);
  CHECK(group.at("runs").at(1).at("extra").at("error").is_null());
  CHECK(json.at("columns").back().get<std::string>() == "final_error");
}

TEST_CASE(
    "where x* is unknown (training), further trace columns are plotted against epochs and wall "
    "time too",
    "[report]") {
  std::vector<double> values;
  for (int k = 0; k <= 40; ++k) values.push_back(std::pow(0.8, k));
  ExperimentRuns runs = synthetic_run(values, "yes");
  Trace& t = runs.runs[0].trace;
  std::vector<double> accuracy;
  for (int k = 0; k <= 40; ++k) accuracy.push_back(0.1 + 0.02 * k);
  t.extra = {{"test_accuracy", accuracy}};
  t.relative_distance_sq.assign(t.size(), std::nan(""));  // a training run: no x*

  const ExperimentReport report = analyse_experiment(runs, "s.h5");
  CHECK(report.metric == "residual_sq");
  const std::string html = html_report({report});
  CHECK(check_html(html) == "");
  CHECK(count(html, "<svg xmlns") == 3 + 3);  // the residual and the column, 3 axes each
  for (const char* axis : {"iterations", "epochs", "wall time"})
    CHECK(count(html, std::string("<title>test_accuracy vs ") + axis + "</title>") == 1);
  CHECK(count(html, "<title>test_accuracy vs bits</title>") == 0);  // nothing sent

  // Where x* is known the columns stay against iterations only (the test above).
  runs.runs[0].trace.relative_distance_sq = values;
  const std::string known = html_report({analyse_experiment(runs, "s.h5")});
  CHECK(count(known, "<title>test_accuracy vs epochs</title>") == 0);
}

// ---- experiment files -------------------------------------------------------------------------

TEST_CASE("an experiment file expands into its grid", "[report]") {
  const ExperimentPlan plan = parse_experiment(kSmallExperiment, "small.toml");
  CHECK(plan.title == "small");
  CHECK(plan.target == 1e-4);
  REQUIRE(plan.runs.size() == 12);  // (2 samplings + DIANA) × 2 steps × 2 seeds
  std::set<std::string> labels, keys;
  for (const PlannedRun& run : plan.runs) {
    labels.insert(run.label);
    keys.insert(run.key);
  }
  CHECK(labels ==
        std::set<std::string>{"sgda (sampling=uniform)", "sgda (sampling=importance)", "DIANA"});
  CHECK(keys.size() == 12);
  const PlannedRun& half = plan.runs[2];
  CHECK(half.label == "sgda (sampling=uniform)");
  CHECK(half.step == "theory*0.5");
  CHECK(half.seed == 3);
  CHECK(half.config.solver.step_size.rule == sgda::StepSizeRule::kTheory);
  CHECK(half.config.solver.step_size.factor == 0.5);
  CHECK(half.config.solver.seed == 3);
  CHECK(plan.runs.back().config.estimator.workers == 4);
  CHECK(plan.runs.back().config.estimator.compressor.k == 2);

  const ExperimentPlan constant = parse_experiment(
      "[experiment]\nstep_sizes = [0.01, \"theory*2\"]\nseeds = 2\n" +
          std::string("[problem]\ntype = \"quadratic\"\n[method]\nname = \"sgda\"\n"),
      "c.toml");
  REQUIRE(constant.runs.size() == 4);
  CHECK(constant.runs[0].step == "0.01");
  CHECK(constant.runs[0].config.solver.step_size.rule == sgda::StepSizeRule::kConstant);
  CHECK(constant.runs[0].config.solver.step_size.gamma == 0.01);
  CHECK(constant.runs[1].seed == 1);
  CHECK(constant.runs[2].step == "theory*2");
}

TEST_CASE("a method may set its own scheme and step rule, also as grid axes", "[report]") {
  const ExperimentPlan plan = parse_experiment(R"([experiment]
step_sizes = [0.1]
[problem]
type = "dirac-gan"
[run]
scheme = "alternating"
[step]
rule = "momentum"
[[method]]
name = "sgda"
label = "plain"
[[method]]
name = "sgda"
scheme = ["simultaneous", "extragradient"]
[[method]]
name = "sgda"
label = "optimistic"
step = "optimistic"
[[method]]
name = "sgda"
label = "nesterov"
step = "nesterov"
)",
                                               "s.toml");
  REQUIRE(plan.runs.size() == 5);
  std::map<std::string, const RunConfig*> config;
  for (const PlannedRun& run : plan.runs) config[run.label] = &run.config;
  REQUIRE(config.size() == 5);
  // The experiment's [run] and [step] where a method sets nothing; its own keys where it does.
  CHECK(config.at("plain")->solver.scheme == sgda::Scheme::kAlternating);
  CHECK(config.at("plain")->step.all.rule.rule == sgda::StepRuleType::kMomentum);
  CHECK(config.at("sgda (scheme=simultaneous)")->solver.scheme == sgda::Scheme::kSimultaneous);
  CHECK(config.at("sgda (scheme=extragradient)")->solver.scheme == sgda::Scheme::kExtragradient);
  CHECK(config.at("sgda (scheme=extragradient)")->step.all.rule.rule ==
        sgda::StepRuleType::kMomentum);
  CHECK(config.at("optimistic")->step.all.rule.rule == sgda::StepRuleType::kOptimistic);
  CHECK(config.at("optimistic")->solver.scheme == sgda::Scheme::kAlternating);
  CHECK(config.at("nesterov")->step.all.rule.rule == sgda::StepRuleType::kNesterov);
  CHECK(config.at("sgda (scheme=extragradient)")->origin.at("run.scheme") == "s.toml:14");
  CHECK(config.at("optimistic")->origin.at("step.rule") == "s.toml:18");
}

TEST_CASE("a method may set its own learning-rate schedule, also as a grid axis",
          "[report][schedule]") {
  const ExperimentPlan plan = parse_experiment(R"([experiment]
step_sizes = [0.1, "theory"]
[problem]
type = "quadratic"
[run]
iterations = 1000
warmup_iterations = 50
[[method]]
name = "sgda"
label = "plain"
[[method]]
name = "sgda"
step_decay = ["polynomial", "cosine"]
decay_end = 0.1
)",
                                               "s.toml");
  REQUIRE(plan.runs.size() == 2 * 3);
  using sgda::StepDecay;
  CHECK(plan.runs[0].label == "plain");
  CHECK(plan.runs[0].config.solver.step_size.decay == StepDecay::kConstant);
  CHECK(plan.runs[0].config.solver.step_size.warmup_iterations == 50);  // the experiment's [run]
  int polynomial = 0, cosine = 0;
  for (const PlannedRun& run : plan.runs) {
    if (run.label == "plain") continue;
    INFO(run.label << ", step " << run.step);
    const sgda::StepSizeOptions& s = run.config.solver.step_size;
    CHECK(run.label.find("step_decay=" + sgda::to_string(s.decay)) != std::string::npos);
    polynomial += s.decay == StepDecay::kPolynomial;
    CHECK(s.decay_end == 0.1);
    cosine += s.decay == StepDecay::kCosine;
    CHECK(s.rule ==
          (run.step == "theory" ? sgda::StepSizeRule::kTheory : sgda::StepSizeRule::kConstant));
    CHECK(s.warmup_iterations == 50);  // the experiment's [run]
    CHECK(run.config.origin.at("run.step_decay") == "s.toml:13");
  }
  CHECK(polynomial == 2);
  CHECK(cosine == 2);
  // decay_rate applies to exponential only: the cosine variant refuses it at its line.
  CHECK_THROWS_WITH(parse_experiment(R"([problem]
type = "quadratic"
[[method]]
name = "sgda"
step_decay = ["exponential", "cosine"]
decay_rate = 0.99
)",
                                     "e.toml"),
                    Catch::StartsWith("e.toml:6: method.decay_rate: applies only to step_decay = "
                                      "\"exponential\" (here step_decay = \"cosine\""));
  const ExperimentPlan restarts = parse_experiment(R"([problem]
type = "quadratic"
[[method]]
name = "sgda"
step_decay = "cosine"
restart_period = [100, 200]
)",
                                                   "c.toml");
  REQUIRE(restarts.runs.size() == 2);
  CHECK(restarts.runs[0].config.solver.step_size.restart_period == 100);
  CHECK(restarts.runs[1].config.solver.step_size.restart_period == 200);
  CHECK(restarts.runs[0].key != restarts.runs[1].key);
}

TEST_CASE("a method may set its own step-rule options, also as grid axes", "[report][steps]") {
  // momentum x delay: the Async-MSGD grid (examples/experiments/async_pca.toml).
  const ExperimentPlan plan = parse_experiment(R"([experiment]
step_sizes = [0.01]
[problem]
type = "quadratic"
[step]
rule = "momentum"
momentum = 0.5
dampening = 0.1
[[method]]
name = "sgda"
label = "plain"
[[method]]
name = "sgda"
label = "async"
momentum = [0.0, 0.9]
delay = [0, 4, 16]
)",
                                               "m.toml");
  REQUIRE(plan.runs.size() == 1 + 2 * 3);
  const sgda::StepRuleOptions plain = plan.runs[0].config.step.all.rule;
  CHECK(plain.rule == sgda::StepRuleType::kMomentum);
  CHECK(plain.momentum == 0.5);
  CHECK(plain.dampening == 0.1);
  std::set<std::pair<double, sgda::Index>> grid;
  for (std::size_t i = 1; i <= 6; ++i) {
    const PlannedRun& run = plan.runs[i];
    INFO(run.label);
    const sgda::StepRuleOptions& r = run.config.step.all.rule;
    CHECK(r.rule == sgda::StepRuleType::kMomentum);
    CHECK(r.dampening == 0.1);  // the experiment's [step] stays
    grid.insert({r.momentum, run.config.estimator.delay});
    CHECK(run.label == "async (delay=" + std::to_string(run.config.estimator.delay) +
                           ", momentum=" + sgda::format_number(r.momentum) + ")");
    CHECK(run.config.origin.at("step.momentum") == "m.toml:15");
  }
  CHECK(grid.size() == 6);
  CHECK(grid.count({0.9, 16}) == 1);
  // With the method's own rule (the [step] options must apply to it too).
  const ExperimentPlan adam = parse_experiment(R"([problem]
type = "quadratic"
[[method]]
name = "sgda"
step = "adam"
beta1 = 0.8
)",
                                               "a.toml");
  REQUIRE(adam.runs.size() == 1);
  CHECK(adam.runs[0].config.step.all.rule.rule == sgda::StepRuleType::kAdam);
  CHECK(adam.runs[0].config.step.all.rule.beta1 == 0.8);
  CHECK(adam.runs[0].label == "sgda (beta1=0.8, step=adam)");
  // Errors name the method's key at its line; a key of both tables (alpha) is the method's.
  const std::string problem = "[problem]\ntype = \"quadratic\"\n";
  CHECK_THROWS_WITH(
      parse_experiment(problem + "[[method]]\nname = \"sgda\"\nstep = \"momentum\"\n"
                                 "momentum = [0.5, 1.5]\n",
                       "e.toml"),
      Catch::StartsWith("e.toml:6: method.momentum: must be a number in [0, 1), got 1.5"));
  CHECK_THROWS_WITH(
      parse_experiment(problem + "[[method]]\nname = \"sgda\"\nbeta1 = 0.8\n", "e.toml"),
      Catch::StartsWith("e.toml:5: method.beta1: applies only to rule = "));
  CHECK_THROWS_WITH(parse_experiment(problem + "[step]\nrule = \"rmsprop\"\n[[method]]\nname = "
                                               "\"sgda\"\nalpha = 0.5\n",
                                     "e.toml"),
                    Catch::StartsWith("e.toml:7: method.alpha: applies only to name = "));
}

TEST_CASE("a method may scale its step with its batch size, over a grid of batch sizes",
          "[report][schedule]") {
  const ExperimentPlan plan = parse_experiment(R"([experiment]
step_sizes = [0.01]
[problem]
type = "quadratic"
samples = 512
[run]
epochs = 2
warmup_epochs = 0.5
[[method]]
name = "sgda"
sampling = "nice"
batch_size = [64, 256]
batch_scaling = "sqrt"
reference_batch_size = 64
label = "scaled"
)",
                                               "b.toml");
  REQUIRE(plan.runs.size() == 2);
  const std::shared_ptr<sgda::Problem> problem = sgda::make_problem(plan.runs[0].config);
  std::vector<sgda::SolverOptions> options;
  for (const PlannedRun& run : plan.runs) {
    INFO(run.label);
    check_planned_run(run, *problem);
    options.push_back(sgda::solver_options(run.config, *problem));
    CHECK(run.config.origin.at("run.batch_scaling") == "b.toml:13");
  }
  // 512/64 = 8 and 512/256 = 2 iterations per epoch; the step scaled by sqrt(256/64) = 2.
  CHECK(options[0].max_iterations == 16);
  CHECK(options[1].max_iterations == 4);
  CHECK(options[0].step_size.warmup_iterations == 4);
  CHECK(options[1].step_size.warmup_iterations == 1);
  CHECK(options[0].step_size.gamma == 0.01);
  CHECK(options[1].step_size.gamma == Approx(0.02).epsilon(1e-15));
  // A theory step cannot be scaled: refused before anything runs, at the method's line.
  const ExperimentPlan theory = parse_experiment(R"([problem]
type = "quadratic"
[[method]]
name = "sgda"
batch_scaling = "linear"
)",
                                                 "t.toml");
  CHECK_THROWS_WITH(
      check_planned_run(theory.runs[0], *problem),
      Catch::StartsWith("t.toml:5: run.batch_scaling: accepted only with a constant"));
}

TEST_CASE("experiment-file errors are one line naming the file, line and field", "[report]") {
  const std::string problem = "[problem]\ntype = \"quadratic\"\n";
  auto error = [&](const std::string& text) {
    try {
      parse_experiment(text, "e.toml");
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(error("[experiment]\nseed = [1]\n" + problem + "[[method]]\nname = \"sgda\"\n") ==
        "e.toml:2: experiment.seed: unknown key (did you mean \"seeds\"?); accepted keys: "
        "title, description, seeds, step_sizes, target");
  CHECK(error("[experiment]\nstep_sizes = [\"theroy\"]\n" + problem +
              "[[method]]\nname = \"sgda\"\n") ==
        "e.toml:2: experiment.step_sizes: unknown \"theroy\"; accepted an array of \"theory\", "
        "\"theory*F\" (F > 0 scales the theory step) or numbers > 0 (constant steps)");
  CHECK(error(problem + "[run]\nseed = 3\n[[method]]\nname = \"sgda\"\n") ==
        "e.toml:4: run.seed: does not apply to experiment files: experiment.seeds sets the seeds");
  // The problem-file parser checks the methods and keeps the experiment file's lines.
  CHECK(error(problem + "\n[[method]]\nname = \"sgda\"\n\n[[method]]\nname = \"l-svrgda\"\n"
                        "sampling = \"uniform\"\n") ==
        "e.toml:9: method.sampling: applies only to name = \"sgda\" (here name = \"l-svrgda\", "
        "whose keys are probability)");
  CHECK(error(problem + "[[method]]\nname = \"sgda\"\nsampling = [\"uniform\", \"importanse\"]\n")
            .rfind("e.toml:5: method.sampling: unknown \"importanse\" (did you mean "
                   "\"importance\"?)",
                   0) == 0);
  CHECK(error(problem) ==
        "e.toml: method: missing; accepted one [[method]] table per method to compare");
  CHECK(error("[experiment]\nseeds = [1, 1]\n" + problem + "[[method]]\nname = \"sgda\"\n")
            .rfind("e.toml:2: experiment.seeds: has 1 twice", 0) == 0);
  CHECK(error(problem + "[[method]]\nname = \"sgda\"\n[[method]]\nname = \"sgda\"\n")
            .find("two methods have the label \"sgda\"") != std::string::npos);
  CHECK(error("[experimnet]\n" + problem + "[[method]]\nname = \"sgda\"\n")
            .rfind("e.toml:1: experimnet: unknown table (did you mean \"experiment\"?)", 0) == 0);
  // A method's own scheme and step rule are checked as [run] scheme and [step] rule are, and
  // named as the method's keys.
  CHECK(error(problem + "[[method]]\nname = \"sgda\"\nscheme = \"extragradiant\"\n") ==
        "e.toml:5: method.scheme: unknown \"extragradiant\" (did you mean \"extragradient\"?); "
        "accepted: simultaneous, alternating, extragradient, extragradient-same-sample");
  CHECK(error(problem + "[[method]]\nname = \"sgda\"\nscheme = [\"alternating\", 2]\n") ==
        "e.toml:5: method.scheme: must be a string, got the integer 2");
  CHECK(error(problem + "[[method]]\nname = \"sgda\"\nstep = \"adamm\"\n") ==
        "e.toml:5: method.step: unknown \"adamm\" (did you mean \"adam\"?); accepted: prox, "
        "sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw, nadam, lars, lamb, mbf, kfac, "
        "optimistic");
  CHECK(error(problem + "[[method]]\nname = \"sgda\"\nstep = { rule = \"adam\" }\n") ==
        "e.toml:5: method.step: must be a string naming a step rule, got a table; accepted prox, "
        "sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw, nadam, lars, lamb, mbf, kfac, "
        "optimistic "
        "(the rule's options go in [step] or beside step)");
  CHECK(error(problem + "[step]\nmomentum = 0.5\n[[method]]\nname = \"sgda\"\nstep = \"adam\"\n") ==
        "e.toml:4: step.momentum: applies only to rule = \"momentum\" or \"nesterov\" or "
        "\"lars\" or \"mbf\" or \"kfac\" or \"rmsprop\" (here rule = \"adam\", whose keys are "
        "beta1, beta2, epsilon, "
        "weight_decay, decoupled_weight_decay, amsgrad, no_decay)");
}

// ---- the paper's findings, on the examples' JSON ----------------------------------------------

namespace {

// The report of one example experiment, as JSON, with its groups by label.
struct Findings {
  Json json;
  std::map<std::string, const Json*> groups;
  const Json& operator[](const std::string& label) const {
    const auto it = groups.find(label);
    if (it == groups.end()) throw std::runtime_error("no group " + label);
    return *it->second;
  }
};

Findings findings(const std::string& file) {
  const ExperimentReport report = run_experiment(load_experiment(example(file)));
  Findings f;
  f.json = Json::parse(json_report({report}));
  for (const Json& g : f.json.at("experiments").at(0).at("groups"))
    f.groups[g.at("label").get<std::string>()] = &g;
  // At theory steps every group's mean, and every single run, lies within its theorem's bound.
  for (const auto& [label, g] : f.groups) {
    INFO(file << ": " << label << ": " << (*g).at("bound").at("verdict").get<std::string>());
    CHECK((*g).at("step").get<std::string>() == "theory");
    CHECK((*g).at("theory_applies").get<std::string>() == "yes");
    CHECK((*g).at("bound").at("checked").get<bool>());
    CHECK((*g).at("bound").at("within").get<bool>());
    for (const Json& r : (*g).at("runs")) CHECK(r.at("bound").at("within").get<bool>());
  }
  return f;
}

double target_iterations(const Json& g) { return num(g.at("target").at("iterations")); }

}  // namespace

TEST_CASE("(a) importance sampling beats uniform sampling for SGDA", "[report][findings]") {
  const Findings f = findings("importance.toml");
  const Json& uniform = f["sgda (sampling=uniform)"];
  const Json& importance = f["sgda (sampling=importance)"];
  // About twice the theory step (l_D halves: mean L_i^2 / (mean L_i)^2 ≈ 2 on this game) ...
  CHECK(num(importance.at("theory_gamma")) >= 1.8 * num(uniform.at("theory_gamma")));
  // ... and so about twice as fast: a steeper linear phase, half the iterations to 1e-5.
  REQUIRE(uniform.at("fit").at("linear").get<bool>());
  REQUIRE(importance.at("fit").at("linear").get<bool>());
  const double speedup = std::log(num(importance.at("fit").at("contraction"))) /
                         std::log(num(uniform.at("fit").at("contraction")));
  CHECK(speedup >= 1.5);
  CHECK(num(importance.at("target").at("reached")) == 3);
  CHECK(num(uniform.at("target").at("reached")) == 3);
  CHECK(target_iterations(importance) <= 0.67 * target_iterations(uniform));
  // The neighbourhood bound γ²D1/(γμ) = γ·2σ*²/μ is the same for both (γ doubles, σ*² halves),
  // and so are the measured floors, within their noise: no smaller neighbourhood here.
  CHECK(num(importance.at("neighbourhood")) ==
        Approx(num(uniform.at("neighbourhood"))).epsilon(0.01));
  CHECK(num(importance.at("measured_floor")) ==
        Approx(num(uniform.at("measured_floor"))).epsilon(0.3));
}

TEST_CASE("(b) L-SVRGDA reaches the solution while SGDA stalls, with and without l1 + l-inf",
          "[report][findings]") {
  for (const char* file : {"variance_reduction.toml", "variance_reduction_l1_linf.toml"}) {
    INFO(file);
    const Findings f = findings(file);
    const Json& sgda = f["SGDA"];
    const Json& svrg = f["L-SVRGDA"];
    for (const Json& r : svrg.at("runs")) {
      CHECK(r.at("termination").get<std::string>() == "converged");
      CHECK(num(r.at("final_value")) <= 1e-10);
    }
    CHECK(svrg.at("fit").at("linear").get<bool>());
    CHECK(num(svrg.at("target").at("reached")) == 3);
    CHECK(num(sgda.at("target").at("reached")) == 0);
    CHECK(sgda.at("fit").at("plateau").get<bool>());
    CHECK(num(sgda.at("measured_floor")) >= 1e-3);
    for (const Json& r : sgda.at("runs"))
      CHECK(r.at("termination").get<std::string>() == "iteration limit");
  }
}

TEST_CASE(
    "(c) with stochastic local operators only VR-DIANA-SGDA reaches the solution, "
    "compression cuts bits per iteration, bits to accuracy as measured",
    "[report][findings]") {
  const Findings f = findings("distributed.toml");
  const Json& vr = f["VR-DIANA-SGDA, rand-4"];
  for (const Json& r : vr.at("runs")) CHECK(num(r.at("final_value")) <= 1e-10);
  CHECK(num(vr.at("target").at("reached")) == 3);
  const double plain = num(f["SGDA (uncompressed)"].at("bits_per_iteration"));
  CHECK(plain == 5 * 20 * 64);  // 5 workers, 20 values of 64 bits
  for (const char* label : {"SGDA (uncompressed)", "QSGDA, rand-4", "DIANA-SGDA, rand-4"}) {
    INFO(label);
    CHECK(num(f[label].at("target").at("reached")) == 0);
    CHECK(num(f[label].at("measured_floor")) >= 1e-3);
  }
  for (const char* label : {"QSGDA, rand-4", "DIANA-SGDA, rand-4", "VR-DIANA-SGDA, rand-4"}) {
    INFO(label);
    CHECK(num(f[label].at("bits_per_iteration")) == 5 * 4 * (5 + 64));  // 4 indices and values
    CHECK(num(f[label].at("bits_per_iteration")) <= plain / 4);
  }

  // Exact local operators, 5 workers: DIANA-SGDA reaches x*, QSGDA stalls (heterogeneity), and
  // bits to 1e-6 come out about even with the uncompressed method: its theory step is ~6x
  // smaller, its payload 4.6x. 100 similar workers: DIANA needs several times fewer bits.
  const Findings exact = findings("distributed_exact.toml");
  CHECK(num(exact["QSGDA, rand-4"].at("target").at("reached")) == 0);
  CHECK(num(exact["QSGDA, rand-4"].at("measured_floor")) >= 1e-4);
  for (const char* label : {"SGDA (uncompressed)", "DIANA-SGDA, rand-4", "VR-DIANA-SGDA, rand-4"})
    CHECK(num(exact[label].at("target").at("reached")) == 3);
  const double few = num(exact["SGDA (uncompressed)"].at("target").at("bits")) /
                     num(exact["DIANA-SGDA, rand-4"].at("target").at("bits"));
  const Findings many = findings("distributed_many_workers.toml");
  const double lots = num(many["SGDA (uncompressed)"].at("target").at("bits")) /
                      num(many["DIANA-SGDA, rand-4"].at("target").at("bits"));
  INFO("bits to 1e-6, uncompressed / DIANA rand-4: 5 workers " << few << ", 100 workers " << lots);
  CHECK(few <= 1.5);
  CHECK(lots >= 3.0);
}

TEST_CASE("(d) SEGA-SGDA reaches the solution where coordinate SGDA stalls", "[report][findings]") {
  const Findings f = findings("coordinate.toml");
  const Json& sega = f["SEGA-SGDA"];
  const Json& coordinate = f["coordinate SGDA"];
  for (const Json& r : sega.at("runs")) {
    CHECK(r.at("termination").get<std::string>() == "converged");
    CHECK(num(r.at("final_value")) <= 1e-10);
  }
  CHECK(sega.at("fit").at("linear").get<bool>());
  CHECK(num(coordinate.at("target").at("reached")) == 0);
  CHECK(coordinate.at("fit").at("plateau").get<bool>());
  CHECK(num(coordinate.at("measured_floor")) >= 1e-4);
  // One coordinate per iteration, as the bits and epochs columns show: 1/D epochs, no bits.
  CHECK(num(sega.at("epochs_per_iteration")) == Approx(1.0 / 20));
  CHECK(num(sega.at("bits_per_iteration")) == 0);
}

TEST_CASE(
    "(GAN) on the Dirac-GAN GDA spirals out, alternating GDA circles, extragradient and "
    "the optimistic step converge",
    "[report][findings][gan]") {
  const ExperimentReport report = run_experiment(load_experiment(example("dirac_gan.toml")));
  const Json json = Json::parse(json_report({report}));
  std::map<std::string, const Json*> g;
  for (const Json& group : json.at("experiments").at(0).at("groups"))
    g[group.at("label").get<std::string>()] = &group;
  REQUIRE(g.size() == 4);
  auto final_value = [&](const std::string& label) {
    return num((*g.at(label)).at("final_value"));
  };
  auto average = [&](const std::string& label) {
    return num((*g.at(label)).at("extra").at("average_relative_distance_sq"));
  };
  CHECK(final_value("GDA") >= 4.0);  // from 1: ||x||² grows every step
  CHECK(final_value("alternating GDA") == Approx(1.0).margin(0.1));
  for (const char* label : {"extragradient", "optimistic"}) {
    INFO(label);
    CHECK(final_value(label) <= 1e-15);
    CHECK(num((*g.at(label)).at("target").at("reached")) == 1);
    CHECK((*g.at(label)).at("fit").at("linear").get<bool>());
  }
  // The uniform average of alternating GDA's circling iterates closes in on (0, 0); GDA's does
  // not get that far.
  CHECK(average("alternating GDA") <= 1e-4);
  CHECK(average("GDA") >= 1e-2);
  for (const auto& [label, group] : g) CHECK_FALSE((*group).at("bound").at("checked").get<bool>());

  // The MLP GAN example (about 15 s, not run here) plans its grid.
  const ExperimentPlan mlp = load_experiment(example("mlp_gan.toml"));
  CHECK(mlp.runs.size() == 6);
  const std::shared_ptr<Problem> game = make_problem(mlp.runs.front().config);
  std::set<std::string> names;
  for (const auto& [name, value] : game->metrics(game->initial_point())) names.insert(name);
  CHECK(names == std::set<std::string>{"modes_covered", "good_fraction"});
}

TEST_CASE("every example experiment file parses into its planned runs", "[report]") {
  namespace fs = std::filesystem;
  std::size_t experiments = 0;
  for (const char* folder : {"experiments", "dnn"})
    for (const auto& entry : fs::directory_iterator(kSource / "examples" / folder)) {
      if (entry.path().extension() != ".toml") continue;
      INFO(entry.path().string());
      const std::string text = sgda::testing::read(entry.path());
      if (text.find("[[method]]") == std::string::npos) continue;  // a problem file
      ++experiments;
      CHECK(!load_experiment(entry.path().string()).runs.empty());
    }
  CHECK(experiments >= 15);
}
