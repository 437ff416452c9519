#include "sgda/report/experiment.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <set>
#include <stdexcept>

#include "../io/hdf5_util.hpp"
#include "../io/run_config_toml.hpp"
#include "../io/run_group.hpp"
#include "sgda/error.hpp"
#include "sgda/report/claims.hpp"
#include "sgda/step.hpp"
#include "sgda/theory.hpp"
#include "sgda/version.hpp"

namespace sgda {

const OptionTable<ExperimentSettings>& ExperimentSettings::table() {
  using O = ExperimentSettings;
  static const OptionTable<O> table(
      "ExperimentSettings",
      {
          field("title", &O::title, "the report's section heading")
              .defaults_to("the file's name without .toml"),
          field("description", &O::description, "a paragraph under the heading"),
          documented<O>("seeds", FieldType::kList,
                        "each run's run.seed: distinct integers >= 0, or a count N for 0..N-1 "
                        "(at most 100000 runs in all)",
                        "[0]"),
          documented<O>("step_sizes", FieldType::kList,
                        "each run's step: \"theory\", \"theory*F\" (F > 0) or numbers > 0",
                        "[\"theory\"]"),
          field("target", &O::target,
                "accuracy of the report's cost-to-target columns (relative squared distance, "
                "or squared residual)")
              .bounds(0, true, 1, true),
      });
  return table;
}

namespace {

const OptionTable<RunConfig>& run_table() {
  for (const RunSection& section : run_sections())
    if (section.name == "run") return *section.table;
  throw std::logic_error("run_sections() has no [run]");
}

// The [run] keys a [[method]] may give for itself, for its own learning-rate schedule: the
// schedule's (StepSizeOptions' but the step size itself, which step_sizes sets) and the
// batch-size-dependent ones.
bool is_method_run_key(const std::string& key) {
  if (key == "step_size" || key == "step_factor" || key == "step_schedule") return false;
  return StepSizeOptions::table().has(key) || key == "warmup_epochs" || key == "batch_scaling" ||
         key == "reference_batch_size";
}

}  // namespace

const OptionTable<ExperimentMethod>& ExperimentMethod::table() {
  using O = ExperimentMethod;
  static const OptionTable<O> table = [] {
    std::vector<Field<O>> rows = {
        documented<O>("label", FieldType::kString, "the method's name in the report",
                      "the name and the keys given"),
        documented<O>("step_sizes", FieldType::kList, "this method's own step sizes",
                      "experiment.step_sizes"),
        documented<O>("scheme", FieldType::kChoice, "this method's own run.scheme", "run.scheme"),
        documented<O>("step", FieldType::kChoice, "this method's own step rule ([step] rule)",
                      "step.rule"),
    };
    // The [run] keys a method may give for itself (ExperimentParser::expand moves them).
    std::vector<std::string> seen;
    for (const Field<RunConfig>& row : run_table().rows()) {
      if (!is_method_run_key(row.key) || std::find(seen.begin(), seen.end(), row.key) != seen.end())
        continue;
      seen.push_back(row.key);
      Field<O> f =
          documented<O>(row.key, row.type, "this method's own run." + row.key, "run." + row.key);
      f.range = row.range, f.zero_means = row.zero_means, f.choices = row.choices;
      rows.push_back(std::move(f));
    }
    // The step rule's keys (ExperimentParser::expand moves them to [step]).
    for (const std::string& key : method_step_keys()) {
      const Field<StepSettings>* row = nullptr;
      for (const Field<StepSettings>& r : StepSettings::table().rows())
        if (r.key == key) {
          row = &r;
          break;
        }
      Field<O> f = documented<O>(key, row->type, "this method's own [step] " + key, "step." + key);
      f.range = row->range, f.zero_means = row->zero_means, f.choices = row->choices;
      rows.push_back(std::move(f));
    }
    return OptionTable<O>("ExperimentMethod", {TablePart<O>(std::move(rows))});
  }();
  return table;
}

std::vector<std::string> method_step_keys() {
  std::vector<std::string> keys;
  for (const std::string& key : StepSettings::table().keys())
    if (key != "rule" && !EstimatorOptions::table().has(key)) keys.push_back(key);
  return keys;
}

namespace {

using Keys = std::vector<std::string>;

const Keys kTables = {"experiment", "problem", "regularizer", "method", "step", "run", "claim"};
constexpr std::size_t kMaxPlannedRuns = 100000;
// [run] keys the grid sets, and what sets them instead.
const std::vector<std::pair<std::string, std::string>> kGridRunKeys = {
    {"seed", "experiment.seeds sets the seeds"},
    {"step_size", "experiment.step_sizes sets the step sizes"},
    {"step_factor", "experiment.step_sizes sets the step sizes (\"theory*0.5\")"},
    {"output", "the runs file is given with -o"},
    {"checkpoint_every", "runs are saved whole; an interrupted experiment resumes run by run"},
    {"checkpoint_seconds", "runs are saved whole; an interrupted experiment resumes run by run"},
};

bool contains(const Keys& keys, const std::string& key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

// A value of a [[method]] key as the label shows it.
std::string value_text(const toml::node& node) {
  if (node.is_string()) return std::string(node.as_string()->get());
  if (node.is_integer()) return std::to_string(node.as_integer()->get());
  if (node.is_floating_point()) return format_number(node.as_floating_point()->get());
  if (node.is_boolean()) return node.as_boolean()->get() ? "true" : "false";
  return "?";
}

struct StepSpec {
  std::string text;  // as written, normalized: "theory", "theory*0.5", "0.01"
  bool theory = true;
  double value = 1.0;  // the factor of the theory step, or the constant step
  std::string where;   // file:line
};

// One [[method]] entry: its label, its step sizes and the keys given as arrays (grid axes).
struct Entry {
  std::string label;
  bool labelled = false;
  std::vector<StepSpec> steps;
  std::vector<std::pair<std::string, std::size_t>> axes;  // key, number of values
  std::size_t index = 0;
  bool in_array = false;
};

// A key of [problem] or [regularizer] given as an array: every method runs on each value.
struct ProblemAxis {
  std::string table, key;  // "problem", "hidden"
  std::size_t count = 0;   // its number of values
};

class ExperimentParser {
 public:
  ExperimentParser(std::string text, std::string source)
      : text_(std::move(text)), reader_(std::move(source)) {}

  ExperimentPlan parse() {
    ExperimentPlan plan;
    plan.source = reader_.source();
    plan.text = text_;
    const toml::table root = detail::parse_toml(text_, reader_.source());
    check_tables(root);
    ExperimentSettings settings;
    settings.title = std::filesystem::path(reader_.source()).stem().string();
    std::vector<std::uint64_t> seeds = {0};
    std::string seeds_where = reader_.source();
    std::vector<StepSpec> steps = {{"theory", true, 1.0, reader_.source()}};
    if (const toml::table* experiment = root["experiment"].as_table()) {
      std::map<std::string, std::string> origin;
      reader_.read(*experiment, "experiment", ExperimentSettings::table(), settings, origin,
                   nullptr);
      if (const toml::node* n = experiment->get("seeds")) {
        seeds = parse_seeds(*n);
        seeds_where = reader_.where(n);
      }
      if (const toml::node* n = experiment->get("step_sizes"))
        steps = parse_steps(*n, "experiment.step_sizes");
    }
    plan.title = settings.title;
    plan.description = settings.description;
    plan.target = settings.target;
    check_run_table(root);
    axes_ = parse_problem_axes(root);
    plan.claims = parse_claims(text_, reader_.source());
    for (const ProblemAxis& axis : axes_) plan.problem_axes.push_back(axis.table + "." + axis.key);

    const toml::node* methods = root.get("method");
    if (!methods)
      reader_.fail(nullptr, "method",
                   "missing; accepted one [[method]] table per method to compare");
    std::vector<Entry> entries;
    if (const toml::array* array = methods->as_array()) {
      for (std::size_t i = 0; i < array->size(); ++i) {
        const toml::table* t = array->get(i)->as_table();
        if (!t)
          reader_.fail(array->get(i), "method",
                       "must be tables [[method]], got another value; accepted [[method]] "
                       "tables");
        entries.push_back(parse_entry(*t, i, true));
      }
    } else {
      entries.push_back(parse_entry(*methods->as_table(), 0, false));
    }

    // The problem variants outermost: a run's problem is rebuilt only when it changes.
    std::set<std::string> labels, keys;
    std::vector<std::size_t> problem(axes_.size(), 0);
    do {
      add_runs(plan, entries, problem, steps, seeds, seeds_where, labels, keys);
    } while (next_combination(problem, [&](std::size_t a) { return axes_[a].count; }));
    return plan;
  }

 private:
  void add_runs(ExperimentPlan& plan, const std::vector<Entry>& entries,
                const std::vector<std::size_t>& problem, const std::vector<StepSpec>& steps,
                const std::vector<std::uint64_t>& seeds, const std::string& seeds_where,
                std::set<std::string>& labels, std::set<std::string>& keys) const {
    for (const Entry& entry : entries) {
      for (const auto& variant : expand(entry, problem)) {
        const std::string& label = variant.first;
        if (!labels.insert(label).second)
          throw input_error(variant.second.origin.count("method.name")
                                ? variant.second.origin.at("method.name")
                                : reader_.source(),
                            "method",
                            "two methods have the label \"" + label +
                                "\"; accepted distinct labels (set label = \"...\")");
        for (const StepSpec& step : entry.steps.empty() ? steps : entry.steps) {
          for (const std::uint64_t seed : seeds) {
            PlannedRun run;
            run.label = label;
            run.step = step.text;
            run.seed = seed;
            run.config = variant.second;
            SolverOptions& s = run.config.solver;
            s.seed = seed;
            run.config.origin["run.seed"] = seeds_where;
            run.config.origin["run.step_size"] = step.where;
            if (step.theory) {
              if (s.step_size.rule != StepSizeRule::kSwitching)
                s.step_size.rule = StepSizeRule::kTheory;
              s.step_size.factor = step.value;
              s.step_size.gamma = 0.0;
            } else {
              s.step_size.rule = StepSizeRule::kConstant;
              s.step_size.gamma = step.value;
              s.step_size.factor = 1.0;
            }
            // A grid that big is a typo (seeds = 100000); planning it alone took minutes and GBs.
            if (plan.runs.size() == kMaxPlannedRuns)
              reader_.fail(nullptr, "experiment",
                           "the grid has more than 100000 runs (methods x step sizes x seeds); "
                           "accepted at most 100000");
            run.key = to_toml(run.config);
            if (!keys.insert(run.key).second)
              throw input_error(step.where, "experiment.step_sizes",
                                "the run " + label + ", step " + step.text + ", seed " +
                                    std::to_string(seed) +
                                    " is planned twice; accepted distinct entries");
            plan.runs.push_back(std::move(run));
          }
        }
      }
    }
  }

  // Advances `choice` to the next combination, the last axis fastest; false after the last.
  template <class Count>
  static bool next_combination(std::vector<std::size_t>& choice, Count count) {
    for (std::size_t a = choice.size(); a > 0; --a) {
      if (++choice[a - 1] < count(a - 1)) return true;
      choice[a - 1] = 0;
    }
    return false;
  }

  // Arrays in [problem] and [regularizer] (not their `type`: one problem per experiment).
  std::vector<ProblemAxis> parse_problem_axes(const toml::table& root) const {
    std::vector<ProblemAxis> axes;
    for (const char* table : {"problem", "regularizer"}) {
      const toml::table* t = root[table].as_table();
      if (!t) continue;
      for (const auto& [key, node] : *t) {
        const toml::array* values = node.as_array();
        if (!values) continue;
        const std::string name(key.str()), field = std::string(table) + "." + name;
        if (name == "type")
          reader_.fail(&node, field,
                       "must be one type: an experiment is on one problem; accepted a string "
                       "(other keys may be arrays, making grid axes)");
        if (values->empty()) reader_.fail(&node, field, "is an empty array; accepted values");
        for (const toml::node& v : *values)
          if (v.is_array() || v.is_table())
            reader_.fail(&v, field, "arrays of arrays or tables are not accepted");
        axes.push_back({table, name, values->size()});
      }
    }
    return axes;
  }

  void check_tables(const toml::table& root) const {
    for (const auto& [key, node] : root) {
      const std::string name(key.str());
      if (!contains(kTables, name)) {
        const std::string match = closest_match(name, kTables);
        reader_.fail(&node, name,
                     "unknown " + std::string(node.is_table() ? "table" : "key") +
                         (match.empty() ? "" : " (did you mean \"" + match + "\"?)") +
                         "; accepted tables: [experiment], [problem], [regularizer], [[method]], "
                         "[step], [run], [[claim]]");
      }
      if (name != "method" && name != "claim" && !node.is_table())
        reader_.fail(&node, name, "must be a table [" + name + "]");
      if (name == "method" && !node.is_table() && !node.is_array())
        reader_.fail(&node, name, "must be [[method]] tables, one per method");
    }
  }

  void check_run_table(const toml::table& root) const {
    const toml::table* run = root["run"].as_table();
    if (!run) return;
    for (const auto& [key, why] : kGridRunKeys)
      if (const toml::node* node = run->get(key))
        reader_.fail(node, "run." + key, "does not apply to experiment files: " + why);
    if (const toml::node* node = run->get("step_schedule"))
      if (node->is_string() && node->as_string()->get() == "constant")
        reader_.fail(node, "run.step_schedule",
                     "\"constant\" does not apply to experiment files: a number in "
                     "experiment.step_sizes is a constant step; accepted \"theory\" or "
                     "\"switching\"");
  }

  std::vector<std::uint64_t> parse_seeds(const toml::node& node) const {
    const std::string field = "experiment.seeds";
    const std::string accepted =
        "; accepted an array of distinct integers >= 0, e.g. [0, 1, 2], "
        "or a count N >= 1 for seeds 0..N-1";
    std::vector<std::uint64_t> seeds;
    if (node.is_integer()) {
      const std::int64_t count = node.as_integer()->get();
      if (count < 1 || count > 100000)
        reader_.fail(&node, field, "got " + std::to_string(count) + accepted);
      for (std::int64_t s = 0; s < count; ++s) seeds.push_back(std::uint64_t(s));
      return seeds;
    }
    const toml::array* array = node.as_array();
    if (!array || array->empty()) reader_.fail(&node, field, "must not be empty" + accepted);
    for (const toml::node& item : *array) {
      if (!item.is_integer() || item.as_integer()->get() < 0)
        reader_.fail(&item, field, "has " + value_text(item) + accepted);
      const auto seed = std::uint64_t(item.as_integer()->get());
      if (std::find(seeds.begin(), seeds.end(), seed) != seeds.end())
        reader_.fail(&item, field, "has " + std::to_string(seed) + " twice" + accepted);
      seeds.push_back(seed);
    }
    return seeds;
  }

  // Each entry as a run.step_size value (options.hpp: parse_theory_step).
  std::vector<StepSpec> parse_steps(const toml::node& node, const std::string& field) const {
    const std::string accepted =
        "; accepted an array of \"theory\", \"theory*F\" (F > 0 scales the theory step) or "
        "numbers > 0 (constant steps)";
    const toml::array* array = node.as_array();
    if (!array || array->empty())
      reader_.fail(&node, field, "must be a non-empty array" + accepted);
    std::vector<StepSpec> steps;
    for (const toml::node& item : *array) {
      StepSpec step;
      step.where = reader_.where(&item);
      if (item.is_number()) {
        step.theory = false;
        step.value =
            item.is_integer() ? double(item.as_integer()->get()) : item.as_floating_point()->get();
        if (!(std::isfinite(step.value) && step.value > 0.0))
          reader_.fail(&item, field, "has " + format_number(step.value) + accepted);
        step.text = format_number(step.value);
      } else if (item.is_string()) {
        const std::string text(item.as_string()->get());
        if (!parse_theory_step(text, &step.value))
          reader_.fail(&item, field, "unknown \"" + text + "\"" + accepted);
        step.text = step.value == 1.0 ? "theory" : "theory*" + format_number(step.value);
      } else {
        reader_.fail(&item, field, "has " + value_text(item) + accepted);
      }
      for (const StepSpec& other : steps)
        if (other.text == step.text)
          reader_.fail(&item, field, "has " + step.text + " twice" + accepted);
      steps.push_back(step);
    }
    return steps;
  }

  Entry parse_entry(const toml::table& t, std::size_t index, bool in_array) const {
    Entry entry;
    entry.index = index;
    entry.in_array = in_array;
    for (const auto& [key, node] : t) {
      const std::string name(key.str());
      if (name == "label") {
        if (!node.is_string()) reader_.fail(&node, "method.label", "must be a string");
        entry.label = std::string(node.as_string()->get());
        if (entry.label.empty())
          reader_.fail(&node, "method.label", "is empty; accepted a short name");
        entry.labelled = true;
      } else if (name == "step_sizes") {
        entry.steps = parse_steps(node, "method.step_sizes");
      } else if (const toml::array* values = node.as_array()) {
        if (name == "name")
          reader_.fail(&node, "method.name",
                       "must be one name; accepted one [[method]] table per method");
        if (values->empty())
          reader_.fail(&node, "method." + name, "is an empty array; accepted values");
        for (const toml::node& v : *values)
          if (v.is_array() || v.is_table())
            reader_.fail(&v, "method." + name, "arrays of arrays or tables are not accepted");
        entry.axes.push_back({name, values->size()});
      }
    }
    return entry;
  }

  // Every combination of the entry's array values, as (label, parsed config). Each variant is
  // parsed from a fresh copy of the file whose [[method]] entry is moved into [method], so the
  // problem-file parser sees a plain problem file and reports the experiment file's lines.
  // `problem` chooses a value of each problem axis; they end the label.
  std::vector<std::pair<std::string, RunConfig>> expand(
      const Entry& entry, const std::vector<std::size_t>& problem) const {
    std::vector<std::pair<std::string, RunConfig>> variants;
    std::vector<std::size_t> choice(entry.axes.size(), 0);
    while (true) {
      toml::table root = detail::parse_toml(text_, reader_.source());
      std::string problem_axes;
      for (std::size_t a = 0; a < axes_.size(); ++a) {
        toml::table& table = *root[axes_[a].table].as_table();
        toml::array values = std::move(*table[axes_[a].key].as_array());
        problem_axes += (problem_axes.empty() ? "" : ", ") + axes_[a].key + "=" +
                        value_text(*values.get(problem[a]));
        values.get(problem[a])->visit([&](auto& value) {
          table.insert_or_assign(axes_[a].key, std::move(value));
        });
      }
      toml::table method;
      if (entry.in_array) {
        toml::array& array = *root["method"].as_array();
        method = std::move(*array.get(entry.index)->as_table());
      } else {
        method = std::move(*root["method"].as_table());
      }
      // Labels name the keys given: all of them by default, the grid axes after a given label.
      std::string details, axes;
      for (auto& [key, node] : method) {
        const std::string name(key.str());
        if (name == "name" || name == "label" || name == "step_sizes") continue;
        const auto axis = std::find_if(entry.axes.begin(), entry.axes.end(),
                                       [&](const auto& a) { return a.first == name; });
        const std::string value =
            axis == entry.axes.end()
                ? value_text(node)
                : value_text(*node.as_array()->get(choice[std::size_t(axis - entry.axes.begin())]));
        details += (details.empty() ? "" : ", ") + name + "=" + value;
        if (axis != entry.axes.end()) axes += (axes.empty() ? "" : ", ") + name + "=" + value;
      }
      for (std::size_t a = 0; a < entry.axes.size(); ++a) {
        const std::string& key = entry.axes[a].first;
        toml::array values = std::move(*method[key].as_array());
        values.get(choice[a])->visit(
            [&](auto& value) { method.insert_or_assign(key, std::move(value)); });
      }
      method.erase("label");
      method.erase("step_sizes");
      // A method's own scheme and step rule go where a problem file has them: [run] scheme and
      // [step] rule, replacing those of the experiment's [run] and [step] for this method.
      const bool own_scheme = move_key(root, method, "scheme", "run", "scheme");
      if (const toml::node* step = method.get("step"); step && !step->is_string())
        reader_.fail(step, "method.step",
                     "must be a string naming a step rule, got " +
                         (step->is_table() ? std::string("a table") : value_text(*step)) +
                         "; accepted " + join(enum_names<StepRuleType>()) +
                         " (the rule's options go in [step] or beside step)");
      const bool own_step = move_key(root, method, "step", "step", "rule");
      // The step rule's options (momentum, beta1, ..., scale) go to [step] likewise, so a method
      // may grid over them; a key that is also a [method] key (DIANA's alpha) stays the method's.
      std::vector<std::string> own_rule;
      for (const std::string& key : method_step_keys())
        if (move_key(root, method, key, "step", key)) own_rule.push_back(key);
      // The schedule's keys (step_decay, warmup_iterations, batch_scaling, ...:
      // is_method_run_key) go to [run] too, so a method may have its own schedule and grid over
      // it.
      std::vector<std::string> own_schedule;
      for (const std::string& key : run_table().keys())
        if (is_method_run_key(key) && move_key(root, method, key, "run", key))
          own_schedule.push_back(key);
      const std::string name =
          method["name"].is_string() ? std::string(method["name"].as_string()->get()) : "?";
      root.erase("experiment");
      root.erase("claim");
      root.insert_or_assign("method", std::move(method));
      RunConfig config;
      try {
        config = detail::parse_run_table(root, reader_.source());
      } catch (const InputError& e) {
        // The problem-file parser names the keys where it found them; say where they were set.
        std::string message = e.what();
        if (own_scheme) rename_field(message, "run.scheme", "method.scheme");
        if (own_step) rename_field(message, "step.rule", "method.step");
        for (const std::string& key : own_schedule)
          rename_field(message, "run." + key, "method." + key);
        for (const std::string& key : own_rule)
          rename_field(message, "step." + key, "method." + key);
        throw InputError(message);
      }

      auto join_with = [](std::string text, const std::string& more) {
        return text.empty() ? more : more.empty() ? text : text + ", " + more;
      };
      details = join_with(details, problem_axes);
      axes = join_with(axes, problem_axes);
      std::string label = entry.labelled ? entry.label : name;
      if (!entry.labelled && !details.empty()) label += " (" + details + ")";
      if (entry.labelled && !axes.empty()) label += " (" + axes + ")";
      variants.emplace_back(label, std::move(config));

      if (!next_combination(choice, [&](std::size_t a) { return entry.axes[a].second; }))
        return variants;
    }
  }

  // Moves method.<key> into [<table>] <as> (creating the table), keeping its source line.
  static bool move_key(toml::table& root, toml::table& method, const std::string& key,
                       const std::string& table, const std::string& as) {
    toml::node* node = method.get(key);
    if (!node) return false;
    if (!root.get(table)) root.insert(table, toml::table{});
    toml::table& target = *root[table].as_table();
    node->visit([&](auto& value) { target.insert_or_assign(as, std::move(value)); });
    method.erase(key);
    return true;
  }

  // "e.toml:7: run.scheme: ..." → "e.toml:7: method.scheme: ...".
  static void rename_field(std::string& message, const std::string& from, const std::string& to) {
    const std::string needle = ": " + from + ":";
    const auto at = message.find(needle);
    if (at != std::string::npos) message.replace(at + 2, from.size(), to);
  }

  std::string text_;
  detail::TomlReader reader_;
  std::vector<ProblemAxis> axes_;
};

std::string number_text(double value) { return std::isnan(value) ? "nan" : format_number(value); }

}  // namespace

ExperimentPlan parse_experiment(const std::string& text, const std::string& source) {
  return ExperimentParser(text, source).parse();
}

ExperimentPlan load_experiment(const std::string& path) {
  return parse_experiment(detail::read_toml_file(path, "TOML experiment file"), path);
}

Settings experiment_attributes(const ExperimentPlan& plan, const Problem& problem) {
  Settings a;
  a["experiment.title"] = plan.title;
  a["experiment.description"] = plan.description;
  a["experiment.source"] = plan.source;
  a["experiment.text"] = plan.text;
  a["experiment.target"] = number_text(plan.target);
  a["experiment.planned_runs"] = std::to_string(plan.runs.size());
  if (!plan.problem_axes.empty()) a["experiment.problem_axes"] = join(plan.problem_axes, ", ");
  a["sgda_version"] = kVersion;
  const ProblemConstants c = problem.constants();
  a["constants.problem"] = problem.name();
  a["constants.samples"] = std::to_string(problem.num_samples());
  a["constants.dimension"] = std::to_string(problem.dim());
  std::string blocks;
  for (const Block& b : problem.blocks())
    blocks += (blocks.empty() ? "" : ", ") + b.name + "[" + std::to_string(b.size) + "] " +
              (b.maximize ? "max" : "min");
  a["constants.blocks"] = blocks;
  a["constants.regularizer"] = problem.regularizer().describe();
  a["constants.mu"] = number_text(c.mu);
  a["constants.ell"] = number_text(c.ell);
  a["constants.ell_hat"] = number_text(c.ell_hat);
  const bool lipschitz = c.sample_lipschitz.size() > 0;
  a["constants.lipschitz_min"] = number_text(lipschitz ? c.sample_lipschitz.minCoeff() : NAN);
  a["constants.lipschitz_max"] = number_text(lipschitz ? c.sample_lipschitz.maxCoeff() : NAN);
  const std::optional<Vector> x_star = problem.solution();
  a["constants.solution_norm"] = number_text(x_star ? x_star->norm() : NAN);
  return a;
}

void check_planned_run(const PlannedRun& run, const Problem& problem) {
  const RunConfig& config = run.config;
  solver_options(config, problem);  // epochs and batch scaling on this problem; errors located
  try {
    const std::unique_ptr<Estimator> estimator = make_estimator(config.estimator, problem);
    const StepSizeOptions& step_size = config.solver.step_size;
    if (step_size.rule == StepSizeRule::kConstant) return;
    const std::unique_ptr<StepRule> step = build_step(config);
    const Theory t = analyse_theory(problem, *estimator, *step, solver_options(config, problem),
                                    problem.initial_point(), {.estimator_at_x0 = false});
    if (t.step_source == StepSource::kMissing)
      throw InputError(FieldError{
          "SolverOptions::step_size.gamma",
          "none given, and the step rule " + step->name() +
              " has no default (prox takes the theory step size, adam and adamw 1e-3, the "
              "rules outside the theory none; players' rules must agree); accepted a number in "
              "step_sizes, or \"theory\""});
    if (t.step_source != StepSource::kRuleDefault && !std::isfinite(t.theory_step_size))
      throw InputError(FieldError{"SolverOptions::step_size.gamma",
                                  "the theory step size of " + estimator->describe() +
                                      " is unknown on this problem (its constants are not "
                                      "available); accepted a number in step_sizes instead"});
  } catch (const InputError& e) {
    throw located_error(config, e);
  }
}

RunRecord execute_run(const PlannedRun& run, const Problem& problem,
                      const std::vector<Callback*>& callbacks, const std::atomic<bool>* interrupt) {
  const RunConfig& config = run.config;
  auto build = [&] {
    try {
      return make_estimator(config.estimator, problem);
    } catch (const InputError& e) {
      throw located_error(config, e);
    }
  };
  const std::unique_ptr<Estimator> estimator = build();
  const std::unique_ptr<StepRule> step = build_step(config);
  const Vector x0 = problem.initial_point();  // as sgda solve: 0, or a network's initialization

  // The theory at the start of the run: σ_0 after reset, on a separate estimator and stream.
  const std::unique_ptr<Estimator> probe = build();
  Rng rng(config.solver.seed);
  Counters counters;
  probe->reset(problem, x0, rng, counters);
  // The step and length the run takes: epochs and batch scaling resolved.
  SolverOptions options = solver_options(config, problem);
  Theory theory = analyse_theory(problem, *probe, *step, options, x0);

  Summary summary;
  options.interrupt = interrupt;
  try {
    summary = solve(problem, *estimator, *step, options, x0, callbacks);
  } catch (const InputError& e) {
    throw located_error(config, e);
  }

  Settings a = detail::run_attributes(summary, to_settings(config));
  a["experiment.label"] = run.label;
  a["experiment.step"] = run.step;
  a["experiment.seed"] = std::to_string(run.seed);
  a["experiment.key"] = run.key;
  return RunRecord{std::move(a), std::move(summary.trace), std::move(summary.x), std::nullopt,
                   std::move(theory)};
}

std::string run_group_name(std::size_t index, std::size_t count) {
  const std::string digits = std::to_string(index);
  const std::size_t width = std::max<std::size_t>(4, std::to_string(count).size());
  return "/runs/r" + std::string(width - std::min(width, digits.size()), '0') + digits;
}

std::optional<std::size_t> run_group_number(const std::string& name) {
  if (name.size() < 2 || name.size() > 16 || name[0] != 'r' ||
      name.find_first_not_of("0123456789", 1) != std::string::npos)
    return std::nullopt;
  return std::stoull(name.substr(1));
}

void save_experiment_runs(const std::string& path, const ExperimentRuns& runs) {
  hdf5::write_atomically(path, [&](hdf5::Writer& file) {
    for (const auto& [key, value] : runs.attributes) file.write_string_attribute(key, value);
    file.create_group("/runs");
    for (std::size_t i = 0; i < runs.runs.size(); ++i) {
      const RunRecord& r = runs.runs[i];
      detail::write_run_group(file, run_group_name(i, runs.runs.size()), r.trace, r.x_final,
                              r.settings, r.theory ? &*r.theory : nullptr);
    }
  });
}

std::string experiment_backup_path(const std::string& path) { return path + ".backup"; }

namespace {

// Makes `to` a copy of the runs file `path` (its backup), through a temporary renamed into
// place, so a crash leaves the previous backup or the new one. The temporary is named as
// write_atomically's, so that OutputClaim removes one a killed process left.
void copy_runs_file(const std::string& path, const std::string& to) {
  const std::string temporary = path + ".tmp-" + std::to_string(::getpid());
  std::error_code ec;
  std::filesystem::copy_file(path, temporary, std::filesystem::copy_options::overwrite_existing,
                             ec);
  if (!ec) std::filesystem::rename(temporary, to, ec);
  if (ec) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw InputError(path + ": cannot copy it to its backup " + to + " (" + ec.message() +
                     "); accepted a writable directory with free space");
  }
}

// Applies `write` in place to the backup of `path`, then to `path`: a crash during either
// leaves the other complete (docs/file-formats.md, "Appending").
void write_in_place(const std::string& path, const std::function<void(hdf5::Writer&)>& write) {
  const std::string backup = experiment_backup_path(path);
  std::error_code ec;
  if (!std::filesystem::exists(backup, ec)) copy_runs_file(path, backup);
  for (const std::string& file : {backup, path}) {
    hdf5::Writer writer(file, path, hdf5::Writer::Mode::kInPlace);
    write(writer);
    writer.close();
  }
}

}  // namespace

void append_experiment_run(const std::string& path, const Settings* attributes,
                           const std::string& group, const RunRecord& record, bool create) {
  auto write = [&](hdf5::Writer& file) {
    if (attributes)
      for (const auto& [key, value] : *attributes) file.write_string_attribute(key, value);
    if (create) file.create_group("/runs");
    detail::write_run_group(file, group, record.trace, record.x_final, record.settings,
                            record.theory ? &*record.theory : nullptr);
  };
  if (!create) return write_in_place(path, write);
  hdf5::write_atomically(path, write);
  copy_runs_file(path, experiment_backup_path(path));
}

void update_experiment_attributes(const std::string& path, const Settings& attributes) {
  write_in_place(path, [&](hdf5::Writer& file) {
    for (const auto& [key, value] : attributes) file.write_string_attribute(key, value);
  });
}

ExperimentRuns recover_experiment_runs(const std::string& path, bool& restored) {
  const std::string backup = experiment_backup_path(path);
  restored = false;
  ExperimentRuns runs;
  try {
    runs = load_experiment_runs(path);
  } catch (const InputError&) {
    std::error_code ec;
    if (!std::filesystem::exists(backup, ec)) throw;
    const std::exception_ptr unreadable = std::current_exception();
    try {
      runs = load_experiment_runs(backup);
    } catch (const InputError&) {
      std::rethrow_exception(unreadable);  // the runs file's own problem, not the backup's
    }
    std::filesystem::rename(backup, path, ec);
    if (ec)
      throw InputError(path + ": cannot restore it from " + backup + " (" + ec.message() +
                       "); accepted a writable directory");
    restored = true;
  }
  copy_runs_file(path, backup);
  return runs;
}

namespace {

// A number attribute stored as text (settings are strings): present and the whole text a
// number that `ok` accepts, or an InputError naming the file, the attribute and `accepted`.
double checked_number(const hdf5::Reader& file, const Settings& settings, const std::string& object,
                      const std::string& key, bool (*ok)(double), const std::string& accepted) {
  const auto it = settings.find(key);
  if (it == settings.end()) return std::nan("");
  const std::string& text = it->second;
  double value = 0.0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size() || !ok(value))
    throw file.error(object + " attribute " + key, "is \"" + text + "\"; accepted " + accepted);
  return value;
}

bool positive(double v) { return std::isfinite(v) && v > 0.0; }
bool count(double v) { return v >= 1.0 && v <= 1e15 && v == std::floor(v); }
bool seed(double v) { return v >= 0.0 && v <= 18446744073709551615.0 && v == std::floor(v); }

}  // namespace

