// Private to the library: the problem-file parser for other TOML formats that embed problem
// files (experiment files, report/experiment.cpp), so every format reads [problem],
// [regularizer], [method], [step] and [run] with the same checks and located one-line errors.
#pragma once

#include <toml++/toml.h>

#include <string>

#include "sgda/io/run_config.hpp"
#include "toml_reader.hpp"

namespace sgda::detail {

// A problem file already parsed: the tables problem, regularizer, method, step and run only.
// Nodes keep their source lines (also when moved between tables), so errors point at the file.
RunConfig parse_run_table(const toml::table& root, const std::string& source);

}  // namespace sgda::detail
