// One description per option. Every options struct owns one table of its fields: the key a
// problem file and a flag use, the C++ member, the type, the default, the accepted range, a
// one-line doc and where the field applies (e.g. `batch_size` only for method sgda with nice
// sampling). Everything that names an option is derived from that table and from nothing
// else: IsValid(), reading and writing problem files, command-line flags, the settings stored
// in run files, experiment axes, `sgda list` and docs/options.md. A new option is a struct
// member and one row; docs/architecture.md has the recipe.
//
// Closed choices are enums whose spellings live in one list per enum (`enum_values<E>()`, the
// StringToX pattern of Ceres Solver): to_string(), from_string() and the accepted values of
// error messages all read it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "sgda/error.hpp"

namespace sgda {

// ---- Closed choices ---------------------------------------------------------------------------

template <class E>
struct EnumValue {
  E value;
  const char* name;     // the spelling in files, flags and messages
  const char* summary;  // one line for `sgda list` and docs/options.md
};

// The spellings of enum E, in the order help texts list them. Specialised next to each enum.
template <class E>
const std::vector<EnumValue<E>>& enum_values();

template <class E, std::enable_if_t<std::is_enum_v<E>, int> = 0>
std::string to_string(E value) {
  for (const EnumValue<E>& v : enum_values<E>())
    if (v.value == value) return v.name;
  return "?";
}

// True and *value set when `text` is one of E's spellings.
template <class E>
bool from_string(std::string_view text, E* value) {
  for (const EnumValue<E>& v : enum_values<E>())
    if (text == v.name) {
      *value = v.value;
      return true;
    }
  return false;
}

// The closest of `candidates` to `word` if it is a plausible typo (edit distance at most
// max(2, length/3)), else "".
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);
// `unknown "word" (did you mean "x"?); accepted: a, b, c`
std::string unknown_choice(const std::string& word, const std::vector<std::string>& accepted);

template <class E>
std::vector<std::string> enum_names();

// The enumerator spelled `text`; an InputError "unknown ...; accepted: ..." otherwise.
template <class E>
E parse_enum(const std::string& text) {
  E value{};
  if (!from_string(text, &value)) throw InputError(unknown_choice(text, enum_names<E>()));
  return value;
}

template <class E>
std::vector<std::string> enum_names() {
  std::vector<std::string> names;
  for (const EnumValue<E>& v : enum_values<E>()) names.push_back(v.name);
  return names;
}

std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");
// Shortest text that reads back as the same double (std::to_chars).
std::string format_number(double value);

// ---- Fields -----------------------------------------------------------------------------------

enum class FieldType {
  kInteger,   // a whole number (TOML integer)
  kNumber,    // a finite double (TOML integer or float)
  kBoolean,   // true or false
  kString,    // text
  kPath,      // a file path, relative to the file that names it
  kChoice,    // one of an enum's spellings
  kStepSize,  // a number > 0, "theory" or "theory*F" (schedule.hpp)
  kList,      // an array (experiment files only; read by their parser, documented here)
};
std::string type_name(FieldType type);  // "integer", "number", ...

// A value as files and flags give it: integers, numbers, booleans and text (choices are text).
using FieldValue = std::variant<std::int64_t, double, bool, std::string>;
std::string value_text(const FieldValue& value);  // 10, 0.5, true, uniform

// The accepted interval of an integer or number field, and what 0 means when 0 is allowed
// outside it (e.g. max_time: 0 = no limit).
struct Range {
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
  bool low_open = false, high_open = false;
  bool zero = false;  // 0 is accepted besides [low, high]
  bool contains(double value) const;
};

// Where a field applies: the field `key` of the same table holds one of `values`.
struct Condition {
  std::string key;
  std::vector<std::string> values;
};

template <class O>
struct Field {
  std::string key;                 // the problem-file key; the flag is --key with - for _
  std::string member;              // the C++ member, a path within O ("compressor.k")
  std::vector<std::string> names;  // "Struct::member" for O and each struct that nests it
  FieldType type = FieldType::kNumber;
  std::string doc;  // one line
  Range range;
  std::string zero_means;                     // what 0 means when Range::zero ("off", "no limit")
  std::string unit;                           // "seconds"
  std::vector<std::string> choices;           // kChoice: the accepted spellings
  std::vector<std::string> choice_summaries;  // and what each means
  std::string default_text;                   // the default as docs show it
  std::vector<Condition> conditions;          // applies when every condition holds
  std::string flag;                 // "" = --key; otherwise the flag's spelling ("-o,--output")
  bool flag_only_in_files = false;  // no command-line flag
  bool required = false;            // files must give it (where it applies)
  bool input_file = false;          // a path that must name an existing file
  // The current value (nullopt: an optional member left unset, `default_text` applies); and
  // the setter, given a value that passed check_value().
  std::function<std::optional<FieldValue>(const O&)> get;
  std::function<void(O&, const FieldValue&)> set;

