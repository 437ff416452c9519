#!/bin/sh
# Times `sgda experiment` (README, "Speed"): 120 against 480 runs of a cheap grid (the cost of
# keeping the runs file, which grows by appending) and --jobs 1 against --jobs 2 on a grid of a
# few seconds of work. Prints the median wall time of REPEATS repetitions of each, fresh files.
#   benchmarks/experiment_scaling.sh [SGDA] [REPEATS]     (defaults: build/sgda, 5)
set -eu
sgda=$(cd "$(dirname "${1:-build/sgda}")" && pwd)/$(basename "${1:-build/sgda}")
repeats=${2:-5}
work=$(mktemp -d /tmp/sgda_experiment_scaling_XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

# An experiment of N seeds of one method on a small quadratic game: each run 20000 iterations
# logged every 20 (a trace of 1001 rows), a few milliseconds of arithmetic.
grid() {  # grid NAME SEEDS ITERATIONS LOG_EVERY
  seeds=$(seq -s, 1 "$2")
  cat >"$1.toml" <<EOF
[experiment]
seeds = [$seeds]
step_sizes = [0.01]

[problem]
type = "quadratic"
samples = 20
dimension = 10
mu = 1.0
ell = 5.0
seed = 4

[run]
iterations = $3
log_every = $4

[[method]]
name = "sgda"
EOF
}

# The median wall time in seconds of `sgda experiment NAME.toml ARGS`, each on a new file.
median() {  # median NAME ARGS...
  name=$1
  shift
  for i in $(seq "$repeats"); do
    rm -f "$name.h5"
    start=$(date +%s.%N)
    "$sgda" experiment "$name.toml" -o "$name.h5" --force "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    echo "$start $end" | awk '{ printf "%.3f\n", $2 - $1 }'
  done | sort -n | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'
}

grid runs120 120 20000 20
grid runs480 480 20000 20
grid work16 16 2000000 10000  # 16 runs of about 0.2 s each

t120=$(median runs120 --jobs 1)
t480=$(median runs480 --jobs 1)
j1=$(median work16 --jobs 1)
j2=$(median work16 --jobs 2)
echo "sgda experiment, median of $repeats, seconds (wall)"
echo "120 runs --jobs 1: $t120 s ($(echo "$t120" | awk '{ printf "%.1f", 1000 * $1 / 120 }') ms per run)"
echo "480 runs --jobs 1: $t480 s ($(echo "$t480" | awk '{ printf "%.1f", 1000 * $1 / 480 }') ms per run)"
echo "480 / 120: $(echo "$t480 $t120" | awk '{ printf "%.2f", $1 / $2 }') (goal <= 4.5)"
echo "16 runs of 2e6 iterations: --jobs 1 $j1 s, --jobs 2 $j2 s, speed-up $(echo "$j1 $j2" | awk '{ printf "%.2f", $1 / $2 }') (goal >= 1.7)"
