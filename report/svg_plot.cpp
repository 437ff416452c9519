#include "svg_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace sgda::report {
namespace {

// The drawing in viewBox units; the page scales it to its column.
constexpr double kWidth = 480, kHeight = 320;
constexpr double kLeft = 60, kRight = 14, kTop = 30, kBottom = 46;
constexpr std::size_t kMaxPoints = 400;  // per curve: enough for the eye, keeps the page small
constexpr int kMaxDecades = 36;

std::string num(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", v);
  return buffer;
}

// 1.5k, 20M, 0.002: tick labels that stay short.
std::string compact(double v) {
  const double a = std::abs(v);
  char buffer[32];
  if (a >= 1e9)
    std::snprintf(buffer, sizeof buffer, "%gG", v / 1e9);
  else if (a >= 1e6)
    std::snprintf(buffer, sizeof buffer, "%gM", v / 1e6);
  else if (a >= 1e4)
    std::snprintf(buffer, sizeof buffer, "%gk", v / 1e3);
  else
    std::snprintf(buffer, sizeof buffer, "%g", v);
  // 2.5e-05 → 2.5e-5
  std::string text = buffer;
  const auto e = text.find("e-0");
  if (e != std::string::npos) text.erase(e + 2, 1);
  return text;
}

double nice_step(double range) {
  if (!(range > 0)) return 1.0;
  const double raw = range / 5.0;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * power >= raw) return m * power;
  return 10.0 * power;
}

bool usable(double v) { return std::isfinite(v) && v > 0.0; }

}  // namespace

