// Reports: the rate fitter, experiment files and runs files, the report in HTML/CSV/JSON, the
// `sgda experiment` and `sgda report` commands, and the paper's findings in
// examples/experiments/ checked on the JSON the report writes.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli_helpers.hpp"
#include "sgda/error.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/io/trace_file.hpp"
#include "sgda/report/analysis.hpp"
#include "sgda/report/experiment.hpp"
#include "sgda/report/rate_fit.hpp"
#include "sgda/report/writers.hpp"
#include "sgda/rng.hpp"

using namespace sgda;
namespace fs = std::filesystem;

namespace {

using sgda::testing::kCli;
using sgda::testing::kSource;
using sgda::testing::read;
using sgda::testing::Result;
using sgda::testing::run;
using sgda::testing::shell;
using sgda::testing::TempDir;

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// ---- the report's JSON, read with nlohmann_json ------------------------------------------------

using Json = nlohmann::json;

// A number of the report; null (NaN, unknown) reads as NaN. Anything else throws.
double num(const Json& v) { return v.is_null() ? NAN : v.get<double>(); }

// ---- HTML well-formedness: every element closed in order, nothing fetched from the network ------

std::string check_html(const std::string& html) {
  static const std::set<std::string> kVoid = {"meta",  "link", "br",  "hr",    "img",
                                              "input", "col",  "wbr", "source"};
  std::vector<std::string> open;
  std::size_t i = 0;
  while ((i = html.find('<', i)) != std::string::npos) {
    if (html.compare(i, 4, "<!--") == 0) {
      i = html.find("-->", i);
      if (i == std::string::npos) return "unclosed comment";
      continue;
    }
    if (html.compare(i, 2, "<!") == 0) {
      i = html.find('>', i);
      continue;
    }
    // The end of the tag, outside quoted attribute values.
    std::size_t end = i + 1;
    char quote = 0;
    for (; end < html.size(); ++end) {
      if (quote) {
        if (html[end] == quote) quote = 0;
      } else if (html[end] == '"' || html[end] == '\'') {
        quote = html[end];
      } else if (html[end] == '>') {
        break;
      } else if (html[end] == '<') {
        return "'<' inside a tag at offset " + std::to_string(end);
      }
    }
    if (end >= html.size()) return "unterminated tag at offset " + std::to_string(i);
    const std::string tag = html.substr(i + 1, end - i - 1);
    const bool closing = tag[0] == '/';
    std::string name = tag.substr(closing ? 1 : 0);
    name = name.substr(0, name.find_first_of(" \t\n/"));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name.empty()) return "empty tag at offset " + std::to_string(i);
    if (closing) {
      if (open.empty() || open.back() != name)
        return "</" + name + "> closes <" + (open.empty() ? "nothing" : open.back()) +
               "> at offset " + std::to_string(i);
      open.pop_back();
    } else if (!kVoid.count(name) && tag.back() != '/') {
      open.push_back(name);
      if (name == "style" || name == "script") {  // raw text up to the end tag
        end = html.find("</" + name, end);
        if (end == std::string::npos) return "unclosed <" + name + ">";
        i = end;
        continue;
      }
    }
    i = end + 1;
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  return "";
}

// A small grid: 3 method variants (one of them distributed, so bits are drawn) × 2 step sizes ×
// 2 seeds = 12 runs of a few milliseconds.
const std::string kSmallExperiment = R"([experiment]
title = "small"
seeds = [3, 4]
step_sizes = ["theory", "theory*0.5"]
target = 1e-4

[problem]
type = "quadratic"
samples = 20
dimension = 3
mu = 1.0
ell = 5.0
seed = 4

[run]
iterations = 400
log_every = 4

[[method]]
name = "sgda"
sampling = ["uniform", "importance"]

[[method]]
name = "diana-sgda"
label = "DIANA"
workers = 4
compressor = "rand-k"
k = 2
)";

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
      csv.substr(0, csv.find('\n')).find(",epochs_per_iteration,final_modes_covered,final_error") !=
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
        "momentum, nesterov, adam, adamw, optimistic");
  CHECK(error(problem + "[[method]]\nname = \"sgda\"\nstep = { rule = \"adam\" }\n") ==
        "e.toml:5: method.step: must be a string naming a step rule, got a table; accepted prox, "
        "momentum, nesterov, adam, adamw, optimistic (the rule's options go in [step])");
  CHECK(error(problem + "[step]\nmomentum = 0.5\n[[method]]\nname = \"sgda\"\nstep = \"adam\"\n") ==
        "e.toml:4: step.momentum: applies only to rule = \"momentum\" or \"nesterov\" (here "
        "rule = \"adam\", whose keys are beta1, beta2, epsilon, weight_decay)");
}

