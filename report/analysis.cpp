#include "sgda/report/analysis.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>

#include "sgda/error.hpp"

namespace sgda {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double number(const Settings& s, const std::string& key) {
  const auto it = s.find(key);
  if (it == s.end()) return kNaN;
  double value = kNaN;
  const std::string& text = it->second;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  return result.ec == std::errc() ? value : kNaN;
}

std::string text(const Settings& s, const std::string& key) {
  const auto it = s.find(key);
  return it == s.end() ? "" : it->second;
}

std::string format(const char* pattern, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, value);
  return buffer;
}

const std::vector<double>& metric_column(const Trace& trace, const std::string& metric) {
  return metric == "residual_sq" ? trace.residual_sq : trace.relative_distance_sq;
}

double axis_value(const Trace& trace, Axis axis, std::size_t row) {
  switch (axis) {
    case Axis::kIterations:
      return double(trace.iteration[row]);
    case Axis::kEpochs:
      return trace.epochs[row];
    case Axis::kBits:
      return double(trace.bits[row]);
    case Axis::kWallTime:
      return trace.wall_time[row];
  }
  return kNaN;
}

TargetCost first_hit(const Trace& trace, const std::vector<double>& values, double target) {
  TargetCost cost;
  for (std::size_t row = 0; row < values.size(); ++row) {
    if (!(values[row] <= target)) continue;
    cost.reached = 1;
    cost.iterations = double(trace.iteration[row]);
    cost.epochs = trace.epochs[row];
    cost.bits = double(trace.bits[row]);
    cost.seconds = trace.wall_time[row];
    break;
  }
  return cost;
}

// The theorem's bound on E r_k, r_k = ||x^k − x*||²/||x⁰ − x*||², at iteration k; NaN where the
// group's schedule gives no bound (between the halves of the switching rule).
struct Bound {
  double q = kNaN, start = kNaN, floor = kNaN;  // q^k · start + floor
  bool switching = false;
  double k0 = kNaN, last = kNaN, final_bound = kNaN;
  double at(double k) const {
    if (switching && k > k0) return k == last ? final_bound : kNaN;
    return std::pow(q, k) * start + floor;
  }
};

BoundCheck check_bound(const Bound& bound, const std::vector<double>& iterations,
                       const std::vector<double>& values) {
  BoundCheck check;
  check.checked = true;
  check.worst_ratio = 0.0;
  // At k = 0 the ratio is 1/(V_0/||x⁰ − x*||² + neighbourhood) whatever the method: the worst
  // row is sought after the start (the start itself is still checked).
  for (std::size_t row = 0; row < values.size(); ++row) {
    const double b = bound.at(iterations[row]);
    if (std::isnan(b)) continue;
    // A zero bound (γμ = 1, no noise) is broken by any positive value; a non-finite value (a
    // diverged run) breaks any bound.
    const double v = values[row];
    const double ratio = !std::isfinite(v) ? INFINITY
                         : b > 0.0         ? v / b
                                           : (v > 0.0 ? INFINITY : 0.0);
    if (row == 0 && values.size() > 1 && ratio <= 1.0 + 1e-9) continue;
    if (ratio > check.worst_ratio || std::isnan(check.worst_iteration)) {
      check.worst_ratio = ratio;
      check.worst_iteration = iterations[row];
    }
  }
  // The relative distance is 1 at k = 0 and so is the bound without a state term: allow the
  // rounding of q^k·V_0/||x⁰ − x*||².
  check.within = check.worst_ratio <= 1.0 + 1e-9;
  if (check.within)
    check.verdict = "within (at most " + format("%.2g", check.worst_ratio) + " of it)";
  else if (std::isinf(check.worst_ratio))
    check.verdict = "breaks it at iteration " + format("%.0f", check.worst_iteration) +
                    " (a value that is not finite, or above a zero bound)";
  else
    check.verdict = "breaks it: " + format("%.3g", check.worst_ratio) +
                    "x the bound at iteration " + format("%.0f", check.worst_iteration);
  return check;
}

// The column `name` of a trace, or null when the run does not have it.
const std::vector<double>* extra_column(const Trace& trace, const std::string& name) {
  for (const TraceColumn& column : trace.extra)
    if (column.name == name) return &column.values;
  return nullptr;
}

