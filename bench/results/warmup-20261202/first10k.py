#!/usr/bin/env python3
"""Warm-up probe (issue 12): N sequential GET / on one connection right after a server says READY.

Prints p50/p99/p99.9/max (microseconds) of the first 1k, the first 10k and the last 10k requests, and the ratio of
the first 10k's p99 to the last 10k's (steady state). Run it in the peer namespace:
  ip netns exec strait-peer python3 first10k.py 198.18.0.2 80 40000
"""
import socket
import sys
import time

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 40000
req = b"GET / HTTP/1.1\r\nHost: strait\r\n\r\n"
s = socket.create_connection((host, port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
lat = []
buf = b""
for i in range(n):
    t0 = time.perf_counter_ns()
    s.sendall(req)
    while True:
        buf += s.recv(65536)
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            continue
        head = buf[:end].decode("latin-1").lower()
        length = 0
        for line in head.split("\r\n"):
            if line.startswith("content-length:"):
                length = int(line.split(":", 1)[1])
        if len(buf) >= end + 4 + length:
            buf = buf[end + 4 + length:]
            break
    lat.append((time.perf_counter_ns() - t0) / 1000.0)
s.close()


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100.0 * len(xs)))]


def line(name, xs):
    return "%-10s p50 %7.1f  p99 %7.1f  p99.9 %7.1f  max %8.1f us" % (
        name, pct(xs, 50), pct(xs, 99), pct(xs, 99.9), max(xs))


print(line("first1k", lat[:1000]))
print(line("first10k", lat[:10000]))
print(line("last10k", lat[-10000:]))
print("ratio p99 first10k/last10k %.2f" % (pct(lat[:10000], 99) / pct(lat[-10000:], 99)))