// ---- the report
// ----------------------------------------------------------------------------------

TEST_CASE(
    "sgda experiment and sgda report: every run, every column, every plot; the HTML parses "
    "and the JSON matches the traces",
    "[report][cli]") {
  TempDir dir;
  dir.write("small.toml", kSmallExperiment);
  const Result e = run("experiment small.toml -o runs.h5", dir);
  INFO(e.err);
  REQUIRE(e.status == 0);
  for (int i = 1; i <= 12; ++i)
    CHECK(e.err.find("run " + std::to_string(i) + " of 12: ") != std::string::npos);
  CHECK(e.out == "wrote runs.h5: 12 runs (12 new); report: sgda report runs.h5 -o report.html\n");

  const Result r = run("report runs.h5 -o report.html", dir);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("wrote report.html, report.csv, report.json") != std::string::npos);
  const ExperimentRuns runs = load_experiment_runs((dir / "runs.h5").string());
  REQUIRE(runs.runs.size() == 12);

  // HTML: well formed, self-contained, a plot per axis (bits too: DIANA sends them), every
  // table column and every run.
  const std::string html = read(dir / "report.html");
  CHECK(check_html(html) == "");
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("href=\"http") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(count(html, "<svg xmlns") == 4);
  for (const char* title : {"vs iterations", "vs epochs", "vs bits", "vs wall time"})
    CHECK(count(html, std::string("relative squared distance to x* ") + title + "</title>") == 1);
  for (const char* column :
       {"<th>&#947;</th>", "<th>theory &#947;</th>", "<th>&#969;</th>", "<th>workers</th>",
        "<th>A</th>", "<th>B</th>", "<th>C</th>", "<th>D<sub>1</sub></th>",
        "<th>D<sub>2</sub></th>", "<th>&#961;</th>", "<th>predicted contraction</th>",
        "<th>neighbourhood bound</th>", "<th>fitted contraction</th>", "<th>measured floor</th>",
        "<th>verdict</th>", "<th>bits</th>", "<th>bits / iteration</th>"})
    CHECK(count(html, column) >= 1);
  for (std::size_t i = 0; i < 12; ++i)
    CHECK(count(html, "<code>" + run_group_name(i, 12) + "</code>") == 1);
  for (const char* label : {"sgda (sampling=uniform), step theory*0.5", "DIANA, step theory"})
    CHECK(count(html, label) >= 3);  // legend and tables
  // The SVG parts parse as XML where Debian's python is at hand.
  if (fs::exists("/usr/bin/python3")) {
    dir.write("check.py",
              "import re, sys, xml.etree.ElementTree as ET\n"
              "html = open(sys.argv[1], encoding='utf-8').read()\n"
              "svgs = re.findall(r'<svg xmlns.*?</svg>', html, re.S)\n"
              "[ET.fromstring(s.replace('&#8722;', '-').replace('&#8211;', '-')) for s in svgs]\n"
              "print(len(svgs))\n");
    const Result py = shell("/usr/bin/python3 check.py report.html", dir);
    INFO(py.err);
    CHECK(py.out == "4\n");
  }

  // Affine games without averaging have no further trace columns: no plots or tables for them.
  CHECK(html.find("Further trace columns") == std::string::npos);
  CHECK(count(html, " vs iterations</title>") == 1);

  // CSV: the documented columns, one row per group (3 variants × 2 steps).
  const std::string csv = read(dir / "report.csv");
  std::string header;
  for (const std::string& c : report_columns()) header += (header.empty() ? "" : ",") + c;
  CHECK(csv.substr(0, csv.find('\n')) == header);
  CHECK(count(csv, "\n") == 7);

  // JSON: parses, one group per variant and step, every run once, numbers exactly the traces'.
  const Json json = Json::parse(read(dir / "report.json"));
  REQUIRE(json.at("experiments").size() == 1);
  const Json& experiment = json.at("experiments").at(0);
  CHECK(experiment.at("title").get<std::string>() == "small");
  CHECK(num(experiment.at("finished_runs")) == 12);
  CHECK(num(experiment.at("constants").at("samples")) == 20);
  CHECK(num(experiment.at("constants").at("mu")) == Approx(1.0));
  CHECK(experiment.at("extra_columns").empty());
  CHECK(json.at("columns").size() == report_columns().size());
  REQUIRE(experiment.at("groups").size() == 6);
  std::set<double> seen;
  for (const Json& g : experiment.at("groups")) {
    for (const char* key :
         {"gamma", "theory_gamma", "A", "B", "C", "D1", "D2", "rho", "predicted_contraction",
          "neighbourhood", "measured_floor", "bits_per_iteration"})
      CHECK(g.contains(key));
    CHECK(g.at("fit").contains("contraction"));
    CHECK(g.at("bound").contains("verdict"));
    REQUIRE(g.at("runs").size() == 2);
    for (const Json& r : g.at("runs")) {
      const double index = num(r.at("index"));
      seen.insert(index);
      const RunRecord& record = runs.runs.at(std::size_t(index));
      const Trace& t = record.trace;
      CHECK(record.settings.at("experiment.label") == g.at("label").get<std::string>());
      CHECK(record.settings.at("experiment.step") == g.at("step").get<std::string>());
      CHECK(record.settings.at("experiment.seed") == std::to_string(int(num(r.at("seed")))));
      CHECK(r.at("termination").get<std::string>() == record.settings.at("termination"));
      CHECK(num(r.at("rows")) == double(t.size()));
      CHECK(num(r.at("iterations")) == double(t.iteration.back()));
      CHECK(num(r.at("epochs")) == t.epochs.back());
      CHECK(num(r.at("bits")) == double(t.bits.back()));
      CHECK(num(r.at("seconds")) == t.wall_time.back());
      CHECK(num(r.at("final_value")) == t.relative_distance_sq.back());
      CHECK(num(g.at("gamma")) == t.step_size.back());
    }
    const bool diana = g.at("label").get<std::string>() == "DIANA";
    CHECK((num(g.at("bits_per_iteration")) > 0) == diana);
    CHECK((std::isnan(num(g.at("omega")))) == !diana);
    if (g.at("step").get<std::string>() == "theory")
      CHECK(num(g.at("gamma")) == num(g.at("theory_gamma")));
    if (g.at("step").get<std::string>() == "theory*0.5")
      CHECK(num(g.at("gamma")) == Approx(0.5 * num(g.at("theory_gamma"))).epsilon(1e-12));
  }
  CHECK(seen.size() == 12);
}

