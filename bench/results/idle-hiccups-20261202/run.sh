#!/usr/bin/env bash
# Where an idle poll thread's hiccups come from (issue 12): an echo server with no traffic, its hiccup counters over
# 20 s beside every context switch on its CPU (perf sched:sched_switch) and CPU 1's /proc/stat steal.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
"$root/setup/strait" serve --app echo --cpus 1 >/tmp/idle-serve.out 2>&1 &
for i in $(seq 1 300); do grep -q READY /tmp/idle-serve.out && break; sleep 0.1; done
sleep 3
pid=$(pgrep -f "cli.Main serve --app echo --cpus 1" | head -1)
"$root/setup/strait" stat | grep -E "^hiccup\.(stalls|long)" >/tmp/idle-h1
s1=$(awk '/^cpu1 /{print $9}' /proc/stat)
perf record -q -e sched:sched_switch -C 1 -o /tmp/idle-perf.data -- sleep 20 >/dev/null 2>&1
s2=$(awk '/^cpu1 /{print $9}' /proc/stat)
"$root/setup/strait" stat | grep -E "^hiccup\.(stalls|long)" >/tmp/idle-h2
echo "hiccup counters over 20 s idle (before, after):"; paste /tmp/idle-h1 /tmp/idle-h2
echo "cpu1 steal ticks over 20 s: $((s2 - s1))"
echo "the poll thread switched out, by what ran instead (count, total ms, max ms):"
perf script -i /tmp/idle-perf.data 2>/dev/null | awk '
  { t = $4; sub(":", "", t) }
  /prev_comm=strait-core0/ { out = t; for (i = 1; i <= NF; i++) if ($i ~ /^next_comm=/) { who = substr($i, 11) } next }
  /next_comm=strait-core0/ && out { d = (t - out) * 1000; n[who]++; sum[who] += d; if (d > mx[who]) mx[who] = d; out = 0 }
  END { for (w in n) printf "  %-20s %4d %8.2f %7.3f\n", w, n[w], sum[w], mx[w] }' | sort -k3 -rn
kill -TERM "$pid"; wait || true
