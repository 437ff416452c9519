// The empirical rate of a convergence curve: the linear phase of log y against x, found
// automatically, and the floor where the curve stops decreasing (docs/reports.md, "Rate fit").
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace sgda {

struct RateFitOptions {
  // A linear phase must fall by at least this many decades over its window, ...
  double min_decades = 1.0;
  // ... with at least this coefficient of determination of the line through log y, ...
  double min_r_squared = 0.9;
  // ... and at least this many points.
  std::size_t min_points = 6;
  // The window ends where the curve first comes this many decades close to its floor, so the
  // bend into the plateau biases the slope by at most ln(1 + 10^-margin) over the window.
  double floor_margin_decades = 1.0;
};

struct RateFit {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

  bool linear = false;  // a linear phase was found
  // Why there is none ("no linear phase: ..."), or what was found, in a few words.
  std::string note;
  // y ≈ c · contraction^x over the window: the contraction per unit of x (per iteration when x
  // counts iterations). Set whenever a line was fitted, also when it was rejected.
  double contraction = kNaN;
  std::size_t begin = 0, end = 0;  // the window: rows [begin, end) of the input
  double x_begin = kNaN, x_end = kNaN;
  double r_squared = kNaN;
  double decades = kNaN;  // how far the fitted line falls over the window
  // The plateau: the curve's last part no longer decreases. `floor` is the mean of y there
  // (NaN without a plateau); it starts at row `plateau_begin`.
  bool plateau = false;
  double floor = kNaN;
  std::size_t plateau_begin = 0;
};

// Fits y against x (same length; x increasing). Rows where y is not a finite positive number
// are ignored. Never throws for bad data: a curve without a linear phase says so in `note`.
RateFit fit_rate(const std::vector<double>& x, const std::vector<double>& y,
                 const RateFitOptions& options = {});

}  // namespace sgda