// The lines "run i of N: ..." an experiment printed, by i.
std::vector<int> runs_done(const std::string& err) {
  std::vector<int> done;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("run ", 0) == 0) done.push_back(std::stoi(line.substr(4)));
  return done;
}

TEST_CASE("an experiment resumes without redoing finished runs", "[report][cli]") {
  // Driven by counts, never by timing: a runs file with exactly the runs of seed 3 is made by an
  // experiment planning only those (the same runs: same settings, so the same keys); the whole
  // experiment must then run exactly the 6 runs of seed 4 and keep the 6 others as they were.
  TempDir dir("report");
  dir.write("small.toml", kSmallExperiment);
  std::string subset = kSmallExperiment;
  subset.replace(subset.find("seeds = [3, 4]"), 14, "seeds = [3]");
  dir.write("subset.toml", subset);
  const Result first = run("experiment subset.toml -o small.h5", dir);
  INFO(first.err);
  REQUIRE(first.status == 0);
  REQUIRE(runs_done(first.err) == std::vector<int>{1, 2, 3, 4, 5, 6});
  const std::vector<RunRecord> before = load_experiment_runs(dir.file("small.h5")).runs;
  REQUIRE(before.size() == 6);

  const Result second = run("experiment small.toml", dir);
  INFO(second.err);
  REQUIRE(second.status == 0);
  CHECK(second.err.find("resuming small.h5: 6 of 12 runs already there") != std::string::npos);
  CHECK(second.out.find("12 runs (6 new)") != std::string::npos);
  // The plan is methods x step sizes x seeds with the seeds varying fastest: seed 4 is every
  // second run, and only those ran.
  CHECK(runs_done(second.err) == std::vector<int>{2, 4, 6, 8, 10, 12});
  const std::vector<RunRecord> after = load_experiment_runs(dir.file("small.h5")).runs;
  REQUIRE(after.size() == 12);
  // The finished runs were kept as they were (wall times differ between any two executions of
  // a run), and the new ones are the seed-4 runs.
  for (std::size_t i = 0; i < after.size(); ++i) {
    INFO("run record " << i);
    if (i < before.size()) {
      CHECK(after[i].settings.at("experiment.key") == before[i].settings.at("experiment.key"));
      CHECK(after[i].trace.wall_time == before[i].trace.wall_time);
      CHECK(after[i].settings.at("experiment.seed") == "3");
    } else {
      CHECK(after[i].settings.at("experiment.seed") == "4");
    }
  }

  // Resuming a complete file runs nothing; another experiment's file is refused.
  const Result third = run("experiment small.toml", dir);
  CHECK(third.status == 0);
  CHECK(third.out.find("12 runs (0 new)") != std::string::npos);
  CHECK(runs_done(third.err).empty());
  std::string other = kSmallExperiment;
  other.replace(other.find("seed = 4"), 8, "seed = 5");  // another game: other keys
  dir.write("other.toml", other);
  const Result refused = run("experiment other.toml -o small.h5", dir);
  CHECK(refused.status == 2);
  CHECK(refused.err.rfind("sgda: error: small.h5: holds a run that other.toml does not plan (",
                          0) == 0);
  CHECK(count(refused.err, "\n") == 1);
  CHECK(run("experiment other.toml -o small.h5 --force", dir).status == 0);
  CHECK(load_experiment_runs(dir.file("small.h5")).runs.size() == 12);
}

