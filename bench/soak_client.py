#!/usr/bin/python3
"""The soak's mixed client (issue 10), run by bench/soak.py in the peer namespace: connection churn, byte-exact
downloads and uploads, slow readers, a slow writer and echo streams against Strait, every body checked.

One Python process, one thread per load kind, each paced to a modest rate (the soak looks for leaks over time, not
for the server's limit). Every 10 s it prints one JSON line of cumulative figures to stdout; the last line has
"final": true. An outcome the mode did not ask for (a refused or reset connection, a timeout, a wrong status, a
short or wrong body) is a client error of its kind; a body whose SHA-256 differs from the expected bytes is also a
checksum failure.

Kinds
  churn      short connections at --churn-rate per second in rotation: Connection: close (Strait closes first,
             so its side goes through TIME_WAIT), three keep-alive requests then the client's FIN, RST (SO_LINGER
             0) after a response, RST in the middle of a 2 MB download, half-close (request then SHUT_WR, the
             answer read to EOF), connect-and-FIN, connect-and-RST, a malformed request (400 and close), a small
             POST /echo.
  download   GET /bytes/N on keep-alive connections, N from 0 to 16 MiB, SHA-256 against byte i = i mod 251.
  upload     POST /echo with random bodies up to 2 MiB, sent while the answer is read, SHA-256 of both.
  slowread   GET /bytes/2 MiB with a 4 KB receive buffer, read 4 KB every 20 ms with a 1.5 s pause every 64 reads
             (Strait meets a zero window and probes it); one in four gives up halfway with a RST.
  slowwrite  a request sent one byte every 50 ms, then its answer checked.
  echo       (with --echo) streams of up to 4 MB through the echo app, read back while sent, half-closed, and
             short 64-byte exchanges ended with FIN or RST.
"""
import argparse
import hashlib
import json
import os
import random
import selectors
import socket
import struct
import sys
import threading
import time

PATTERN = bytes(i % 251 for i in range(251 * 4096))  # whole periods: slices from offset 0 stay aligned
DOWNLOAD_SIZES = [0, 1, 250, 251, 1460, 65_535, 65_536, 1_000_003, 4_194_304, 8_388_617, 16_777_216]
UPLOAD_SIZES = [0, 1, 1000, 65_536, 300_001, 1_048_576, 2_097_152]
ECHO_SIZES = [1, 1000, 100_000, 1_000_000, 4_000_000]
RANDOM = os.urandom(4_200_000)
OP_TIMEOUT_S = 30.0


def expected_sha(n, cache={}):
    """SHA-256 of /bytes/n: byte i is i mod 251."""
    if n not in cache:
        h = hashlib.sha256()
        left = n
        while left > 0:
            k = min(left, len(PATTERN))
            h.update(PATTERN[:k])
            left -= k
        cache[n] = h.hexdigest()
    return cache[n]


class ClientError(Exception):
    def __init__(self, category, detail=""):
        super().__init__(f"{category}: {detail}")
        self.category = category


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.kinds = {}
        self.examples = []  # the first few errors, for the report

    def _kind(self, kind):
        return self.kinds.setdefault(kind, {"ok": 0, "errors": {}, "bytes": 0, "checksums_ok": 0,
                                            "checksums_failed": 0})

    def ok(self, kind, nbytes=0, checksums=0):
        with self.lock:
            k = self._kind(kind)
            k["ok"] += 1
            k["bytes"] += nbytes
            k["checksums_ok"] += checksums

    def error(self, kind, category, detail):
        with self.lock:
            k = self._kind(kind)
            k["errors"][category] = k["errors"].get(category, 0) + 1
            if category == "checksum":
                k["checksums_failed"] += 1
            if len(self.examples) < 20:
                self.examples.append(f"{time.strftime('%H:%M:%S')} {kind}: {category}: {detail}"[:300])

    def snapshot(self):
        with self.lock:
            return json.loads(json.dumps({"kinds": self.kinds, "examples": self.examples}))


# ------------------------------------------------------------------------------------------------------------
# One socket's exchange: write a request while reading the answer (an echo of 2 MB would otherwise deadlock)
# ------------------------------------------------------------------------------------------------------------

