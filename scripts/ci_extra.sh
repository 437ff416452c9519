#!/usr/bin/env bash
# The CI part after scripts/test.sh (.ci/run calls it when CI=true):
#   1. the whole test suite again, built with clang under AddressSanitizer + UndefinedBehavior-
#      Sanitizer in build-asan/ (SGDA_BUILD_FUZZERS=ON instruments everything and also builds
#      the libFuzzer targets), any sanitizer report failing it;
#   2. each fuzz target of tests/fuzz for SGDA_FUZZ_SECONDS (default 60) seconds from its corpus;
#      a crash, hang, leak or sanitizer report fails CI and leaves the input in
#      build-asan/fuzz-artifacts/ (copy it into tests/fuzz/corpus/<target>/ once fixed).
# Usage: bash scripts/ci_extra.sh   (SGDA_JOBS, default 2; SGDA_FUZZ_SECONDS, default 90;
#   SGDA_FUZZ_RUNS, SGDA_FUZZ_SEED, default 1; SGDA_FUZZ_ONLY=1 skips the sanitizer test suite)
# A longer seeded campaign (tests/fuzz/README.md):
#   SGDA_FUZZ_ONLY=1 SGDA_FUZZ_SECONDS=3600 SGDA_FUZZ_RUNS=2000000 SGDA_FUZZ_SEED=7 \
#     bash scripts/ci_extra.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs=${SGDA_JOBS:-2}
fuzz_seconds=${SGDA_FUZZ_SECONDS:-90}
build=build-asan
started=$SECONDS

bash scripts/setup.sh --sanitizers

# Without the MPI backend: the suite builds and passes on a machine without MPI (the Release
# build of scripts/test.sh runs the MPI tests), and Open MPI's own allocations would be reported
# as leaks. -O2 without NDEBUG: Eigen's index assertions stay on; line tables for readable
# reports. (-O2 builds a little slower than -O1 but halves the time of the test suite under the
# sanitizers.)
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -gline-tables-only" \
  -DSGDA_BUILD_FUZZERS=ON -DSGDA_BUILD_BENCHMARKS=OFF -DSGDA_WITH_MPI=OFF
cmake --build "$build" -j"$jobs"
built=$SECONDS

export ASAN_OPTIONS=detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
ASAN_SYMBOLIZER_PATH=$(command -v llvm-symbolizer)
export ASAN_SYMBOLIZER_PATH
if [[ "${SGDA_FUZZ_ONLY:-0}" != 1 ]]; then
  ctest --test-dir "$build" --output-on-failure -j"$jobs"
fi
tested=$SECONDS

mkdir -p "$build/fuzz-artifacts"
for target in problem_file game_file; do
  work="$build/fuzz-work/$target"  # new inputs go here, never into the source tree
  rm -rf "$work"
  mkdir -p "$work"
  # A fixed seed and run count make the campaign the same sequence of inputs on every machine
  # (the time limit only cuts it short), so CI cannot fail on a mutation never tried before it.
  # Run counts checked clean here (about 30 s and 60 s on the 2-core development machine).
  case "$target" in
    problem_file) runs=${SGDA_FUZZ_RUNS:-30000} ;;
    *) runs=${SGDA_FUZZ_RUNS:-15000} ;;
  esac
  options=(-seed="${SGDA_FUZZ_SEED:-1}" -runs="$runs" -max_total_time="$fuzz_seconds" -timeout=10
           -rss_limit_mb=2048 -print_final_stats=1
           -artifact_prefix="$build/fuzz-artifacts/$target-")
  [[ -f "tests/fuzz/$target.dict" ]] && options+=(-dict="tests/fuzz/$target.dict")
  log="$build/fuzz-$target.log"
  echo "ci_extra: fuzz_$target for ${fuzz_seconds} s"
  if ! "$build/tests/fuzz/fuzz_$target" "${options[@]}" "$work" "tests/fuzz/corpus/$target" \
    >"$log" 2>&1; then
    tail -n 80 "$log"
    echo "ci_extra: fuzz_$target failed; the input is in $build/fuzz-artifacts/" \
      "(add it to tests/fuzz/corpus/$target/ with the fix)" >&2
    exit 1
  fi
  grep -E "^stat::(number_of_executed_units|new_units_added|peak_rss_mb)" "$log" || true
done

echo "ci_extra: sanitizer build $((built - started)) s, sanitizer tests $((tested - built)) s," \
  "fuzzing $((SECONDS - tested)) s, total $((SECONDS - started)) s"