TEST_CASE("an interrupted experiment keeps exactly its finished runs and resumes after them",
          "[report][cli][signal]") {
  // Runs 1-2 (L-SVRGDA) reach the tolerance at their first check; runs 3-4 (SGDA, which stalls
  // at a neighbourhood far above it) would take 1e11 iterations, hours. SIGINT is sent once
  // "run 2 of 4" is printed, so it always lands in run 3, whatever the machine's speed: exactly
  // two runs are finished. log_every bounds how long the signal takes to stop run 3.
  TempDir dir("report");
  dir.write("long.toml", R"([experiment]
seeds = [3, 4]
step_sizes = ["theory"]

[problem]
type = "quadratic"
samples = 20
dimension = 3
mu = 1.0
ell = 5.0
seed = 4

[run]
iterations = 100000000000
log_every = 500000
tolerance = 1e-8

[[method]]
name = "l-svrgda"

[[method]]
name = "sgda"
)");
  // Interrupts `sgda experiment long.toml` once stderr shows "run N of"; the poll is bounded
  // (10 minutes) so that a broken run cannot hang the suite: the checks below then fail.
  auto interrupt_after = [&](const std::string& line) {
    dir.write("interrupt.sh", "'" + sgda::testing::kCli +
                                  "' experiment long.toml >exp_out.txt 2>exp_err.txt & pid=$!\n"
                                  "polls=0\n"
                                  "until grep -q '^" +
                                  line +
                                  "' exp_err.txt 2>/dev/null || ! kill -0 $pid 2>/dev/null || "
                                  "[ $polls -ge 30000 ]; do sleep 0.02; polls=$((polls + 1)); "
                                  "done\n"
                                  "kill -INT $pid 2>/dev/null\n"
                                  "wait $pid\n");
    Result r = shell("sh interrupt.sh", dir);
    r.out = read(dir / "exp_out.txt");
    r.err = read(dir / "exp_err.txt");
    return r;
  };

  const Result first = interrupt_after("run 2 of 4");
  INFO(first.err);
  REQUIRE(first.status == 130);
  CHECK(runs_done(first.err) == std::vector<int>{1, 2});
  CHECK(first.err.find("interrupted by SIGINT in run 3 of 4 (not saved); 2 finished runs are in "
                       "long.h5; run the same command again to resume") != std::string::npos);
  const std::vector<RunRecord> before = load_experiment_runs(dir.file("long.h5")).runs;
  REQUIRE(before.size() == 2);
  for (const RunRecord& record : before) {
    CHECK(record.settings.at("experiment.label") == "l-svrgda");
    CHECK(record.settings.at("termination") == "converged");
  }

  // Resumed, it starts at run 3 (never redoing 1 or 2), and interrupted there again it keeps
  // the same two runs untouched.
  const Result second = interrupt_after("sgda: resuming long.h5: 2 of 4 runs already there");
  INFO(second.err);
  REQUIRE(second.status == 130);
  CHECK(runs_done(second.err).empty());
  CHECK(second.err.find("interrupted by SIGINT in run 3 of 4") != std::string::npos);
  const std::vector<RunRecord> after = load_experiment_runs(dir.file("long.h5")).runs;
  REQUIRE(after.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(after[i].settings.at("experiment.key") == before[i].settings.at("experiment.key"));
    CHECK(after[i].trace.wall_time == before[i].trace.wall_time);
  }
}