class HttpReader:
    """Parses one HTTP/1.1 response with Content-Length; hashes the body, keeps small bodies."""

    def __init__(self):
        self.head = b""
        self.status = None
        self.length = None
        self.got = 0
        self.sha = hashlib.sha256()
        self.small = bytearray()
        self.close = False
        self.done = False

    def feed(self, data):
        """Consumes data; returns bytes left over after the response (an error for this client)."""
        if self.length is None:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                if len(self.head) > 16384:
                    raise ClientError("protocol", "response head over 16 KB")
                return b""
            head, data = self.head[:end].decode("latin-1"), self.head[end + 4:]
            lines = head.split("\r\n")
            try:
                self.status = int(lines[0].split()[1])
            except (IndexError, ValueError):
                raise ClientError("protocol", f"bad status line {lines[0]!r}")
            for line in lines[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    self.length = int(value.strip())
                elif name == "connection" and value.strip().lower() == "close":
                    self.close = True
            if self.length is None:
                raise ClientError("protocol", "no Content-Length")
        take = min(len(data), self.length - self.got)
        if take:
            chunk = data[:take]
            self.sha.update(chunk)
            if len(self.small) < 4096:
                self.small += chunk[:4096 - len(self.small)]
            self.got += take
        if self.got == self.length:
            self.done = True
        return data[take:]


class CountReader:
    """An echo's answer: n bytes, hashed."""

    def __init__(self, n):
        self.n = n
        self.got = 0
        self.sha = hashlib.sha256()
        self.done = n == 0

    def feed(self, data):
        take = min(len(data), self.n - self.got)
        self.sha.update(data[:take])
        self.got += take
        self.done = self.got == self.n
        return data[take:]


def connect(addr, rcvbuf=None, timeout=10.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)  # before connect: it sets the window scale
    s.settimeout(timeout)
    try:
        s.connect(addr)
    except socket.timeout:
        s.close()
        raise ClientError("connect", "timeout")
    except OSError as e:
        s.close()
        raise ClientError("connect", e.strerror or str(e))
    return s


def rst_close(s):
    """close() with SO_LINGER {on, 0}: the kernel sends a RST instead of a FIN."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    s.close()


def exchange(s, payload, reader, timeout=OP_TIMEOUT_S, shut_wr=False, stop_after=None):
    """Sends payload (then SHUT_WR if asked) while feeding what arrives to reader, until reader.done (or
    stop_after bytes read). Returns bytes read past the answer."""
    s.setblocking(False)
    sel = selectors.DefaultSelector()
    view = memoryview(payload)
    sent = 0
    buf = bytearray(262_144)
    extra = b""
    deadline = time.monotonic() + timeout
    total = 0
    try:
        sel.register(s, selectors.EVENT_READ | (selectors.EVENT_WRITE if payload else 0))
        if not payload and shut_wr:
            s.shutdown(socket.SHUT_WR)
        while not reader.done and (stop_after is None or total < stop_after):
            left = deadline - time.monotonic()
            if left <= 0:
                raise ClientError("timeout", f"{sent}/{len(payload)} sent, {total} read")
            for key, ev in sel.select(min(left, 1.0)):
                if ev & selectors.EVENT_WRITE and sent < len(payload):
                    try:
                        sent += s.send(view[sent:sent + 262_144])
                    except BlockingIOError:
                        pass
                    if sent == len(payload):
                        sel.modify(s, selectors.EVENT_READ)
                        if shut_wr:
                            s.shutdown(socket.SHUT_WR)
                if ev & selectors.EVENT_READ:
                    try:
                        n = s.recv_into(buf)
                    except BlockingIOError:
                        continue
                    if n == 0:
                        raise ClientError("eof", f"connection closed after {total} bytes of the answer "
                                                 f"({sent}/{len(payload)} sent)")
                    total += n
                    extra += reader.feed(bytes(buf[:n]))
        return extra
    except ConnectionResetError:
        raise ClientError("reset", f"reset after {sent}/{len(payload)} sent, {total} read")
    except BrokenPipeError:
        raise ClientError("reset", f"broken pipe after {sent}/{len(payload)} sent, {total} read")
    finally:
        sel.close()
        s.setblocking(True)


def expect_eof(s, timeout=10.0):
    """After an answer with Connection: close (or after our FIN to the echo app) the server closes."""
    s.settimeout(timeout)
    try:
        data = s.recv(65536)
    except socket.timeout:
        raise ClientError("no_close", "server did not close")
    except ConnectionResetError:
        raise ClientError("reset", "reset instead of FIN")
    if data:
        raise ClientError("protocol", f"{len(data)} bytes after the answer")


def request(method, path, body=b"", close=False):
    head = f"{method} {path} HTTP/1.1\r\nHost: soak\r\n"
    if body or method == "POST":
        head += f"Content-Length: {len(body)}\r\n"
    if close:
        head += "Connection: close\r\n"
    return head.encode() + b"\r\n" + body


def http(s, method, path, body=b"", close=False, status=200, sha=None, small=None, shut_wr=False):
    """One request and its checked answer on s. Returns (body bytes, checksums verified)."""
    r = HttpReader()
    extra = exchange(s, request(method, path, body, close), r, shut_wr=shut_wr)
    if extra:
        raise ClientError("protocol", f"{len(extra)} unexpected bytes after the answer")
    if r.status != status:
        raise ClientError("status", f"{method} {path}: {r.status}, expected {status}")
    checks = 0
    if sha is not None:
        if r.sha.hexdigest() != sha:
            raise ClientError("checksum", f"{method} {path}: SHA-256 of {r.got} bytes differs")
        checks = 1
    if small is not None and bytes(r.small) != small:
        raise ClientError("body", f"{method} {path}: body {bytes(r.small)[:40]!r}")
    return r.got, checks


# ------------------------------------------------------------------------------------------------------------
# The kinds
# ------------------------------------------------------------------------------------------------------------

def churn_once(addr, mode, rng):
    """One short connection in the given mode; returns (bytes, checksums)."""
    if mode == "close":  # Strait closes first: its side goes through TIME_WAIT
        s = connect(addr)
        try:
            n, _ = http(s, "GET", "/", close=True, small=b"hello\n")
            expect_eof(s)
            return n, 0
        finally:
            s.close()
    if mode == "keepalive3":  # three requests, then our FIN
        s = connect(addr)
        try:
            a, _ = http(s, "GET", "/", small=b"hello\n")
            b, c = http(s, "GET", "/bytes/1000", sha=expected_sha(1000))
            d, _ = http(s, "GET", "/no-such-page", status=404)
            return a + b + d, c
        finally:
            s.close()
    if mode == "rst_after":
        s = connect(addr)
        n, _ = http(s, "GET", "/", small=b"hello\n")
        rst_close(s)
        return n, 0
    if mode == "rst_mid":  # a RST while Strait still has most of 2 MB to send
        s = connect(addr)
        try:
            r = HttpReader()
            exchange(s, request("GET", "/bytes/2000000"), r, stop_after=rng.choice([1, 1000, 65_536, 300_000]))
            if r.status not in (None, 200):
                raise ClientError("status", f"GET /bytes/2000000: {r.status}")
            return r.got, 0
        finally:
            rst_close(s)
    if mode == "half_close":  # request, SHUT_WR, the whole answer, then Strait's FIN
        s = connect(addr)
        try:
            n, _ = http(s, "GET", "/", small=b"hello\n", shut_wr=True)
            expect_eof(s)
            return n, 0
        finally:
            s.close()
    if mode == "empty_fin":
        connect(addr).close()
        return 0, 0
    if mode == "empty_rst":
        rst_close(connect(addr))
        return 0, 0
    if mode == "bad_request":  # RFC 9112 §3: not a request line: 400 and close
        s = connect(addr)
        try:
            r = HttpReader()
            exchange(s, b"NOT A REQUEST\r\n\r\n", r)
            if r.status != 400:
                raise ClientError("status", f"malformed request: {r.status}, expected 400")
            expect_eof(s)
            return r.got, 0
        finally:
            s.close()
    if mode == "post_small":
        s = connect(addr)
        try:
            body = RANDOM[:rng.randrange(1, 2000)]
            n, c = http(s, "POST", "/echo", body=body, close=True, sha=hashlib.sha256(body).hexdigest())
            expect_eof(s)
            return n, c
        finally:
            s.close()
    raise ValueError(mode)


CHURN_MODES = ["close", "close", "keepalive3", "rst_after", "rst_mid", "half_close", "empty_fin", "empty_rst",
               "bad_request", "post_small"]


class Runner:
    def __init__(self, args, stats, stop):
        self.args, self.stats, self.stop = args, stats, stop

    def paced(self, kind, rate, fn):
        """Calls fn(i) at about rate per second until stopped; an error is counted and the loop goes on."""
        period = 1.0 / rate
        nxt = time.monotonic()
        i = 0
        while not self.stop.is_set():
            try:
                res = fn(i)
                if res is not None:
                    self.stats.ok(kind, *res)
            except ClientError as e:
                self.stats.error(kind, e.category, str(e))
            except OSError as e:
                self.stats.error(kind, "oserror", f"{type(e).__name__}: {e}")
            i += 1
            nxt += period
            now = time.monotonic()
            if nxt < now - 1.0:  # behind by over a second: do not catch up in a burst
                nxt = now
            self.stop.wait(max(0.0, nxt - now))

    def churn(self, seed):
        rng = random.Random(seed)
        addr = self.args.http
        self.paced("churn", self.args.churn_rate / self.args.churn_threads,
                   lambda i: churn_once(addr, CHURN_MODES[(i + seed) % len(CHURN_MODES)], rng))

    def download(self):
        rng = random.Random(2)
        state = {"s": None, "uses": 0}

        def one(_):
            if state["s"] is None:
                state["s"], state["uses"] = connect(self.args.http), 0
            n = rng.choice(DOWNLOAD_SIZES)
            try:
                res = http(state["s"], "GET", f"/bytes/{n}", sha=expected_sha(n))
            except (ClientError, OSError):
                state["s"].close()
                state["s"] = None
                raise
            state["uses"] += 1
            if state["uses"] >= 10:
                state["s"].close()
                state["s"] = None
            return res
        self.paced("download", self.args.download_rate, one)
        if state["s"]:
            state["s"].close()

    def upload(self):
        rng = random.Random(3)
        state = {"s": None, "uses": 0}

        def one(_):
            if state["s"] is None:
                state["s"], state["uses"] = connect(self.args.http), 0
            n = rng.choice(UPLOAD_SIZES)
            off = rng.randrange(0, len(RANDOM) - n)
            body = RANDOM[off:off + n]
            try:
                res = http(state["s"], "POST", "/echo", body=body, sha=hashlib.sha256(body).hexdigest())
            except (ClientError, OSError):
                state["s"].close()
                state["s"] = None
                raise
            state["uses"] += 1
            if state["uses"] >= 10:
                state["s"].close()
                state["s"] = None
            return res[0] + n, res[1]
        self.paced("upload", self.args.upload_rate, one)
        if state["s"]:
            state["s"].close()

    def slow_reader(self, seed):
        rng = random.Random(seed)
        n = 2 * 1024 * 1024

        def one(i):
            s = connect(self.args.http, rcvbuf=4096)
            give_up = rng.random() < 0.25
            try:
                s.sendall(request("GET", f"/bytes/{n}"))
                r = HttpReader()
                reads = 0
                s.settimeout(OP_TIMEOUT_S)
                while not r.done and not self.stop.is_set():
                    try:
                        data = s.recv(4096)
                    except socket.timeout:
                        raise ClientError("timeout", f"slow reader stalled at {r.got} bytes")
                    except ConnectionResetError:
                        raise ClientError("reset", f"slow reader reset at {r.got} bytes")
                    if not data:
                        raise ClientError("eof", f"slow reader: closed at {r.got} of {n} bytes")
                    if r.feed(data):
                        raise ClientError("protocol", "bytes after the answer")
                    if give_up and r.got >= n // 2:
                        rst_close(s)
                        s = None
                        return r.got, 0
                    reads += 1
                    # Now and then a pause longer than the RTO: Strait meets a zero window and must probe it
                    # (RFC 9293 §3.8.6.1); otherwise Linux's window updates come first.
                    self.stop.wait(1.5 if reads % 64 == 0 else 0.02)
                if not r.done:
                    return None  # stopped: not counted
                if r.status != 200:
                    raise ClientError("status", f"slow reader: {r.status}")
                if r.sha.hexdigest() != expected_sha(n):
                    raise ClientError("checksum", "slow reader: SHA-256 differs")
                return r.got, 1
            finally:
                if s is not None:
                    s.close()
        self.paced("slowread", 1.0, one)

    def slow_writer(self):
        def one(_):
            s = connect(self.args.http)
            try:
                req = request("GET", "/bytes/100000")
                for k in range(len(req)):
                    if self.stop.is_set():
                        return None
                    s.sendall(req[k:k + 1])
                    time.sleep(0.05)
                return http_answer(s, 100_000)
            finally:
                s.close()

        def http_answer(s, n):
            r = HttpReader()
            exchange(s, b"", r)
            if r.status != 200:
                raise ClientError("status", f"slow writer: {r.status}")
            if r.sha.hexdigest() != expected_sha(n):
                raise ClientError("checksum", "slow writer: SHA-256 differs")
            return r.got, 1
        self.paced("slowwrite", 0.2, one)

    def echo_stream(self):
        rng = random.Random(5)

        def one(_):
            n = rng.choice(ECHO_SIZES)
            off = rng.randrange(0, len(RANDOM) - n)
            data = RANDOM[off:off + n]
            s = connect(self.args.echo)
            try:
                r = CountReader(n)
                exchange(s, data, r, shut_wr=True)
                if r.sha.digest() != hashlib.sha256(data).digest():
                    raise ClientError("checksum", f"echo of {n} bytes differs")
                expect_eof(s)
                return 2 * n, 1
            finally:
                s.close()
        self.paced("echo", self.args.echo_rate, one)

    def echo_churn(self):
        rng = random.Random(6)

        def one(i):
            s = connect(self.args.echo)
            data = RANDOM[i % 1000:i % 1000 + 64]
            try:
                r = CountReader(64)
                exchange(s, data, r)
                if r.sha.digest() != hashlib.sha256(data).digest():
                    raise ClientError("checksum", "64-byte echo differs")
            except BaseException:
                s.close()
                raise
            if rng.random() < 0.5:
                rst_close(s)
            else:
                s.close()
            return 128, 1
        self.paced("echo_churn", self.args.echo_churn_rate, one)


def addr(text):
    host, _, port = text.rpartition(":")
    return host, int(port)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--http", type=addr, required=True, help="A.B.C.D:PORT of Strait's http app")
    ap.add_argument("--echo", type=addr, default=None, help="A.B.C.D:PORT of Strait's echo app (optional)")
    ap.add_argument("--seconds", type=float, required=True)
    ap.add_argument("--churn-rate", type=float, default=40.0, help="short connections per second (default 40)")
    ap.add_argument("--churn-threads", type=int, default=2)
    ap.add_argument("--download-rate", type=float, default=2.0, help="downloads per second (default 2)")
    ap.add_argument("--upload-rate", type=float, default=2.0, help="uploads per second (default 2)")
    ap.add_argument("--slow-readers", type=int, default=3, help="concurrent slow readers (default 3)")
    ap.add_argument("--echo-rate", type=float, default=1.0, help="echo streams per second (default 1)")
    ap.add_argument("--echo-churn-rate", type=float, default=10.0,
                    help="short echo connections per second (default 10)")
    ap.add_argument("--progress-s", type=float, default=10.0)
    args = ap.parse_args()
    stats, stop = Stats(), threading.Event()
    run = Runner(args, stats, stop)
    jobs = [(run.churn, (100 + k,)) for k in range(args.churn_threads)]
    jobs += [(run.download, ()), (run.upload, ()), (run.slow_writer, ())]
    jobs += [(run.slow_reader, (200 + k,)) for k in range(args.slow_readers)]
    if args.echo:
        jobs += [(run.echo_stream, ()), (run.echo_churn, ())]
    threads = [threading.Thread(target=fn, args=a, daemon=True) for fn, a in jobs]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    end = t0 + args.seconds
    while time.monotonic() < end:
        time.sleep(max(0.0, min(args.progress_s, end - time.monotonic())))
        if time.monotonic() < end:
            print(json.dumps({"elapsed_s": round(time.monotonic() - t0, 1), **stats.snapshot()}), flush=True)
    stop.set()
    for t in threads:
        t.join(OP_TIMEOUT_S + 15)
    hung = [t.name for t in threads if t.is_alive()]
    out = {"elapsed_s": round(time.monotonic() - t0, 1), "final": True, "hung_threads": len(hung)}
    out.update(stats.snapshot())
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
