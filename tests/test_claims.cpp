// Experiment files beyond one problem and one verdict: problem axes (arrays in [problem] and
// [regularizer]) and [[claim]] tables, which the report checks on the runs' final values.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "report_helpers.hpp"
#include "sgda/error.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/report/analysis.hpp"
#include "sgda/report/claims.hpp"
#include "sgda/report/experiment.hpp"
#include "sgda/report/writers.hpp"

using namespace sgda;

namespace {

// Runs a plan through the library as `sgda experiment` does: each run on its own problem.
ExperimentReport run_plan(const ExperimentPlan& plan) {
  std::map<std::string, std::shared_ptr<Problem>> problems;
  ExperimentRuns runs;
  for (const PlannedRun& run : plan.runs) {
    std::shared_ptr<Problem>& problem = problems[problem_key(run.config)];
    if (!problem) problem = make_problem(run.config);
    if (runs.attributes.empty()) runs.attributes = experiment_attributes(plan, *problem);
    runs.runs.push_back(execute_run(run, *problem));
  }
  return analyse_experiment(runs, plan.source);
}

std::string parse_error(const std::string& text) {
  try {
    parse_experiment(text, "e.toml");
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

// Runs with a column "risk" over iterations 0, 10, 20: 1 at the start, `value` at 10 and
// 2·`value` at the last row; one group per label.
struct Synthetic {
  ExperimentRuns runs;
  ExperimentReport report;
  std::vector<ClaimCheck> check(const std::vector<Claim>& claims) const {
    return check_claims(claims, report, runs);
  }
};
Synthetic runs_of(const std::vector<std::pair<std::string, std::vector<double>>>& groups) {
  Synthetic s;
  for (const auto& [label, values] : groups)
    for (std::size_t seed = 0; seed < values.size(); ++seed) {
      RunRecord r;
      r.settings = {{"experiment.label", label},
                    {"experiment.step", "0.1"},
                    {"experiment.seed", std::to_string(seed)},
                    {"termination", "iteration limit"}};
      Trace& t = r.trace;
      t.iteration = {0, 10, 20};
      t.sample_evaluations = t.iteration;
      t.coordinate_evaluations = {0, 0, 0};
      t.bits = {0, 0, 0};
      t.epochs = {0, 1, 2};
      t.wall_time = {0, 0.1, 0.2};
      t.relative_distance_sq.assign(3, NAN);
      t.residual_sq = {1, 0.5, 0.25};
      t.step_size = {0.1, 0.1, 0.1};
      t.extra = {{"risk", {1.0, values[seed] / 2, values[seed]}}};
      s.runs.runs.push_back(std::move(r));
    }
  s.report = analyse_experiment(s.runs, "synthetic.h5");
  return s;
}

Claim claim(std::vector<std::string> methods, double at_least, double at_most,
            ClaimTrend trend = ClaimTrend::kNone,
            ClaimStatistic statistic = ClaimStatistic::kMean) {
  Claim c;
  c.text = "a finding";
  c.metric = "risk";
  c.methods = std::move(methods);
  c.at_least = at_least;
  c.at_most = at_most;
  c.trend = trend;
  c.statistic = statistic;
  return c;
}

constexpr double kInf = INFINITY;

}  // namespace

TEST_CASE("arrays in problem and regularizer make axes of every method", "[report][claims]") {
  const ExperimentPlan plan = parse_experiment(R"([experiment]
seeds = 2
step_sizes = ["theory"]
[problem]
type = "quadratic"
samples = 20
dimension = 3
mu = [0.5, 1.0]
[regularizer]
type = "l1"
lambda = [0.0, 0.1]
[[method]]
name = "sgda"
[[method]]
name = "l-svrgda"
label = "L-SVRGDA"
)",
                                               "axes.toml");
  CHECK(plan.problem_axes == std::vector<std::string>{"problem.mu", "regularizer.lambda"});
  REQUIRE(plan.runs.size() == 16);  // 2 mu × 2 lambda × 2 methods × 2 seeds
  // The problems outermost (the last axis fastest), then the methods, then the seeds.
  CHECK(plan.runs[0].label == "sgda (mu=0.5, lambda=0)");
  CHECK(plan.runs[1].label == "sgda (mu=0.5, lambda=0)");
  CHECK(plan.runs[2].label == "L-SVRGDA (mu=0.5, lambda=0)");
  CHECK(plan.runs[4].label == "sgda (mu=0.5, lambda=0.1)");
  CHECK(plan.runs[8].label == "sgda (mu=1, lambda=0)");
  CHECK(plan.runs[8].config.problem.quadratic.mu == 1.0);
  CHECK(plan.runs[4].config.regularizer.lambda == 0.1);
  CHECK(plan.runs[0].config.problem.quadratic.samples == 20);
  CHECK(problem_key(plan.runs[0].config) == problem_key(plan.runs[3].config));
  CHECK(problem_key(plan.runs[0].config) != problem_key(plan.runs[4].config));
  CHECK(problem_key(plan.runs[4].config) != problem_key(plan.runs[8].config));
}

TEST_CASE("problem axes are checked as problem files are and name their lines",
          "[report][claims]") {
  const std::string method = "[[method]]\nname = \"sgda\"\n";
  CHECK(parse_error("[problem]\ntype = [\"quadratic\", \"bilinear\"]\n" + method) ==
        "e.toml:2: problem.type: must be one type: an experiment is on one problem; accepted a "
        "string (other keys may be arrays, making grid axes)");
  CHECK(parse_error("[problem]\ntype = \"quadratic\"\nmu = []\n" + method) ==
        "e.toml:3: problem.mu: is an empty array; accepted values");
  CHECK(parse_error("[problem]\ntype = \"quadratic\"\nmu = [[1.0]]\n" + method) ==
        "e.toml:3: problem.mu: arrays of arrays or tables are not accepted");
  // Each value goes through the problem-file parser, at its own line.
  CHECK(parse_error("[problem]\ntype = \"quadratic\"\nmu = [\n  1.0,\n  -2.0,\n]\n" + method)
            .rfind("e.toml:5: problem.mu: ", 0) == 0);
}

TEST_CASE("a claim matches groups by label by method or by key=value items", "[report][claims]") {
  const Synthetic report = runs_of({{"sgda (k=4, workers=5)", {1.0, 3.0}},
                                    {"sgda (k=4, workers=50)", {2.0}},
                                    {"DIANA (k=40)", {5.0}}});
  auto groups = [&](std::vector<std::string> methods) {
    const std::vector<ClaimCheck> checks = report.check({claim(methods, -kInf, kInf)});
    std::vector<std::string> names;
    for (const auto& [name, value] : checks[0].measured) names.push_back(name);
    return names;
  };
  CHECK(groups({}).size() == 3);
  CHECK(groups({"sgda"}) ==
        std::vector<std::string>{"sgda (k=4, workers=5)", "sgda (k=4, workers=50)"});
  CHECK(groups({"workers=5"}) == std::vector<std::string>{"sgda (k=4, workers=5)"});
  CHECK(groups({"k=4, workers=50"}) == std::vector<std::string>{"sgda (k=4, workers=50)"});
  CHECK(groups({"k=4"}).size() == 2);  // not DIANA's k=40
  CHECK(groups({"DIANA (k=40)"}) == std::vector<std::string>{"DIANA (k=40)"});
  CHECK(groups({"k=5"}).empty());
}

TEST_CASE("a claim holds when every group is within its bounds and follows its trend",
          "[report][claims]") {
  const Synthetic report = runs_of(
      {{"m (width=8)", {0.4, 0.6}}, {"m (width=64)", {0.2, 0.3}}, {"m (width=512)", {0.1, 0.4}}});
  using S = ClaimCheck::Status;
  const std::vector<std::string> widths = {"width=8", "width=64", "width=512"};
  const std::vector<ClaimCheck> checks =
      report.check({claim({}, 0.1, 0.5), claim({}, 0.3, kInf),
                    claim(widths, -kInf, kInf, ClaimTrend::kDecreasing),
                    claim(widths, -kInf, kInf, ClaimTrend::kDecreasing, ClaimStatistic::kMin),
                    claim(widths, -kInf, kInf, ClaimTrend::kIncreasing, ClaimStatistic::kMax),
                    claim({"width=9"}, 0, 1), claim({"m"}, -kInf, kInf, ClaimTrend::kDecreasing)});
  REQUIRE(checks.size() == 7);
  // Means 0.5, 0.25, 0.25: within [0.1, 0.5]; not all >= 0.3; not strictly decreasing.
  CHECK(checks[0].status == S::kConfirmed);
  CHECK(checks[0].verdict == "confirmed");
  CHECK(checks[0].measured[1].second == Approx(0.25));
  CHECK(checks[1].status == S::kNotConfirmed);
  CHECK(checks[1].verdict == "not confirmed: m (width=64): 0.25 < 0.3");
  CHECK(checks[2].status == S::kNotConfirmed);
  CHECK(checks[2].verdict ==
        "not confirmed: not decreasing from m (width=64) to m (width=512) (0.25 to 0.25)");
  CHECK(checks[3].status == S::kConfirmed);     // minima 0.4, 0.2, 0.1
  CHECK(checks[4].status == S::kNotConfirmed);  // maxima 0.6, 0.3, 0.4
  CHECK(checks[5].status == S::kNotChecked);    // no group
  CHECK(checks[5].verdict == "not checked: \"width=9\" matches 0 groups");
  CHECK(checks[6].status == S::kNotChecked);  // a trend needs one group per pattern
}

TEST_CASE("a diverged run breaks a claim and a missing column or row leaves it unchecked",
          "[report][claims]") {
  using S = ClaimCheck::Status;
  const Synthetic diverged = runs_of({{"a", {0.1, kInf}}});
  const ClaimCheck inf = diverged.check({claim({}, -kInf, 1.0)})[0];
  CHECK(inf.status == S::kNotConfirmed);
  CHECK(inf.verdict == "not confirmed: a has risk inf");
  const Synthetic missing = runs_of({{"a", {0.1, NAN}}});
  CHECK(missing.check({claim({}, -kInf, 1.0)})[0].status == S::kNotChecked);
  Claim other = claim({}, -kInf, 1.0);
  other.metric = "test_accuracy";  // no such column
  CHECK(diverged.check({other})[0].status == S::kNotChecked);
  // At a logged iteration: the values there (half the last ones); at one not logged, none.
  Claim early = claim({}, -kInf, 1.0);
  early.iteration = 10;
  const Synthetic fine = runs_of({{"a", {0.2, 0.6}}});
  const ClaimCheck at_10 = fine.check({early})[0];
  CHECK(at_10.status == S::kConfirmed);
  CHECK(at_10.measured[0].second == Approx(0.2));
  early.iteration = 0;
  CHECK(fine.check({early})[0].measured[0].second == 1.0);
  early.iteration = 15;
  const ClaimCheck at_15 = fine.check({early})[0];
  CHECK(at_15.status == S::kNotChecked);
  CHECK(at_15.verdict ==
        "not checked: a group has no finite risk at iteration 15 (a run lacks the column or the "
        "row, or diverged)");
  CHECK(fine.check({claim({}, -kInf, 1.0)})[0].measured[0].second == Approx(0.4));
}

TEST_CASE("claim tables are checked and name their lines", "[report][claims]") {
  const std::string head = "[problem]\ntype = \"quadratic\"\n[[method]]\nname = \"sgda\"\n";
  CHECK(parse_error(head + "[[claim]]\nmetric = \"risk\"\n") ==
        "e.toml:5: claim.text: missing (the [claim] table needs it); accepted a string");
  CHECK(parse_error(head + "[[claim]]\ntext = \"t\"\nmetric = \"risk\"\ntrend = \"up\"\n")
            .rfind("e.toml:8: claim.trend: unknown \"up\"", 0) == 0);
  CHECK(
      parse_error(head + "[[claim]]\ntext = \"t\"\nmetric = \"risk\"\ntrend = \"increasing\"\n") ==
      "e.toml:5: claim.trend: needs the groups in order; accepted claim.methods with at least "
      "two patterns");
  CHECK(
      parse_error(head + "[[claim]]\ntext = \"t\"\nmetric = \"r\"\nat_least = 2\nat_most = 1\n") ==
      "e.toml:5: claim.at_least: is above claim.at_most; accepted at_least <= at_most");
  CHECK(parse_error(head + "[[claim]]\ntext = \"t\"\nmetric = \"r\"\nmethods = [1]\n") ==
        "e.toml:8: claim.methods: must hold non-empty strings; accepted group labels or their "
        "\"key=value\" items");
  CHECK(parse_error(head + "[claim]\ntext = \"t\"\n") ==
        "e.toml:5: claim: must be [[claim]] tables, one per claim");
}

TEST_CASE("an experiment over problems checks its claims in the report", "[report][claims]") {
  // L-SVRGDA at its theory step converges linearly on every game; after a fixed number of
  // iterations, the better conditioned the game (larger mu at the same ell), the closer it is.
  const ExperimentPlan plan = parse_experiment(R"([experiment]
seeds = 2
[problem]
type = "quadratic"
samples = 20
dimension = 4
ell = 10.0
mu = [0.5, 2.0, 8.0]
[run]
iterations = 400
log_every = 100
[[method]]
name = "l-svrgda"
[[claim]]
text = "better conditioned games converge faster"
metric = "relative_distance_sq"
methods = ["mu=0.5", "mu=2", "mu=8"]
trend = "decreasing"
[[claim]]
text = "L-SVRGDA converges on all of them"
metric = "relative_distance_sq"
statistic = "max"
at_most = 0.5
[[claim]]
text = "a claim that is false"
metric = "relative_distance_sq"
methods = ["mu=8"]
at_least = 0.5
)",
                                               "claims.toml");
  REQUIRE(plan.claims.size() == 3);
  const ExperimentReport report = run_plan(plan);
  REQUIRE(report.groups.size() == 3);
  CHECK(report.attributes.at("experiment.problem_axes") == "problem.mu");
  REQUIRE(report.claims.size() == 3);
  using S = ClaimCheck::Status;
  CHECK(report.claims[0].status == S::kConfirmed);
  for (const auto& [group, value] : report.claims[0].measured) UNSCOPED_INFO(group << " " << value);
  CHECK(report.claims[1].status == S::kConfirmed);
  CHECK(report.claims[2].status == S::kNotConfirmed);
  // Each group's max over its seeds is at least its mean.
  for (std::size_t g = 0; g < 3; ++g)
    CHECK(report.claims[1].measured[g].second >= report.claims[0].measured[g].second);
  // The three documents carry them.
  const std::string html = html_report({report});
  CHECK(sgda::testing::check_html(html) == "");
  CHECK(sgda::testing::count(html, "better conditioned games converge faster") == 1);
  const sgda::testing::Json json = sgda::testing::Json::parse(json_report({report}));
  REQUIRE(json["experiments"][0]["claims"].size() == 3);
  CHECK(json["experiments"][0]["claims"][2]["status"] == "not confirmed");
  CHECK(json["experiments"][0]["claims"][0]["measured"].size() == 3);
}

