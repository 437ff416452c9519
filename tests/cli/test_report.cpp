// `sgda experiment` and `sgda report`, run as real processes: every run, column and plot of the
// report, its HTML, CSV and JSON against the runs files; GAN-style games with their further trace
// columns, each run the run `sgda solve` makes; bad input refused with one line and exit code 2.
// The report writers through the library: tests/test_report.cpp.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli_helpers.hpp"
#include "fixtures.hpp"
#include "report_helpers.hpp"
#include "sgda/io/run_config.hpp"
#include "sgda/io/trace_file.hpp"
#include "sgda/report/analysis.hpp"
#include "sgda/report/experiment.hpp"
#include "sgda/report/writers.hpp"

using namespace sgda;
namespace fs = std::filesystem;

namespace {

using sgda::testing::check_html;
using sgda::testing::count;
using sgda::testing::Json;
using sgda::testing::kSmallExperiment;
using sgda::testing::num;
using sgda::testing::read;
using sgda::testing::Result;
using sgda::testing::run;
using sgda::testing::shell;
using sgda::testing::TempDir;

}  // namespace

TEST_CASE(
    "sgda experiment and sgda report: every run, every column, every plot, the HTML parses "
    "and the JSON matches the traces",
    "[report][cli]") {
  TempDir dir;
  dir.write("small.toml", kSmallExperiment + R"(
[[claim]]
text = "SGDA reaches the solution's neighbourhood"
metric = "relative_distance_sq"
methods = ["sgda"]
at_most = 0.5
)");
  const Result e = run("experiment small.toml -o runs.h5", dir);
  INFO(e.err);
  REQUIRE(e.status == 0);
  for (int i = 1; i <= 12; ++i)
    CHECK(e.err.find("run " + std::to_string(i) + " of 12: ") != std::string::npos);
  CHECK(e.out == "wrote runs.h5: 12 runs (12 new); report: sgda report runs.h5 -o report.html\n");

  const Result r = run("report runs.h5 -o report.html", dir);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("wrote report.html, report.csv, report.json") != std::string::npos);
  CHECK(r.out.find("\n  claim: SGDA reaches the solution's neighbourhood: confirmed\n") !=
        std::string::npos);
  const ExperimentRuns runs = load_experiment_runs((dir / "runs.h5").string());
  REQUIRE(runs.runs.size() == 12);
  // A second report refuses to overwrite the three files; --force replaces them.
  CHECK(run("report runs.h5 -o report.html", dir).status == 2);
  CHECK(run("report runs.h5 -o report.html --force", dir).status == 0);

  // HTML: well formed, self-contained, a plot per axis (bits too: DIANA sends them), every
  // table column and every run.
  const std::string html = read(dir / "report.html");
  CHECK(check_html(html) == "");
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("href=\"http") == std::string::npos);
  CHECK(html.find("@import") == std::string::npos);
  CHECK(count(html, "<svg xmlns") == 4);
  for (const char* title : {"vs iterations", "vs epochs", "vs bits", "vs wall time"})
    CHECK(count(html, std::string("relative squared distance to x* ") + title + "</title>") == 1);
  for (const char* column :
       {"<th>&#947;</th>", "<th>theory &#947;</th>", "<th>&#969;</th>", "<th>workers</th>",
        "<th>A</th>", "<th>B</th>", "<th>C</th>", "<th>D<sub>1</sub></th>",
        "<th>D<sub>2</sub></th>", "<th>&#961;</th>", "<th>predicted contraction</th>",
        "<th>neighbourhood bound</th>", "<th>fitted contraction</th>", "<th>measured floor</th>",
        "<th>verdict</th>", "<th>bits</th>", "<th>bits / iteration</th>"})
    CHECK(count(html, column) >= 1);
  for (std::size_t i = 0; i < 12; ++i)
    CHECK(count(html, "<code>" + run_group_name(i, 12) + "</code>") == 1);
  for (const char* label : {"sgda (sampling=uniform), step theory*0.5", "DIANA, step theory"})
    CHECK(count(html, label) >= 3);  // legend and tables
  // The SVG parts parse as XML where Debian's python is at hand.
  if (fs::exists("/usr/bin/python3")) {
    dir.write("check.py",
              "import re, sys, xml.etree.ElementTree as ET\n"
              "html = open(sys.argv[1], encoding='utf-8').read()\n"
              "svgs = re.findall(r'<svg xmlns.*?</svg>', html, re.S)\n"
              "[ET.fromstring(s.replace('&#8722;', '-').replace('&#8211;', '-')) for s in svgs]\n"
              "print(len(svgs))\n");
    const Result py = shell("/usr/bin/python3 check.py report.html", dir);
    INFO(py.err);
    CHECK(py.out == "4\n");
  }

  // Affine games without averaging have no further trace columns: no plots or tables for them.
  CHECK(html.find("Further trace columns") == std::string::npos);
  CHECK(count(html, " vs iterations</title>") == 1);

  // CSV: the documented columns, one row per group (3 variants × 2 steps).
  const std::string csv = read(dir / "report.csv");
  std::string header;
  for (const std::string& c : report_columns()) header += (header.empty() ? "" : ",") + c;
  CHECK(csv.substr(0, csv.find('\n')) == header);
  CHECK(count(csv, "\n") == 7);

  // JSON: parses, one group per variant and step, every run once, numbers exactly the traces'.
  const Json json = Json::parse(read(dir / "report.json"));
  REQUIRE(json.at("experiments").size() == 1);
  const Json& experiment = json.at("experiments").at(0);
  CHECK(experiment.at("title").get<std::string>() == "small");
  CHECK(num(experiment.at("finished_runs")) == 12);
  CHECK(num(experiment.at("constants").at("samples")) == 20);
  CHECK(num(experiment.at("constants").at("mu")) == Approx(1.0));
  CHECK(experiment.at("extra_columns").empty());
  CHECK(json.at("columns").size() == report_columns().size());
  REQUIRE(experiment.at("groups").size() == 6);
  std::set<double> seen;
  for (const Json& g : experiment.at("groups")) {
    for (const char* key :
         {"gamma", "theory_gamma", "A", "B", "C", "D1", "D2", "rho", "predicted_contraction",
          "neighbourhood", "measured_floor", "bits_per_iteration"})
      CHECK(g.contains(key));
    CHECK(g.at("fit").contains("contraction"));
    CHECK(g.at("bound").contains("verdict"));
    REQUIRE(g.at("runs").size() == 2);
    for (const Json& r : g.at("runs")) {
      const double index = num(r.at("index"));
      seen.insert(index);
      const RunRecord& record = runs.runs.at(std::size_t(index));
      const Trace& t = record.trace;
      CHECK(record.settings.at("experiment.label") == g.at("label").get<std::string>());
      CHECK(record.settings.at("experiment.step") == g.at("step").get<std::string>());
      CHECK(record.settings.at("experiment.seed") == std::to_string(int(num(r.at("seed")))));
      CHECK(r.at("termination").get<std::string>() == record.settings.at("termination"));
      CHECK(num(r.at("rows")) == double(t.size()));
      CHECK(num(r.at("iterations")) == double(t.iteration.back()));
      CHECK(num(r.at("epochs")) == t.epochs.back());
      CHECK(num(r.at("bits")) == double(t.bits.back()));
      CHECK(num(r.at("seconds")) == t.wall_time.back());
      CHECK(num(r.at("final_value")) == t.relative_distance_sq.back());
      CHECK(num(g.at("gamma")) == t.step_size.back());
    }
    const bool diana = g.at("label").get<std::string>() == "DIANA";
    CHECK((num(g.at("bits_per_iteration")) > 0) == diana);
    CHECK((std::isnan(num(g.at("omega")))) == !diana);
    if (g.at("step").get<std::string>() == "theory")
      CHECK(num(g.at("gamma")) == num(g.at("theory_gamma")));
    if (g.at("step").get<std::string>() == "theory*0.5")
      CHECK(num(g.at("gamma")) == Approx(0.5 * num(g.at("theory_gamma"))).epsilon(1e-12));
  }
  CHECK(seen.size() == 12);
}

