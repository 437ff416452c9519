#include "sgda/report/rate_fit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sgda {
namespace {

const double kLn10 = std::log(10.0);

double median(std::vector<double> v) {
  if (v.empty()) return RateFit::kNaN;
  const auto mid = v.begin() + static_cast<long>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (v.size() % 2 == 1) return *mid;
  return 0.5 * (*mid + *std::max_element(v.begin(), mid));
}

double quantile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double at = p * double(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(at));
  const std::size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (at - double(lo)) * (v[hi] - v[lo]);
}

struct Line {
  double slope = 0, intercept = 0, r_squared = 0, residual = 0;  // residual: RMS, in ln y
};

// Least squares z ≈ intercept + slope·x over [begin, end).
Line fit_line(const std::vector<double>& x, const std::vector<double>& z, std::size_t begin,
              std::size_t end) {
  const double n = double(end - begin);
  double mx = 0, mz = 0;
  for (std::size_t i = begin; i < end; ++i) mx += x[i], mz += z[i];
  mx /= n;
  mz /= n;
  double sxx = 0, sxz = 0, szz = 0;
  for (std::size_t i = begin; i < end; ++i) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxz += (x[i] - mx) * (z[i] - mz);
    szz += (z[i] - mz) * (z[i] - mz);
  }
  Line line;
  line.slope = sxx > 0 ? sxz / sxx : 0.0;
  line.intercept = mz - line.slope * mx;
  const double residual = std::max(0.0, szz - line.slope * sxz);
  line.r_squared = szz > 0 ? 1.0 - residual / szz : 1.0;
  line.residual = std::sqrt(residual / n);
  return line;
}

std::string format(const char* pattern, double a, double b = 0.0) {
  char buffer[128];
  std::snprintf(buffer, sizeof buffer, pattern, a, b);
  return buffer;
}

}  // namespace

RateFit fit_rate(const std::vector<double>& x_in, const std::vector<double>& y_in,
                 const RateFitOptions& options) {
  RateFit fit;
  std::vector<std::size_t> rows;
  std::vector<double> x, z;
  const std::size_t size = std::min(x_in.size(), y_in.size());
  for (std::size_t i = 0; i < size; ++i) {
    if (!(std::isfinite(x_in[i]) && std::isfinite(y_in[i]) && y_in[i] > 0.0)) continue;
    rows.push_back(i);
    x.push_back(x_in[i]);
    z.push_back(std::log(y_in[i]));
  }
  const std::size_t n = z.size();
  const std::size_t min_points = std::max<std::size_t>(options.min_points, 3);
  if (n < min_points) {
    fit.note = "no linear phase: only " + std::to_string(n) + " positive points";
    return fit;
  }

  // A running median of 5 keeps single noisy rows from deciding where phases start and end.
  std::vector<double> smooth(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t lo = i >= 2 ? i - 2 : 0, hi = std::min(n, i + 3);
    smooth[i] = median(std::vector<double>(z.begin() + long(lo), z.begin() + long(hi)));
  }

  // Plateau: over the last quarter the two halves' medians differ by less than half the
  // interquartile range, or by less than 5% of how far the curve fell before. A straight
  // decline has them differ by exactly the IQR and by 1/8 of its fall; stationary noise by far
  // less, a slowly wandering plateau by little next to the fall; a hundredth of a decade counts
  // as flat whatever the noise.
  const std::size_t tail = std::max(min_points, n / 4);
  const std::size_t tail_begin = n - tail, tail_mid = tail_begin + tail / 2;
  const std::vector<double> tail_z(z.begin() + long(tail_begin), z.end());
  const double drop =
      median(std::vector<double>(z.begin() + long(tail_begin), z.begin() + long(tail_mid))) -
      median(std::vector<double>(z.begin() + long(tail_mid), z.end()));
  const double iqr = quantile(tail_z, 0.75) - quantile(tail_z, 0.25);
  const double flat = 0.01 * kLn10;
  std::size_t linear_end = n;
  const double fall = z.front() - median(tail_z);
  if (std::abs(drop) <= std::max(0.5 * iqr, 0.05 * fall) + flat) {
    const double level = median(tail_z) + std::max(iqr, flat);
    std::size_t begin = 0;
    while (begin < n && smooth[begin] > level) ++begin;
    begin = std::min(begin, tail_begin);
    double sum = 0;
    for (std::size_t i = begin; i < n; ++i) sum += std::exp(z[i]);
    fit.plateau = true;
    fit.plateau_begin = rows[begin];
    fit.floor = sum / double(n - begin);
    const double stop = std::log(fit.floor) + options.floor_margin_decades * kLn10;
    linear_end = 0;
    while (linear_end < n && smooth[linear_end] >= stop) ++linear_end;
  }
  if (linear_end < min_points) {
    fit.note = linear_end == 0 ? "no linear phase: the curve starts at its floor"
                               : "no linear phase: it reaches its floor within " +
                                     std::to_string(linear_end) + " rows";
    return fit;
  }

  // The window ends at linear_end; its start skips an initial transient: among starts that keep
  // at least half the points and still fall by min_decades, the earliest whose residual is
  // within twice the best one's (plus 0.01 in ln y, so noiseless curves keep their length).
  const std::size_t last_start = linear_end - std::max(min_points, linear_end / 2);
  const std::size_t candidates = std::min<std::size_t>(25, last_start + 1);
  std::vector<std::size_t> starts;
  std::vector<Line> lines;
  std::vector<bool> falls;
  for (std::size_t c = 0; c < candidates; ++c) {
    const std::size_t start = candidates == 1 ? 0 : c * last_start / (candidates - 1);
    if (!starts.empty() && start == starts.back()) continue;
    starts.push_back(start);
    lines.push_back(fit_line(x, z, start, linear_end));
    falls.push_back(-lines.back().slope * (x[linear_end - 1] - x[start]) >=
                    options.min_decades * kLn10);
  }
  double best = INFINITY;
  for (std::size_t c = 0; c < lines.size(); ++c)
    if (falls[c]) best = std::min(best, lines[c].residual);
  std::size_t chosen = 0;  // without a start that falls far enough, the longest window says why
  if (std::isfinite(best))
    while (!falls[chosen] || lines[chosen].residual > 2.0 * best + 0.01) ++chosen;
  const Line& line = lines[chosen];
  const std::size_t begin = starts[chosen];

  fit.begin = rows[begin];
  fit.end = rows[linear_end - 1] + 1;
  fit.x_begin = x[begin];
  fit.x_end = x[linear_end - 1];
  fit.r_squared = line.r_squared;
  fit.contraction = std::exp(line.slope);
  fit.decades = -line.slope * (fit.x_end - fit.x_begin) / kLn10;
  if (!(line.slope < 0.0)) {
    fit.note = "no linear phase: the curve does not decrease";
  } else if (fit.decades < options.min_decades) {
    fit.note = format("no linear phase: it falls only %.2g decades before its floor", fit.decades);
  } else if (line.r_squared < options.min_r_squared) {
    fit.note = format("no linear phase: log y is not linear (R^2 = %.2f)", line.r_squared);
  } else {
    fit.linear = true;
    fit.note = format("linear over %.3g decades (R^2 = %.3f)", fit.decades, line.r_squared);
  }
  return fit;
}

}  // namespace sgda
