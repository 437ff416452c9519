// Private to report/: one line plot as inline SVG, log-scale (or linear) y, mean lines with
// min–max bands.
#pragma once

#include <string>
#include <vector>

namespace sgda::report {

struct PlotSeries {
  std::string color;  // CSS colour
  std::string dash;   // stroke-dasharray, "" for solid
  const std::vector<double>* x = nullptr;
  const std::vector<double>* mean = nullptr;
  const std::vector<double>* low = nullptr;  // band; may be null
  const std::vector<double>* high = nullptr;
  const std::vector<double>* bound =
      nullptr;  // dotted reference (the theorem's bound); may be null
};

struct Plot {
  std::string id;  // unique in the page (names the clip path)
  std::string title, x_label, y_label;
  std::vector<PlotSeries> series;
  // Decades of positive values; false: a linear axis over every finite value (counts,
  // fractions, values that may be zero or negative).
  bool log_y = true;
};

// A self-contained <svg> element (viewBox, scales with its container), with a <title>.
std::string svg_plot(const Plot& plot);

// "&amp;"-escaped text for HTML and SVG.
std::string escape(const std::string& text);

}  // namespace sgda::report