// The group's further trace columns against iterations, over the `iterations` rows common to
// its runs, and each run's value at its last row.
void add_extra_curves(GroupSummary& g, const ExperimentRuns& runs,
                      const std::vector<std::string>& names,
                      const std::vector<double>& iterations) {
  const std::size_t rows = iterations.size();
  for (RunSummary& r : g.runs) {
    const Trace& t = runs.runs[r.index].trace;
    for (const std::string& name : names) {
      const std::vector<double>* values = extra_column(t, name);
      r.extra_final.push_back(
          values && !values->empty() && values->size() == t.size() ? values->back() : kNaN);
    }
  }
  for (const std::string& name : names) {
    ExtraCurve extra;
    extra.name = name;
    Curve& c = extra.curve;
    c.x = iterations;
    c.mean.assign(rows, 0.0);
    c.low.assign(rows, kNaN);
    c.high.assign(rows, kNaN);
    for (const RunSummary& r : g.runs) {
      const std::vector<double>* values = extra_column(runs.runs[r.index].trace, name);
      for (std::size_t row = 0; row < rows; ++row) {
        const double v = values && row < values->size() ? (*values)[row] : kNaN;
        c.mean[row] += v / double(g.runs.size());
        if (!std::isfinite(v)) continue;
        c.low[row] = std::isnan(c.low[row]) ? v : std::min(c.low[row], v);
        c.high[row] = std::isnan(c.high[row]) ? v : std::max(c.high[row], v);
      }
    }
    extra.final_value = rows > 0 ? c.mean.back() : kNaN;
    g.extras.push_back(std::move(extra));
  }
}

BoundCheck not_checked(const std::string& why) {
  BoundCheck check;
  check.verdict = "not checked: " + why;
  return check;
}

}  // namespace

std::string axis_name(Axis axis) {
  switch (axis) {
    case Axis::kIterations:
      return "iterations";
    case Axis::kEpochs:
      return "epochs";
    case Axis::kBits:
      return "bits";
    case Axis::kWallTime:
      return "wall_time";
  }
  return "";
}

std::string axis_label(Axis axis) {
  switch (axis) {
    case Axis::kIterations:
      return "iterations";
    case Axis::kEpochs:
      return "epochs (sample evaluations / n)";
    case Axis::kBits:
      return "bits sent (all workers, uplink)";
    case Axis::kWallTime:
      return "wall time (s)";
  }
  return "";
}

std::vector<Axis> ExperimentReport::axes() const {
  std::vector<Axis> out;
  for (const Axis axis : kAxes)
    if (axis != Axis::kBits || has_bits) out.push_back(axis);
  return out;
}

