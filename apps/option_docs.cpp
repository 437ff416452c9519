// `sgda list` and docs/options.md, both generated from the option tables: each key of problem
// and experiment files with its type, accepted values, default, where it applies, its flag and
// its doc, and every choice with its summary.
#include "option_docs.hpp"

#include <algorithm>
#include <cstdio>

#include "sgda/io/run_config.hpp"
#include "sgda/options.hpp"
#include "sgda/report/experiment.hpp"

namespace sgda::cli {
namespace {

// One table of a file as docs show it: its heading and rows.
template <class O>
struct DocTable {
  std::string heading;  // "[method]"
  std::string note;     // a sentence under the heading
  const OptionTable<O>* table;
  std::string section;  // of a problem file, whose rows have flags; "" otherwise
};

std::string applies_text(const std::vector<Condition>& conditions) {
  std::string out;
  for (const Condition& c : conditions)
    out += (out.empty() ? "" : "; ") + c.key + " = " + join(c.values, ", ");
  return out;
}

template <class O>
std::string default_of(const Field<O>& row) {
  if (row.required) return "required";
  if (row.default_text.empty()) return "\"\"";
  return row.default_text;
}

// The flag of a row of a problem file's section, or "".
template <class O>
std::string flag_of(const Field<O>& row, const std::string& section) {
  if constexpr (std::is_same_v<O, RunConfig>) {
    for (const FlagSpec& flag : section_flags(section))
      if (flag.row == &row) return flag.name;
  }
  (void)row;
  (void)section;
  return "";
}

std::string cell(std::string text) {
  std::string out;
  for (const char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

template <class O>
void markdown_table(std::string& out, const DocTable<O>& t) {
  out += "\n## `" + t.heading + "`\n\n";
  if (!t.note.empty()) out += t.note + "\n\n";
  out += "| key | type | accepted | default | applies when | flag | meaning |\n";
  out += "|---|---|---|---|---|---|---|\n";
  std::string choices;
  for (const Field<O>& row : t.table->rows()) {
    const std::string flag = flag_of(row, t.section);
    out += "| `" + row.key + "` | " + type_name(row.type) + " | " + cell(accepted_text(row)) +
           " | " + cell(default_of(row)) + " | " + cell(applies_text(row.conditions)) + " | " +
           (flag.empty() ? "" : "`" + flag + "`") + " | " + cell(row.doc) + " |\n";
    if (row.choice_summaries.empty() || choices.find("`" + row.key + "`:") != std::string::npos)
      continue;
    choices += "\n`" + row.key + "`:\n\n";
    for (std::size_t i = 0; i < row.choices.size(); ++i)
      choices += "- `" + row.choices[i] + "`: " + row.choice_summaries[i] + "\n";
  }
  out += choices;
}

template <class O>
void listing(std::string& out, const DocTable<O>& t) {
  out += "\n" + t.heading + (t.note.empty() ? "" : "  " + t.note) + "\n";
  std::vector<std::string> expanded;
  for (const Field<O>& row : t.table->rows()) {
    std::string line = "  " + row.key;
    line += std::string(line.size() < 24 ? 24 - line.size() : 1, ' ');
    line += row.doc + ": " + accepted_text(row) + "; " +
            (row.required ? "required" : "default " + default_of(row));
    const std::string when = applies_text(row.conditions);
    if (!when.empty()) line += "; when " + when;
    const std::string flag = flag_of(row, t.section);
    if (!flag.empty()) line += "; flag " + flag;
    out += line + "\n";
    if (row.choice_summaries.empty() ||
        std::find(expanded.begin(), expanded.end(), row.key) != expanded.end())
      continue;
    expanded.push_back(row.key);
    for (std::size_t i = 0; i < row.choices.size(); ++i) {
      std::string choice = "      " + row.choices[i];
      choice += std::string(choice.size() < 32 ? 32 - choice.size() : 1, ' ');
      out += choice + row.choice_summaries[i] + "\n";
    }
  }
}

// Every table of problem and experiment files, in file order; `each` is called with each.
template <class Each>
void for_each_table(const Each& each) {
  for (const RunSection& s : run_sections()) {
    const bool flags = s.name == "method" || s.name == "step" || s.name == "run";
    std::string note;
    if (s.name == "problem")
      note = "Required. `sgda generate` takes its quadratic and bilinear keys as flags.";
    if (s.name == "regularizer") note = "Optional; none by default. Applied to each player.";
    if (s.name == "method") note = "Required.";
    if (s.name == "step")
      note =
          "Optional. `[step.<player>]` tables take the same keys for one player (a block name, "
          "or the prefix of its blocks' names), starting from `[step]`'s values with scale 1.";
    if (s.name == "run") note = "Optional; every key has a default.";
    each(DocTable<RunConfig>{"[" + s.name + "]", note, s.table, flags ? s.name : ""});
  }
  each(DocTable<ExperimentSettings>{
      "[experiment]",
      "Experiment files only (docs/experiment-files.md), with [problem], [regularizer], [step] "
      "and [run] as in problem files (less the [run] keys the grid sets: seed, step_size, "
      "step_factor, output, checkpoint_every, checkpoint_seconds).",
      &ExperimentSettings::table(), ""});
  each(DocTable<ExperimentMethod>{
      "[[method]]",
      "Experiment files only: one table per method, with every key of [method]; an array of "
      "values makes a grid axis. Besides:",
      &ExperimentMethod::table(), ""});
  each(DocTable<Claim>{
      "[[claim]]",
      "Experiment files only, optional: one table per finding the report checks on the runs' "
      "final values (docs/experiment-files.md#claim).",
      &Claim::table(), ""});
}

}  // namespace

std::string options_markdown() {
  std::string out =
      "# Options\n\n"
      "Every key of problem files (docs/problem-files.md) and experiment files "
      "(docs/experiment-files.md), generated from the option tables of the code by "
      "`sgda list --markdown` (a test keeps this file current: after changing an option, run "
      "`build/sgda list --markdown > docs/options.md`). The same tables give the problem-file "
      "reader, the command-line flags, the settings stored in run files and `sgda list`.\n";
  for_each_table([&](const auto& table) { markdown_table(out, table); });
  return out;
}

std::string options_listing() {
  std::string out =
      "Every key of problem files, table by table, with what it accepts, its default, where "
      "it applies and its flag; each choice with its meaning (docs/options.md has the same).\n";
  for_each_table([&](const auto& table) { listing(out, table); });
  return out;
}

}  // namespace sgda::cli
