#!/usr/bin/python3
"""Bidirectional echo client for the harness's loss case: streams N bytes into an echo server while reading the
echo back at the same time, and checks every byte that comes back.

usage: loss_client.py HOST PORT BYTES [--timeout SECONDS] [--seed N]

A sender thread writes the whole payload (seeded random bytes, so a reordered or misplaced chunk cannot pass as
right), then shuts its side down; the main thread reads until BYTES have come back or the server closes, comparing
each chunk with what was sent at that offset. Prints one JSON line: seconds (connect to last byte back), sent,
received, equal, and error when the run failed (timeout, short echo, mismatch, connection error). Exits 0 only when
all BYTES came back equal.
"""
import argparse
import json
import random
import socket
import sys
import threading
import time

CHUNK = 256 * 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("bytes", type=int)
    ap.add_argument("--timeout", type=float, default=180.0, help="seconds for the whole run (default 180)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the payload (default 1)")
    a = ap.parse_args()
    data = random.Random(a.seed).randbytes(a.bytes)
    view = memoryview(data)
    result = {"seconds": None, "sent": 0, "received": 0, "equal": False}
    sender_error = []
    t0 = time.monotonic()
    deadline = t0 + a.timeout
    try:
        s = socket.create_connection((a.host, a.port), timeout=a.timeout)
    except OSError as e:
        result["error"] = f"connect: {e}"
        print(json.dumps(result), flush=True)
        return 1

    def sender():
        try:
            for off in range(0, a.bytes, CHUNK):
                s.sendall(view[off:off + CHUNK])
                result["sent"] = min(a.bytes, off + CHUNK)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            sender_error.append(f"send: {e}")

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    got = 0
    buf = bytearray(CHUNK)
    try:
        while got < a.bytes:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout()
            s.settimeout(left)
            n = s.recv_into(buf)
            if n == 0:
                break
            n = min(n, a.bytes - got)
            if buf[:n] != view[got:got + n]:
                k = next(i for i in range(n) if buf[i] != view[got + i])
                result["error"] = f"mismatch at byte {got + k}"
                got += n
                break
            got += n
        result["seconds"] = time.monotonic() - t0
    except socket.timeout:
        result["error"] = f"timeout after {a.timeout:g} s"
    except OSError as e:
        result["error"] = f"recv: {e}"
    result["received"] = got
    if "error" not in result:
        if got < a.bytes:
            result["error"] = f"short echo: {got} of {a.bytes} bytes, then the server closed"
            if sender_error:
                result["error"] += f" ({sender_error[0]})"
        else:
            result["equal"] = True
    s.close()
    print(json.dumps(result), flush=True)
    return 0 if result["equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