TEST_CASE("sgda experiment and sgda report refuse bad input with one line and exit code 2",
          "[report][cli]") {
  TempDir dir;
  dir.write("small.toml", kSmallExperiment);
  dir.write("typo.toml",
            "[experiment]\nseeds = [0]\nstep_size = [\"theory\"]\n[problem]\n"
            "type = \"quadratic\"\n[[method]]\nname = \"sgda\"\n");
  dir.write("game.toml",
            "[problem]\ntype = \"quadratic\"\nsamples = 5\ndimension = 2\n"
            "[method]\nname = \"sgda\"\n[run]\niterations = 10\n");
  // Checked before the first run: no runs file is left half done.
  dir.write("bilinear.toml",
            "[experiment]\nstep_sizes = [0.05, \"theory\"]\n[problem]\n"
            "type = \"bilinear\"\nmu = 0.0\n[run]\niterations = 10\n"
            "[[method]]\nname = \"sgda\"\n");
  // A game without the theory's constants needs numeric steps; a method's own step rule is a
  // name.
  dir.write("dirac.toml", "[problem]\ntype = \"dirac-gan\"\n[[method]]\nname = \"sgda\"\n");
  dir.write("dirac_step.toml",
            "[experiment]\nstep_sizes = [0.1]\n[problem]\ntype = \"dirac-gan\"\n[[method]]\n"
            "name = \"sgda\"\nstep = 1\n");
  struct Case {
    std::string args, message;
  } cases[] = {
      {"experiment dirac.toml",
       "sgda: error: dirac.toml: run.step_size: the theory step size of sgda(sampling=uniform) is "
       "unknown on this problem (its constants are not available); accepted a number in "
       "step_sizes instead\n"},
      {"experiment dirac_step.toml",
       "sgda: error: dirac_step.toml:7: method.step: must be a string naming a step rule, got 1; "
       "accepted prox, sgd, momentum, nesterov, adagrad, rmsprop, adam, adamw, nadam, lars, lamb, "
       "mbf, kfac, "
       "optimistic (the rule's options go in "
       "[step] or beside step)\n"},
      {"experiment bilinear.toml",
       "sgda: error: bilinear.toml:2: run.step_size: the theory step size of "
       "sgda(sampling=uniform) is unknown on this problem (its constants are not available); "
       "accepted a number in step_sizes instead\n"},
      {"experiment typo.toml",
       "sgda: error: typo.toml:3: experiment.step_size: unknown key (did you mean "
       "\"step_sizes\"?); accepted keys: title, description, seeds, step_sizes, target\n"},
      {"experiment missing.toml",
       "sgda: error: missing.toml: file not found; accepted a TOML experiment file\n"},
      {"experiment small.toml -o nowhere/runs.h5",
       "sgda: error: --output: folder not found: nowhere; accepted a path in an existing "
       "folder\n"},
      {"report missing.h5",
       "sgda: error: missing.h5: no such file; accepted the path of an existing HDF5 file\n"},
      {"report small.toml -o r.txt",
       "sgda: error: --output: r.txt does not end in .html; accepted an .html path (the .csv "
       "and .json go beside it)\n"},
  };
  for (const Case& c : cases) {
    const Result r = run(c.args, dir);
    INFO(c.args);
    CHECK(r.status == 2);
    CHECK(r.err == c.message);
  }
  CHECK_FALSE(fs::exists(dir / "bilinear.h5"));
  CHECK_FALSE(fs::exists(dir / "dirac.h5"));
  // A run file of `sgda solve` is not a runs file.
  REQUIRE(run("solve game.toml -o run.h5", dir).status == 0);
  const Result r = run("report run.h5", dir);
  CHECK(r.status == 2);
  CHECK(r.err ==
        "sgda: error: run.h5: not a runs file (no experiment.title attribute or /runs group); "
        "accepted a file written by sgda experiment\n");
  const Result resume = run("experiment small.toml -o run.h5", dir);
  CHECK(resume.status == 2);
  CHECK(resume.err.find("or --force to replace it") != std::string::npos);
}

