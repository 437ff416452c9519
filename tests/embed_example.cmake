# Checks that sgda works as an installed package (run by CTest, see tests/CMakeLists.txt):
#   cmake -DSOURCE_DIR=<sgda source> -DBUILD_DIR=<sgda build> -DWORK_DIR=<scratch>
#         -P tests/embed_example.cmake
# installs the build into WORK_DIR/prefix, configures and builds examples/embed against it with
# find_package(sgda), runs the program and fails with the output of the step that went wrong.
cmake_minimum_required(VERSION 3.25)

foreach(var SOURCE_DIR BUILD_DIR WORK_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "embed_example.cmake: pass -D${var}=...")
  endif()
endforeach()

set(prefix "${WORK_DIR}/prefix")
set(embed_build "${WORK_DIR}/build")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

# Build the example with the compiler, build type and flags the library was built with (a
# sanitizer build of libsgda needs the sanitizer runtime in the program too).
set(forwarded)
file(STRINGS "${BUILD_DIR}/CMakeCache.txt" cache_lines
     REGEX "^(CMAKE_CXX_COMPILER|CMAKE_BUILD_TYPE|CMAKE_CXX_FLAGS|CMAKE_EXE_LINKER_FLAGS|SGDA_SANITIZER_FLAGS):[A-Z]+=")
set(cxx_flags "")
foreach(line IN LISTS cache_lines)
  string(REGEX REPLACE "^([A-Z_]+):[A-Z]+=(.*)$" "\\1" name "${line}")
  string(REGEX REPLACE "^([A-Z_]+):[A-Z]+=(.*)$" "\\2" value "${line}")
  # SGDA_SANITIZER_FLAGS: what SGDA_BUILD_FUZZERS adds to every compile and link.
  if(name STREQUAL "CMAKE_CXX_FLAGS" OR name STREQUAL "SGDA_SANITIZER_FLAGS")
    string(APPEND cxx_flags " ${value}")
  elseif(NOT value STREQUAL "")
    list(APPEND forwarded "-D${name}=${value}")
  endif()
endforeach()
string(STRIP "${cxx_flags}" cxx_flags)
if(NOT cxx_flags STREQUAL "")
  list(APPEND forwarded "-DCMAKE_CXX_FLAGS=${cxx_flags}")
endif()

# Runs one step; on failure stops with its command line and everything it printed.
function(run_step title)
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT result EQUAL 0)
    string(REPLACE ";" " " command "${ARGN}")
    message(FATAL_ERROR "embed example: ${title} failed (${result})\n"
                        "command: ${command}\n${out}${err}")
  endif()
  set(step_output "${out}${err}" PARENT_SCOPE)
endfunction()

run_step("installing sgda" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}")
run_step("configuring examples/embed"
  "${CMAKE_COMMAND}" -S "${SOURCE_DIR}/examples/embed" -B "${embed_build}"
  "-DCMAKE_PREFIX_PATH=${prefix}" ${forwarded})
run_step("building examples/embed" "${CMAKE_COMMAND}" --build "${embed_build}")
run_step("running the embed program" "${embed_build}/embed")
message(STATUS "embed example: ${step_output}")
