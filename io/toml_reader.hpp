// Private to the library: the one reader of TOML files (problem files and experiment files).
// It turns TOML nodes into option values for the tables of options.hpp, with the errors every
// format shares: one line with the file and line, the field, what is accepted, and a "did you
// mean" for typos.
#pragma once

#include <toml++/toml.h>

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "sgda/error.hpp"
#include "sgda/options.hpp"

namespace sgda::detail {

// Parses TOML text; a syntax error is an InputError "SOURCE:LINE:COLUMN: TOML syntax error: ...".
toml::table parse_toml(const std::string& text, const std::string& source);
// The text of a file; InputError naming it when it is missing, a directory or unreadable
// (`kind` says what is accepted, e.g. "TOML problem file").
std::string read_toml_file(const std::string& path, const std::string& kind);

// "the string \"x\"", "the integer 3", "an array", ... for messages.
std::string describe_node(const toml::node& node);

class TomlReader {
 public:
  explicit TomlReader(std::string source) : source_(std::move(source)) {}
  const std::string& source() const { return source_; }

  // "file:line" of a node (the file alone when the node has no position).
  std::string where(const toml::node* node) const;
  InputError error(const toml::node* node, const std::string& field,
                   const std::string& problem) const {
    return input_error(where(node), field, problem);
  }
  [[noreturn]] void fail(const toml::node* node, const std::string& field,
                         const std::string& problem) const {
    throw error(node, field, problem);
  }

  // The node as a value of `type`, or nullopt and *problem ("must be a number, got an array").
  static std::optional<FieldValue> value(const toml::node& node, FieldType type,
                                         const std::string& accepted, std::string* problem);

  // A relative path in the file, resolved against the file's folder.
  std::string resolve(const std::string& path) const;

  // Reads the TOML table `t` (named `name`, e.g. "method" or "step.generator") into `options`
  // through `table`: keys the table lacks are refused (with a hint, and the table they belong
  // in when `elsewhere` knows one), the rest set by apply_values(), required keys checked and
  // paths resolved; `origin` records "name.key" → "file:line" for each key set. Sub-tables of
  // `t` are left to the caller when `subtables` is true, refused otherwise.
  template <class O>
  void read(const toml::table& t, const std::string& name, const OptionTable<O>& table, O& options,
            std::map<std::string, std::string>& origin,
            const std::function<std::string(const std::string& key)>& elsewhere,
            bool subtables = false) const;

 private:
  // An input path names an existing file, not a folder.
  void check_input_file(const std::string& path, const std::string& where) const;

  std::string source_;
};

template <class O>
void TomlReader::read(const toml::table& t, const std::string& name, const OptionTable<O>& table,
                      O& options, std::map<std::string, std::string>& origin,
                      const std::function<std::string(const std::string& key)>& elsewhere,
                      bool subtables) const {
  const std::vector<std::string> keys = table.keys();
  std::vector<GivenValue> given;
  for (const auto& [k, node] : t) {
    const std::string key(k.str());
    const std::string field = name + "." + key;
    if (node.is_table() && subtables) continue;
    if (!table.has(key)) {
      const std::string other = elsewhere ? elsewhere(key) : "";
      if (!other.empty())
        fail(&node, field, "unknown key in [" + name + "]; it belongs in [" + other + "]");
      const std::string match = closest_match(key, keys);
      fail(&node, field,
           "unknown key" + (match.empty() ? "" : " (did you mean \"" + match + "\"?)") +
               "; accepted keys: " + join(keys));
    }
    const bool listed =
        std::any_of(table.rows().begin(), table.rows().end(),
                    [&](const Field<O>& r) { return r.key == key && r.type == FieldType::kList; });
    if (listed) continue;  // an array its parser reads
    const toml::node* at = &node;
    given.push_back({key, where(at) + ": " + field,
                     [at, this](FieldType type, const std::string& accepted,
                                std::string* problem) -> std::optional<FieldValue> {
                       std::optional<FieldValue> v = value(*at, type, accepted, problem);
                       if (v && type == FieldType::kPath) {
                         const std::string& path = std::get<std::string>(*v);
                         if (path.empty()) {
                           *problem = "is empty; accepted a file path";
                           return std::nullopt;
                         }
                         v = resolve(path);
                       }
                       return v;
                     }});
  }
  apply_values(table, options, given, [](const GivenValue& g, const std::string& problem) {
    return InputError(g.where + ": " + problem);
  });
  for (const GivenValue& g : given) {
    origin[name + "." + g.key] = g.where.substr(0, g.where.rfind(": "));
    const Field<O>* row = table.find(g.key, options);
    if (row && row->input_file) check_input_file(value_text(*row->get(options)), g.where);
  }
  for (const Field<O>& row : table.rows())
    if (row.required && table.applies(row, options) &&
        std::none_of(given.begin(), given.end(),
                     [&](const GivenValue& g) { return g.key == row.key; }))
      fail(&t, name + "." + row.key,
           "missing (the [" + name + "] table needs it); accepted " + accepted_text(row));
}

}  // namespace sgda::detail