TEST_CASE("sgda experiment and sgda report refuse bad input with one line and exit code 2",
          "[report][cli]") {
  TempDir dir;
  dir.write("small.toml", kSmallExperiment);
  dir.write("typo.toml",
            "[experiment]\nseeds = [0]\nstep_size = [\"theory\"]\n[problem]\n"
            "type = \"quadratic\"\n[[method]]\nname = \"sgda\"\n");
  dir.write("game.toml",
            "[problem]\ntype = \"quadratic\"\nsamples = 5\ndimension = 2\n"
            "[method]\nname = \"sgda\"\n[run]\niterations = 10\n");
  // Checked before the first run: no runs file is left half done.
  dir.write("bilinear.toml",
            "[experiment]\nstep_sizes = [0.05, \"theory\"]\n[problem]\n"
            "type = \"bilinear\"\nmu = 0.0\n[run]\niterations = 10\n"
            "[[method]]\nname = \"sgda\"\n");
  // A game without the theory's constants needs numeric steps; a method's own step rule is a
  // name.
  dir.write("dirac.toml", "[problem]\ntype = \"dirac-gan\"\n[[method]]\nname = \"sgda\"\n");
  dir.write("dirac_step.toml",
            "[experiment]\nstep_sizes = [0.1]\n[problem]\ntype = \"dirac-gan\"\n[[method]]\n"
            "name = \"sgda\"\nstep = 1\n");
  struct Case {
    std::string args, message;
  } cases[] = {
      {"experiment dirac.toml",
       "sgda: error: dirac.toml: run.step_size: the theory step size of sgda(sampling=uniform) is "
       "unknown on this problem (its constants are not available); accepted a number in "
       "step_sizes instead\n"},
      {"experiment dirac_step.toml",
       "sgda: error: dirac_step.toml:7: method.step: must be a string naming a step rule, got 1; "
       "accepted prox, momentum, nesterov, adam, adamw, optimistic (the rule's options go in "
       "[step])\n"},
      {"experiment bilinear.toml",
       "sgda: error: bilinear.toml:2: run.step_size: the theory step size of "
       "sgda(sampling=uniform) is unknown on this problem (its constants are not available); "
       "accepted a number in step_sizes instead\n"},
      {"experiment typo.toml",
       "sgda: error: typo.toml:3: experiment.step_size: unknown key (did you mean "
       "\"step_sizes\"?); accepted keys: title, description, seeds, step_sizes, target\n"},
      {"experiment missing.toml",
       "sgda: error: missing.toml: file not found; accepted a TOML experiment file\n"},
      {"experiment small.toml -o nowhere/runs.h5",
       "sgda: error: --output: folder not found: nowhere; accepted a path in an existing "
       "folder\n"},
      {"report missing.h5",
       "sgda: error: missing.h5: no such file; accepted the path of an existing HDF5 file\n"},
      {"report small.toml -o r.txt",
       "sgda: error: --output: r.txt does not end in .html; accepted an .html path (the .csv "
       "and .json go beside it)\n"},
  };
  for (const Case& c : cases) {
    const Result r = run(c.args, dir);
    INFO(c.args);
    CHECK(r.status == 2);
    CHECK(r.err == c.message);
  }
  CHECK_FALSE(fs::exists(dir / "bilinear.h5"));
  CHECK_FALSE(fs::exists(dir / "dirac.h5"));
  // A run file of `sgda solve` is not a runs file.
  REQUIRE(run("solve game.toml -o run.h5", dir).status == 0);
  const Result r = run("report run.h5", dir);
  CHECK(r.status == 2);
  CHECK(r.err ==
        "sgda: error: run.h5: not a runs file (no experiment.title attribute or /runs group); "
        "accepted a file written by sgda experiment\n");
  const Result resume = run("experiment small.toml -o run.h5", dir);
  CHECK(resume.status == 2);
  CHECK(resume.err.find("or --force to replace it") != std::string::npos);
}