TEST_CASE("the report gives each group SGD's noise scale gamma N over B", "[report][claims]") {
  const ExperimentPlan plan = parse_experiment(R"([experiment]
step_sizes = [0.01, 0.04]
[problem]
type = "quadratic"
samples = 20
dimension = 3
[run]
iterations = 10
[[method]]
name = "sgda"
sampling = "nice"
batch_size = [1, 4]
)",
                                               "noise.toml");
  const ExperimentReport report = run_plan(plan);
  REQUIRE(report.groups.size() == 4);
  for (const GroupSummary& g : report.groups) {
    const double batch = g.label.find("batch_size=4") != std::string::npos ? 4.0 : 1.0;
    CHECK(g.noise_scale == Approx(g.gamma * 20.0 / batch).epsilon(1e-12));
  }
}

TEST_CASE("a group that evaluated no sample has no noise scale", "[report][claims]") {
  Synthetic s = runs_of({{"a", {0.1, 0.2}}});
  for (RunRecord& r : s.runs.runs) {
    r.theory.emplace().gamma = 0.1;
    r.trace.epochs = {0.0, 0.0, 0.0};
  }
  CHECK(std::isnan(analyse_experiment(s.runs, "s.h5").groups[0].noise_scale));
  for (RunRecord& r : s.runs.runs) r.trace.epochs = {0.0, 1.0, 2.0};  // 0.1 epochs per iteration
  CHECK(analyse_experiment(s.runs, "s.h5").groups[0].noise_scale == Approx(1.0));
}
