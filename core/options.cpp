#include "sgda/options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace sgda {

std::string closest_match(const std::string& word, const std::vector<std::string>& candidates) {
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  };
  const std::string a = lower(word);
  std::string best;
  std::size_t best_distance = std::string::npos;
  for (const auto& candidate : candidates) {
    const std::string b = lower(candidate);
    // Levenshtein distance, one row at a time.
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      std::size_t diagonal = row[0];
      row[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        const std::size_t up = row[j];
        row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
        diagonal = up;
      }
    }
    if (row[b.size()] < best_distance) {
      best_distance = row[b.size()];
      best = candidate;
    }
  }
  // A typo changes a few characters, and fewer than the word has.
  const std::size_t allowed = std::max<std::size_t>(2, a.size() / 3);
  if (best_distance == 0 || best_distance > allowed || best_distance >= a.size()) return "";
  return best;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

std::string unknown_choice(const std::string& word, const std::vector<std::string>& accepted) {
  const std::string match = closest_match(word, accepted);
  return "unknown \"" + word + "\"" + (match.empty() ? "" : " (did you mean \"" + match + "\"?)") +
         "; accepted: " + join(accepted);
}

std::string format_number(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string type_name(FieldType type) {
  switch (type) {
    case FieldType::kInteger:
      return "integer";
    case FieldType::kNumber:
      return "number";
    case FieldType::kBoolean:
      return "boolean";
    case FieldType::kString:
      return "string";
    case FieldType::kPath:
      return "path";
    case FieldType::kChoice:
      return "string";
    case FieldType::kStepSize:
      return "number or string";
    case FieldType::kList:
      return "array";
  }
  return "?";
}

std::string value_text(const FieldValue& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&value)) return format_number(*d);
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  return std::get<std::string>(value);
}

bool Range::contains(double value) const {
  if (zero && value == 0.0) return true;
  const bool above = low_open ? value > low : value >= low;
  const bool below = high_open ? value < high : value <= high;
  return above && below;
}

namespace {

constexpr double kIntegerLimit = 9.2e18;  // bounds beyond this are the type's, not the field's

std::string integer_text(double v) { return std::to_string(static_cast<long long>(v)); }

// A bound as people write it: 1e100, not 1e+100.
std::string bound(double v) {
  std::string text = format_number(v);
  const auto plus = text.find("e+");
  if (plus != std::string::npos) text.erase(plus + 1, 1);
  return text;
}

std::string range_text(FieldType type, const Range& r, const std::string& unit) {
  const bool has_low = std::isfinite(r.low) && !(type == FieldType::kInteger && r.low < -kIntegerLimit);
  const bool has_high =
      std::isfinite(r.high) && !(type == FieldType::kInteger && r.high > kIntegerLimit);
  const std::string u = unit.empty() ? "" : " " + unit;
  if (type == FieldType::kInteger) {
    if (has_low && has_high)
      return "an integer from " + integer_text(r.low) + " to " + integer_text(r.high) + u;
    if (has_low && r.low == 1.0) return "a positive integer (>= 1)" + u;
    if (has_low && r.low == 0.0) return "a non-negative integer" + u;
    if (has_low) return "an integer >= " + integer_text(r.low) + u;
    if (has_high) return "an integer <= " + integer_text(r.high) + u;
    return "an integer";
  }
  if (has_low && has_high) {
    if (!r.low_open && !r.high_open && r.low > 0.0)
      return r.zero ? "a number >= 0: 0 or between " + bound(r.low) + " and " +
                          bound(r.high) + u
                    : "a number > 0, between " + bound(r.low) + " and " +
                          bound(r.high) + u;
    return "a number in " + std::string(r.low_open ? "(" : "[") + bound(r.low) + ", " +
           bound(r.high) + (r.high_open ? ")" : "]") + u;
  }
  if (has_low) return "a number " + std::string(r.low_open ? "> " : ">= ") + bound(r.low) + u;
  if (has_high)
    return "a number " + std::string(r.high_open ? "< " : "<= ") + bound(r.high) + u;
  return "a finite number" + u;
}

}  // namespace

std::string accepted_text(FieldType type, const Range& range, const std::string& zero_means,
                          const std::string& unit, const std::vector<std::string>& choices) {
  switch (type) {
    case FieldType::kInteger:
    case FieldType::kNumber: {
      std::string text = range_text(type, range, unit);
      // A zero outside the range reads "..., or 0 (= off)"; inside it only the meaning is added.
      if (range.zero && !(range.low <= 0.0 && range.high >= 0.0) &&
          text.find("0 or between") == std::string::npos)
        text += ", or 0";
      if (range.zero && !zero_means.empty()) text += " (0 = " + zero_means + ")";
      return text;
    }
    case FieldType::kBoolean:
      return "true or false";
    case FieldType::kString:
      return "a string";
    case FieldType::kPath:
      return "a file path";
    case FieldType::kChoice:
      return "one of " + join(choices);
    case FieldType::kStepSize:
      return "\"theory\", \"theory*F\" (F > 0 scales the theory step) or a number > 0";
    case FieldType::kList:
      return "an array";
  }
  return "";
}

