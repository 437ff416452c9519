#!/usr/bin/env bash
# Makes sure the Debian 12 packages sgda builds with are installed.
#   - Everything present: says so and returns.
#   - Something missing and running as root: apt-get update once, then installs only what is
#     missing (--no-install-recommends).
#   - Something missing otherwise: prints the apt-get command to run and exits with status 1.
# Usage: bash scripts/setup.sh   (scripts/test.sh and scripts/demo.sh call it first)
#        bash scripts/setup.sh --sanitizers   also clang, its sanitizer/libFuzzer runtimes and
#                                             llvm-symbolizer (scripts/ci_extra.sh)
set -euo pipefail

PACKAGES=(
  build-essential
  cmake
  pkg-config
  libeigen3-dev
  libhdf5-dev
  hdf5-tools
  libcli11-dev
  catch2
  libtomlplusplus-dev
  libboost-dev
  nlohmann-json3-dev
  zlib1g-dev
  dataset-fashion-mnist
  libopenmpi-dev
  openmpi-bin
)
if [[ "${1:-}" == "--sanitizers" ]]; then
  PACKAGES+=(clang libclang-rt-14-dev llvm)
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup: dpkg-query not found; this script knows Debian 12 only." >&2
  echo "setup: install a C++20 compiler, CMake >= 3.25, Eigen 3.4, HDF5 (C and C++ API)," >&2
  echo "setup: CLI11, Catch2 v2, toml++ 3, Boost, nlohmann-json 3 and zlib" >&2
  echo "setup: (and Fashion-MNIST's IDX files for its tests) by other means, then run" >&2
  echo "setup: the build." >&2
  exit 1
fi

missing=()
for package in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$package")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#PACKAGES[@]} required Debian packages are installed."
  exit 0
fi

echo "setup: missing Debian packages: ${missing[*]}"
if [[ $(id -u) -ne 0 ]]; then
  echo "setup: not running as root, so not installing them. Run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${missing[@]}"
echo "setup: installed ${missing[*]}."
