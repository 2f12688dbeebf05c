#!/usr/bin/env bash
# GB through one connection (issue 10): N GiB of AES-CTR keystream (incompressible, reproducible) through one
# connection to the echo app and back, SHA-256 of what was sent against what came back; then the server's counters.
# Needs `setup/net up`. Usage: run.sh [GIB]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
gib=${1:-10}
"$root/setup/strait" serve --app echo --cpus 1 >/tmp/long-serve.out 2>/tmp/long-serve.err &
for i in $(seq 1 300); do grep -q READY /tmp/long-serve.out && break; sleep 0.1; done
pid=$(pgrep -f "cli.Main serve --app echo --cpus 1" | head -1)
grep READY /tmp/long-serve.out
start=$(date +%s.%N)
ip netns exec strait-peer taskset -c 0 bash -c "
  openssl enc -aes-128-ctr -pass pass:strait -nosalt -pbkdf2 </dev/zero 2>/dev/null | head -c $((gib << 30)) \
    | tee >(sha256sum >/tmp/long-sent.sha) | nc -N 198.18.0.2 7 | sha256sum >/tmp/long-back.sha"
end=$(date +%s.%N)
sleep 1
echo "sent $(cut -c1-64 /tmp/long-sent.sha)"
echo "back $(cut -c1-64 /tmp/long-back.sha)"
[ "$(cut -c1-64 /tmp/long-sent.sha)" = "$(cut -c1-64 /tmp/long-back.sha)" ] && echo "SHA-256 equal" || echo "SHA-256 DIFFER"
echo "$gib GiB each way in $(echo "$end - $start" | bc) s"
"$root/setup/strait" stat | grep -E "^tcp\.(bytes_in|bytes_out|retransmits|rto_expiries|conn_established|tcbs_in_use|handler_errors|drop_[a-z_]+) [1-9]|^(internal_errors|mbuf.in_use|jvm.heap_used_bytes|drop\.[a-z_]+) [1-9]" || true
kill -TERM "$pid"; wait || true
tail -n +1 /tmp/long-serve.out | grep -E "^(tcp.bytes_in|tcp.bytes_out|tcp.retransmits|tcp.rto_expiries|internal_errors|tcp.handler_errors) "