ExperimentRuns load_experiment_runs(const std::string& path) {
  const hdf5::Reader file(path);
  ExperimentRuns runs;
  runs.attributes = file.string_attributes("/");
  if (!runs.attributes.count("experiment.title") || !file.has("/runs"))
    throw file.error("",
                     "not a runs file (no experiment.title attribute or /runs group); "
                     "accepted a file written by sgda experiment");
  // Checked here, as game files are, so that a report is never built on garbage.
  checked_number(file, runs.attributes, "/", "experiment.target", positive,
                 "a number > 0 (the relative squared distance the runs aim at)");
  const double planned = checked_number(file, runs.attributes, "/", "experiment.planned_runs",
                                        count, "an integer >= 1 (the runs the experiment plans)");
  for (const std::string& name : file.dataset_names("/runs"))
    throw file.error("/runs/" + name,
                     "is a dataset; accepted only groups in /runs, one per run, as sgda "
                     "experiment writes them");
  std::vector<std::string> names = file.group_names("/runs");
  if (names.empty())
    throw file.error("/runs", "is empty; accepted the runs of sgda experiment (at least one)");
  if (planned < double(names.size()))
    throw file.error("/ attribute experiment.planned_runs",
                     "is " + runs.attributes.at("experiment.planned_runs") + ", fewer than the " +
                         std::to_string(names.size()) +
                         " runs in /runs; accepted at least as many as the file holds");
  // By number: appended groups may differ in width (r9999, r10000); other names after them.
  auto number = [](const std::string& name) {
    return run_group_number(name).value_or(std::numeric_limits<std::size_t>::max());
  };
  std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    return std::pair(number(a), a) < std::pair(number(b), b);
  });
  for (const std::string& name : names) {
    RunRecord record = detail::read_run_group(file, "/runs/" + name);
    for (const char* key : {"experiment.label", "experiment.key", "experiment.seed"})
      if (!record.settings.count(key))
        throw file.error("/runs/" + name, std::string("missing attribute ") + key +
                                              "; accepted runs written by sgda experiment");
    checked_number(file, record.settings, "/runs/" + name, "experiment.seed", seed,
                   "an integer >= 0 (the run's seed)");
    runs.runs.push_back(std::move(record));
    runs.groups.push_back(name);
  }
  return runs;
}

}  // namespace sgda
