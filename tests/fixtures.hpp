// Problem and experiment files that both test binaries use: the library's parsers read them in
// sgda_tests, the `sgda` command in sgda_cli_tests.
#pragma once

#include <string>

namespace sgda::testing {

// A small, fast game: seconds matter when a test runs the binary twenty times.
inline const std::string kSmallGame = R"([problem]
type = "quadratic"
samples = 20
dimension = 3
mu = 1.0
ell = 5.0
seed = 4

[method]
name = "l-svrgda"

[run]
iterations = 100000
tolerance = 1e-10
)";

// A small grid: 3 method variants (one of them distributed, so bits are drawn) × 2 step sizes ×
// 2 seeds = 12 runs of a few milliseconds.
inline const std::string kSmallExperiment = R"([experiment]
title = "small"
seeds = [3, 4]
step_sizes = ["theory", "theory*0.5"]
target = 1e-4

[problem]
type = "quadratic"
samples = 20
dimension = 3
mu = 1.0
ell = 5.0
seed = 4

[run]
iterations = 400
log_every = 4

[[method]]
name = "sgda"
sampling = ["uniform", "importance"]

[[method]]
name = "diana-sgda"
label = "DIANA"
workers = 4
compressor = "rand-k"
k = 2
)";

// Four runs: two L-SVRGDA runs that reach the tolerance at their first check, then two SGDA runs
// that stall at a neighbourhood far above it and run to the iteration limit, checking for a
// signal every log_every iterations. A signal or kill once "run 2 of 4" is printed lands in them.
inline std::string two_converging_two_stalling(const std::string& iterations,
                                               const std::string& log_every) {
  return R"([experiment]
seeds = [3, 4]
step_sizes = ["theory"]

[problem]
type = "quadratic"
samples = 20
dimension = 3
mu = 1.0
ell = 5.0
seed = 4

[run]
iterations = )" +
         iterations + "\nlog_every = " + log_every + R"(
tolerance = 1e-8

[[method]]
name = "l-svrgda"

[[method]]
name = "sgda"
)";
}

}  // namespace sgda::testing