  // ---- builders, for the rows of a table ----
  Field at_least(double low) && {
    return std::move(*this).bounds(low, false, range.high, range.high_open);
  }
  Field above(double low) && {
    return std::move(*this).bounds(low, true, range.high, range.high_open);
  }
  Field at_most(double high) && {
    return std::move(*this).bounds(range.low, range.low_open, high, false);
  }
  Field below(double high) && {
    return std::move(*this).bounds(range.low, range.low_open, high, true);
  }
  Field bounds(double low, bool low_open, double high, bool high_open) && {
    range.low = low, range.low_open = low_open, range.high = high, range.high_open = high_open;
    return std::move(*this);
  }
  // 0 is accepted too and means `meaning` ("off"; empty: just 0).
  Field or_zero(std::string meaning = "") && {
    range.zero = true, zero_means = std::move(meaning);
    return std::move(*this);
  }
  Field in(std::string unit_name) && {
    unit = std::move(unit_name);
    return std::move(*this);
  }
  Field defaults_to(std::string text) && {
    default_text = std::move(text);
    return std::move(*this);
  }
  Field with_flag(std::string spelling) && {
    flag = std::move(spelling);
    return std::move(*this);
  }
  Field as_path() && {
    type = FieldType::kPath;
    return std::move(*this);
  }
  Field must_be_given() && {
    required = true;
    return std::move(*this);
  }
  Field existing_file() && {
    input_file = true;
    return std::move(*this);
  }
  Field files_only() && {
    flag_only_in_files = true;
    return std::move(*this);
  }
  Field when(std::string selector, std::vector<std::string> values) && {
    conditions.push_back({std::move(selector), std::move(values)});
    return std::move(*this);
  }
  template <class E, std::enable_if_t<std::is_enum_v<E>, int> = 0>
  Field when(std::string selector, std::initializer_list<E> values) && {
    std::vector<std::string> names;
    for (const E value : values) names.push_back(to_string(value));
    return std::move(*this).when(std::move(selector), std::move(names));
  }
  // Accepts only these of the enum's values.
  template <class E, std::enable_if_t<std::is_enum_v<E>, int> = 0>
  Field only(std::initializer_list<E> values) && {
    choices.clear();
    choice_summaries.clear();
    for (const E value : values)
      for (const EnumValue<E>& v : enum_values<E>())
        if (v.value == value) {
          choices.push_back(v.name);
          choice_summaries.push_back(v.summary);
        }
    return std::move(*this);
  }
  // The C++ member when it is not spelled like the key ("name" sets `method`).
  Field member_name(std::string name) && {
    member = std::move(name);
    return std::move(*this);
  }
};

// A check across the fields given together by one source (one table of a file, or the flags):
// `given` maps each key given to its value; returns the key to blame and the problem, or
// nullopt. E.g. a numeric step_size with step_schedule = "switching".
using LayerCheck = std::function<std::optional<std::pair<std::string, std::string>>(
    const std::vector<std::pair<std::string, FieldValue>>& given)>;

// Rows, and the checks that come with them (nested tables bring theirs).
template <class O>
struct TablePart {
  TablePart(Field<O> row) : rows{std::move(row)} {}  // NOLINT: a row is a part
  TablePart(std::vector<Field<O>> r, std::vector<LayerCheck> c = {})
      : rows(std::move(r)), checks(std::move(c)) {}
  std::vector<Field<O>> rows;
  std::vector<LayerCheck> checks;
};

namespace detail {

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {
  using type = T;
};

template <class T>
constexpr FieldType field_type() {
  if constexpr (IsOptional<T>::value) {
    return field_type<typename IsOptional<T>::type>();
  } else if constexpr (std::is_same_v<T, bool>) {
    return FieldType::kBoolean;
  } else if constexpr (std::is_enum_v<T>) {
    return FieldType::kChoice;
  } else if constexpr (std::is_integral_v<T>) {
    return FieldType::kInteger;
  } else if constexpr (std::is_floating_point_v<T>) {
    return FieldType::kNumber;
  } else {
    static_assert(std::is_same_v<T, std::string>, "a field is a number, bool, enum or string");
    return FieldType::kString;
  }
}

template <class T>
FieldValue to_field_value(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value;
  } else if constexpr (std::is_enum_v<T>) {
    return to_string(value);
  } else if constexpr (std::is_integral_v<T>) {
    return static_cast<std::int64_t>(value);
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<double>(value);
  } else {
    return value;
  }
}

