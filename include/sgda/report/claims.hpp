// Claims an experiment checks: a paper's finding stated as a bound on the runs' final values,
// given in [[claim]] tables of the experiment file (docs/experiment-files.md#claim) and checked
// by sgda report, which prints each with what was measured and a verdict.
//
// A claim concerns the groups (method variant and step) whose labels match its `methods`
// patterns (all groups when none is given). For each group it takes one number, `statistic`
// over the group's runs of the trace column `metric` at each run's last row (or at the row of
// iteration `iteration`), and holds when
//   every group's number is ≥ at_least and ≤ at_most (those given), and
//   with a trend, the numbers rise (or fall) strictly along the groups in the order of
//   `methods` (one group per pattern).
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "sgda/options.hpp"

namespace sgda {

struct ExperimentReport;
struct ExperimentRuns;

enum class ClaimStatistic { kMean, kMedian, kMin, kMax };
template <>
const std::vector<EnumValue<ClaimStatistic>>& enum_values<ClaimStatistic>();

enum class ClaimTrend { kNone, kIncreasing, kDecreasing };
template <>
const std::vector<EnumValue<ClaimTrend>>& enum_values<ClaimTrend>();

struct Claim {
  std::string text;    // the finding as its paper states it, with the paper
  std::string metric;  // a trace column: "risk", "test_accuracy", "relative_distance_sq", ...
  // Label patterns of the groups: a pattern matches a label equal to it, or one of the label's
  // "key=value" items (or several, "k=4, workers=5"), or the label's method before " (".
  std::vector<std::string> methods;
  ClaimStatistic statistic = ClaimStatistic::kMean;  // over a group's runs
  double at_least = -std::numeric_limits<double>::infinity();
  double at_most = std::numeric_limits<double>::infinity();
  ClaimTrend trend = ClaimTrend::kNone;  // along the groups of `methods`, in their order
  std::int64_t iteration = -1;           // the row of this iteration; −1: each run's last row
  std::string where;                     // file:line of the [[claim]] table

  static const OptionTable<Claim>& table();
};

// The [[claim]] tables of an experiment file's text (none when it has none). Throws InputError
// naming the file, the line and the field (claim.metric, ...).
std::vector<Claim> parse_claims(const std::string& text, const std::string& source);

struct ClaimCheck {
  Claim claim;
  enum class Status { kConfirmed, kNotConfirmed, kNotChecked };
  Status status = Status::kNotChecked;
  // Each concerned group's name and number (NaN when its runs lack the metric).
  std::vector<std::pair<std::string, double>> measured;
  std::string verdict;  // one sentence
};
std::string to_string(ClaimCheck::Status status);  // "confirmed", "not confirmed", "not checked"

// Checks `claims` on the runs of an experiment, grouped as `report` groups them
// (analyse_experiment does, with the claims of the experiment file kept in the runs file).
std::vector<ClaimCheck> check_claims(const std::vector<Claim>& claims,
                                     const ExperimentReport& report, const ExperimentRuns& runs);

}  // namespace sgda