// ---- GAN-style games: the trace's further columns in the report --------------------------------

namespace {

// Deterministic (n = 1): both seeds give the same runs. The averaged iterate adds two trace
// columns; the methods set their own scheme and step rule.
const std::string kDiracExperiment = R"([experiment]
title = "dirac"
seeds = [0, 1]
step_sizes = [0.2]

[problem]
type = "dirac-gan"
theta0 = 0.5

[run]
iterations = 600
log_every = 5
averaging = "uniform"

[[method]]
name = "sgda"
label = "GDA"

[[method]]
name = "sgda"
label = "extragradient"
scheme = "extragradient"

[[method]]
name = "sgda"
label = "optimistic"
step = "optimistic"
)";

// The game's own metrics (mean_error, covariance_error) from its initial point A = I; minibatch
// noise differs between seeds; x* is unknown (the natural residual).
const std::string kGaussianExperiment = R"([experiment]
title = "gaussian, a linear generator"
seeds = [0, 1, 2]
step_sizes = [0.01, 0.02]

[problem]
type = "gaussian-gan"
dimension = 2
samples = 64
batch = 8

[run]
iterations = 400
log_every = 10

[[method]]
name = "sgda"
scheme = ["simultaneous", "extragradient"]
)";

// RFC 4180: fields separated by commas, quoted with "" for a quote inside.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"')
        field += '"', ++i;
      else if (c == '"')
        quoted = false;
      else
        field += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field), field.clear();
    } else if (c == '\n') {
      rows.back().push_back(field), field.clear();
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

// Every column of two traces but wall time, bit for bit.
void check_same_trace(const Trace& a, const Trace& b) {
  CHECK(a.iteration == b.iteration);
  CHECK(a.sample_evaluations == b.sample_evaluations);
  CHECK(a.coordinate_evaluations == b.coordinate_evaluations);
  CHECK(a.epochs == b.epochs);
  CHECK(a.bits == b.bits);
  CHECK(a.step_size == b.step_size);
  auto same = [](const std::vector<double>& x, const std::vector<double>& y) {
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!(x[i] == y[i] || (std::isnan(x[i]) && std::isnan(y[i])))) return false;
    return true;
  };
  CHECK(same(a.relative_distance_sq, b.relative_distance_sq));
  CHECK(same(a.residual_sq, b.residual_sq));
  REQUIRE(a.extra.size() == b.extra.size());
  for (const TraceColumn& column : a.extra) {
    INFO(column.name);
    const auto other = std::find_if(b.extra.begin(), b.extra.end(),
                                    [&](const TraceColumn& c) { return c.name == column.name; });
    REQUIRE(other != b.extra.end());
    CHECK(same(column.values, other->values));
  }
}

}  // namespace