// `value` has passed check_value() for T's field type.
template <class T>
void from_field_value(const FieldValue& value, T& target) {
  if constexpr (std::is_same_v<T, bool>) {
    target = std::get<bool>(value);
  } else if constexpr (std::is_enum_v<T>) {
    from_string(std::get<std::string>(value), &target);
  } else if constexpr (std::is_integral_v<T>) {
    target = static_cast<T>(std::get<std::int64_t>(value));
  } else if constexpr (std::is_floating_point_v<T>) {
    target = std::holds_alternative<double>(value) ? std::get<double>(value)
                                                   : static_cast<T>(std::get<std::int64_t>(value));
  } else {
    target = std::get<std::string>(value);
  }
}

}  // namespace detail

// A row for member `member` of O, keyed `key`: its type, choices, default and the range its C++
// type allows come from the member; narrow them with the builders.
template <class O, class T>
Field<O> field(std::string key, T O::*member, std::string doc) {
  Field<O> f;
  f.member = key;
  f.key = std::move(key);
  f.doc = std::move(doc);
  using Value = typename std::conditional_t<detail::IsOptional<T>::value, detail::IsOptional<T>,
                                            std::type_identity<T>>::type;
  f.type = detail::field_type<T>();
  if constexpr (std::is_enum_v<Value>)
    for (const EnumValue<Value>& v : enum_values<Value>()) {
      f.choices.push_back(v.name);
      f.choice_summaries.push_back(v.summary);
    }
  if constexpr (std::is_integral_v<Value> && !std::is_same_v<Value, bool>) {
    f.range.low = std::max(-9.2233720368547758e18, double(std::numeric_limits<Value>::min()));
    f.range.high = std::min(9.2233720368547758e18, double(std::numeric_limits<Value>::max()));
  }
  if constexpr (detail::IsOptional<T>::value) {
    f.get = [member](const O& o) -> std::optional<FieldValue> {
      if (!(o.*member)) return std::nullopt;
      return detail::to_field_value(*(o.*member));
    };
    f.set = [member](O& o, const FieldValue& v) {
      Value value{};
      detail::from_field_value(v, value);
      o.*member = value;
    };
  } else {
    f.get = [member](const O& o) -> std::optional<FieldValue> {
      return detail::to_field_value(o.*member);
    };
    f.set = [member](O& o, const FieldValue& v) { detail::from_field_value(v, o.*member); };
    f.default_text = value_text(detail::to_field_value(O{}.*member));
  }
  return f;
}

// A row that only documents a key read by a parser of its own (experiment files' lists).
template <class O>
Field<O> documented(std::string key, FieldType type, std::string doc, std::string default_text) {
  Field<O> f;
  f.member = key;
  f.key = std::move(key);
  f.type = type;
  f.doc = std::move(doc);
  f.default_text = std::move(default_text);
  return f;
}

template <class O>
class OptionTable {
 public:
  // `name` is the struct's C++ name, for errors ("EstimatorOptions::workers: ...").
  OptionTable(std::string name, std::vector<TablePart<O>> parts) : name_(std::move(name)) {
    for (TablePart<O>& part : parts) {
      for (Field<O>& row : part.rows) {
        row.names.push_back(name_ + "::" + row.member);
        rows_.push_back(std::move(row));
      }
      for (LayerCheck& check : part.checks) checks_.push_back(std::move(check));
    }
  }
  OptionTable& check_layers(LayerCheck check) {
    checks_.push_back(std::move(check));
    return *this;
  }

  const std::string& name() const { return name_; }
  const std::vector<Field<O>>& rows() const { return rows_; }
  const std::vector<LayerCheck>& checks() const { return checks_; }