// ---- GAN-style games: the trace's further columns in the report --------------------------------

namespace {

// Deterministic (n = 1): both seeds give the same runs. The averaged iterate adds two trace
// columns; the methods set their own scheme and step rule.
const std::string kDiracExperiment = R"([experiment]
title = "dirac"
seeds = [0, 1]
step_sizes = [0.2]

[problem]
type = "dirac-gan"
theta0 = 0.5

[run]
iterations = 600
log_every = 5
averaging = "uniform"

[[method]]
name = "sgda"
label = "GDA"

[[method]]
name = "sgda"
label = "extragradient"
scheme = "extragradient"

[[method]]
name = "sgda"
label = "optimistic"
step = "optimistic"
)";

// The game's own metrics (mean_error, covariance_error) from its initial point A = I; minibatch
// noise differs between seeds; x* is unknown (the natural residual).
const std::string kGaussianExperiment = R"([experiment]
title = "gaussian, a linear generator"
seeds = [0, 1, 2]
step_sizes = [0.01, 0.02]

[problem]
type = "gaussian-gan"
dimension = 2
samples = 64
batch = 8

[run]
iterations = 400
log_every = 10

[[method]]
name = "sgda"
scheme = ["simultaneous", "extragradient"]
)";

// RFC 4180: fields separated by commas, quoted with "" for a quote inside.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"')
        field += '"', ++i;
      else if (c == '"')
        quoted = false;
      else
        field += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field), field.clear();
    } else if (c == '\n') {
      rows.back().push_back(field), field.clear();
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

// Every column of two traces but wall time, bit for bit.
void check_same_trace(const Trace& a, const Trace& b) {
  CHECK(a.iteration == b.iteration);
  CHECK(a.sample_evaluations == b.sample_evaluations);
  CHECK(a.coordinate_evaluations == b.coordinate_evaluations);
  CHECK(a.epochs == b.epochs);
  CHECK(a.bits == b.bits);
  CHECK(a.step_size == b.step_size);
  auto same = [](const std::vector<double>& x, const std::vector<double>& y) {
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!(x[i] == y[i] || (std::isnan(x[i]) && std::isnan(y[i])))) return false;
    return true;
  };
  CHECK(same(a.relative_distance_sq, b.relative_distance_sq));
  CHECK(same(a.residual_sq, b.residual_sq));
  REQUIRE(a.extra.size() == b.extra.size());
  for (const TraceColumn& column : a.extra) {
    INFO(column.name);
    const auto other = std::find_if(b.extra.begin(), b.extra.end(),
                                    [&](const TraceColumn& c) { return c.name == column.name; });
    REQUIRE(other != b.extra.end());
    CHECK(same(column.values, other->values));
  }
}

}  // namespace

