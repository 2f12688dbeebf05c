#!/usr/bin/env bash
# Builds the DPDK reflector (the benchmarks' physical floor) into bench/reflector/target/strait-reflector.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v cc >/dev/null || { echo "reflector: no C compiler (cc); install build-essential" >&2; exit 1; }
pkg-config --exists libdpdk 2>/dev/null \
  || { echo "reflector: DPDK is missing (pkg-config libdpdk failed); install libdpdk-dev (setup/install)" >&2; exit 1; }
mkdir -p "$here/target"
# shellcheck disable=SC2046
cc -O2 -Wall -Wextra $(pkg-config --cflags libdpdk) "$here/reflector.c" $(pkg-config --libs libdpdk) \
  -o "$here/target/strait-reflector"
echo "$here/target/strait-reflector"
