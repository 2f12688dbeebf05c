#!/usr/bin/env bash
# Warm-up measurement (issue 12): serve --app http on CPU 1, then first10k.py from the peer on CPU 0 right after
# READY; each configuration N times. Needs `setup/net up`. Usage: run.sh [N]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
n=${1:-3}
one() {
  local label=$1; shift
  "$root/setup/strait" serve --app http --cpus 1 "$@" >/tmp/warmup-serve.out 2>/tmp/warmup-serve.err &
  local i
  for i in $(seq 1 600); do grep -q READY /tmp/warmup-serve.out && break; sleep 0.1; done
  local pid
  pid=$(pgrep -f "cli.Main serve --app http --cpus 1" | head -1)
  echo "== $label: READY after ~$((i / 10)).$((i % 10)) s; $(grep -h 'warm-up:' /tmp/warmup-serve.err || true)"
  ip netns exec strait-peer taskset -c 0 python3 "$here/first10k.py" 198.18.0.2 80 40000
  kill -TERM "$pid"; wait || true
}
export STRAIT_AOT_DIR=/tmp/strait-warmup-aot
rm -rf "$STRAIT_AOT_DIR"
one "recording run (--aot --warmup, no cache yet)" --aot --warmup
for r in $(seq 1 "$n"); do
  one "default" 
  one "--warmup" --warmup
  one "--aot" --aot
  one "--aot --warmup" --aot --warmup
done
rm -rf "$STRAIT_AOT_DIR"