ExperimentReport analyse_experiment(const ExperimentRuns& runs, const std::string& file,
                                    const RateFitOptions& fit_options) {
  ExperimentReport report;
  report.file = file;
  report.attributes = runs.attributes;
  report.title = text(runs.attributes, "experiment.title");
  report.description = text(runs.attributes, "experiment.description");
  report.source = text(runs.attributes, "experiment.source");
  report.target = number(runs.attributes, "experiment.target");
  if (!(report.target > 0.0)) report.target = 1e-6;
  report.planned_runs =
      std::size_t(std::max(0.0, number(runs.attributes, "experiment.planned_runs")));
  for (const RunRecord& run : runs.runs) {
    const auto& r = run.trace.relative_distance_sq;
    if (r.empty() || !std::isfinite(r.front())) report.metric = "residual_sq";
    if (!run.trace.bits.empty() && run.trace.bits.back() > 0) report.has_bits = true;
    for (const TraceColumn& column : run.trace.extra)
      if (std::find(report.extra_columns.begin(), report.extra_columns.end(), column.name) ==
          report.extra_columns.end())
        report.extra_columns.push_back(column.name);
  }

  // Groups: same label and step, in order of first appearance.
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  for (std::size_t i = 0; i < runs.runs.size(); ++i) {
    const Settings& s = runs.runs[i].settings;
    const auto key = std::make_pair(text(s, "experiment.label"), text(s, "experiment.step"));
    auto [it, fresh] = index.try_emplace(key, report.groups.size());
    if (fresh) {
      GroupSummary g;
      g.label = key.first;
      g.step = key.second;
      g.method = text(s, "method.name");
      g.method_description = text(s, "method_description");
      report.groups.push_back(std::move(g));
    }
    RunSummary summary;
    summary.index = i;
    summary.seed = std::uint64_t(number(s, "experiment.seed"));
    summary.termination = text(s, "termination");
    report.groups[it->second].runs.push_back(std::move(summary));
  }

  for (GroupSummary& g : report.groups) {
    // The theory of the group's first run (every run of a group has the same, but for V₀,
    // whose σ₀ may depend on the seed); none recorded: every number unknown.
    const RunRecord& front = runs.runs[g.runs.front().index];
    const Theory t = front.theory.value_or(Theory{});
    g.gamma = t.gamma;
    g.theory_gamma = t.theory_step_size;
    g.omega = t.omega;
    g.workers = t.distributed() ? double(t.workers) : kNaN;
    g.A = t.A;
    g.B = t.B;
    g.C = t.C;
    g.D1 = t.D1;
    g.D2 = t.D2;
    g.rho = t.rho;
    g.predicted_contraction = t.contraction;
    const double distance = t.initial_distance;
    g.neighbourhood = t.relative_neighbourhood;
    g.applies = front.theory ? t.applies_text() : "";
    g.switching = t.step_source == StepSource::kSwitching;
    g.initial_lyapunov = 0.0;
    for (const RunSummary& r : g.runs) {
      const std::optional<Theory>& theory = runs.runs[r.index].theory;
      g.initial_lyapunov =
          std::max(g.initial_lyapunov, (theory ? theory->initial_lyapunov : kNaN) / distance);
    }

    Bound bound{g.predicted_contraction, g.initial_lyapunov, g.neighbourhood};
    if (g.switching) {
      bound.switching = true;
      bound.k0 = t.switching_k0;
      bound.final_bound = t.switching_bound / distance;
      bound.last = double(t.iterations);
    }
    std::string why;
    if (report.metric != "relative_distance_sq")
      why = "x* is unknown (the plots show the natural residual)";
    else if (g.applies != "yes")
      why = g.applies.rfind("no: ", 0) == 0 ? "outside the theorem: " + g.applies.substr(4)
                                            : "outside the theorem";

    // Rows common to every run of the group, matched by position (same log_every).
    std::size_t rows = SIZE_MAX;
    for (const RunSummary& r : g.runs) rows = std::min(rows, runs.runs[r.index].trace.size());
    const Trace& first = runs.runs[g.runs.front().index].trace;
    std::vector<double> iterations(rows);
    for (std::size_t row = 0; row < rows; ++row) iterations[row] = double(first.iteration[row]);
    for (const Axis axis : kAxes) {
      Curve& c = g.curves[int(axis)];
      c.x.assign(rows, 0.0);
      c.mean.assign(rows, 0.0);
      c.low.assign(rows, INFINITY);
      c.high.assign(rows, -INFINITY);
    }
    double bits_rate = 0, epochs_rate = 0;
    for (RunSummary& r : g.runs) {
      const RunRecord& run = runs.runs[r.index];
      const Trace& t = run.trace;
      const std::vector<double>& values = metric_column(t, report.metric);
      for (std::size_t row = 0; row < rows; ++row)
        for (const Axis axis : kAxes) {
          Curve& c = g.curves[int(axis)];
          c.x[row] += axis_value(t, axis, row) / double(g.runs.size());
          c.mean[row] += values[row] / double(g.runs.size());
          c.low[row] = std::min(c.low[row], values[row]);
          c.high[row] = std::max(c.high[row], values[row]);
        }
      r.rows = t.size();
      if (r.rows > 0) {
        const std::size_t last = r.rows - 1;
        r.iterations = double(t.iteration[last]);
        r.epochs = t.epochs[last];
        r.bits = double(t.bits[last]);
        r.seconds = t.wall_time[last];
        r.final_value = values[last];
        if (r.iterations > 0) {
          bits_rate += r.bits / r.iterations / double(g.runs.size());
          epochs_rate += r.epochs / r.iterations / double(g.runs.size());
        }
      }
      std::vector<double> x(t.size());
      for (std::size_t row = 0; row < t.size(); ++row) x[row] = double(t.iteration[row]);
      r.fit = fit_rate(x, values, fit_options);
      r.bound = why.empty() ? check_bound(bound, x, values) : not_checked(why);
      r.target = first_hit(t, values, report.target);
    }
    g.bits_per_iteration = bits_rate;
    g.epochs_per_iteration = epochs_rate;
    // γ n / (sample evaluations per iteration); none when the runs evaluated no sample.
    g.noise_scale = epochs_rate > 0.0 ? g.gamma / epochs_rate : kNaN;
    const Curve& mean = g.curves[int(Axis::kIterations)];
    g.final_value = rows > 0 ? mean.mean.back() : kNaN;
    g.fit = fit_rate(iterations, mean.mean, fit_options);
    g.bound = why.empty() ? check_bound(bound, iterations, mean.mean) : not_checked(why);
    if (why.empty())
      for (const double k : iterations) g.bound_curve.push_back(bound.at(k));
    add_extra_curves(g, runs, report.extra_columns, iterations);
    for (const RunSummary& r : g.runs) {
      if (!r.target.reached) continue;
      const double k = ++g.target.reached;
      auto running_mean = [&](double& mean_value, double v) {
        mean_value = k == 1 ? v : mean_value + (v - mean_value) / k;
      };
      running_mean(g.target.iterations, r.target.iterations);
      running_mean(g.target.epochs, r.target.epochs);
      running_mean(g.target.bits, r.target.bits);
      running_mean(g.target.seconds, r.target.seconds);
    }
  }
  // The experiment file's [[claim]] tables, from its text kept in the runs file.
  try {
    report.claims = check_claims(
        parse_claims(text(runs.attributes, "experiment.text"), report.source), report, runs);
  } catch (const InputError& e) {  // a file this version does not read: said, not fatal
    ClaimCheck check;
    check.claim.text = "the experiment file's claims";
    check.verdict = std::string("not checked: ") + e.what();
    report.claims.push_back(std::move(check));
  }
  return report;
}

}  // namespace sgda
