// The embeddable API as a whole: <sgda/sgda.hpp> gives every public header (sgda/detail/ holds
// internals; sgda/mpi/ is the optional sgda::mpi component, included on its own), and compiles
// on its own.
#include <sgda/sgda.hpp>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

TEST_CASE("sgda.hpp includes every public header", "[api]") {
  namespace fs = std::filesystem;
  const fs::path include = fs::path(SGDA_SOURCE_DIR) / "include";
  std::ifstream in(include / "sgda" / "sgda.hpp");
  std::ostringstream text;
  text << in.rdbuf();
  const std::string umbrella = text.str();
  std::size_t headers = 0;
  for (const auto& entry : fs::recursive_directory_iterator(include / "sgda")) {
    if (entry.path().extension() != ".hpp") continue;
    const std::string name = fs::relative(entry.path(), include).generic_string();
    if (name == "sgda/sgda.hpp" || name.rfind("sgda/detail/", 0) == 0 ||
        name.rfind("sgda/mpi/", 0) == 0)
      continue;
    INFO(name);
    CHECK(umbrella.find("#include \"" + name + "\"") != std::string::npos);
    ++headers;
  }
  CHECK(headers >= 40);
}
