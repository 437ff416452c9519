// The one error type users see for bad input: a single line naming the file or flag, the field
// and what is accepted. The command line prints `what()` and exits with code 2.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

namespace sgda {

// A field of an options struct that holds an unacceptable value: `field` is the C++ field
// ("EstimatorOptions::workers", "SolverOptions::step_size.factor"), `problem` what is wrong
// and what is accepted. Readers of files and flags map the field to the key or flag that set
// it (options.hpp).
struct FieldError {
  std::string field;
  std::string problem;
  std::string message() const { return field + ": " + problem; }
};

class InputError : public std::runtime_error {
 public:
  // Control characters (a value with a newline or carriage return echoed from a file or flag)
  // are written as escapes like \n or \x01, so the message stays one line.
  explicit InputError(const std::string& message) : std::runtime_error(one_line(message)) {}
  explicit InputError(const char* message) : InputError(std::string(message)) {}
  // A bad option: what() is "Struct::member: problem"; field() names the C++ field.
  explicit InputError(const FieldError& error)
      : std::runtime_error(one_line(error.message())), field_(error) {}

  // The C++ field and its problem when the error is about an option; nullopt otherwise.
  const std::optional<FieldError>& field() const { return field_; }

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

  std::optional<FieldError> field_;
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
