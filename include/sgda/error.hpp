// The one error type users see for bad input: a single line naming the file or flag, the field
// and what is accepted. The command line prints `what()` and exits with code 2.
#pragma once

#include <stdexcept>
#include <string>

namespace sgda {

class InputError : public std::runtime_error {
 public:
  // Control characters (a value with a newline or carriage return echoed from a file or flag)
  // are written as escapes like \n or \x01, so the message stays one line.
  explicit InputError(const std::string& message) : std::runtime_error(one_line(message)) {}
  explicit InputError(const char* message) : InputError(std::string(message)) {}

 private:
  static std::string one_line(const std::string& text) {
    static const char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (byte < 0x20 || byte == 0x7f) {
        out += "\\x";
        out += kHex[byte >> 4];
        out += kHex[byte & 15];
      } else {
        out += c;
      }
    }
    return out;
  }
};

// "<where>: <field>: <problem>" with empty parts left out.
inline InputError input_error(const std::string& where, const std::string& field,
                              const std::string& problem) {
  std::string message = where;
  if (!field.empty()) message += (message.empty() ? "" : ": ") + field;
  message += (message.empty() ? "" : ": ") + problem;
  return InputError(message);
}

}  // namespace sgda
