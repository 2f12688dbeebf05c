#!/bin/bash
# Needs `setup/net up` and a built tree. 5% loss each way, Strait http on strait0, N curl downloads with a capture each; keeps captures of runs with an RTO
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../../.."
out=${OUT:-/tmp/rto}; mkdir -p "$out"
N=${1:-30}
ip netns exec strait-peer nft -f "$here/loss-5pct.nft" || exit 1
taskset -c 1 setup/strait serve --app http --cpus 1 > $out/srv.log 2>&1 &
for i in $(seq 1 40); do grep -q READY $out/srv.log && break; sleep 0.5; done
spid=$(pgrep -f "cli.Main serve --app http")
rto() { setup/strait stat --pid $spid | awk '$1=="tcp.rto_expiries"{print $2}'; }
for i in $(seq 1 5); do ip netns exec strait-peer taskset -c 0 curl -s -o /dev/null http://198.18.0.2/bytes/50000000; done
for i in $(seq 1 $N); do
  r0=$(rto)
  ip netns exec strait-peer dumpcap -q -i strait1 -s 96 -B 64 -w $out/c$i.pcapng 2>/dev/null & dp=$!
  sleep 0.7
  t=$(ip netns exec strait-peer taskset -c 0 curl -s -o /dev/null -w "%{time_total}" http://198.18.0.2/bytes/50000000)
  sleep 0.3; kill $dp; wait $dp 2>/dev/null
  r1=$(rto)
  echo "run $i time $t rto $((r1-r0))"
  [ $((r1-r0)) -eq 0 ] && rm -f $out/c$i.pcapng
done
kill $spid; wait $spid 2>/dev/null
ip netns exec strait-peer nft delete table inet straitloss
