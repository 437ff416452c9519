// What the library was built with: SGDA_ISA is defined by cmake/arch.cmake.
#include "sgda/version.hpp"

namespace sgda {

const char* instruction_set() { return SGDA_ISA; }

}  // namespace sgda
