"""Many idle TCP connections from the Linux peer, for IdleConnectionsIT (issue 10: 100k idle connections).

usage: idle_clients.py N SRC_IP[,SRC_IP...] DST_IP DST_PORT

Opens N connections, one worker process per source address (a process may hold fewer descriptors than N here),
and holds them idle. Then, one step per line read on stdin:
  1st line: every 499th held connection echoes 4 bytes          -> "sampled_ok OK of N"
  2nd line: every connection is closed, in batches              -> "closed_s SECONDS"
Prints "held H failed F open_s SECONDS" once all are open.
"""
import os
import resource
import socket
import sys
import time

n, ips, target = int(sys.argv[1]), sys.argv[2].split(','), (sys.argv[3], int(sys.argv[4]))
per = (n + len(ips) - 1) // len(ips)
hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
if per + 100 > hard:
    sys.exit(f'{per} connections per process need more than the {hard} descriptors allowed: add source addresses')
IP_BIND_ADDRESS_NO_PORT = 24  # linux/in.h: the port is chosen at connect, per four-tuple


def worker(ip, count, down, up):
    socks, failed = [], 0
    for _ in range(count):
        s = socket.socket()
        s.settimeout(5)
        s.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        s.bind((ip, 0))
        try:
            s.connect(target)
            socks.append(s)
        except OSError:
            failed += 1
            s.close()
    os.write(up, f'{len(socks)} {failed}\n'.encode())
    os.read(down, 1)
    ok, sample = 0, socks[::499]
    for s in sample:
        try:
            s.sendall(b'ping')
            got = b''
            while len(got) < 4:
                b = s.recv(4 - len(got))
                if not b:
                    break
                got += b
            ok += got == b'ping'
        except OSError:
            pass
    os.write(up, f'{ok} {len(sample)}\n'.encode())
    os.read(down, 1)
    # Closed in batches, as a pool draining, not all in one loop: a veth delivers through a per-CPU backlog of
    # net.core.netdev_max_backlog (1000) frames, and six processes' FINs at full speed on a 2-CPU box overflow it
    # (the kernel drops them before Strait's port sees them, counted as port.kernel_rx_dropped). At 50 per 10 ms per
    # process (about 26k closes/s) the closes were marginal on this VM: 0, 950 and once 51,250 of Strait's FINs timed
    # out, with few drops. The likely reason is the veth. It runs the peer's receive work for Strait's frames on
    # the sender's CPU, Strait's poll CPU. Deferred to ksoftirqd, that work waits for scheduler slices against the
    # busy poll thread, and the peer's ACKs come after the RTO. Hence 25.
    for i in range(0, len(socks), 25):
        for s in socks[i:i + 25]:
            s.close()
        time.sleep(0.01)
    os.write(up, b'closed\n')


workers, t0 = [], time.time()
for w, ip in enumerate(ips):
    down_r, down_w = os.pipe()
    up_r, up_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(down_w)
        os.close(up_r)
        try:
            worker(ip, n // len(ips) + (w < n % len(ips)), down_r, up_w)
        finally:
            os._exit(0)
    os.close(down_r)
    os.close(up_w)
    workers.append((pid, down_w, os.fdopen(up_r)))

held = failed = 0
for _, _, up in workers:
    h, f = map(int, up.readline().split())
    held, failed = held + h, failed + f
print('held', held, 'failed', failed, 'open_s', round(time.time() - t0, 1), flush=True)

sys.stdin.readline()
for _, d, _ in workers:
    os.write(d, b'x')
ok = total = 0
for _, _, up in workers:
    a, b = map(int, up.readline().split())
    ok, total = ok + a, total + b
print('sampled_ok', ok, 'of', total, flush=True)

sys.stdin.readline()
t0 = time.time()
for _, d, _ in workers:
    os.write(d, b'x')
for _, _, up in workers:
    up.readline()
print('closed_s', round(time.time() - t0, 1), flush=True)
for pid, _, _ in workers:
    os.waitpid(pid, 0)
