#include "toml_reader.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sgda/io/files.hpp"

namespace sgda::detail {

namespace fs = std::filesystem;

toml::table parse_toml(const std::string& text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    // toml++ descriptions are one line; keep it so.
    std::string description(e.description());
    std::replace(description.begin(), description.end(), '\n', ' ');
    throw InputError(source + ":" + std::to_string(e.source().begin.line) + ":" +
                     std::to_string(e.source().begin.column) +
                     ": TOML syntax error: " + description);
  }
}

std::string read_toml_file(const std::string& path, const std::string& kind) {
  // A regular file of at most 16 MiB, read without blocking (FIFOs and devices are refused).
  return read_text_file(path, "a " + kind);
}

std::string describe_node(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string:
      return "the string \"" + std::string(node.as_string()->get()) + "\"";
    case toml::node_type::integer:
      return "the integer " + std::to_string(node.as_integer()->get());
    case toml::node_type::floating_point:
      return "the number " + format_number(node.as_floating_point()->get());
    case toml::node_type::boolean:
      return node.as_boolean()->get() ? "true" : "false";
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    default:
      return "a date/time";
  }
}

std::string TomlReader::where(const toml::node* node) const {
  if (!node || node->source().begin.line == 0) return source_;
  return source_ + ":" + std::to_string(node->source().begin.line);
}

std::optional<FieldValue> TomlReader::value(const toml::node& node, FieldType type,
                                            const std::string& accepted, std::string* problem) {
  auto refuse = [&](const std::string& what) -> std::optional<FieldValue> {
    *problem = "must be " + what + ", got " + describe_node(node);
    return std::nullopt;
  };
  switch (type) {
    case FieldType::kInteger:
      if (!node.is_integer()) return refuse(accepted);
      return node.as_integer()->get();
    case FieldType::kNumber:
      if (node.is_integer()) return static_cast<double>(node.as_integer()->get());
      if (node.is_floating_point()) return node.as_floating_point()->get();
      return refuse("a number");
    case FieldType::kStepSize:
      if (node.is_integer()) return static_cast<double>(node.as_integer()->get());
      if (node.is_floating_point()) return node.as_floating_point()->get();
      if (node.is_string()) return std::string(node.as_string()->get());
      return refuse(accepted);
    case FieldType::kBoolean:
      if (!node.is_boolean()) return refuse("true or false");
      return node.as_boolean()->get();
    case FieldType::kString:
    case FieldType::kPath:
    case FieldType::kChoice:
      if (!node.is_string()) return refuse("a string");
      return std::string(node.as_string()->get());
    case FieldType::kList:
      return refuse("read by its own parser");
  }
  return std::nullopt;
}

std::string TomlReader::resolve(const std::string& path) const {
  const fs::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (fs::path(source_).parent_path() / p).lexically_normal().string();
}

void TomlReader::check_input_file(const std::string& path, const std::string& where) const {
  sgda::check_input_file(path, where, "the path of an existing file");
}

}  // namespace sgda::detail
