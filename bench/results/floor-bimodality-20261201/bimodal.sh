#!/usr/bin/env bash
# Is the memif floor's bimodality the vCPU topology? Per rep: a C cache-line ping-pong between CPU 0 and 1, then
# the C-to-C floor (reflector on CPU 1, pinger on CPU 0) over memif.
set -u
cd /work/main
for rep in $(seq 8); do
  c2c=$(/tmp/c2c/c2c | grep -o '[0-9]* ns')
  d=$(mktemp -d /tmp/bm.XXXX)
  taskset -c 1 bench/reflector/target/strait-reflector --no-huge -m 512 --no-pci --file-prefix bmr-$$ -l 1 \
    --vdev net_memif0,role=server,socket=$d/m.sock,socket-abstract=no -- --ip 198.18.4.1 > $d/refl.out 2>/dev/null &
  refl=$!
  until grep -q READY $d/refl.out; do sleep 0.1; done
  taskset -c 0 bench/reflector/target/strait-pinger --no-huge -m 512 --no-pci --file-prefix bmp-$$ -l 0 \
    --vdev net_memif0,role=client,socket=$d/m.sock,socket-abstract=no -- --ip 198.18.4.3 --target 198.18.4.1 \
    --warmup 100000 --count 100000 --rounds 5 --linger-ms 3000 > $d/ping.out 2>/dev/null &
  ping=$!
  until grep -q '^result' $d/ping.out || ! kill -0 $ping 2>/dev/null; do sleep 0.1; done
  kill -INT $refl; sleep 0.5; kill -INT $ping 2>/dev/null; wait
  c2c2=$(/tmp/c2c/c2c | grep -o '[0-9]* ns')
  echo "rep $rep c2c_before $c2c c2c_after $c2c2 floor $(grep '^result' $d/ping.out | grep -o 'p50_us=[0-9.]*')"
  rm -rf $d
done