TEST_CASE(
    "sgda experiment runs GAN-style games as sgda solve does, and sgda report shows their "
    "further trace columns: a plot each, the runs files' values in the CSV and JSON",
    "[report][cli][gan]") {
  TempDir dir;
  dir.write("dirac.toml", kDiracExperiment);
  dir.write("gaussian.toml", kGaussianExperiment);
  for (const char* name : {"dirac", "gaussian"}) {
    const Result e = run(std::string("experiment ") + name + ".toml", dir);
    INFO(e.err);
    REQUIRE(e.status == 0);
  }
  const Result r = run("report dirac.h5 gaussian.h5 -o report.html", dir);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("dirac: 3 groups of 6 runs; 0 within the theorem's bound, 0 breaking it, 3 "
                   "not checked") != std::string::npos);

  const std::vector<std::string> files = {"dirac", "gaussian"};
  std::vector<ExperimentRuns> runs;
  std::vector<std::vector<std::string>> names(2);  // the further columns of each runs file
  for (std::size_t i = 0; i < 2; ++i) {
    runs.push_back(load_experiment_runs((dir / (files[i] + ".h5")).string()));
    for (const RunRecord& record : runs[i].runs) {
      std::vector<std::string> columns;
      for (const TraceColumn& c : record.trace.extra) columns.push_back(c.name);
      if (names[i].empty()) names[i] = columns;
      CHECK(columns == names[i]);
    }
  }
  REQUIRE(runs[0].runs.size() == 6);
  REQUIRE(runs[1].runs.size() == 12);
  CHECK(names[0] ==
        std::vector<std::string>{"average_relative_distance_sq", "average_residual_sq"});
  // The Gaussian game's columns are its metrics, from its initial point at row 0.
  const ExperimentPlan gaussian = load_experiment((dir / "gaussian.toml").string());
  const std::shared_ptr<Problem> game = make_problem(gaussian.runs.front().config);
  const auto metrics = game->metrics(game->initial_point());
  REQUIRE(names[1].size() == metrics.size());
  for (const auto& [name, value] : metrics) {
    INFO(name);
    const auto at = std::find(names[1].begin(), names[1].end(), name);
    REQUIRE(at != names[1].end());
    CHECK(runs[1].runs.front().trace.extra[std::size_t(at - names[1].begin())].values.front() ==
          value);
  }

  // JSON: the columns of each experiment; each run's last value and each group's mean, min
  // and max at its last common row, exactly as in the runs files.
  const Json json = Json::parse(read(dir / "report.json"));
  REQUIRE(json.at("experiments").size() == 2);
  std::map<std::pair<std::string, std::string>, const Json*> groups;
  for (std::size_t i = 0; i < 2; ++i) {
    const Json& e = json.at("experiments").at(i);
    CHECK(e.at("metric").get<std::string>() == (i == 0 ? "relative_distance_sq" : "residual_sq"));
    std::vector<std::string> listed;
    for (const Json& name : e.at("extra_columns")) listed.push_back(name.get<std::string>());
    CHECK(listed == names[i]);
    for (const Json& g : e.at("groups")) {
      groups[{e.at("title").get<std::string>(),
              g.at("label").get<std::string>() + "|" + g.at("step").get<std::string>()}] = &g;
      INFO(g.at("label").get<std::string>());
      // No theory on these games: the verdict says why.
      CHECK_FALSE(g.at("bound").at("checked").get<bool>());
      CHECK(g.at("bound").at("verdict").get<std::string>().rfind("not checked: ", 0) == 0);
      std::size_t rows = SIZE_MAX;
      for (const Json& run : g.at("runs"))
        rows = std::min(rows, runs[i].runs.at(std::size_t(num(run.at("index")))).trace.size());
      REQUIRE(rows > 0);
      for (std::size_t k = 0; k < names[i].size(); ++k) {
        const std::string& name = names[i][k];
        INFO(name);
        double mean = 0.0, low = INFINITY, high = -INFINITY;
        for (const Json& run : g.at("runs")) {
          const Trace& t = runs[i].runs.at(std::size_t(num(run.at("index")))).trace;
          const std::vector<double>& v = t.extra.at(k).values;
          CHECK(num(run.at("extra").at(name)) == v.back());
          mean += v[rows - 1] / double(g.at("runs").size());
          low = std::min(low, v[rows - 1]);
          high = std::max(high, v[rows - 1]);
        }
        CHECK(num(g.at("extra").at(name)) == mean);
        CHECK(num(g.at("extra_min").at(name)) == low);
        CHECK(num(g.at("extra_max").at(name)) == high);
      }
    }
  }
  CHECK(groups.size() == 3 + 4);

  // CSV: the documented columns, then final_<column> for each experiment's further columns;
  // a group's value where its experiment has the column, empty where it does not.
  const std::vector<std::vector<std::string>> csv = parse_csv(read(dir / "report.csv"));
  REQUIRE(csv.size() == 1 + 3 + 4);
  std::vector<std::string> header = report_columns();
  for (const auto& list : names)
    for (const std::string& name : list) header.push_back("final_" + name);
  CHECK(csv[0] == header);
  std::vector<std::string> listed;
  for (const Json& c : json.at("columns")) listed.push_back(c.get<std::string>());
  CHECK(listed == header);
  const std::size_t first = report_columns().size();
  for (std::size_t row = 1; row < csv.size(); ++row) {
    REQUIRE(csv[row].size() == header.size());
    const std::size_t i = csv[row][0] == "dirac" ? 0 : 1;
    const Json& g = *groups.at({csv[row][0], csv[row][2] + "|" + csv[row][4]});
    for (std::size_t column = first; column < header.size(); ++column) {
      const std::string name = header[column].substr(6);
      INFO(csv[row][2] << ": " << header[column]);
      const bool own = std::find(names[i].begin(), names[i].end(), name) != names[i].end();
      if (own)
        CHECK(std::stod(csv[row][column]) == num(g.at("extra").at(name)));
      else
        CHECK(csv[row][column].empty());
    }
  }

  // HTML: well formed, one plot per further column (and per axis: no bits here), each column
  // in the final-values table and the table of every run.
  const std::string html = read(dir / "report.html");
  CHECK(check_html(html) == "");
  CHECK(count(html, "<svg xmlns") == 2 * 3 + names[0].size() + names[1].size());
  for (const auto& list : names)
    for (const std::string& name : list) {
      CHECK(count(html, "<title>" + name + " vs iterations</title>") == 1);
      CHECK(count(html, "<th>" + name + "</th>") == 2);
    }
  CHECK(count(html, "Further trace columns at the last row") == 2);

  // Every run of the experiments is the run sgda solve makes of the same settings: the same
  // start (the game's initial point), steps and trace, bit for bit (wall time aside).
  const ExperimentPlan dirac = load_experiment((dir / "dirac.toml").string());
  for (const ExperimentPlan* plan : {&dirac, &gaussian}) {
    for (std::size_t i : {std::size_t(0), plan->runs.size() - 1}) {
      const PlannedRun& planned = plan->runs[i];
      INFO(planned.label << ", step " << planned.step << ", seed " << planned.seed);
      dir.write("solo.toml", to_toml(planned.config));
      const Result solo = run("solve solo.toml -o solo.h5 --force", dir);
      INFO(solo.err);
      REQUIRE(solo.status == 0);
      const RunRecord alone = load_run((dir / "solo.h5").string());
      const std::vector<RunRecord>& all = runs[plan == &dirac ? 0 : 1].runs;
      const auto record = std::find_if(all.begin(), all.end(), [&](const RunRecord& rr) {
        return rr.settings.at("experiment.key") == planned.key;
      });
      REQUIRE(record != all.end());
      check_same_trace(alone.trace, record->trace);
      CHECK(alone.x_final == record->x_final);
    }
  }
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
    "(c) with stochastic local operators only VR-DIANA-SGDA reaches the solution; "
    "compression cuts bits per iteration; bits to accuracy as measured",
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
