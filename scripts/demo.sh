#!/usr/bin/env bash
# Sets up (scripts/setup.sh), builds the `sgda` command in build/, and solves the bundled example
# game examples/games/quadratic.toml with SGDA and with L-SVRGDA, printing each run's summary.
# Usage: bash scripts/demo.sh   (from anywhere; SGDA_JOBS overrides the default of 2 jobs)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs=${SGDA_JOBS:-2}
game=examples/games/quadratic.toml

bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs" --target sgda_cli

for method in sgda l-svrgda; do
  echo
  echo "== build/sgda solve $game --method $method"
  build/sgda solve "$game" --method "$method"
done
