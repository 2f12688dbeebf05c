#!/usr/bin/env bash
# Builds libstrait_shim.so into $1 with gcc and pkg-config libdpdk. Called by the Maven build (bindings module).
set -euo pipefail
out=${1:?usage: build.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
command -v gcc >/dev/null || { echo "strait: gcc is missing; run setup/install (apt-get install gcc)" >&2; exit 1; }
command -v pkg-config >/dev/null || { echo "strait: pkg-config is missing; run setup/install" >&2; exit 1; }
pkg-config --exists libdpdk || { echo "strait: DPDK is missing (pkg-config libdpdk); run setup/install (apt-get install dpdk libdpdk-dev)" >&2; exit 1; }
mkdir -p "$out"
so="$out/libstrait_shim.so"
if [ -f "$so" ] && [ "$so" -nt "$here/strait_shim.c" ] && [ "$so" -nt "$here/strait_shim.h" ] && [ "$so" -nt "$0" ]; then
  exit 0
fi
# --no-as-needed: the shim carries DT_NEEDED entries for the DPDK libraries, so Java's loader lookup on the shim
# also finds the DPDK symbols the generated bindings call.
# shellcheck disable=SC2046
gcc -O3 -fPIC -shared -Wall -Wextra -Werror -Wno-unused-parameter \
  $(pkg-config --cflags libdpdk) -o "$so.tmp" "$here/strait_shim.c" \
  -Wl,--no-as-needed -lrte_ethdev -lrte_mbuf -lrte_mempool -lrte_eal -lrte_net -lrte_ring
mv "$so.tmp" "$so"
