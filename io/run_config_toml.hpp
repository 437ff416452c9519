// Private to the library: the pieces of the problem-file loader that other TOML formats reuse
// (experiment files, report/experiment.cpp), so every format reads [problem], [regularizer],
// [method], [step] and [run] with the same checks and located one-line errors.
#pragma once

#include <toml++/toml.h>

#include <string>

#include "sgda/io/run_config.hpp"

namespace sgda {

// Parses TOML text; a syntax error is an InputError "SOURCE:LINE:COLUMN: TOML syntax error: ...".
toml::table parse_toml(const std::string& text, const std::string& source);
// The text of a file; InputError naming it when it is missing, a directory or unreadable
// (`kind` says what is accepted, e.g. "TOML problem file").
std::string read_toml_file(const std::string& path, const std::string& kind);
// A problem file already parsed: the tables problem, regularizer, method, step and run only.
// Nodes keep their source lines (also when moved between tables), so errors point at the file.
RunConfig parse_run_table(const toml::table& root, const std::string& source);

}  // namespace sgda
