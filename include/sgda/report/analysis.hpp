// The theory next to the measurement: runs of an experiment grouped by method variant and step
// size (seeds pooled), each group's mean curve fitted and checked against Theorem 2.2 of
// Beznosikov et al. (2023). What the numbers mean: docs/reports.md.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "sgda/io/trace_file.hpp"
#include "sgda/report/claims.hpp"
#include "sgda/report/experiment.hpp"
#include "sgda/report/rate_fit.hpp"

namespace sgda {

// A group's curve against one x axis: per logged row, x and the metric's mean, min and max over
// the group's runs (rows at the same iteration; x is the mean over runs for epochs, bits, time).
struct Curve {
  std::vector<double> x, mean, low, high;
};

// The x axes of the plots, in order: iterations, epochs (sample evaluations / n), bits sent,
// wall time in seconds.
enum class Axis { kIterations, kEpochs, kBits, kWallTime };
inline constexpr Axis kAxes[] = {Axis::kIterations, Axis::kEpochs, Axis::kBits, Axis::kWallTime};
std::string axis_name(Axis axis);  // "iterations", "epochs", "bits", "wall_time"
std::string axis_label(
    Axis axis);  // for plots: "iterations", "epochs (sample evaluations / n)", ...

// First time a run (or the group mean) reaches the experiment's target accuracy.
struct TargetCost {
  int reached = 0;                                               // runs that reached it
  double iterations = std::numeric_limits<double>::quiet_NaN();  // mean over those runs
  double epochs = std::numeric_limits<double>::quiet_NaN();
  double bits = std::numeric_limits<double>::quiet_NaN();
  double seconds = std::numeric_limits<double>::quiet_NaN();
};

// Where a curve stands against the theorem's bound on E||x^k − x*||² / ||x⁰ − x*||².
struct BoundCheck {
  bool checked = false;  // the theorem applies and x* is known
  bool within = false;   // every checked row is at or below the bound
  double worst_ratio = std::numeric_limits<double>::quiet_NaN();  // max over rows of value/bound
  double worst_iteration = std::numeric_limits<double>::quiet_NaN();
  std::string verdict;  // one sentence for the table
};

// A further trace column of a group (Trace::extra: the problem's metrics such as modes_covered
// or mean_error, the averaged iterate's distance and residual), against iterations.
struct ExtraCurve {
  std::string name;  // the trace column
  // Per row common to the group's runs: the mean over runs (not finite when a run's value is
  // not; NaN when a run lacks the column), the minimum and maximum over the finite values (NaN
  // when there are none).
  Curve curve;
  double final_value = std::numeric_limits<double>::quiet_NaN();  // the mean at the last row
};

struct RunSummary {
  std::size_t index = 0;  // in ExperimentRuns::runs
  std::uint64_t seed = 0;
  std::string termination;
  std::size_t rows = 0;
  double iterations = 0, epochs = 0, bits = 0, seconds = 0;  // at the last row
  double final_value = std::numeric_limits<double>::quiet_NaN();
  // Each of ExperimentReport::extra_columns at the run's last row (NaN when it lacks the column).
  std::vector<double> extra_final;
  RateFit fit;       // of this run's curve against iterations
  BoundCheck bound;  // this run alone against the bound on the expectation
  TargetCost target;
};

struct GroupSummary {
  std::string label;   // the method variant
  std::string step;    // as written: "theory", "theory*0.5", "0.01"
  std::string method;  // method.name
  std::string method_description;
  std::vector<RunSummary> runs;
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  // The theory, from the runs' theory.* attributes.
  double gamma = kNaN, theory_gamma = kNaN, omega = kNaN, workers = kNaN;
  double A = kNaN, B = kNaN, C = kNaN, D1 = kNaN, D2 = kNaN, rho = kNaN;
  double predicted_contraction = kNaN;  // 1 − min{γμ, ρ − B/M}, M = 2B/ρ
  double neighbourhood = kNaN;          // γ²(D1 + M D2)/min{γμ, ρ − B/M} / ||x⁰ − x*||²
  double initial_lyapunov = kNaN;       // V_0 / ||x⁰ − x*||²
  std::string applies;                  // "yes" or "no: why"
  bool switching = false;
  // The measurement, on the group's mean curve against iterations.
  RateFit fit;
  double final_value = kNaN;  // mean over runs at the last common row
  double bits_per_iteration = kNaN, epochs_per_iteration = kNaN;
  // SGD's noise scale γ N / B (Smith & Le 2018; Park et al. 2019 normalize it by the
  // initialization's fan_in · Var W, 2 for He): γ / epochs_per_iteration, the sample
  // evaluations per iteration standing for B.
  double noise_scale = kNaN;
  BoundCheck bound;
  TargetCost target;  // per run, averaged
  Curve curves[4];    // indexed by Axis
  // The theorem's bound at each row of curves[Axis::kIterations] (NaN where it gives none);
  // empty when the bound is not checked.
  std::vector<double> bound_curve;
  std::vector<ExtraCurve> extras;  // one per ExperimentReport::extra_columns, in that order
};

struct ExperimentReport {
  std::string file;  // the runs file
  std::string title, description, source;
  Settings attributes;  // the runs file's root attributes (constants.*, experiment.*)
  double target = 1e-6;
  // relative_distance_sq when every run knows x*, else residual_sq (natural residual).
  std::string metric = "relative_distance_sq";
  std::size_t planned_runs = 0;
  std::vector<GroupSummary> groups;  // in the order their first run appears in the plan
  bool has_bits = false;             // some run sent bits: the bits plot is drawn
  // The runs' further trace columns (Trace::extra), in order of first appearance; each gets a
  // plot against iterations and its final values in the tables.
  std::vector<std::string> extra_columns;
  std::vector<ClaimCheck> claims;  // the experiment file's [[claim]] tables, checked
  std::vector<Axis> axes() const;  // the plots of this experiment
};

// Groups, fits and checks the runs of one runs file.
ExperimentReport analyse_experiment(const ExperimentRuns& runs, const std::string& file,
                                    const RateFitOptions& fit = {});

}  // namespace sgda