std::string check_value(FieldType type, const Range& range, const std::string& zero_means,
                        const std::string& unit, const std::vector<std::string>& choices,
                        const FieldValue& value) {
  const std::string accepted = accepted_text(type, range, zero_means, unit, choices);
  auto got = [&] { return "must be " + accepted + ", got " + value_text(value); };
  switch (type) {
    case FieldType::kInteger: {
      const auto* v = std::get_if<std::int64_t>(&value);
      if (!v) return got();
      return range.contains(static_cast<double>(*v)) ? "" : got();
    }
    case FieldType::kNumber: {
      double v = 0.0;
      if (const auto* i = std::get_if<std::int64_t>(&value))
        v = static_cast<double>(*i);
      else if (const auto* d = std::get_if<double>(&value))
        v = *d;
      else
        return got();
      return std::isfinite(v) && range.contains(v) ? "" : got();
    }
    case FieldType::kBoolean:
      return std::holds_alternative<bool>(value) ? "" : got();
    case FieldType::kString:
    case FieldType::kPath:
      return std::holds_alternative<std::string>(value) ? "" : got();
    case FieldType::kChoice: {
      const auto* v = std::get_if<std::string>(&value);
      if (!v) return got();
      if (std::find(choices.begin(), choices.end(), *v) != choices.end()) return "";
      return unknown_choice(*v, choices);
    }
    case FieldType::kStepSize: {
      if (const auto* s = std::get_if<std::string>(&value)) {
        double factor = 1.0;
        if (parse_theory_step(*s, &factor)) return "";
        return unknown_choice(*s, {"theory"}) + ", \"theory*F\" (F > 0) or a number > 0";
      }
      double v = 0.0;
      if (const auto* i = std::get_if<std::int64_t>(&value)) v = static_cast<double>(*i);
      if (const auto* d = std::get_if<double>(&value)) v = *d;
      return std::isfinite(v) && v > 0.0 ? "" : got();
    }
    case FieldType::kList:
      return "";
  }
  return "";
}

bool valid_utf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80           ? 1
                               : (lead >> 5) == 0x6  ? 2
                               : (lead >> 4) == 0xe  ? 3
                               : (lead >> 3) == 0x1e ? 4
                                                     : 0;
    if (length == 0 || i + length > text.size()) return false;
    std::uint32_t code = length == 1 ? lead : lead & (0x7f >> length);
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next >> 6) != 0x2) return false;
      code = (code << 6) | (next & 0x3f);
    }
    // Overlong forms, surrogates and values beyond Unicode are not UTF-8 either.
    static const std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
      return false;
    i += length;
  }
  return true;
}

bool parse_theory_step(const std::string& text, double* factor) {
  std::string t = text;
  t.erase(std::remove(t.begin(), t.end(), ' '), t.end());
  if (t == "theory") {
    *factor = 1.0;
    return true;
  }
  if (t.rfind("theory*", 0) != 0) return false;
  const char* begin = t.data() + 7;
  const char* end = t.data() + t.size();
  double value = 0.0;
  const auto result = std::from_chars(begin, end, value);
  if (result.ec != std::errc() || result.ptr != end || !std::isfinite(value) || !(value > 0.0))
    return false;
  *factor = value;
  return true;
}

std::optional<FieldValue> parse_text(FieldType type, const std::string& text,
                                     const std::string& accepted, std::string* problem) {
  const char* begin = text.data();
  const char* end = begin + text.size();
  switch (type) {
    case FieldType::kInteger: {
      std::int64_t value = 0;
      const auto result = std::from_chars(begin, end, value);
      if (result.ec == std::errc::result_out_of_range) {
        *problem = text + " is out of range; accepted an integer below 2^63";
        return std::nullopt;
      }
      if (result.ec != std::errc() || result.ptr != end) {
        *problem = "\"" + text + "\" is not an integer; accepted " + accepted;
        return std::nullopt;
      }
      return value;
    }
    case FieldType::kNumber:
    case FieldType::kStepSize: {
      double value = 0.0;
      const auto result = std::from_chars(begin, end, value);
      if (result.ptr == end && result.ec == std::errc::result_out_of_range) {
        *problem = "must be " + accepted + ", got " + text + " (beyond the range of a double)";
        return std::nullopt;
      }
      if (result.ec == std::errc() && result.ptr == end && !text.empty()) return value;
      if (type == FieldType::kStepSize) return text;
      *problem = "\"" + text + "\" is not a number; accepted " + accepted;
      return std::nullopt;
    }
    case FieldType::kBoolean:
      if (text == "true") return true;
      if (text == "false") return false;
      *problem = "\"" + text + "\" is not a boolean; accepted true or false";
      return std::nullopt;
    default:
      if (!valid_utf8(text)) {
        *problem = "is not valid UTF-8; accepted " + accepted + " in UTF-8";
        return std::nullopt;
      }
      return text;
  }
}

}  // namespace sgda
