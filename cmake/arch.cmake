# The instruction set sgda is compiled for (README, "Building for this machine").
#   portable    the x86-64 baseline (SSE2): runs on every x86-64; the default, for packages
#   auto        the highest of x86-64-v4 (AVX-512), x86-64-v3 (AVX2, FMA) this machine runs,
#               else portable; what scripts/test.sh and scripts/demo.sh build
#   x86-64-v3, x86-64-v4   that level, whatever the machine
# Only these, because a build is reproducible bit for bit within a level (the golden file of
# final iterates has one section per level) but not across levels: FMA and wider vectors round
# differently. The result is SGDA_ISA, the level actually used.
set(SGDA_ARCH "portable" CACHE STRING
    "Instruction set: portable (x86-64 baseline), auto (this machine's best level), x86-64-v3 or x86-64-v4")
set_property(CACHE SGDA_ARCH PROPERTY STRINGS portable auto x86-64-v3 x86-64-v4)

if(SGDA_ARCH STREQUAL "auto")
  set(SGDA_ISA "portable")
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
    # GCC knows the levels as CPU features; other compilers stay portable.
    set(probe "${CMAKE_BINARY_DIR}/CMakeFiles/sgda_arch_probe.c")
    file(WRITE "${probe}"
         "#include <stdio.h>\n"
         "int main(void) {\n"
         "  __builtin_cpu_init();\n"
         "  puts(__builtin_cpu_supports(\"x86-64-v4\") ? \"x86-64-v4\"\n"
         "       : __builtin_cpu_supports(\"x86-64-v3\") ? \"x86-64-v3\" : \"portable\");\n"
         "  return 0;\n"
         "}\n")
    try_run(probe_ran probe_compiled "${CMAKE_BINARY_DIR}/CMakeFiles/sgda_arch_probe"
            "${probe}" RUN_OUTPUT_VARIABLE probe_output)
    if(probe_compiled AND probe_ran EQUAL 0)
      string(STRIP "${probe_output}" SGDA_ISA)
    endif()
  endif()
elseif(SGDA_ARCH MATCHES "^(portable|x86-64-v3|x86-64-v4)$")
  set(SGDA_ISA "${SGDA_ARCH}")
else()
  message(FATAL_ERROR "SGDA_ARCH: accepted values are portable, auto, x86-64-v3 and x86-64-v4; "
                      "got '${SGDA_ARCH}'")
endif()
message(STATUS "sgda: instruction set ${SGDA_ISA} (SGDA_ARCH=${SGDA_ARCH})")

if(NOT SGDA_ISA STREQUAL "portable")
  # Everything this project compiles (library, command line, tests, benchmarks); a program that
  # embeds sgda keeps its own flags.
  # No contraction of a * b + c into an FMA where the source does not ask for one: scalar code
  # (the random number generator's normal draws, the step rules) then rounds as in the portable
  # build, and the Rng's streams stay the same on every build as promised; Eigen's kernels still
  # use FMA instructions.
  add_compile_options(-march=${SGDA_ISA} -ffp-contract=off)
endif()

# Added after -Wall where sgda's own code is compiled: GCC 12 warns of an uninitialized register
# in Eigen's AVX-512 packet code for most files (a false positive: the masked operations ignore
# it); a flag before -Wall would not silence it.
set(SGDA_ISA_WARNING_FLAGS "")
if(SGDA_ISA STREQUAL "x86-64-v4" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  set(SGDA_ISA_WARNING_FLAGS -Wno-maybe-uninitialized)
endif()