TEST_CASE(
    "sgda experiment runs GAN-style games as sgda solve does, and sgda report shows their "
    "further trace columns: a plot each, the runs files' values in the CSV and JSON",
    "[report][cli][gan]") {
  TempDir dir;
  dir.write("dirac.toml", kDiracExperiment);
  dir.write("gaussian.toml", kGaussianExperiment);
  for (const char* name : {"dirac", "gaussian"}) {
    const Result e = run(std::string("experiment ") + name + ".toml", dir);
    INFO(e.err);
    REQUIRE(e.status == 0);
  }
  const Result r = run("report dirac.h5 gaussian.h5 -o report.html", dir);
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("dirac: 3 groups of 6 runs; 0 within the theorem's bound, 0 breaking it, 3 "
                   "not checked") != std::string::npos);

  const std::vector<std::string> files = {"dirac", "gaussian"};
  std::vector<ExperimentRuns> runs;
  std::vector<std::vector<std::string>> names(2);  // the further columns of each runs file
  for (std::size_t i = 0; i < 2; ++i) {
    runs.push_back(load_experiment_runs((dir / (files[i] + ".h5")).string()));
    for (const RunRecord& record : runs[i].runs) {
      std::vector<std::string> columns;
      for (const TraceColumn& c : record.trace.extra) columns.push_back(c.name);
      if (names[i].empty()) names[i] = columns;
      CHECK(columns == names[i]);
    }
  }
  REQUIRE(runs[0].runs.size() == 6);
  REQUIRE(runs[1].runs.size() == 12);
  CHECK(names[0] ==
        std::vector<std::string>{"average_relative_distance_sq", "average_residual_sq"});
  // The Gaussian game's columns are its metrics, from its initial point at row 0.
  const ExperimentPlan gaussian = load_experiment((dir / "gaussian.toml").string());
  const std::shared_ptr<Problem> game = make_problem(gaussian.runs.front().config);
  const auto metrics = game->metrics(game->initial_point());
  REQUIRE(names[1].size() == metrics.size());
  for (const auto& [name, value] : metrics) {
    INFO(name);
    const auto at = std::find(names[1].begin(), names[1].end(), name);
    REQUIRE(at != names[1].end());
    CHECK(runs[1].runs.front().trace.extra[std::size_t(at - names[1].begin())].values.front() ==
          value);
  }

  // JSON: the columns of each experiment; each run's last value and each group's mean, min
  // and max at its last common row, exactly as in the runs files.
  const Json json = Json::parse(read(dir / "report.json"));
  REQUIRE(json.at("experiments").size() == 2);
  std::map<std::pair<std::string, std::string>, const Json*> groups;
  for (std::size_t i = 0; i < 2; ++i) {
    const Json& e = json.at("experiments").at(i);
    CHECK(e.at("metric").get<std::string>() == (i == 0 ? "relative_distance_sq" : "residual_sq"));
    std::vector<std::string> listed;
    for (const Json& name : e.at("extra_columns")) listed.push_back(name.get<std::string>());
    CHECK(listed == names[i]);
    for (const Json& g : e.at("groups")) {
      groups[{e.at("title").get<std::string>(),
              g.at("label").get<std::string>() + "|" + g.at("step").get<std::string>()}] = &g;
      INFO(g.at("label").get<std::string>());
      // No theory on these games: the verdict says why.
      CHECK_FALSE(g.at("bound").at("checked").get<bool>());
      CHECK(g.at("bound").at("verdict").get<std::string>().rfind("not checked: ", 0) == 0);
      std::size_t rows = SIZE_MAX;
      for (const Json& run : g.at("runs"))
        rows = std::min(rows, runs[i].runs.at(std::size_t(num(run.at("index")))).trace.size());
      REQUIRE(rows > 0);
      for (std::size_t k = 0; k < names[i].size(); ++k) {
        const std::string& name = names[i][k];
        INFO(name);
        double mean = 0.0, low = INFINITY, high = -INFINITY;
        for (const Json& run : g.at("runs")) {
          const Trace& t = runs[i].runs.at(std::size_t(num(run.at("index")))).trace;
          const std::vector<double>& v = t.extra.at(k).values;
          CHECK(num(run.at("extra").at(name)) == v.back());
          mean += v[rows - 1] / double(g.at("runs").size());
          low = std::min(low, v[rows - 1]);
          high = std::max(high, v[rows - 1]);
        }
        CHECK(num(g.at("extra").at(name)) == mean);
        CHECK(num(g.at("extra_min").at(name)) == low);
        CHECK(num(g.at("extra_max").at(name)) == high);
      }
    }
  }
  CHECK(groups.size() == 3 + 4);

  // CSV: the documented columns, then final_<column> for each experiment's further columns;
  // a group's value where its experiment has the column, empty where it does not.
  const std::vector<std::vector<std::string>> csv = parse_csv(read(dir / "report.csv"));
  REQUIRE(csv.size() == 1 + 3 + 4);
  std::vector<std::string> header = report_columns();
  for (const auto& list : names)
    for (const std::string& name : list) header.push_back("final_" + name);
  CHECK(csv[0] == header);
  std::vector<std::string> listed;
  for (const Json& c : json.at("columns")) listed.push_back(c.get<std::string>());
  CHECK(listed == header);
  const std::size_t first = report_columns().size();
  for (std::size_t row = 1; row < csv.size(); ++row) {
    REQUIRE(csv[row].size() == header.size());
    const std::size_t i = csv[row][0] == "dirac" ? 0 : 1;
    const Json& g = *groups.at({csv[row][0], csv[row][2] + "|" + csv[row][4]});
    for (std::size_t column = first; column < header.size(); ++column) {
      const std::string name = header[column].substr(6);
      INFO(csv[row][2] << ": " << header[column]);
      const bool own = std::find(names[i].begin(), names[i].end(), name) != names[i].end();
      if (own)
        CHECK(std::stod(csv[row][column]) == num(g.at("extra").at(name)));
      else
        CHECK(csv[row][column].empty());
    }
  }

  // HTML: well formed, three plots of the metric (one per axis: no bits here), one plot per
  // further column where x* is known (the Dirac game) and one per column and axis where it is
  // not (the Gaussian game), each column in the final-values table and the table of every run.
  const std::string html = read(dir / "report.html");
  CHECK(check_html(html) == "");
  CHECK(count(html, "<svg xmlns") == 2 * 3 + names[0].size() + 3 * names[1].size());
  for (std::size_t i = 0; i < 2; ++i)
    for (const std::string& name : names[i]) {
      CHECK(count(html, "<title>" + name + " vs iterations</title>") == 1);
      CHECK(count(html, "<title>" + name + " vs epochs</title>") == i);
      CHECK(count(html, "<title>" + name + " vs wall time</title>") == i);
      CHECK(count(html, "<th>" + name + "</th>") == 2);
    }
  CHECK(count(html, "Further trace columns at the last row") == 2);

  // Every run of the experiments is the run sgda solve makes of the same settings: the same
  // start (the game's initial point), steps and trace, bit for bit (wall time aside).
  const ExperimentPlan dirac = load_experiment((dir / "dirac.toml").string());
  for (const ExperimentPlan* plan : {&dirac, &gaussian}) {
    for (std::size_t i : {std::size_t(0), plan->runs.size() - 1}) {
      const PlannedRun& planned = plan->runs[i];
      INFO(planned.label << ", step " << planned.step << ", seed " << planned.seed);
      dir.write("solo.toml", to_toml(planned.config));
      const Result solo = run("solve solo.toml -o solo.h5 --force", dir);
      INFO(solo.err);
      REQUIRE(solo.status == 0);
      const RunRecord alone = load_run((dir / "solo.h5").string());
      const std::vector<RunRecord>& all = runs[plan == &dirac ? 0 : 1].runs;
      const auto record = std::find_if(all.begin(), all.end(), [&](const RunRecord& rr) {
        return rr.settings.at("experiment.key") == planned.key;
      });
      REQUIRE(record != all.end());
      check_same_trace(alone.trace, record->trace);
      CHECK(alone.x_final == record->x_final);
    }
  }
}