  bool has(std::string_view key) const {
    for (const Field<O>& row : rows_)
      if (row.key == key) return true;
    return false;
  }
  // The distinct keys, in the order of their first rows.
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const Field<O>& row : rows_)
      if (std::find(out.begin(), out.end(), row.key) == out.end()) out.push_back(row.key);
    return out;
  }
  bool applies(const Field<O>& row, const O& options) const {
    for (const Condition& c : row.conditions) {
      const std::optional<FieldValue> value = current(c.key, options);
      if (!value || !std::holds_alternative<std::string>(*value) ||
          std::find(c.values.begin(), c.values.end(), std::get<std::string>(*value)) ==
              c.values.end())
        return false;
    }
    return true;
  }
  // The row of `key` that applies to `options`, or null.
  const Field<O>* find(std::string_view key, const O& options) const {
    for (const Field<O>& row : rows_)
      if (row.key == key && applies(row, options)) return &row;
    return nullptr;
  }
  // The value of `key` in `options` when its row applies.
  std::optional<FieldValue> current(std::string_view key, const O& options) const {
    const Field<O>* row = find(key, options);
    return row && row->get ? row->get(options) : std::nullopt;
  }
  // Why `key` does not apply to `options`: "applies only to sampling = \"nice\" (here
  // \"uniform\")"; "" when it applies.
  std::string why_not(std::string_view key, const O& options) const {
    if (find(key, options)) return "";
    // The first failing condition of each row of the key; rows failing on the same selector
    // pool their accepted values.
    std::string selector;
    std::vector<std::string> accepted;
    for (const Field<O>& row : rows_) {
      if (row.key != key) continue;
      for (const Condition& c : row.conditions) {
        const std::optional<FieldValue> value = current(c.key, options);
        const bool holds = value && std::holds_alternative<std::string>(*value) &&
                           std::find(c.values.begin(), c.values.end(),
                                     std::get<std::string>(*value)) != c.values.end();
        if (holds) continue;
        if (selector.empty()) selector = c.key;
        if (c.key == selector)
          for (const std::string& v : c.values)
            if (std::find(accepted.begin(), accepted.end(), v) == accepted.end())
              accepted.push_back(v);
        break;
      }
    }
    const std::optional<FieldValue> here = current(selector, options);
    std::string quoted;
    for (const std::string& v : accepted) quoted += (quoted.empty() ? "\"" : " or \"") + v + "\"";
    // The keys the selector's current value brings, in the order of their rows.
    std::vector<std::string> keys_here;
    for (const Field<O>& row : rows_) {
      const bool selected = std::any_of(row.conditions.begin(), row.conditions.end(),
                                        [&](const Condition& c) { return c.key == selector; });
      if (selected && applies(row, options) &&
          std::find(keys_here.begin(), keys_here.end(), row.key) == keys_here.end())
        keys_here.push_back(row.key);
    }
    return "applies only to " + selector + " = " + quoted + " (here " +
           (here                      ? selector + " = \"" + value_text(*here) + "\""
            : find(selector, options) ? selector + " is not given"
                                      : selector + " does not apply") +
           (keys_here.empty() ? "" : ", whose keys are " + join(keys_here)) + ")";
  }
  // Every applicable row's value against its type and range: the first problem, or nullopt.
  std::optional<FieldError> check(const O& options) const;
  // The row with C++ field `name` ("EstimatorOptions::compressor.k"), or null.
  const Field<O>* row_named(std::string_view name) const {
    for (const Field<O>& row : rows_)
      for (const std::string& n : row.names)
        if (n == name) return &row;
    return nullptr;
  }
  // Every applicable field that has a value, as (key, value), in the table's order.
  std::vector<std::pair<std::string, FieldValue>> values(const O& options) const {
    std::vector<std::pair<std::string, FieldValue>> out;
    for (const Field<O>& row : rows_) {
      if (!row.get || !applies(row, options)) continue;
      if (std::optional<FieldValue> v = row.get(options)) out.emplace_back(row.key, std::move(*v));
    }
    return out;
  }

 private:
  std::string name_;
  std::vector<Field<O>> rows_;
  std::vector<LayerCheck> checks_;
};

// The rows of `inner` as rows of O, reached through O's member `member` (C++ name
// `member_name`); `when` narrows where they apply.
template <class O, class I>
TablePart<O> nest(I O::*member, const std::string& member_name, const OptionTable<I>& inner,
                  std::vector<Condition> when = {}) {
  std::vector<Field<O>> rows;
  for (const Field<I>& in : inner.rows()) {
    Field<O> f;
    f.key = in.key;
    f.member = member_name + "." + in.member;
    f.names = in.names;
    f.type = in.type;
    f.doc = in.doc;
    f.range = in.range;
    f.zero_means = in.zero_means;
    f.unit = in.unit;
    f.choices = in.choices;
    f.choice_summaries = in.choice_summaries;
    f.default_text = in.default_text;
    f.conditions = in.conditions;
    f.conditions.insert(f.conditions.end(), when.begin(), when.end());
    f.flag = in.flag;
    f.flag_only_in_files = in.flag_only_in_files;
    f.required = in.required;
    f.input_file = in.input_file;
    if (in.get) f.get = [member, get = in.get](const O& o) { return get(o.*member); };
    if (in.set) f.set = [member, set = in.set](O& o, const FieldValue& v) { set(o.*member, v); };
    rows.push_back(std::move(f));
  }
  return TablePart<O>(std::move(rows), inner.checks());
}