std::string escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string svg_plot(const Plot& plot) {
  // Ranges: y over the measured values (the bound may only raise the top), x over everything.
  // A log axis takes the positive values, a linear one every finite value.
  const bool log_y = plot.log_y;
  auto in_range = [&](double v) { return log_y ? usable(v) : std::isfinite(v); };
  double y_low = INFINITY, y_high = log_y ? 0 : -INFINITY, x_low = INFINITY, x_high = -INFINITY;
  for (const PlotSeries& s : plot.series) {
    for (std::size_t i = 0; i < s.x->size(); ++i) {
      const double x = (*s.x)[i];
      if (!std::isfinite(x)) continue;
      for (const auto* column : {s.mean, s.low, s.high}) {
        if (!column || !in_range((*column)[i])) continue;
        y_low = std::min(y_low, (*column)[i]);
        y_high = std::max(y_high, (*column)[i]);
        x_low = std::min(x_low, x);
        x_high = std::max(x_high, x);
      }
      if (s.bound && in_range((*s.bound)[i])) y_high = std::max(y_high, (*s.bound)[i]);
    }
  }
  const bool empty = !(y_low <= y_high && x_low <= x_high);
  if (empty) y_low = log_y ? 1e-1 : 0, y_high = 1, x_low = 0, x_high = 1;
  int top = 1, bottom = 0;  // a log axis's decades (its values are positive)
  if (log_y) {
    top = int(std::ceil(std::log10(y_high) - 1e-9));
    bottom = int(std::floor(std::log10(y_low) + 1e-9));
    bottom = std::max(bottom, top - kMaxDecades);
    if (top <= bottom) top = bottom + 1;
  }
  if (x_low >= 0 && x_low < 0.2 * x_high) x_low = 0;
  if (x_high <= x_low) x_high = x_low + 1;
  // Linear: a constant curve gets a margin around it; from 0 when the values are all positive
  // and spread over most of the range (fractions, counts); the ends at whole ticks.
  double y_step = 1.0;
  if (!log_y) {
    if (y_high <= y_low) {
      const double pad = y_low != 0.0 ? 0.1 * std::abs(y_low) : 1.0;
      y_low -= pad, y_high += pad;
    }
    if (y_low >= 0 && y_low < 0.2 * y_high) y_low = 0;
    y_step = nice_step(y_high - y_low);
    y_low = std::floor(y_low / y_step + 1e-9) * y_step;
    y_high = std::ceil(y_high / y_step - 1e-9) * y_step;
    if (y_high <= y_low) y_high = y_low + y_step;
  }

  const double x0 = kLeft, x1 = kWidth - kRight, y0 = kTop, y1 = kHeight - kBottom;
  auto px = [&](double x) { return x0 + (x - x_low) / (x_high - x_low) * (x1 - x0); };
  auto py = [&](double y) {
    if (!log_y) return y1 - (y - y_low) / (y_high - y_low) * (y1 - y0);
    const double e = std::clamp(std::log10(y), double(bottom), double(top));
    return y1 - (e - bottom) / double(top - bottom) * (y1 - y0);
  };
  // The y ticks: (value, label) at decades, or at multiples of y_step.
  std::vector<std::pair<double, std::string>> y_ticks;
  if (log_y) {
    // Decades: every one when few, else about eight labelled ones.
    const int every = std::max(1, (top - bottom + 7) / 8);
    for (int e = bottom; e <= top; e += every)
      y_ticks.emplace_back(std::pow(10.0, e),
                           "10<tspan dy=\"-6\" font-size=\"9\">" +
                               (e < 0 ? "&#8722;" + std::to_string(-e) : std::to_string(e)) +
                               "</tspan>");
  } else {
    const auto count = std::llround((y_high - y_low) / y_step);
    for (long long k = 0; k <= count; ++k) {
      double t = y_low + double(k) * y_step;
      if (std::abs(t) < 1e-12 * y_step) t = 0.0;
      const std::string label = compact(t);
      y_ticks.emplace_back(t,
                           label[0] == '-' ? "&#8722;" + escape(label.substr(1)) : escape(label));
    }
  }

  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + num(kWidth) + " " +
                    num(kHeight) + "\" role=\"img\" aria-label=\"" + escape(plot.title) +
                    "\">\n<title>" + escape(plot.title) + "</title>\n";
  svg += "<defs><clipPath id=\"clip-" + escape(plot.id) + "\"><rect x=\"" + num(x0) + "\" y=\"" +
         num(y0) + "\" width=\"" + num(x1 - x0) + "\" height=\"" + num(y1 - y0) +
         "\"/></clipPath></defs>\n";

  svg += "<g class=\"grid\" stroke=\"#e2e2e2\" stroke-width=\"1\">";
  for (const auto& tick : y_ticks) {
    const double y = py(tick.first);
    svg += "<line x1=\"" + num(x0) + "\" y1=\"" + num(y) + "\" x2=\"" + num(x1) + "\" y2=\"" +
           num(y) + "\"/>";
  }
  const double step = nice_step(x_high - x_low);
  std::vector<double> x_ticks;
  for (double t = std::ceil(x_low / step - 1e-9) * step; t <= x_high + 1e-9 * step; t += step)
    x_ticks.push_back(std::abs(t) < 1e-12 * step ? 0.0 : t);
  for (const double t : x_ticks)
    svg += "<line x1=\"" + num(px(t)) + "\" y1=\"" + num(y0) + "\" x2=\"" + num(px(t)) +
           "\" y2=\"" + num(y1) + "\"/>";
  svg += "</g>\n<g class=\"ticks\" font-size=\"12\" fill=\"#333\">";
  for (const auto& tick : y_ticks)
    svg += "<text x=\"" + num(x0 - 6) + "\" y=\"" + num(py(tick.first) + 4) +
           "\" text-anchor=\"end\">" + tick.second + "</text>";
  for (const double t : x_ticks)
    svg += "<text x=\"" + num(px(t)) + "\" y=\"" + num(y1 + 16) + "\" text-anchor=\"middle\">" +
           escape(compact(t)) + "</text>";
  svg += "</g>\n";

  svg += "<g clip-path=\"url(#clip-" + escape(plot.id) + ")\">\n";
  for (const PlotSeries& s : plot.series) {
    const std::size_t n = s.x->size();
    const std::size_t stride = std::max<std::size_t>(1, (n + kMaxPoints - 1) / kMaxPoints);
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < n; i += stride) rows.push_back(i);
    if (n > 0 && rows.back() != n - 1) rows.push_back(n - 1);
    auto finite = [&](std::size_t i, const std::vector<double>* c) {
      return c && std::isfinite((*s.x)[i]) && std::isfinite((*c)[i]);
    };
    auto clamp_low = [&](double v) { return !log_y || v > 0.0 ? v : std::pow(10.0, bottom); };
    if (s.low && s.high) {
      std::string forward, backward;
      for (const std::size_t i : rows) {
        if (!finite(i, s.low) || !finite(i, s.high)) continue;
        forward += num(px((*s.x)[i])) + "," + num(py(clamp_low((*s.high)[i]))) + " ";
        backward = num(px((*s.x)[i])) + "," + num(py(clamp_low((*s.low)[i]))) + " " + backward;
      }
      if (!forward.empty())
        svg += "<polygon points=\"" + forward + backward + "\" fill=\"" + s.color +
               "\" fill-opacity=\"0.16\" stroke=\"none\"/>\n";
    }
    auto path = [&](const std::vector<double>* column) {
      std::string d;
      bool open = false;
      for (const std::size_t i : rows) {
        if (!finite(i, column)) {
          open = false;
          continue;
        }
        // Appended piecewise: const char* + std::string&& trips a GCC 12 -Wrestrict false positive.
        d += open ? 'L' : 'M';
        d += num(px((*s.x)[i]));
        d += ',';
        d += num(py(clamp_low((*column)[i])));
        open = true;
      }
      return d;
    };
    if (s.bound) {
      const std::string d = path(s.bound);
      if (!d.empty())
        svg += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + s.color +
               "\" stroke-width=\"1.3\" stroke-dasharray=\"1.5 3\" stroke-linecap=\"round\"/>\n";
    }
    const std::string d = path(s.mean);
    if (!d.empty())
      svg += "<path d=\"" + d + "\" fill=\"none\" stroke=\"" + s.color +
             "\" stroke-width=\"2\" stroke-linejoin=\"round\"" +
             (s.dash.empty() ? "" : " stroke-dasharray=\"" + s.dash + "\"") + "/>\n";
  }
  svg += "</g>\n";
  if (empty)
    svg += "<text x=\"" + num((x0 + x1) / 2) + "\" y=\"" + num((y0 + y1) / 2) +
           "\" text-anchor=\"middle\" font-size=\"13\" fill=\"#777\">" +
           (log_y ? "no positive values to plot" : "no finite values to plot") + "</text>\n";
  svg += "<rect x=\"" + num(x0) + "\" y=\"" + num(y0) + "\" width=\"" + num(x1 - x0) +
         "\" height=\"" + num(y1 - y0) + "\" fill=\"none\" stroke=\"#888\"/>\n";
  svg += "<text x=\"" + num(x0) +
         "\" y=\"18\" font-size=\"13\" font-weight=\"600\" fill=\"#222\">" + escape(plot.title) +
         "</text>\n";
  svg += "<text x=\"" + num((x0 + x1) / 2) + "\" y=\"" + num(kHeight - 8) +
         "\" text-anchor=\"middle\" font-size=\"12\" fill=\"#333\">" + escape(plot.x_label) +
         "</text>\n";
  svg += "<text transform=\"translate(14 " + num((y0 + y1) / 2) +
         ") rotate(-90)\" text-anchor=\"middle\" font-size=\"12\" fill=\"#333\">" +
         escape(plot.y_label) + "</text>\n";
  svg += "</svg>";
  return svg;
}

}  // namespace sgda::report
