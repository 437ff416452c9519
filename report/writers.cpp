#include "sgda/report/writers.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "sgda/error.hpp"
#include "sgda/io/files.hpp"
#include "sgda/version.hpp"
#include "svg_plot.hpp"

namespace sgda {
namespace {

using report::escape;

// ---- numbers as text -------------------------------------------------------------------------

// Three significant digits, exponents without padding: 1.23e-5, 0.0421, 1.5e+6 → 1.5e6.
std::string short_number(double v, int digits = 3) {
  if (std::isnan(v)) return "";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, "%.*g", digits, v);
  std::string s = buffer;
  const auto e = s.find('e');
  if (e != std::string::npos) {
    std::string mantissa = s.substr(0, e), exponent = s.substr(e + 1);
    const bool negative = exponent[0] == '-';
    exponent = exponent.substr(1);
    exponent.erase(0, std::min(exponent.find_first_not_of('0'), exponent.size() - 1));
    s = mantissa + "e" + (negative ? "-" : "") + exponent;
  }
  return s;
}

// Exact: the shortest text that reads back to the same double (CSV, JSON).
std::string exact_number(double v) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, result.ptr);
}

// A contraction q near 1 reads best as 1 − (1 − q).
std::string contraction_text(double q) {
  if (std::isnan(q)) return "";
  if (q >= 1.0) return short_number(q, 5) + " (grows)";
  if (q < 0.5) return short_number(q);
  return "1 &#8722; " + short_number(1.0 - q);
}

// Counts (iterations, epochs, bits): whole numbers up to 99999, then 3 digits with k, M, G.
std::string count_text(double v) {
  if (std::isnan(v)) return "";
  const double a = std::abs(v);
  char buffer[32];
  if (a < 1e5) {
    std::snprintf(buffer, sizeof buffer, a == std::round(a) || a >= 100 ? "%.0f" : "%.3g", v);
    return buffer;
  }
  const char* suffix = a >= 1e9 ? "G" : a >= 1e6 ? "M" : "k";
  const double scale = a >= 1e9 ? 1e9 : a >= 1e6 ? 1e6 : 1e3;
  std::snprintf(buffer, sizeof buffer, "%.3g%s", v / scale, suffix);
  return buffer;
}

std::string dash_if_empty(const std::string& s) { return s.empty() ? "&#8211;" : s; }

std::string setting(const Settings& s, const std::string& key) {
  const auto it = s.find(key);
  return it == s.end() ? "" : it->second;
}

std::string metric_label(const ExperimentReport& e) {
  return e.metric == "residual_sq" ? "squared natural residual" : "relative squared distance to x*";
}

// Several step sizes in one experiment: the step joins the label.
bool several_steps(const ExperimentReport& e) {
  std::set<std::string> steps;
  for (const GroupSummary& g : e.groups) steps.insert(g.step);
  return steps.size() > 1;
}

std::string group_name(const ExperimentReport& e, const GroupSummary& g) {
  return several_steps(e) ? g.label + ", step " + g.step : g.label;
}

// Okabe–Ito colours (distinguishable with colour-vision deficiencies) and dashes for print.
const char* const kColors[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                               "#E69F00", "#56B4E9", "#000000", "#8C564B"};
// No dotted pattern: dots mark the theorem's bounds.
const char* const kDashes[] = {"",     "8 3",     "14 4 3 4", "4 3", "14 3 3 3 3 3",
                               "20 5", "8 3 8 8", "3 6"};

struct Style {
  std::string color, dash;
};

// One colour per method variant; the dash follows the step size when there are several,
// otherwise the method too, so the plots still read in black and white.
std::vector<Style> styles(const ExperimentReport& e) {
  std::vector<std::string> labels, steps;
  for (const GroupSummary& g : e.groups) {
    if (std::find(labels.begin(), labels.end(), g.label) == labels.end()) labels.push_back(g.label);
    if (std::find(steps.begin(), steps.end(), g.step) == steps.end()) steps.push_back(g.step);
  }
  std::vector<Style> out;
  for (const GroupSummary& g : e.groups) {
    const auto l = std::size_t(std::find(labels.begin(), labels.end(), g.label) - labels.begin());
    const auto s = std::size_t(std::find(steps.begin(), steps.end(), g.step) - steps.begin());
    out.push_back({kColors[l % 8], kDashes[(steps.size() > 1 ? s : l) % 8]});
  }
  return out;
}

std::vector<double> distinct_workers(const ExperimentReport& e) {
  std::set<double> w;
  for (const GroupSummary& g : e.groups)
    if (std::isfinite(g.workers)) w.insert(g.workers);
  return {w.begin(), w.end()};
}

std::set<std::uint64_t> seeds_of(const ExperimentReport& e) {
  std::set<std::uint64_t> seeds;
  for (const GroupSummary& g : e.groups)
    for (const RunSummary& r : g.runs) seeds.insert(r.seed);
  return seeds;
}

