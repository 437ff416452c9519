#!/usr/bin/env bash
# Sets up (scripts/setup.sh), configures a Release build in build/ for this machine's instruction
# set (SGDA_ARCH=auto, cmake/arch.cmake), builds everything and runs
# the whole test suite with CTest: the Catch2 tests and the embedded-example check.
# Usage: bash scripts/test.sh   (from anywhere; SGDA_JOBS overrides the default of 2 jobs)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs=${SGDA_JOBS:-2}

bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSGDA_ARCH=auto
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"
