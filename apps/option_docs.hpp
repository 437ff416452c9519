// Every option of problem and experiment files as text, generated from the option tables.
#pragma once

#include <string>

namespace sgda::cli {

std::string options_listing();   // `sgda list`
std::string options_markdown();  // `sgda list --markdown`: docs/options.md

}  // namespace sgda::cli
