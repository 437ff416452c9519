#!/usr/bin/env bash
# Sets up (scripts/setup.sh), builds the `sgda` command in build/, solves the bundled example
# game examples/games/quadratic.toml with SGDA and with L-SVRGDA, printing each run's summary,
# then runs a quick mix of the paper's experiments (examples/experiments/: (a) importance
# sampling, (b) variance reduction with l1 + l-infinity ball, (c) distributed methods, (d)
# coordinate methods) and the Dirac-GAN (GDA, alternating GDA, extragradient, optimistic), and
# writes their report to build/demo/report.html (+ .csv, .json).
# Usage: bash scripts/demo.sh   (from anywhere; SGDA_JOBS overrides the default of 2 jobs)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs=${SGDA_JOBS:-2}
game=examples/games/quadratic.toml

bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSGDA_ARCH=auto
cmake --build build -j"$jobs" --target sgda_cli

for method in sgda l-svrgda; do
  echo
  echo "== build/sgda solve $game --method $method"
  build/sgda solve "$game" --method "$method"
done

# The paper's experiments and the Dirac-GAN, a few seconds in all; every runs file is started
# afresh (--force).
demo=build/demo
mkdir -p "$demo"
for experiment in importance variance_reduction_l1_linf distributed distributed_exact \
  distributed_many_workers coordinate dirac_gan; do
  echo
  echo "== build/sgda experiment examples/experiments/$experiment.toml -o $demo/$experiment.h5"
  build/sgda experiment "examples/experiments/$experiment.toml" -o "$demo/$experiment.h5" --force
done
echo
echo "== build/sgda report ... -o $demo/report.html"
build/sgda report "$demo"/{importance,variance_reduction_l1_linf,distributed,distributed_exact}.h5 \
  "$demo"/{distributed_many_workers,coordinate,dirac_gan}.h5 -o "$demo/report.html" --force
echo
echo "The report: $(pwd)/$demo/report.html (tables also in report.csv and report.json beside it)"