std::size_t finished_runs(const ExperimentReport& e) {
  std::size_t n = 0;
  for (const GroupSummary& g : e.groups) n += g.runs.size();
  return n;
}

// ---- HTML ------------------------------------------------------------------------------------

const char* const kStyle = R"(
:root{color-scheme:light}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
 color:#1b1b1b;background:#fff;margin:0 auto;max-width:1180px;padding:12px 18px 40px}
h1{font-size:1.55em;margin:.4em 0 .2em}
h2{font-size:1.3em;margin:2.2em 0 .4em;padding-bottom:.2em;border-bottom:2px solid #ddd}
h3{font-size:1.05em;margin:1.4em 0 .4em}
p{margin:.4em 0;max-width:60em}
.meta{color:#555;font-size:.9em}
code{font-size:.92em;background:#f3f3f3;padding:0 .25em;border-radius:3px}
nav ul{margin:.3em 0;padding-left:1.2em}
.legend{display:flex;flex-wrap:wrap;gap:.3em 1.3em;list-style:none;padding:0;margin:.7em 0;font-size:.9em}
.legend li{display:flex;align-items:center;gap:.4em}
.legend svg{width:40px;height:12px;flex:none}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,440px),1fr));gap:10px 22px}
figure{margin:0;break-inside:avoid}
figure svg{width:100%;height:auto;display:block}
svg text{font-family:inherit}
.scroll{overflow-x:auto;margin:.3em 0 .8em}
table{border-collapse:collapse;font-size:.84em;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.2em 0 .35em;font-size:1.05em}
th,td{padding:.28em .6em;border-bottom:1px solid #e4e4e4;text-align:right;white-space:nowrap;vertical-align:top}
th{background:#f6f6f6;font-weight:600}
th:first-child,td:first-child{text-align:left}
td.verdict{white-space:normal;min-width:9em;text-align:left}
td.note{white-space:normal;min-width:12em;text-align:left;color:#555}
.ok{color:#17692f}.bad{color:#b00020;font-weight:600}.na{color:#666}
details{margin:.2em 0 1em}summary{cursor:pointer;font-weight:600;font-size:.95em}
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.35em;vertical-align:-.05em}
dl.constants{display:grid;grid-template-columns:max-content minmax(0,1fr) max-content minmax(0,1fr);
 gap:.1em 1em;font-size:.9em;margin:.5em 0}
dl.constants dt{color:#555}dl.constants dd{margin:0;font-variant-numeric:tabular-nums}
@media (max-width:900px){dl.constants{grid-template-columns:max-content minmax(0,1fr)}}
@media (max-width:600px){body{font-size:14px;padding:8px 10px}dl.constants{grid-template-columns:1fr}
 dl.constants dd{margin-bottom:.3em}}
.intro{font-size:.92em;color:#333}
@media print{body{max-width:none;font-size:10pt;padding:0}section+section{break-before:page}
 .plots{grid-template-columns:1fr 1fr}a{color:inherit;text-decoration:none}table{font-size:8pt}
 th{background:none}.scroll{overflow:visible}}
)";

std::string cell(const std::string& text, const std::string& cls = "") {
  return "<td" + (cls.empty() ? "" : " class=\"" + cls + "\"") + ">" + dash_if_empty(text) +
         "</td>";
}

std::string name_cell(const std::string& name, const Style& style) {
  return "<td><span class=\"swatch\" style=\"background:" + std::string(style.color) +
         "\"></span>" + escape(name) + "</td>";
}

std::string legend(const ExperimentReport& e, const std::vector<Style>& st) {
  std::string html = "<ul class=\"legend\">";
  for (std::size_t i = 0; i < e.groups.size(); ++i) {
    html +=
        "<li><svg viewBox=\"0 0 40 12\" aria-hidden=\"true\"><line x1=\"1\" y1=\"6\" x2=\"39\" "
        "y2=\"6\" stroke=\"" +
        st[i].color + "\" stroke-width=\"2.4\"" +
        (st[i].dash.empty() ? "" : " stroke-dasharray=\"" + st[i].dash + "\"") + "/></svg>" +
        escape(group_name(e, e.groups[i])) + "</li>";
  }
  bool any_bound = false;
  for (const GroupSummary& g : e.groups) any_bound = any_bound || !g.bound_curve.empty();
  html +=
      "<li><svg viewBox=\"0 0 40 12\" aria-hidden=\"true\"><rect x=\"1\" y=\"2\" width=\"38\" "
      "height=\"8\" fill=\"#555\" fill-opacity=\"0.2\"/></svg>min&#8211;max over seeds</li>";
  if (any_bound)
    html +=
        "<li><svg viewBox=\"0 0 40 12\" aria-hidden=\"true\"><line x1=\"1\" y1=\"6\" x2=\"39\" "
        "y2=\"6\" stroke=\"#555\" stroke-width=\"1.3\" stroke-dasharray=\"1.5 3\" "
        "stroke-linecap=\"round\"/></svg>bound of Theorem 2.2 (vs iterations)</li>";
  return html + "</ul>\n";
}

std::string constants_block(const ExperimentReport& e) {
  const Settings& a = e.attributes;
  auto value = [&](const std::string& key) {
    const std::string v = setting(a, "constants." + key);
    double d = NAN;
    std::from_chars(v.data(), v.data() + v.size(), d);
    return std::isnan(d) ? (v == "nan" ? std::string("unknown") : escape(v)) : short_number(d, 4);
  };
  std::string workers;
  for (const double w : distinct_workers(e))
    workers += (workers.empty() ? "" : ", ") + short_number(w);
  const auto seeds = seeds_of(e);
  std::string html = "<dl class=\"constants\">";
  auto row = [&](const std::string& term, const std::string& definition) {
    html += "<dt>" + term + "</dt><dd>" + definition + "</dd>";
  };
  row("problem", escape(setting(a, "constants.problem")) + ", n = " + value("samples") +
                     " samples, D = " + value("dimension") + " (" +
                     escape(setting(a, "constants.blocks")) + ")");
  row("regularizer", escape(setting(a, "constants.regularizer")));
  row("&#956; (quasi-strong monotonicity)", value("mu"));
  row("&#8467; (star-cocoercivity)", value("ell"));
  row("&#8467;&#770; (averaged star-cocoercivity)", value("ell_hat"));
  row("L<sub>i</sub> (per sample)", value("lipschitz_min") + " to " + value("lipschitz_max"));
  row("&#8214;x*&#8214;", value("solution_norm"));
  if (!workers.empty()) row("workers", workers);
  row("runs", std::to_string(finished_runs(e)) + " of " + std::to_string(e.planned_runs) +
                  " planned, " + std::to_string(seeds.size()) + " seed" +
                  (seeds.size() == 1 ? "" : "s") + " per group");
  return html + "</dl>\n";
}

// A further trace column is drawn on a log scale when its values are all positive and span at
// least two decades (distances, errors), else on a linear one (counts, fractions, zeros).
bool log_scale(const ExperimentReport& e, std::size_t k) {
  double low = INFINITY, high = 0.0;
  for (const GroupSummary& g : e.groups) {
    const Curve& c = g.extras[k].curve;
    for (const auto* column : {&c.mean, &c.low, &c.high})
      for (const double v : *column) {
        if (std::isnan(v)) continue;
        if (!(v > 0.0) || std::isinf(v)) return false;
        low = std::min(low, v);
        high = std::max(high, v);
      }
  }
  return low <= high && high >= 100.0 * low;
}

// A plot's x axis in its title: "iterations", "epochs", "bits", "wall time".
std::string axis_title(Axis axis) {
  return axis == Axis::kWallTime ? "wall time" : axis_name(axis);
}

std::string plots_block(const ExperimentReport& e, const std::vector<Style>& st,
                        std::size_t experiment) {
  std::string html = "<div class=\"plots\">\n";
  for (const Axis axis : e.axes()) {
    report::Plot plot;
    plot.id = "e" + std::to_string(experiment) + "-" + axis_name(axis);
    plot.title = metric_label(e) + " vs " + axis_title(axis);
    plot.x_label = axis_label(axis);
    plot.y_label = metric_label(e) + " (log scale)";
    for (std::size_t i = 0; i < e.groups.size(); ++i) {
      const GroupSummary& g = e.groups[i];
      const Curve& c = g.curves[int(axis)];
      report::PlotSeries s{st[i].color, st[i].dash, &c.x, &c.mean, &c.low, &c.high, nullptr};
      if (axis == Axis::kIterations && !g.bound_curve.empty()) s.bound = &g.bound_curve;
      plot.series.push_back(s);
    }
    html += "<figure>" + report::svg_plot(plot) + "</figure>\n";
  }
  // The further trace columns (the problem's metrics, averaged iterates) against iterations;
  // where x* is unknown (training, the MLP GAN) they are what runs are judged by, so against
  // epochs and wall time too (and bits, when sent).
  const std::vector<Axis> extra_axes =
      e.metric == "relative_distance_sq" ? std::vector<Axis>{Axis::kIterations} : e.axes();
  for (std::size_t k = 0; k < e.extra_columns.size(); ++k)
    for (const Axis axis : extra_axes) {
      const std::string& name = e.extra_columns[k];
      report::Plot plot;
      plot.id = "e";  // not "e" + std::string: a false -Wrestrict of GCC 12
      plot.id += std::to_string(experiment) + "-extra-" + std::to_string(k) + "-" + axis_name(axis);
      plot.title = name + " vs " + axis_title(axis);
      plot.x_label = axis_label(axis);
      plot.log_y = log_scale(e, k);
      plot.y_label = name + (plot.log_y ? " (log scale)" : "");
      for (std::size_t i = 0; i < e.groups.size(); ++i) {
        const Curve& c = e.groups[i].extras[k].curve;
        const std::vector<double>& x = e.groups[i].curves[int(axis)].x;  // the same rows
        plot.series.push_back({st[i].color, st[i].dash, &x, &c.mean, &c.low, &c.high, nullptr});
      }
      html += "<figure>" + report::svg_plot(plot) + "</figure>\n";
    }
  return html + "</div>\n";
}

// The experiment file's claims: what the paper says, what was measured, the verdict.
std::string claims_block(const ExperimentReport& e) {
  if (e.claims.empty()) return "";
  std::string html =
      "<div class=\"scroll\"><table>\n<caption>Claims of the experiment file</caption>\n"
      "<thead><tr><th>claim</th><th>measured</th><th>verdict</th></tr></thead>\n<tbody>\n";
  for (const ClaimCheck& c : e.claims) {
    std::string measured = c.claim.metric.empty()
                               ? ""
                               : escape(to_string(c.claim.statistic) + " " + c.claim.metric) + ":";
    for (const auto& [group, value] : c.measured)
      measured += "<br>" + escape(group) + " " + short_number(value);
    const std::string verdict_class =
        c.status == ClaimCheck::Status::kConfirmed
            ? "verdict ok"
            : (c.status == ClaimCheck::Status::kNotConfirmed ? "verdict bad" : "verdict na");
    html += "<tr>" + cell(escape(c.claim.text), "verdict") + cell(measured, "verdict") +
            cell(escape(c.verdict), verdict_class) + "</tr>\n";
  }
  return html + "</tbody></table></div>\n";
}

std::string tables_block(const ExperimentReport& e, const std::vector<Style>& st) {
  const std::size_t seeds = seeds_of(e).size();
  std::string html;
  html +=
      "<div class=\"scroll\"><table>\n<caption>Constants of Assumption 2.1 and step "
      "sizes</caption>\n<thead><tr><th>method</th><th>&#947;</th><th>theory &#947;</th>"
      "<th>&#969;</th><th>workers</th><th>A</th><th>B</th><th>C</th><th>D<sub>1</sub></th>"
      "<th>D<sub>2</sub></th><th>&#961;</th></tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < e.groups.size(); ++i) {
    const GroupSummary& g = e.groups[i];
    html += "<tr>" + name_cell(group_name(e, g), st[i]) + cell(short_number(g.gamma)) +
            cell(short_number(g.theory_gamma)) + cell(short_number(g.omega)) +
            cell(short_number(g.workers)) + cell(short_number(g.A)) + cell(short_number(g.B)) +
            cell(short_number(g.C)) + cell(short_number(g.D1)) + cell(short_number(g.D2)) +
            cell(short_number(g.rho)) + "</tr>\n";
  }
  html += "</tbody></table></div>\n";

  html += "<div class=\"scroll\"><table>\n<caption>Theory next to measurement (" +
          escape(metric_label(e)) + ", mean over " + std::to_string(seeds) + " seed" +
          (seeds == 1 ? "" : "s") +
          ")</caption>\n<thead><tr><th>method</th><th>predicted contraction</th>"
          "<th>fitted contraction</th><th>fit window (iterations)</th><th>neighbourhood "
          "bound</th><th>measured floor</th><th>final</th><th>verdict</th></tr></thead>\n"
          "<tbody>\n";
  for (std::size_t i = 0; i < e.groups.size(); ++i) {
    const GroupSummary& g = e.groups[i];
    const std::string fitted =
        g.fit.linear ? contraction_text(g.fit.contraction)
                     : "<span class=\"na\" title=\"" + escape(g.fit.note) + "\">" +
                           escape(g.fit.note.substr(0, g.fit.note.find(':'))) + "</span>";
    const std::string window =
        g.fit.linear ? count_text(g.fit.x_begin) + "&#8211;" + count_text(g.fit.x_end) : "";
    const std::string floor = g.fit.plateau ? short_number(g.fit.floor) : "no plateau";
    const std::string verdict_class =
        !g.bound.checked ? "verdict na" : (g.bound.within ? "verdict ok" : "verdict bad");
    html += "<tr>" + name_cell(group_name(e, g), st[i]) +
            cell(contraction_text(g.predicted_contraction)) + cell(fitted) + cell(window) +
            cell(short_number(g.neighbourhood)) + cell(floor) + cell(short_number(g.final_value)) +
            cell(escape(g.bound.verdict), verdict_class) + "</tr>\n";
  }
  html += "</tbody></table></div>\n";

  if (!e.extra_columns.empty()) {
    html +=
        "<div class=\"scroll\"><table>\n<caption>Further trace columns at the last row (mean "
        "over " +
        std::to_string(seeds) + " seed" + (seeds == 1 ? "" : "s") +
        (seeds > 1 ? "; in brackets the minimum and maximum" : "") +
        ")</caption>\n<thead><tr><th>method</th>";
    for (const std::string& name : e.extra_columns) html += "<th>" + escape(name) + "</th>";
    html += "</tr></thead>\n<tbody>\n";
    for (std::size_t i = 0; i < e.groups.size(); ++i) {
      const GroupSummary& g = e.groups[i];
      html += "<tr>" + name_cell(group_name(e, g), st[i]);
      for (const ExtraCurve& x : g.extras) {
        std::string text = short_number(x.final_value);
        const Curve& c = x.curve;
        if (g.runs.size() > 1 && !c.low.empty() && !std::isnan(c.low.back()) &&
            c.low.back() != c.high.back())
          text += " (" + short_number(c.low.back()) + "&#8211;" + short_number(c.high.back()) + ")";
        html += cell(text);
      }
      html += "</tr>\n";
    }
    html += "</tbody></table></div>\n";
  }

  const std::string target = short_number(e.target);
  html += "<div class=\"scroll\"><table>\n<caption>Cost to reach " + escape(metric_label(e)) +
          " &#8804; " + target +
          " (mean over the runs that reach it) and per iteration</caption>\n<thead><tr>"
          "<th>method</th><th>runs reaching</th><th>iterations</th><th>epochs</th><th>bits</th>"
          "<th>time (s)</th><th>bits / iteration</th><th>epochs / iteration</th><th>noise scale "
          "&#947;N/B</th></tr></thead>\n"
          "<tbody>\n";
  for (std::size_t i = 0; i < e.groups.size(); ++i) {
    const GroupSummary& g = e.groups[i];
    const TargetCost& t = g.target;
    html += "<tr>" + name_cell(group_name(e, g), st[i]) +
            cell(std::to_string(t.reached) + " of " + std::to_string(g.runs.size())) +
            cell(count_text(t.iterations)) + cell(count_text(t.epochs)) + cell(count_text(t.bits)) +
            cell(short_number(t.seconds, 2)) + cell(count_text(g.bits_per_iteration)) +
            cell(short_number(g.epochs_per_iteration)) + cell(short_number(g.noise_scale)) +
            "</tr>\n";
  }
  html += "</tbody></table></div>\n";

  std::size_t count = 0;
  for (const GroupSummary& g : e.groups) count += g.runs.size();
  html += "<details><summary>Every run (" + std::to_string(count) +
          ")</summary>\n<div class=\"scroll\"><table>\n<thead><tr><th>run</th><th>method</th>"
          "<th>seed</th><th>termination</th><th>iterations</th><th>epochs</th><th>bits</th>"
          "<th>final</th><th>fitted contraction</th><th>worst value / bound</th>";
  for (const std::string& name : e.extra_columns) html += "<th>" + escape(name) + "</th>";
  html += "</tr></thead>\n<tbody>\n";
  for (std::size_t i = 0; i < e.groups.size(); ++i) {
    const GroupSummary& g = e.groups[i];
    for (const RunSummary& r : g.runs) {
      html += "<tr>" + cell("<code>" + run_group_name(r.index, count) + "</code>") +
              name_cell(group_name(e, g), st[i]) + cell(std::to_string(r.seed)) +
              cell(escape(r.termination)) + cell(count_text(r.iterations)) +
              cell(count_text(r.epochs)) + cell(count_text(r.bits)) +
              cell(short_number(r.final_value)) +
              cell(r.fit.linear ? contraction_text(r.fit.contraction) : "") +
              cell(short_number(r.bound.worst_ratio));
      for (const double v : r.extra_final) html += cell(short_number(v));
      html += "</tr>\n";
    }
  }
  html += "</tbody></table></div></details>\n";
  return html;
}

// ---- JSON ------------------------------------------------------------------------------------

// Objects keep the order their fields are written in (nlohmann::ordered_json).
using Json = nlohmann::ordered_json;

// A number: null when not finite (JSON has neither NaN nor infinity); a whole number below 2^53
// in magnitude as an integer (400, not 400.0: what readers expect of counts); any other double
// as nlohmann writes it, the shortest text that reads back to the same double.
Json json_number(double v) {
  if (!std::isfinite(v)) return nullptr;
  if (v == std::trunc(v) && std::abs(v) < 0x1p53 && !(v == 0.0 && std::signbit(v)))
    return static_cast<std::int64_t>(v);
  return v;
}

Json json_fit(const RateFit& f) {
  return {{"linear", f.linear},
          {"note", f.note},
          {"contraction", json_number(f.contraction)},
          {"iteration_begin", json_number(f.x_begin)},
          {"iteration_end", json_number(f.x_end)},
          {"r_squared", json_number(f.r_squared)},
          {"decades", json_number(f.decades)},
          {"plateau", f.plateau},
          {"floor", json_number(f.floor)}};
}

Json json_bound(const BoundCheck& b) {
  return {{"checked", b.checked},
          {"within", b.within},
          {"worst_ratio", json_number(b.worst_ratio)},
          {"worst_iteration", json_number(b.worst_iteration)},
          {"verdict", b.verdict}};
}

Json json_target(const TargetCost& t) {
  return {{"reached", json_number(t.reached)},
          {"iterations", json_number(t.iterations)},
          {"epochs", json_number(t.epochs)},
          {"bits", json_number(t.bits)},
          {"seconds", json_number(t.seconds)}};
}

// ---- CSV -------------------------------------------------------------------------------------

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (const char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string csv_number(double v) { return std::isnan(v) ? "" : exact_number(v); }

// The further trace columns of every experiment, in order of first appearance.
std::vector<std::string> extra_columns(const std::vector<ExperimentReport>& experiments) {
  std::vector<std::string> names;
  for (const ExperimentReport& e : experiments)
    for (const std::string& name : e.extra_columns)
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  return names;
}

// {"name": value, ...} of the further trace columns; {} when there are none.
Json json_extras(const std::vector<std::string>& names, const std::vector<double>& values) {
  Json extras = Json::object();
  for (std::size_t k = 0; k < names.size(); ++k) extras[names[k]] = json_number(values[k]);
  return extras;
}

}  // namespace

const std::vector<std::string>& report_columns() {
  static const std::vector<std::string> columns = {"experiment",
                                                   "runs_file",
                                                   "label",
                                                   "method",
                                                   "step",
                                                   "runs",
                                                   "gamma",
                                                   "theory_gamma",
                                                   "omega",
                                                   "workers",
                                                   "A",
                                                   "B",
                                                   "C",
                                                   "D1",
                                                   "D2",
                                                   "rho",
                                                   "predicted_contraction",
                                                   "neighbourhood",
                                                   "fitted_contraction",
                                                   "fit_iteration_begin",
                                                   "fit_iteration_end",
                                                   "fit_r_squared",
                                                   "fit_note",
                                                   "measured_floor",
                                                   "final_value",
                                                   "bound_worst_ratio",
                                                   "verdict",
                                                   "target",
                                                   "runs_reaching_target",
                                                   "iterations_to_target",
                                                   "epochs_to_target",
                                                   "bits_to_target",
                                                   "seconds_to_target",
                                                   "bits_per_iteration",
                                                   "epochs_per_iteration",
                                                   "noise_scale"};
  return columns;
}

std::vector<std::string> report_columns(const std::vector<ExperimentReport>& experiments) {
  std::vector<std::string> columns = report_columns();
  for (const std::string& name : extra_columns(experiments)) {
    const std::string column = "final_" + name;
    columns.push_back(std::find(report_columns().begin(), report_columns().end(), column) ==
                              report_columns().end()
                          ? column
                          : "final_extra_" + name);
  }
  return columns;
}

std::string csv_report(const std::vector<ExperimentReport>& experiments) {
  std::string out;
  for (const std::string& c : report_columns(experiments))
    out += (out.empty() ? "" : ",") + csv_field(c);
  out += "\n";
  const std::vector<std::string> extras = extra_columns(experiments);
  for (const ExperimentReport& e : experiments) {
    for (const GroupSummary& g : e.groups) {
      std::vector<std::string> row = {e.title,
                                      e.file,
                                      g.label,
                                      g.method,
                                      g.step,
                                      std::to_string(g.runs.size()),
                                      csv_number(g.gamma),
                                      csv_number(g.theory_gamma),
                                      csv_number(g.omega),
                                      csv_number(g.workers),
                                      csv_number(g.A),
                                      csv_number(g.B),
                                      csv_number(g.C),
                                      csv_number(g.D1),
                                      csv_number(g.D2),
                                      csv_number(g.rho),
                                      csv_number(g.predicted_contraction),
                                      csv_number(g.neighbourhood),
                                      csv_number(g.fit.linear ? g.fit.contraction : NAN),
                                      csv_number(g.fit.x_begin),
                                      csv_number(g.fit.x_end),
                                      csv_number(g.fit.r_squared),
                                      g.fit.note,
                                      csv_number(g.fit.floor),
                                      csv_number(g.final_value),
                                      csv_number(g.bound.worst_ratio),
                                      g.bound.verdict,
                                      csv_number(e.target),
                                      std::to_string(g.target.reached),
                                      csv_number(g.target.iterations),
                                      csv_number(g.target.epochs),
                                      csv_number(g.target.bits),
                                      csv_number(g.target.seconds),
                                      csv_number(g.bits_per_iteration),
                                      csv_number(g.epochs_per_iteration),
                                      csv_number(g.noise_scale)};
      for (const std::string& name : extras) {
        const auto at = std::find(e.extra_columns.begin(), e.extra_columns.end(), name);
        row.push_back(
            at == e.extra_columns.end()
                ? ""
                : csv_number(g.extras[std::size_t(at - e.extra_columns.begin())].final_value));
      }
      std::string line;
      for (std::size_t i = 0; i < row.size(); ++i) {
        if (i > 0) line += ',';
        line += csv_field(row[i]);
      }
      out += line + "\n";
    }
  }
  return out;
}

std::string json_report(const std::vector<ExperimentReport>& experiments) {
  Json items = Json::array();
  for (const ExperimentReport& e : experiments) {
    Json constants = Json::object();
    for (const auto& [key, value] : e.attributes) {
      if (key.rfind("constants.", 0) != 0) continue;
      double d = NAN;
      const auto r = std::from_chars(value.data(), value.data() + value.size(), d);
      const bool numeric = r.ec == std::errc() && r.ptr == value.data() + value.size();
      if (numeric || value == "nan")
        constants[key.substr(10)] = json_number(d);
      else
        constants[key.substr(10)] = value;
    }
    Json workers = Json::array();
    for (const double w : distinct_workers(e)) workers.push_back(json_number(w));
    constants["workers"] = std::move(workers);

    Json groups = Json::array();
    for (const GroupSummary& g : e.groups) {
      std::vector<double> finals, lows, highs;
      for (const ExtraCurve& x : g.extras) {
        finals.push_back(x.final_value);
        lows.push_back(x.curve.low.empty() ? NAN : x.curve.low.back());
        highs.push_back(x.curve.high.empty() ? NAN : x.curve.high.back());
      }
      Json runs = Json::array();
      for (const RunSummary& r : g.runs)
        runs.push_back({{"index", json_number(double(r.index))},
                        {"seed", json_number(double(r.seed))},
                        {"termination", r.termination},
                        {"rows", json_number(double(r.rows))},
                        {"iterations", json_number(r.iterations)},
                        {"epochs", json_number(r.epochs)},
                        {"bits", json_number(r.bits)},
                        {"seconds", json_number(r.seconds)},
                        {"final_value", json_number(r.final_value)},
                        {"fit", json_fit(r.fit)},
                        {"bound", json_bound(r.bound)},
                        {"target", json_target(r.target)},
                        {"extra", json_extras(e.extra_columns, r.extra_final)}});
      groups.push_back({{"label", g.label},
                        {"step", g.step},
                        {"method", g.method},
                        {"method_description", g.method_description},
                        {"gamma", json_number(g.gamma)},
                        {"theory_gamma", json_number(g.theory_gamma)},
                        {"omega", json_number(g.omega)},
                        {"workers", json_number(g.workers)},
                        {"A", json_number(g.A)},
                        {"B", json_number(g.B)},
                        {"C", json_number(g.C)},
                        {"D1", json_number(g.D1)},
                        {"D2", json_number(g.D2)},
                        {"rho", json_number(g.rho)},
                        {"predicted_contraction", json_number(g.predicted_contraction)},
                        {"neighbourhood", json_number(g.neighbourhood)},
                        {"initial_lyapunov", json_number(g.initial_lyapunov)},
                        {"theory_applies", g.applies},
                        {"fit", json_fit(g.fit)},
                        {"measured_floor", json_number(g.fit.floor)},
                        {"final_value", json_number(g.final_value)},
                        {"bits_per_iteration", json_number(g.bits_per_iteration)},
                        {"epochs_per_iteration", json_number(g.epochs_per_iteration)},
                        {"noise_scale", json_number(g.noise_scale)},
                        {"bound", json_bound(g.bound)},
                        {"target", json_target(g.target)},
                        {"extra", json_extras(e.extra_columns, finals)},
                        {"extra_min", json_extras(e.extra_columns, lows)},
                        {"extra_max", json_extras(e.extra_columns, highs)},
                        {"runs", std::move(runs)}});
    }
    Json claims = Json::array();
    for (const ClaimCheck& c : e.claims) {
      Json measured = Json::array();
      for (const auto& [group, value] : c.measured)
        measured.push_back({{"group", group}, {"value", json_number(value)}});
      claims.push_back({{"text", c.claim.text},
                        {"metric", c.claim.metric},
                        {"statistic", to_string(c.claim.statistic)},
                        {"at_least", json_number(c.claim.at_least)},
                        {"at_most", json_number(c.claim.at_most)},
                        {"trend", to_string(c.claim.trend)},
                        {"measured", std::move(measured)},
                        {"status", to_string(c.status)},
                        {"verdict", c.verdict}});
    }
    items.push_back({{"title", e.title},
                     {"description", e.description},
                     {"source", e.source},
                     {"runs_file", e.file},
                     {"metric", e.metric},
                     {"target", json_number(e.target)},
                     {"planned_runs", json_number(double(e.planned_runs))},
                     {"finished_runs", json_number(double(finished_runs(e)))},
                     {"extra_columns", e.extra_columns},
                     {"constants", std::move(constants)},
                     {"claims", std::move(claims)},
                     {"groups", std::move(groups)}});
  }
  const Json report = {{"sgda_version", kVersion},
                       {"columns", report_columns(experiments)},
                       {"experiments", std::move(items)}};
  // Two spaces per level; text that is not valid UTF-8 (a file name) is replaced by U+FFFD
  // rather than written as invalid JSON.
  return report.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

std::string html_report(const std::vector<ExperimentReport>& experiments) {
  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta "
      "name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>sgda "
      "convergence report</title>\n<style>" +
      std::string(kStyle) + "</style>\n</head>\n<body>\n<header>\n<h1>Convergence report</h1>\n";
  html += "<p class=\"meta\">Written by sgda " + std::string(kVersion) + " from ";
  for (std::size_t i = 0; i < experiments.size(); ++i)
    html += std::string(i ? ", " : "") + "<code>" + escape(experiments[i].file) + "</code>";
  html +=
      ".</p>\n<p class=\"intro\">Lines are means over seeds at the same iteration, bands their "
      "minimum and "
      "maximum; the dotted lines are the bound of Theorem 2.2 of Beznosikov, Gorbunov, Berard "
      "and Loizou (AISTATS 2023) on E&#8214;x<sup>k</sup> &#8722; x*&#8214;<sup>2</sup> / "
      "&#8214;x<sup>0</sup> &#8722; x*&#8214;<sup>2</sup> at each method's step: "
      "(1 &#8722; min{&#947;&#956;, &#961; &#8722; B/M})<sup>k</sup> V<sub>0</sub> plus the "
      "neighbourhood &#947;<sup>2</sup>(D<sub>1</sub> + M D<sub>2</sub>) / min{&#947;&#956;, "
      "&#961; &#8722; B/M}, with M = 2B/&#961;. The fitted contraction is the slope of the "
      "linear phase of the mean curve (found automatically; none when the curve has none), the "
      "measured floor the mean over its final plateau.</p>\n";
  if (experiments.size() > 1) {
    html += "<nav><ul>\n";
    for (std::size_t i = 0; i < experiments.size(); ++i)
      html += "<li><a href=\"#experiment-" + std::to_string(i + 1) + "\">" +
              escape(experiments[i].title) + "</a></li>\n";
    html += "</ul></nav>\n";
  }
  html += "</header>\n";
  for (std::size_t i = 0; i < experiments.size(); ++i) {
    const ExperimentReport& e = experiments[i];
    const std::vector<Style> st = styles(e);
    html += "<section id=\"experiment-" + std::to_string(i + 1) + "\">\n<h2>" + escape(e.title) +
            "</h2>\n";
    if (!e.description.empty()) html += "<p>" + escape(e.description) + "</p>\n";
    html += "<p class=\"meta\">Runs file <code>" + escape(e.file) + "</code>" +
            (e.source.empty() ? "" : ", experiment <code>" + escape(e.source) + "</code>") +
            ".</p>\n";
    html += constants_block(e);
    if (e.groups.empty()) {
      html += "<p>No finished runs yet.</p>\n</section>\n";
      continue;
    }
    html += claims_block(e);
    html += legend(e, st);
    html += plots_block(e, st, i + 1);
    html += tables_block(e, st);
    html += "</section>\n";
  }
  html += "</body>\n</html>\n";
  return html;
}

void write_text_file(const std::string& path, const std::string& text) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty() && !std::filesystem::is_directory(parent, ec))
    throw input_error(path, "",
                      "no such directory " + parent.string() +
                          "; accepted a path in an existing "
                          "folder");
  if (std::filesystem::is_directory(path, ec))
    throw input_error(path, "", "is a directory; accepted a file path");
  // A device, FIFO or socket at `path` would be replaced by a regular file: refused.
  check_output_file(path, path, true, {}, "");
  const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  try {
    write_new_file(temporary, text.data(), text.size(), path);  // names a full disk
  } catch (...) {
    std::remove(temporary.c_str());
    throw;
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int code = errno;
    std::remove(temporary.c_str());
    throw input_error(path, "",
                      std::string("cannot move the file into place (") + std::strerror(code) +
                          "); accepted a writable path");
  }
}

}  // namespace sgda
