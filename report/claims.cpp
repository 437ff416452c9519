#include "sgda/report/claims.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "../io/toml_reader.hpp"
#include "sgda/report/analysis.hpp"

namespace sgda {

template <>
const std::vector<EnumValue<ClaimStatistic>>& enum_values<ClaimStatistic>() {
  static const std::vector<EnumValue<ClaimStatistic>> values = {
      {ClaimStatistic::kMean, "mean", "the mean over the group's runs"},
      {ClaimStatistic::kMedian, "median", "the median over the group's runs"},
      {ClaimStatistic::kMin, "min", "the smallest over the group's runs"},
      {ClaimStatistic::kMax, "max", "the largest over the group's runs"},
  };
  return values;
}

template <>
const std::vector<EnumValue<ClaimTrend>>& enum_values<ClaimTrend>() {
  static const std::vector<EnumValue<ClaimTrend>> values = {
      {ClaimTrend::kNone, "none", "no trend: the bounds alone"},
      {ClaimTrend::kIncreasing, "increasing", "strictly rising along the groups of methods"},
      {ClaimTrend::kDecreasing, "decreasing", "strictly falling along the groups of methods"},
  };
  return values;
}

const OptionTable<Claim>& Claim::table() {
  using O = Claim;
  static const OptionTable<O> table(
      "Claim",
      {
          field("text", &O::text, "the finding as its paper states it, with the paper")
              .must_be_given(),
          field("metric", &O::metric,
                "the trace column it is about (risk, test_accuracy, relative_distance_sq, ...)")
              .must_be_given(),
          documented<O>("methods", FieldType::kList,
                        "label patterns of the groups it concerns: a label, one of its "
                        "\"key=value\" items, or its method name; in order for a trend",
                        "every group"),
          field("statistic", &O::statistic, "the number of a group, over its runs' last rows"),
          field("at_least", &O::at_least, "it holds when every group's number is >= this")
              .defaults_to("no lower bound"),
          field("at_most", &O::at_most, "it holds when every group's number is <= this")
              .defaults_to("no upper bound"),
          field("trend", &O::trend, "and when the numbers rise or fall along methods"),
          field("iteration", &O::iteration,
                "the values at the logged row of this iteration, instead of each run's last row")
              .at_least(0)
              .defaults_to("the last row"),
      });
  return table;
}

namespace {

// Claim::methods: "sgda (k=4, workers=5)" is matched by itself, by "sgda", and by "k=4",
// "workers=5" or "k=4, workers=5" (items split at ", ", which values never hold).
bool label_matches(const std::string& label, const std::string& pattern) {
  if (label == pattern) return true;
  const std::size_t open = label.rfind(" (");
  if (open == std::string::npos || label.back() != ')') return false;
  if (label.compare(0, open, pattern) == 0 && open == pattern.size()) return true;
  const std::string items = ", " + label.substr(open + 2, label.size() - open - 3) + ", ";
  // Every item of the pattern is an item of the label.
  std::size_t from = 0;
  while (from <= pattern.size()) {
    std::size_t to = pattern.find(", ", from);
    if (to == std::string::npos) to = pattern.size();
    if (items.find(", " + pattern.substr(from, to - from) + ", ") == std::string::npos)
      return false;
    from = to + 2;
  }
  return true;
}

double statistic(ClaimStatistic s, std::vector<double> values) {
  if (values.empty() ||
      std::any_of(values.begin(), values.end(), [](double v) { return std::isnan(v); }))
    return NAN;
  std::sort(values.begin(), values.end());
  switch (s) {
    case ClaimStatistic::kMin:
      return values.front();
    case ClaimStatistic::kMax:
      return values.back();
    case ClaimStatistic::kMedian: {
      const std::size_t m = values.size() / 2;
      return values.size() % 2 ? values[m] : 0.5 * (values[m - 1] + values[m]);
    }
    case ClaimStatistic::kMean:
      break;
  }
  double sum = 0.0;
  for (const double v : values) sum += v;
  return sum / double(values.size());
}

std::string number(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3g", v);
  return buffer;
}

// The trace column `name` (the two metrics or a further column); null when the run lacks it.
const std::vector<double>* column(const Trace& t, const std::string& name) {
  if (name == "relative_distance_sq") return &t.relative_distance_sq;
  if (name == "residual_sq") return &t.residual_sq;
  for (const TraceColumn& c : t.extra)
    if (c.name == name) return &c.values;
  return nullptr;
}

// The group's runs' values of `claim.metric` at their last rows or at `claim.iteration` (NaN
// for a run without the column or the row).
std::vector<double> values_of(const Claim& claim, const GroupSummary& group,
                              const ExperimentRuns& runs) {
  std::vector<double> values;
  for (const RunSummary& run : group.runs) {
    const Trace& t = runs.runs[run.index].trace;
    const std::vector<double>* c = column(t, claim.metric);
    std::size_t row = t.size();
    if (claim.iteration < 0 && t.size() > 0) row = t.size() - 1;
    for (std::size_t r = 0; claim.iteration >= 0 && r < t.size(); ++r)
      if (t.iteration[r] == claim.iteration) row = r;
    values.push_back(c && row < c->size() ? (*c)[row] : NAN);
  }
  return values;
}

}  // namespace

std::vector<Claim> parse_claims(const std::string& text, const std::string& source) {
  const toml::table root = detail::parse_toml(text, source);
  const detail::TomlReader reader(source);
  std::vector<Claim> claims;
  const toml::node* node = root.get("claim");
  if (!node) return claims;
  const toml::array* array = node->as_array();
  if (!array || !array->is_array_of_tables())
    reader.fail(node, "claim", "must be [[claim]] tables, one per claim");
  for (const toml::node& item : *array) {
    const toml::table& t = *item.as_table();
    Claim claim;
    claim.where = reader.where(&t);
    std::map<std::string, std::string> origin;
    reader.read(t, "claim", Claim::table(), claim, origin, nullptr);
    if (const toml::node* methods = t.get("methods")) {
      const toml::array* patterns = methods->as_array();
      if (!patterns || patterns->empty())
        reader.fail(methods, "claim.methods",
                    "must be a non-empty array of strings; accepted group labels or their "
                    "\"key=value\" items");
      for (const toml::node& p : *patterns) {
        if (!p.is_string() || p.as_string()->get().empty())
          reader.fail(&p, "claim.methods",
                      "must hold non-empty strings; accepted group labels or their "
                      "\"key=value\" items");
        claim.methods.emplace_back(p.as_string()->get());
      }
    }
    if (claim.trend != ClaimTrend::kNone && claim.methods.size() < 2)
      reader.fail(&t, "claim.trend",
                  "needs the groups in order; accepted claim.methods with at least two "
                  "patterns");
    if (claim.at_least > claim.at_most)
      reader.fail(&t, "claim.at_least", "is above claim.at_most; accepted at_least <= at_most");
    claims.push_back(std::move(claim));
  }
  return claims;
}

std::string to_string(ClaimCheck::Status status) {
  switch (status) {
    case ClaimCheck::Status::kConfirmed:
      return "confirmed";
    case ClaimCheck::Status::kNotConfirmed:
      return "not confirmed";
    case ClaimCheck::Status::kNotChecked:
      break;
  }
  return "not checked";
}

std::vector<ClaimCheck> check_claims(const std::vector<Claim>& claims,
                                     const ExperimentReport& report, const ExperimentRuns& runs) {
  std::vector<ClaimCheck> checks;
  for (const Claim& claim : claims) {
    ClaimCheck check;
    check.claim = claim;
    auto name = [&](const GroupSummary& g) {
      const bool several_steps = std::any_of(
          report.groups.begin(), report.groups.end(),
          [&](const GroupSummary& o) { return o.label == g.label && o.step != g.step; });
      return several_steps ? g.label + ", step " + g.step : g.label;
    };
    // The groups, in the order of the patterns (each pattern's matches in report order).
    std::vector<const GroupSummary*> groups;
    std::string unmatched;
    const std::vector<std::string> patterns =
        claim.methods.empty() ? std::vector<std::string>{""} : claim.methods;
    for (const std::string& pattern : patterns) {
      std::size_t found = 0;
      for (const GroupSummary& g : report.groups)
        if (pattern.empty() || label_matches(g.label, pattern)) {
          groups.push_back(&g);
          ++found;
        }
      if (found == 0 || (claim.trend != ClaimTrend::kNone && found > 1))
        unmatched = "\"" + pattern + "\" matches " + std::to_string(found) + " groups";
    }
    for (const GroupSummary* g : groups)
      check.measured.emplace_back(name(*g), statistic(claim.statistic, values_of(claim, *g, runs)));
    const bool finite = std::all_of(check.measured.begin(), check.measured.end(),
                                    [](const auto& m) { return std::isfinite(m.second); });
    if (!unmatched.empty()) {
      check.verdict = "not checked: " + unmatched +
                      (claim.trend != ClaimTrend::kNone ? " (a trend needs one each)" : "");
    } else if (!finite) {
      check.verdict =
          "not checked: a group has no finite " + claim.metric +
          (claim.iteration >= 0 ? " at iteration " + std::to_string(claim.iteration) +
                                      " (a run lacks the column or the row, or diverged)"
                                : " (a run lacks the column, or diverged)");
      const auto bad = std::find_if(check.measured.begin(), check.measured.end(),
                                    [](const auto& m) { return !std::isfinite(m.second); });
      // A diverged run is a finding, not a missing one: it breaks a bound it cannot meet.
      if (std::isinf(bad->second)) {
        check.status = ClaimCheck::Status::kNotConfirmed;
        check.verdict =
            "not confirmed: " + bad->first + " has " + claim.metric + " " + number(bad->second);
      }
    } else {
      std::string broken;
      for (const auto& [group, value] : check.measured) {
        if (value < claim.at_least)
          broken = group + ": " + number(value) + " < " + number(claim.at_least);
        else if (value > claim.at_most)
          broken = group + ": " + number(value) + " > " + number(claim.at_most);
        if (!broken.empty()) break;
      }
      for (std::size_t i = 1; broken.empty() && i < check.measured.size(); ++i) {
        const double before = check.measured[i - 1].second, now = check.measured[i].second;
        if (claim.trend == ClaimTrend::kIncreasing && !(now > before))
          broken = "not increasing from " + check.measured[i - 1].first + " to " +
                   check.measured[i].first + " (" + number(before) + " to " + number(now) + ")";
        if (claim.trend == ClaimTrend::kDecreasing && !(now < before))
          broken = "not decreasing from " + check.measured[i - 1].first + " to " +
                   check.measured[i].first + " (" + number(before) + " to " + number(now) + ")";
      }
      check.status =
          broken.empty() ? ClaimCheck::Status::kConfirmed : ClaimCheck::Status::kNotConfirmed;
      check.verdict = broken.empty() ? "confirmed" : "not confirmed: " + broken;
    }
    checks.push_back(std::move(check));
  }
  return checks;
}

}  // namespace sgda