// ---- Values -----------------------------------------------------------------------------------

// What a field accepts, for messages and docs: "a positive integer (>= 1)", "a number in (0, 1]",
// "one of: uniform, nice, importance".
template <class O>
std::string accepted_text(const Field<O>& row);
std::string accepted_text(FieldType type, const Range& range, const std::string& zero_means,
                          const std::string& unit, const std::vector<std::string>& choices);

// Whether `value` is acceptable for a field: "" or the problem ("must be a number > 0, got 0").
std::string check_value(FieldType type, const Range& range, const std::string& zero_means,
                        const std::string& unit, const std::vector<std::string>& choices,
                        const FieldValue& value);
template <class O>
std::string check_value(const Field<O>& row, const FieldValue& value) {
  return check_value(row.type, row.range, row.zero_means, row.unit, row.choices, value);
}
// A command-line value read as the field's type (`accepted` is accepted_text(), for messages),
// or nullopt and the problem in *problem.
std::optional<FieldValue> parse_text(FieldType type, const std::string& text,
                                     const std::string& accepted, std::string* problem);
// Whether `text` is valid UTF-8 (what TOML strings, and so run files' settings, can hold).
bool valid_utf8(const std::string& text);
// "theory" (factor 1) or "theory*F" with F > 0: true and *factor = F.
bool parse_theory_step(const std::string& text, double* factor);

template <class O>
std::string accepted_text(const Field<O>& row) {
  return accepted_text(row.type, row.range, row.zero_means, row.unit, row.choices);
}

template <class O>
std::optional<FieldError> OptionTable<O>::check(const O& options) const {
  for (const Field<O>& row : rows_) {
    if (!row.get || !applies(row, options)) continue;
    const std::optional<FieldValue> value = row.get(options);
    if (!value) continue;
    const std::string problem = check_value(row, *value);
    if (!problem.empty()) return FieldError{row.names.back(), problem};
  }
  return std::nullopt;
}

// One source of values for a table: a TOML table, or the command line's flags.
struct GivenValue {
  std::string key;
  std::string where;  // what messages start with: "run.toml:7: method.workers" or "--workers"
  // The value read as `type` (`accepted` says what the type accepts, for messages); nullopt
  // and *problem when it is not one.
  std::function<std::optional<FieldValue>(FieldType type, const std::string& accepted,
                                          std::string* problem)>
      read;
};

// Sets the `given` values in `options` in the table's order, so that the choices which decide
// where later keys apply are set first; each value is checked against its row (applies here,
// type, range) and the whole against the table's layer checks. A bad value throws
// error(given, problem). Keys the table does not have are the caller's to refuse beforehand.
// Returns the (key, value) pairs set.
template <class O>
std::vector<std::pair<std::string, FieldValue>> apply_values(
    const OptionTable<O>& table, O& options, const std::vector<GivenValue>& given,
    const std::function<InputError(const GivenValue&, const std::string&)>& error) {
  auto find_given = [&](const std::string& key) {
    return std::find_if(given.begin(), given.end(),
                        [&](const GivenValue& g) { return g.key == key; });
  };
  std::vector<std::pair<std::string, FieldValue>> set;
  for (const std::string& key : table.keys()) {
    const auto it = find_given(key);
    if (it == given.end()) continue;
    const Field<O>* row = table.find(key, options);
    if (!row) throw error(*it, table.why_not(key, options));
    if (!row->set) throw error(*it, "is not read here");
    std::string problem;
    const std::optional<FieldValue> value = it->read(row->type, accepted_text(*row), &problem);
    if (!value) throw error(*it, problem);
    problem = check_value(*row, *value);
    if (!problem.empty()) throw error(*it, problem);
    row->set(options, *value);
    set.emplace_back(key, *value);
  }
  for (const LayerCheck& check : table.checks())
    if (const auto bad = check(set)) throw error(*find_given(bad->first), bad->second);
  return set;
}

// For the IsValid(std::string*) of the options structs: false and *error = the message when
// there is a problem.
inline bool passes(const std::optional<FieldError>& problem, std::string* error) {
  if (!problem) return true;
  if (error) *error = problem->message();
  return false;
}

}  // namespace sgda
