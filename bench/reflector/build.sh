#!/usr/bin/env bash
# Builds the benchmarks' physical floor, both ends in C: the DPDK reflector and the pinger that measures it, into
# bench/reflector/target/strait-reflector and bench/reflector/target/strait-pinger, and strait-stops (no DPDK).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
command -v cc >/dev/null || { echo "reflector: no C compiler (cc); install build-essential" >&2; exit 1; }
pkg-config --exists libdpdk 2>/dev/null \
  || { echo "reflector: DPDK is missing (pkg-config libdpdk failed); install libdpdk-dev (setup/install)" >&2; exit 1; }
mkdir -p "$here/target"
for prog in reflector pinger; do
  # shellcheck disable=SC2046
  cc -O2 -Wall -Wextra $(pkg-config --cflags libdpdk) "$here/$prog.c" $(pkg-config --libs libdpdk) \
    -o "$here/target/strait-$prog"
  echo "$here/target/strait-$prog"
done
# The machine's own interruptions (no DPDK): what a busy-polling thread loses to the host, the floor's floor.
cc -O2 -Wall -Wextra "$here/stops.c" -o "$here/target/strait-stops"
echo "$here/target/strait-stops"
