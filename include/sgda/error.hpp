// The one error type users see for bad input: a single line naming the file or flag, the field
// and what is accepted. The command line prints `what()` and exits with code 2.
#pragma once

#include <stdexcept>
#include <string>

namespace sgda {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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
