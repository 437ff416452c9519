#!/usr/bin/env bash
# Strong scaling of DIANA-SGDA over MPI ranks (docs/mpi.md): one generated game of n samples and
# dimension D = 2d, W = 4 workers with exact local operators (each iteration, each worker
# evaluates all of its n/W samples: the local products dominate), rand-k with k = D/10; wall
# time per iteration with 1, 2 and 4 ranks, and the bytes on the wire against the uncompressed
# method (identity). Every rank loads the whole game (memory per rank: the whole game).
# Usage: bash benchmarks/mpi_scaling.sh [BUILD_DIR]   (SGDA_DIM=d, default 500: D = 1000,
#        800 MB; SGDA_ITERATIONS, default 200; extra mpirun flags in SGDA_MPIRUN_FLAGS)
set -euo pipefail

build=$(cd "${1:-build}" && pwd)
dim=${SGDA_DIM:-500}
iterations=${SGDA_ITERATIONS:-200}
mpirun_flags=${SGDA_MPIRUN_FLAGS:---oversubscribe}
[[ $(id -u) -eq 0 ]] && mpirun_flags+=" --allow-run-as-root"
work=$(mktemp -d /tmp/sgda_mpi_scaling_XXXXXX)
trap 'rm -rf "$work"' EXIT

"$build/sgda" generate quadratic --samples 100 --dimension "$dim" -o "$work/game.h5" >/dev/null
k=$((2 * dim / 10))
run_file() {  # compressor, its keys
  cat <<TOML
[problem]
type = "file"
file = "game.h5"
[method]
name = "diana-sgda"
workers = 4
compressor = "$1"
$2
[run]
step_size = 1e-3
iterations = $iterations
log_every = $iterations
checkpoint_seconds = 0
TOML
}
run_file rand-k "k = $k" >"$work/rand-k.toml"
run_file identity "" >"$work/identity.toml"

echo "n = 100, D = $((2 * dim)), W = 4, diana-sgda, exact local operators, $iterations iterations"
echo "ranks | compressor | loop s | ms/iteration | speed-up | payload bytes/iteration"
for compressor in rand-k identity; do
  base=""
  for ranks in 1 2 4; do
    out=$(cd "$work" && mpirun $mpirun_flags -np "$ranks" "$build/sgda" solve "$compressor.toml")
    seconds=$(sed -n 's/.* bits, \([0-9.e+-]*\) s;.*/\1/p' <<<"$out")
    payload=$(sed -n 's/^mpi: [0-9]* ranks; \([0-9]*\) payload bytes.*/\1/p' <<<"$out")
    [[ -z "$base" ]] && base=$seconds
    awk -v r="$ranks" -v c="$compressor" -v s="$seconds" -v b="$base" -v p="$payload" \
      -v k="$iterations" 'BEGIN { printf "%5d | %-10s | %6.2f | %12.2f | %8.2f | %d\n",
                                  r, c, s, 1000 * s / k, b / s, p / k }'
  done
done
