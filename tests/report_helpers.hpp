// What the report tests of both binaries share: tests/test_report.cpp checks the report writers
// through the library, tests/cli/test_report.cpp the files `sgda report` writes. Counting a
// substring, the numbers of the report's JSON (read with nlohmann_json), and a well-formedness
// check of its HTML.
#pragma once

#include <cctype>
#include <cmath>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace sgda::testing {

// How often `what` occurs in `text` (overlapping occurrences too).
inline std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

using Json = nlohmann::json;

// A number of the report; null (NaN, unknown) reads as NaN. Anything else throws.
inline double num(const Json& v) { return v.is_null() ? NAN : v.get<double>(); }

// HTML well-formedness: every element closed in order; "" when it is, else what is wrong.
inline std::string check_html(const std::string& html) {
  static const std::set<std::string> kVoid = {"meta",  "link", "br",  "hr",    "img",
                                              "input", "col",  "wbr", "source"};
  std::vector<std::string> open;
  std::size_t i = 0;
  while ((i = html.find('<', i)) != std::string::npos) {
    if (html.compare(i, 4, "<!--") == 0) {
      i = html.find("-->", i);
      if (i == std::string::npos) return "unclosed comment";
      continue;
    }
    if (html.compare(i, 2, "<!") == 0) {
      i = html.find('>', i);
      continue;
    }
    // The end of the tag, outside quoted attribute values.
    std::size_t end = i + 1;
    char quote = 0;
    for (; end < html.size(); ++end) {
      if (quote) {
        if (html[end] == quote) quote = 0;
      } else if (html[end] == '"' || html[end] == '\'') {
        quote = html[end];
      } else if (html[end] == '>') {
        break;
      } else if (html[end] == '<') {
        return "'<' inside a tag at offset " + std::to_string(end);
      }
    }
    if (end >= html.size()) return "unterminated tag at offset " + std::to_string(i);
    const std::string tag = html.substr(i + 1, end - i - 1);
    const bool closing = tag[0] == '/';
    std::string name = tag.substr(closing ? 1 : 0);
    name = name.substr(0, name.find_first_of(" \t\n/"));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name.empty()) return "empty tag at offset " + std::to_string(i);
    if (closing) {
      if (open.empty() || open.back() != name)
        return "</" + name + "> closes <" + (open.empty() ? "nothing" : open.back()) +
               "> at offset " + std::to_string(i);
      open.pop_back();
    } else if (!kVoid.count(name) && tag.back() != '/') {
      open.push_back(name);
      if (name == "style" || name == "script") {  // raw text up to the end tag
        end = html.find("</" + name, end);
        if (end == std::string::npos) return "unclosed <" + name + ">";
        i = end;
        continue;
      }
    }
    i = end + 1;
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  return "";
}

}  // namespace sgda::testing
