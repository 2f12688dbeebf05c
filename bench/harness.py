#!/usr/bin/python3
"""End-to-end benchmark harness (issue 5): Strait against the Linux kernel stack, side by side in one run.

Started by `setup/bench` (or `setup/strait bench`). Every case runs the kernel anchors and Strait back to back, with
the server pinned to one CPU and the client to the other, a warm-up before each measured run, and N repetitions
whose median and spread (min..max) are reported. Writes bench/results/<UTC stamp>/ with report.md, results.csv,
ratios.png and latency.png. No figure in the report is typed in by hand: each is parsed from a tool's output here.

Cases
  http   HTTP over the veth (client: wrk / h2load in the peer namespace) against Strait http on net_af_packet and
         net_af_xdp, and nginx, a Netty epoll server and a plain Java NIO server on the Linux stack.
  memif  both ends bypass (Strait load <-> Strait echo/http over net_memif) against both ends kernel over loopback
         (sockperf, a Java NIO client/server pair, iperf3).
  floor  a minimal DPDK reflector in C over the same net_memif link, pinged by a minimal DPDK pinger in C (both
         pinned, busy-polling, warmed up, repeated until stable); Strait's ICMP client against the same reflector
         and against Strait serve as rows of their own.
  loss   loss recovery over the veth, the same random drop (nftables in the peer namespace, both directions) for
         both stacks: a curl download from Strait http and from nginx, and a bidirectional echo stream
         (bench/loss_client.py) into Strait echo and a Java NIO echo server, at loss rates 0 to 20% each way.
         Not in the default set (about an hour at the defaults): `setup/bench --only loss`.
  flood  one wrk connection's latency, timed on the wire at the peer's end of the veth, with and without each hping3
         flood (SYN from random sources, ACK, RST, FIN, ICMP), Strait http against nginx (issue 10). Not in the
         default set: `setup/bench --only flood` (about 5 minutes).
  jmh    the JMH suite (bench/run-jmh), short iterations.
  scale  per-core cost x cores against 10/25/100 GbE line rate, from this run's JMH figures.
"""
import argparse
import csv
import datetime
import hashlib
import json
import os
import platform
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STRAIT = os.path.join(ROOT, "setup", "strait")
JAR = os.path.join(ROOT, "bench", "target", "benchmarks.jar")
REFLECTOR = os.path.join(ROOT, "bench", "reflector", "target", "strait-reflector")
PINGER = os.path.join(ROOT, "bench", "reflector", "target", "strait-pinger")
STOPS = os.path.join(ROOT, "bench", "reflector", "target", "strait-stops")
NS = "strait-peer"
SERVER_CPU = "1"
CLIENT_CPU = "0"
VETH_IP = "198.18.0.2"
PEER_IP = "198.18.0.1"
MEMIF_SERVER_IP = "198.18.2.1"
MEMIF_CLIENT_IP = "198.18.2.2"
# Seconds of load before each measured run of a JVM client (Strait load, the NIO client): JIT compilation of both
# ends takes several seconds on 2 CPUs, and a busy-polling core shares its CPU with the compiler threads meanwhile.
WARMUP_S = 5


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def die(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def run(argv, timeout=600, check=True, ns=False, cpu=None, env=None, stdin=None):
    if cpu is not None:
        argv = ["taskset", "-c", cpu] + argv
    if ns:
        argv = ["ip", "netns", "exec", NS] + argv
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env, input=stdin)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {p.returncode}: {p.stderr.strip()[-800:]}")
    return p


LIVE = []  # servers running now: stopped by the signal handler if the harness is interrupted


def java_strait_cmd():
    """java with Strait's JVM flags and native shim, on the benchmarks jar: Netty on Strait."""
    return (["java", "-XX:+UseParallelGC"] + jvm_flags()
            + ["-Dstrait.shim=" + os.path.join(ROOT, "bindings", "target", "native", "libstrait_shim.so"),
               "-cp", JAR])


def jvm_flags():
    """Strait's JVM flags, from the one file that holds them (setup/jvm.properties)."""
    with open(os.path.join(ROOT, "setup", "jvm.properties")) as f:
        for line in f:
            if line.startswith("strait.jvm.flags="):
                return line.split("=", 1)[1].split()
    return []


class Server:
    """A background server process: started, waited for (READY line or a listening port), stopped by PID. Every
    server, Strait's included, runs with all its threads confined to the server CPU (taskset): a JVM's compiler and
    GC threads must not borrow the client's CPU."""

    def __init__(self, name, argv, ready="READY", cpu=SERVER_CPU, ns=False, port=None, host=None, logdir=None):
        self.name = name
        # A C DPDK program (reflector, pinger) leaves its runtime folder (several MB of tmpfs) behind: removed at stop.
        self.file_prefix = argv[argv.index("--file-prefix") + 1] if "--file-prefix" in argv else None
        if cpu is not None:
            argv = ["taskset", "-c", cpu] + argv
        if ns:
            argv = ["ip", "netns", "exec", NS] + argv
        self.log = open(os.path.join(logdir, f"{name}.log"), "w")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     start_new_session=True)
        LIVE.append(self)
        deadline = time.time() + 60
        if ready is not None:
            while time.time() < deadline:
                line = self.proc.stdout.readline()
                if not line:
                    break
                self.log.write(line)
                if line.startswith(ready):
                    break
            else:
                self.stop()
                raise RuntimeError(f"{name} did not print {ready}")
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited {self.proc.returncode} before {ready}; see {self.log.name}")
        else:
            while time.time() < deadline:
                if run(["bash", "-c", f"exec 3<>/dev/tcp/{host}/{port}"], check=False, timeout=5).returncode == 0:
                    break
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{name} exited {self.proc.returncode}; see {self.log.name}")
                time.sleep(0.2)
            else:
                self.stop()
                raise RuntimeError(f"{name} is not listening on {host}:{port}")

    def cpu_seconds(self):
        """User + system CPU of the server's process tree, in seconds."""
        pids = {self.proc.pid}
        changed = True
        stats = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                    stats[int(d)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
                except (OSError, IndexError, ValueError):
                    pass
        while changed:
            changed = False
            for pid, (ppid, _) in stats.items():
                if ppid in pids and pid not in pids:
                    pids.add(pid)
                    changed = True
        return sum(stats[p][1] for p in pids if p in stats) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        if self.log.closed:  # already stopped (by the signal handler, then by a case's finally)
            return
        if self in LIVE:
            LIVE.remove(self)
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        rest = self.proc.stdout.read() if self.proc.stdout else ""
        self.log.write(rest or "")
        self.log.close()
        if self.file_prefix:
            shutil.rmtree(os.path.join("/var/run/dpdk", self.file_prefix), ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------------
# Clients and their parsers
# ---------------------------------------------------------------------------------------------------------------

WRK_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d seconds=%f errors=%d p50=%f p90=%f p99=%f p999=%f max=%f\\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
"""


def wrk(url, conns, seconds, close=False, lua=None):
    argv = ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "-s", lua]
    if close:
        argv += ["-H", "Connection: close"]
    out = run(argv + [url], ns=True, cpu=CLIENT_CPU, timeout=seconds + 60).stdout
    m = re.search(r"RESULT requests=(\d+) seconds=([\d.]+) errors=(\d+) p50=([\d.]+) p90=([\d.]+) p99=([\d.]+) "
                  r"p999=([\d.]+) max=([\d.]+)", out)
    if not m:
        raise RuntimeError(f"wrk printed no result: {out[-400:]}")
    req, secs, errs = int(m[1]), float(m[2]), int(m[3])
    return {"requests": req, "seconds": secs, "rps": req / secs, "errors": errs, "p50_us": float(m[4]),
            "p90_us": float(m[5]), "p99_us": float(m[6]), "p999_us": float(m[7]), "max_us": float(m[8])}


# Only TCP segments to or from port 80 that carry payload: requests and responses, not bare ACKs or a flood's
# SYN, ACK, RST or FIN segments (ip total length - IP header - TCP header).
PAYLOAD_FILTER = "tcp port 80 and (ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2)) > 0"


def wrk_wire(url, seconds, lua, tmp):
    """wrk c1 while dumpcap records the peer's end of the veth: each request is timed from the moment its segment
    leaves the client's stack to the moment the response's first segment arrives there, so the figure is the
    server's (its stack, its CPU's scheduling, the veth), not the client's. wrk's own percentiles are not that:
    wrk corrects for coordinated omission (stats_correct adds, for every sample longer than the run's mean
    interval, one synthetic sample per interval it spans), so one millisecond stall of the client's vCPU between
    a response and the next request counts as ~1 ms / mean interval samples, more for a faster server. The client
    gap (a response's arrival to the next request's departure) is the client's own and is reported beside it."""
    pcap = os.path.join(tmp, "wrk-c1-wire.pcapng")
    if os.path.exists(pcap):
        os.unlink(pcap)
    cap = subprocess.Popen(["ip", "netns", "exec", NS, "taskset", "-c", CLIENT_CPU, "dumpcap", "-q", "-i", "strait1",
                            "-s", "96", "-f", PAYLOAD_FILTER, "-w", pcap], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    try:
        # dumpcap says "Capturing on 'strait1'" once its socket is open: from then on no segment is missed.
        deadline = time.time() + 10
        said = ""
        while "Capturing on" not in said and cap.poll() is None and time.time() < deadline:
            if select.select([cap.stderr], [], [], 0.1)[0]:
                said += cap.stderr.readline()
        if "Capturing on" not in said:
            raise RuntimeError(f"dumpcap did not start capturing (exit {cap.poll()}): {said[-300:]}")
        w = wrk(url, 1, seconds, lua=lua)
    finally:
        cap.send_signal(signal.SIGINT)
        try:
            cap.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cap.kill()
    out = run(["tshark", "-r", pcap, "-T", "fields", "-e", "frame.time_epoch", "-e", "tcp.dstport", "-Y",
               "tcp.len>0"], timeout=300).stdout
    os.unlink(pcap)
    server, gaps = [], []
    sent = last_response = None
    for line in out.splitlines():
        f = line.split()
        if len(f) != 2:
            continue
        t = float(f[0])
        if f[1] == "80":  # a request segment leaving the client
            if last_response is not None and sent is None:
                gaps.append(t - last_response)
            if sent is None:
                sent = t
        elif sent is not None:  # the first segment of its response
            server.append(t - sent)
            last_response, sent = t, None
    if len(server) < 100:
        raise RuntimeError(f"the capture paired only {len(server)} requests with responses")
    server.sort()
    gaps.sort()

    def pct(a, q):
        return a[min(len(a) - 1, int(q * len(a)))] * 1e6
    return {"requests": len(server), "seconds": w["seconds"], "rps": w["rps"], "errors": w["errors"],
            "p50_us": pct(server, 0.5), "p90_us": pct(server, 0.9), "p99_us": pct(server, 0.99),
            "p999_us": pct(server, 0.999), "max_us": server[-1] * 1e6, "wrk_p99_us": w["p99_us"],
            "wrk_p999_us": w["p999_us"], "client_gap_p50_us": pct(gaps, 0.5), "client_gap_p99_us": pct(gaps, 0.99),
            "client_gap_p999_us": pct(gaps, 0.999), "client_gaps_over_1ms": sum(1 for g in gaps if g > 1e-3)}


def h2load(url, conns, pipeline, seconds):
    argv = ["h2load", "--h1", "-c", str(conns), "-m", str(pipeline), "-D", str(seconds), "--warm-up-time=1", url]
    out = run(argv, ns=True, cpu=CLIENT_CPU, timeout=seconds + 60).stdout
    m = re.search(r"finished in ([\d.]+)(m?s), ([\d.]+) req/s", out)
    s = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored",
                  out)
    if not m or not s:
        raise RuntimeError(f"h2load printed no result: {out[-400:]}")
    return {"requests": int(s[4]), "rps": float(m[3]), "errors": int(s[5]) + int(s[6])}


def from_load_report(out):
    """The last line of `strait load --json` or of NioLoadClient --json (the same LoadReport keys)."""
    j = json.loads(out.strip().splitlines()[-1])
    lat = j["latency_us"]
    return {"requests": j["requests"], "seconds": j["seconds"], "rps": j["requests_per_second"],
            "errors": j["errors"], "bytes_per_s": j.get("bytes_in_per_second"), "p50_us": lat["p50"],
            "p90_us": lat["p90"], "p99_us": lat["p99"], "p999_us": lat["p99_9"], "max_us": lat["max"]}


def strait_load(args, seconds, warmup=WARMUP_S):
    return from_load_report(run([STRAIT, "load", "--cpus", CLIENT_CPU, "--duration", str(seconds), "--warmup",
                                 str(warmup), "--json"] + args, cpu=CLIENT_CPU,
                                timeout=seconds + warmup + 90).stdout)


def nio_client(args, seconds, warmup=WARMUP_S):
    return from_load_report(run(["java", "-cp", JAR, "io.strait.bench.kernel.NioLoadClient", "--duration",
                                 str(seconds), "--warmup", str(warmup), "--json"] + args, cpu=CLIENT_CPU,
                                timeout=seconds + warmup + 60, env=JAVA_ENV).stdout)


def sockperf(seconds, size=64):
    out = run(["sockperf", "ping-pong", "--tcp", "-i", "127.0.0.1", "-p", "11111", "-m", str(size), "-t",
               str(seconds), "--full-rtt"], cpu=CLIENT_CPU, timeout=seconds + 60).stdout
    pct = {}
    for m in re.finditer(r"percentile\s+([\d.]+)\s+=\s+([\d.]+)", out):
        pct[float(m[1])] = float(m[2])
    obs = re.search(r"\[Valid Duration\] RunTime=([\d.]+) sec; SentMessages=(\d+); ReceivedMessages=(\d+)", out)
    mx = re.search(r"<MAX> observation\s+=\s+([\d.]+)", out)
    if not pct or not obs:
        raise RuntimeError(f"sockperf printed no result: {out[-600:]}")
    secs, rcvd = float(obs[1]), int(obs[3])
    return {"requests": rcvd, "seconds": secs, "rps": rcvd / secs, "errors": 0, "p50_us": pct.get(50.0),
            "p90_us": pct.get(90.0), "p99_us": pct.get(99.0), "p999_us": pct.get(99.9),
            "max_us": float(mx[1]) if mx else None}


def iperf3(seconds):
    out = run(["iperf3", "-c", "127.0.0.1", "-p", "5201", "-t", str(seconds), "-J"], cpu=CLIENT_CPU,
              timeout=seconds + 60).stdout
    j = json.loads(out)
    return {"bytes_per_s": j["end"]["sum_received"]["bits_per_second"] / 8, "errors": 0}


def strait_ping(dev, ip, target, count):
    out = run([STRAIT, "ping", "--dev", dev, "--ip", ip, "--target", target, "--count", str(count), "--warmup",
               str(count), "--interval", "0", "--timeout", "1000"], cpu=CLIENT_CPU, timeout=300, check=False).stdout
    m = re.search(r"(\d+) transmitted, (\d+) received", out)
    r = re.search(r"rtt us min ([\d.]+) p50 ([\d.]+) p90 ([\d.]+) p99 ([\d.]+) p99.9 ([\d.]+) max ([\d.]+)", out)
    if not m or not r or int(m[2]) < count * 0.99:
        raise RuntimeError(f"ping: no summary or under 99% answered: {out[-300:]}")
    return {"requests": int(m[2]), "errors": int(m[1]) - int(m[2]), "p50_us": float(r[2]), "p90_us": float(r[3]),
            "p99_us": float(r[4]), "p999_us": float(r[5]), "max_us": float(r[6])}


# ---------------------------------------------------------------------------------------------------------------
# Measurement loop
# ---------------------------------------------------------------------------------------------------------------

class Results:
    def __init__(self):
        self.rows = []   # dict(case, workload, stack, rep, metric values...)

    def add(self, case, workload, stack, rep, values):
        row = {"case": case, "workload": workload, "stack": stack, "rep": rep}
        row.update(values)
        self.rows.append(row)
        if values.get("error"):
            log(f"  {case}/{workload} {stack} #{rep}: FAILED {values['error']}")
            return
        shown = [f"{k}={values[k]:.1f}" for k in ("rps", "bytes_per_s", "p50_us", "p99_us", "server_cpu_us_per_req")
                 if values.get(k) is not None]
        shown += [f"{k}={values[k]:.2f}" for k in ("seconds", "retrans_per_mb", "rto_per_mb", "drop_in_pct",
                                                   "drop_out_pct") if values.get(k) is not None]
        log(f"  {case}/{workload} {stack} #{rep}: {' '.join(shown)}")

    def median(self, case, workload, stack, metric):
        vals = [r[metric] for r in self.rows if r["case"] == case and r["workload"] == workload
                and r["stack"] == stack and r.get(metric) is not None]
        if not vals:
            return None, None, None
        return statistics.median(vals), min(vals), max(vals)

    def stacks(self, case, workload):
        seen = []
        for r in self.rows:
            if r["case"] == case and r["workload"] == workload and r["stack"] not in seen:
                seen.append(r["stack"])
        return seen


def cpu_ticks():
    """Per-CPU (busy, total) jiffies from /proc/stat."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            m = re.match(r"cpu(\d+) (.*)", line)
            if m:
                v = [int(x) for x in m[2].split()]
                idle = v[3] + (v[4] if len(v) > 4 else 0)
                out[m[1]] = (sum(v[:8]) - idle, sum(v[:8]))
    return out


def timed(fn):
    """Runs one measurement and adds how busy the client's and the server's CPU were meanwhile (%): a client CPU
    at 100% means the client, not the server, set the rate."""
    t0 = cpu_ticks()
    v = fn()
    t1 = cpu_ticks()
    for name, cpu in (("client_cpu_pct", CLIENT_CPU), ("server_cpu_pct", SERVER_CPU)):
        busy = t1[cpu][0] - t0[cpu][0]
        total = t1[cpu][1] - t0[cpu][1]
        if total > 0:
            v[name] = 100.0 * busy / total
    return v


def warm_up(stack, warmup):
    if warmup:
        try:
            warmup()
        except Exception as e:  # a failed warm-up shows in the measured runs
            log(f"  warm-up of {stack} failed: {e}")


def one_run(results, case, workload, stack, rep, fn, server):
    """One measured repetition: the tool's figures, both CPUs' busy %, and the server's CPU time per request."""
    try:
        cpu0 = server.cpu_seconds() if server else None
        v = timed(fn)
        if server and v.get("requests"):
            v["server_cpu_us_per_req"] = (server.cpu_seconds() - cpu0) * 1e6 / v["requests"]
        results.add(case, workload, stack, rep, v)
    except Exception as e:
        results.add(case, workload, stack, rep, {"error": str(e)[-300:]})


def measure(results, case, workload, stack, reps, fn, server=None, warmup=None):
    warm_up(stack, warmup)
    for rep in range(1, reps + 1):
        one_run(results, case, workload, stack, rep, fn, server)


NGINX_CONF = """
worker_processes 1;
daemon off;
master_process on;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 4096; use epoll; multi_accept on; }}
http {{
  access_log off;
  keepalive_requests 100000000;
  keepalive_timeout 300s;
  tcp_nodelay on;
  server {{
    listen {ip}:80 reuseport backlog=4096;
    location = / {{ default_type text/plain; return 200 "hello\\n"; }}
    location / {{ return 404; }}
  }}
}}
"""


def veth_address(add):
    """Gives strait0 the address while a kernel server runs, and takes it away for Strait (CONTRACT.md: no kernel
    address on strait0 otherwise); the peer forgets the old MAC either way."""
    run(["ip", "addr", "add" if add else "del", f"{VETH_IP}/24", "dev", "strait0"], check=False)
    run(["ip", "netns", "exec", NS, "ip", "neigh", "flush", "dev", "strait1"], check=False)


def serve_each(results, case, stacks, workloads):
    """Starts each (stack, kernel, start) in turn and yields (stack, server): strait0 has the address while a kernel
    server runs, and the server is stopped after its turn. One that does not start is recorded as an error in each
    of its workloads."""
    for stack, kernel, start in stacks:
        log(f"{case}: {stack}")
        veth_address(kernel)
        try:
            srv = start()
        except Exception as e:
            log(f"{case}: {stack} did not start: {e}")
            for w in workloads:
                results.add(case, w, stack, 1, {"error": str(e)[-300:]})
            veth_address(False)
            continue
        try:
            yield stack, srv
        finally:
            srv.stop()
            veth_address(False)


def wrk_lua(tmp):
    lua = os.path.join(tmp, "wrk-report.lua")
    with open(lua, "w") as f:
        f.write(WRK_LUA)
    return lua


def nginx_conf(tmp, name, template=NGINX_CONF, **fields):
    """Writes an nginx configuration for VETH_IP into tmp/name; returns its directory."""
    d = os.path.join(tmp, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write(template.format(dir=d, ip=VETH_IP, **fields))
    return d


def case_http(results, args, tmp):
    url = f"http://{VETH_IP}/"
    lua = wrk_lua(tmp)
    d = args.duration
    workloads = [  # each a function of its duration in seconds
        ("wrk c1", lambda sec: wrk(url, 1, sec, lua=lua)),
        ("wrk c1 wire", lambda sec: wrk_wire(url, sec, lua, tmp)),
        ("wrk c64", lambda sec: wrk(url, 64, sec, lua=lua)),
        ("wrk c64 close", lambda sec: wrk(url, 64, sec, close=True, lua=lua)),
        ("h2load c64", lambda sec: h2load(url, 64, 1, sec)),
        ("h2load c64 m16", lambda sec: h2load(url, 64, 16, sec)),
    ]
    nginx_dir = nginx_conf(tmp, "nginx")
    java = ["java", "-XX:+UseParallelGC", "--enable-native-access=ALL-UNNAMED", "-cp", JAR]
    # The same Netty server on Strait's transport: Strait's JVM flags (setup/jvm.properties) and its native shim.
    java_strait = java_strait_cmd()
    stacks = [
        ("strait af_packet", False, lambda: Server("strait-afpacket", [STRAIT, "serve", "--app", "http", "--cpus",
                                                                        SERVER_CPU], logdir=tmp)),
        ("strait af_xdp", False, lambda: Server("strait-afxdp", [STRAIT, "serve", "--app", "http", "--cpus", SERVER_CPU,
                                                                 "--dev", "net_af_xdp0,iface=strait0"],
                                                logdir=tmp)),
        ("nginx", True, lambda: Server("nginx", ["nginx", "-c", os.path.join(nginx_dir, "nginx.conf"), "-p",
                                                 nginx_dir], ready=None, host=VETH_IP, port=80, logdir=tmp)),
        ("netty epoll", True, lambda: Server("netty", java + ["io.strait.bench.kernel.NettyHttpServer", "--port", "80",
                                                             "--bind", VETH_IP], logdir=tmp)),
        ("java nio", True, lambda: Server("nio", java + ["io.strait.bench.kernel.NioHttpServer", "--port", "80",
                                                       "--bind", VETH_IP], logdir=tmp)),
        ("netty on strait", False, lambda: Server("netty-strait", java_strait + [
            "io.strait.bench.kernel.NettyHttpServer", "--port", "80", "--bind", VETH_IP,
            "--strait", "net_af_packet0,iface=strait0", "--cpu", SERVER_CPU], logdir=tmp)),
    ]
    if args.http_stacks:
        wanted = [w.strip() for w in args.http_stacks.split(",")]
        unknown = [w for w in wanted if w not in [st[0] for st in stacks]]
        if unknown:
            raise SystemExit(f"bench: unknown --http-stacks {unknown}; known: {[st[0] for st in stacks]}")
        stacks = [st for st in stacks if st[0] in wanted]
    for stack, srv in serve_each(results, "http", stacks, [w for w, _ in workloads]):
        wrk(url, 64, WARMUP_S, lua=lua)  # JIT warm-up of the server (and of nothing else: nginx has none)
        for w, fn in workloads:
            # A short run of the same workload first: a new connection pattern takes rare paths whose first
            # use deoptimizes a JIT's compiled code for a moment; that is a start-up cost, not the steady state.
            measure(results, "http", w, stack, args.reps, lambda fn=fn: fn(d), server=srv,
                    warmup=lambda fn=fn: fn(2))


def measure_fresh(results, case, workload, stack, reps, start, fn, warmup=None):
    """Like measure, with a new server process per repetition. Over net_memif this is needed: DPDK 22.11's memif
    driver can crash the side still polling when its peer leaves (it unmaps the rings from its interrupt thread),
    so a server is never reused after a client left it."""
    for rep in range(1, reps + 1):
        fresh_run(results, case, workload, stack, rep, start, fn, warmup)


def fresh_run(results, case, workload, stack, rep, start, fn, warmup=None):
    """One repetition of measure_fresh: a new server (start(rep)), the run, the server stopped."""
    try:
        srv = start(rep)
    except Exception as e:
        results.add(case, workload, stack, rep, {"error": f"server did not start: {e}"[-300:]})
        return
    try:
        warm_up(stack, warmup)
        one_run(results, case, workload, stack, rep, fn, srv)
    finally:
        srv.stop()


def case_memif(results, args, tmp):
    d = args.duration

    def memif_server(app, name, extra=()):
        def start(rep):
            sock = os.path.join(tmp, f"{name}-{rep}.sock")
            srv = Server(f"{name}-{rep}", [STRAIT, "serve", "--app", app, "--cpus", SERVER_CPU, "--dev",
                                           f"net_memif0,role=server,socket-abstract=no,socket={sock}", "--ip",
                                           f"{MEMIF_SERVER_IP}/24"] + list(extra), logdir=tmp)
            srv.client_dev = ["--dev", f"net_memif0,role=client,socket-abstract=no,socket={sock}", "--ip",
                              f"{MEMIF_CLIENT_IP}/24"]
            state["srv"] = srv
            return srv
        return start

    state = {}
    # Both ends bypass: Strait load <-> Strait echo / http over net_memif.
    log("memif: strait <-> strait")
    echo = ["--app", "echo", "--target", f"{MEMIF_SERVER_IP}:7", "--size", "64"]
    http = ["--app", "http", "--target", f"{MEMIF_SERVER_IP}:80"]
    measure_fresh(results, "memif", "ping-pong 64B c1", "strait memif", args.reps, memif_server("echo", "m-echo1"),
                  lambda: strait_load(state["srv"].client_dev + echo + ["--connections", "1"], d))
    measure_fresh(results, "memif", "ping-pong 64B c64", "strait memif", args.reps, memif_server("echo", "m-echo64"),
                  lambda: strait_load(state["srv"].client_dev + echo + ["--connections", "64"], d))
    measure_fresh(results, "memif", "connections/s c64", "strait memif", args.reps, memif_server("http", "m-cps"),
                  lambda: strait_load(state["srv"].client_dev + http + ["--connections", "64", "--close"], d))
    # HTTP over memif: Strait's own http app and the same NettyHttpServer the http case runs, on Strait's Netty
    # transport; the client is Strait's load generator on the other end of the link.
    def netty_memif_server(name):
        def start(rep):
            sock = os.path.join(tmp, f"{name}-{rep}.sock")
            srv = Server(f"{name}-{rep}", java_strait_cmd() + [
                "io.strait.bench.kernel.NettyHttpServer", "--port", "80", "--bind", MEMIF_SERVER_IP, "--strait",
                f"net_memif0,role=server,socket-abstract=no,socket={sock}", "--cpu", SERVER_CPU], logdir=tmp)
            srv.client_dev = ["--dev", f"net_memif0,role=client,socket-abstract=no,socket={sock}", "--ip",
                              f"{MEMIF_CLIENT_IP}/24"]
            state["srv"] = srv
            return srv
        return start
    for wl, conns in (("http c1", "1"), ("http c64", "64")):
        measure_fresh(results, "memif", wl, "strait memif", args.reps, memif_server("http", f"m-http{conns}"),
                      lambda c=conns: strait_load(state["srv"].client_dev + http + ["--connections", c], d))
        measure_fresh(results, "memif", wl, "netty on strait memif", args.reps, netty_memif_server(f"m-netty{conns}"),
                      lambda c=conns: strait_load(state["srv"].client_dev + http + ["--connections", c], d))
    measure_fresh(results, "memif", "bulk 1 conn", "strait memif", args.reps,
                  memif_server("http", "m-bulk", ["--buffer-kb", "1024", "--max-connections", "256"]),
                  lambda: strait_load(state["srv"].client_dev + http + ["--connections", "1", "--size", "16000000"],
                                      d))
    # Both ends kernel, over loopback.
    log("memif: kernel loopback (sockperf, java nio, iperf3)")
    srv = Server("sockperf", ["sockperf", "server", "--tcp", "-i", "127.0.0.1", "-p", "11111"], ready=None,
                 host="127.0.0.1", port=11111, logdir=tmp)
    try:
        measure(results, "memif", "ping-pong 64B c1", "linux sockperf", args.reps, lambda: sockperf(d), server=srv,
                warmup=lambda: sockperf(1))
    finally:
        srv.stop()
    java = ["java", "-XX:+UseParallelGC", "--enable-native-access=ALL-UNNAMED", "-cp", JAR]
    srv = Server("nio-echo", java + ["io.strait.bench.kernel.NioEchoServer", "--port", "17007", "--bind",
                                     "127.0.0.1"], logdir=tmp)
    try:
        tgt = ["--target", "127.0.0.1:17007", "--app", "echo", "--size", "64", "--mode", "pingpong"]
        measure(results, "memif", "ping-pong 64B c1", "linux java nio", args.reps,
                lambda: nio_client(tgt + ["--connections", "1"], d), server=srv)
        # The same client busy-polling its socket (no sleep, no wake-up of an idle vCPU): the fairest kernel
        # latency next to Strait's busy-polling loop.
        measure(results, "memif", "ping-pong 64B c1", "linux java nio spin", args.reps,
                lambda: nio_client(tgt + ["--connections", "1", "--spin"], d), server=srv)
        measure(results, "memif", "ping-pong 64B c64", "linux java nio", args.reps,
                lambda: nio_client(tgt + ["--connections", "64"], d), server=srv)
    finally:
        srv.stop()
    srv = Server("nio-http", java + ["io.strait.bench.kernel.NioHttpServer", "--port", "18080", "--bind",
                                     "127.0.0.1"], logdir=tmp)
    try:
        measure(results, "memif", "connections/s c64", "linux java nio", args.reps,
                lambda: nio_client(["--target", "127.0.0.1:18080", "--app", "http", "--mode", "cps",
                                    "--connections", "64"], d), server=srv)
    finally:
        srv.stop()
    srv = Server("iperf3", ["iperf3", "-s", "-p", "5201"], ready=None, host="127.0.0.1", port=5201, logdir=tmp)
    try:
        measure(results, "memif", "bulk 1 conn", "linux iperf3", args.reps, lambda: iperf3(d))
    finally:
        srv.stop()


def c_ping(srv, tmp, rep, state):
    """The floor's round trip: strait-pinger (C, busy-polling, pinned to the client CPU) against the C reflector.
    It warms up, then measures rounds of ping-pong until two consecutive rounds' p50 agree within 5%, and stays
    connected (not polling) until floor_teardown lets it go. Returns its last round."""
    pinger = Server(f"floor-pinger-{rep}", [
        PINGER, "--no-huge", "-m", "512", "--no-pci", "--file-prefix", f"pinger-{os.getpid()}-{rep}", "--vdev",
        f"net_memif0,role=client,socket-abstract=no,socket={srv.sock}", "-l", CLIENT_CPU, "--", "--ip",
        MEMIF_CLIENT_IP, "--target", MEMIF_SERVER_IP, "--size", "64"] + state["pinger_args"],
        ready="target ", cpu=CLIENT_CPU, logdir=tmp)
    state["pinger"] = pinger
    deadline = time.time() + 600
    while time.time() < deadline:
        line = pinger.proc.stdout.readline()
        if not line:
            break
        pinger.log.write(line)
        if line.startswith("round="):
            log(f"    {line.strip()}")
        if line.startswith("result "):
            v = dict(kv.split("=", 1) for kv in line.split()[1:])
            return {"requests": int(v["count"]), "errors": int(v["lost"]), "p50_us": float(v["p50_us"]),
                    "p90_us": float(v["p90_us"]), "p99_us": float(v["p99_us"]), "p999_us": float(v["p999_us"]),
                    "max_us": float(v["max_us"]), "rounds": int(v["rounds"]), "stable": v["stable"] == "yes"}
    raise RuntimeError(f"strait-pinger printed no result; see {pinger.log.name}")


def floor_teardown(srv, pinger):
    """Ends a floor repetition so that nobody is inside a memif burst when the rings go away (DPDK 22.11 unmaps them
    from its interrupt thread when the peer leaves; README, Known weaknesses): the reflector stops polling first (its
    counters line says it has), then the pinger, which no longer polls either, closes its port, and the reflector,
    seeing the link down, closes its own. Returns a note if either side died of a signal."""
    if pinger is not None and pinger.proc.poll() is None and srv.proc.poll() is None:
        os.killpg(srv.proc.pid, signal.SIGTERM)
        deadline = time.time() + 5
        while time.time() < deadline:
            line = srv.proc.stdout.readline()
            if not line:
                break
            srv.log.write(line)
            if line.startswith("rx="):
                break
    notes = []
    for name, p in (("pinger", pinger), ("reflector", srv)):
        if p is None:
            continue
        p.stop()
        if p.proc.returncode is not None and p.proc.returncode < 0 and p.proc.returncode != -signal.SIGKILL:
            notes.append(f"{name} died of signal {-p.proc.returncode} at teardown")
    return notes


def cpu_stops(results, seconds):
    """strait-stops on the server and the client CPU at once: how often, and for how long, the machine takes the CPU
    away from a busy-polling thread (bench/reflector/README.md). Rows: case machine, workload cpu stops."""
    procs = {cpu: subprocess.Popen(["taskset", "-c", cpu, STOPS, str(seconds)], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True) for cpu in (SERVER_CPU, CLIENT_CPU)}
    for cpu, p in procs.items():
        out, err = p.communicate(timeout=seconds + 60)
        m = re.search(r"^stops (.*)$", out, re.M)
        if p.returncode != 0 or not m:
            results.add("machine", "cpu stops", f"cpu {cpu}", 1, {"error": f"strait-stops: {err.strip()[-300:]}"})
            continue
        v = {k: float(x) for k, x in (kv.split("=", 1) for kv in m[1].split())}
        results.add("machine", "cpu stops", f"cpu {cpu}", 1, v)
        log(f"  cpu {cpu}: stops over 10 us {v['over_10us_per_s']:.0f}/s, over 30 us {v['over_30us_per_s']:.0f}/s, "
            f"mean {v['mean_over_5us_us']:.1f} us, max {v['max_us']:.0f} us, {v['lost_pct']:.2f}% of the CPU")


def paired_ratios(results, case, num, den):
    """(rep, numerator p50, denominator p50) for each repetition where both (workload, stack) rows have a p50."""
    def by_rep(wl, stack):
        return {r["rep"]: r["p50_us"] for r in results.rows if r["case"] == case and r["workload"] == wl
                and r["stack"] == stack and r.get("p50_us")}
    a, b = by_rep(*num), by_rep(*den)
    return [(rep, a[rep], b[rep]) for rep in sorted(a) if rep in b]


def stops_paragraph(results):
    """The machine's stops (strait-stops) and what they imply for any ping-pong's p99.9 on these two CPUs."""
    rows = [r for r in results.rows if r["case"] == "machine" and r["workload"] == "cpu stops"
            and r.get("over_10us_per_s") is not None]
    if not rows:
        return []
    per_cpu = "; ".join(f"{r['stack']}: {r['over_10us_per_s']:.0f}/s over 10 us, {r['over_30us_per_s']:.0f}/s over "
                        f"30 us (mean {r['mean_over_5us_us']:.1f} us, max {r['max_us']:.0f} us), "
                        f"{r['lost_pct']:.2f}% of the CPU" for r in rows)
    stops10 = sum(r["over_10us_per_s"] for r in rows)
    mean = statistics.median(r["mean_over_5us_us"] for r in rows)
    lines = [f"What the machine takes from a busy-polling thread (bench/reflector/stops.c, both CPUs at once, before "
             f"the floor): {per_cpu}."]
    for label, case, wl, stack in (("the C floor", "floor", "icmp ping 64B", "c pinger"),
                                   ("Strait's TCP echo", "floor", "tcp echo 64B c1", "strait memif")):
        p50 = results.median(case, wl, stack, "p50_us")[0]
        p999 = results.median(case, wl, stack, "p999_us")[0]
        if not p50 or p999 is None:
            continue
        hit = stops10 * p50 * 1e-6 * 100  # percent of round trips that overlap a stop over 10 us (either CPU)
        lines.append(f"At {label}'s p50 of {p50:.1f} us, about {hit:.2f}% of round trips overlap one of those stops "
                     f"(each then takes about the stop, {mean:.0f} us); "
                     + ("more than 0.1%, so no program on these CPUs can have a p99.9 under 10 us: "
                        if hit > 0.1 else "under 0.1%: ")
                     + f"its p99.9 was {p999:.1f} us.")
    return [" ".join(lines), ""]


def case_floor(results, args, tmp):
    count = 20000 if not args.quick else 5000
    state = {"pinger_args": ["--warmup", "2000", "--count", "50000"] if args.quick else []}
    log("floor: what the machine takes from a busy-polling thread (strait-stops on both CPUs)")
    cpu_stops(results, 3 if args.quick else 5)

    def reflector(name):
        def start(rep):
            sock = os.path.join(tmp, f"{name}-{rep}.sock")
            srv = Server(f"{name}-{rep}", [
                REFLECTOR, "--no-huge", "-m", "512", "--no-pci", "--file-prefix", f"{name}-{os.getpid()}-{rep}",
                "--vdev", f"net_memif0,role=server,socket-abstract=no,socket={sock}", "-l", SERVER_CPU, "--",
                "--ip", MEMIF_SERVER_IP], logdir=tmp)
            srv.sock = sock
            state["dev"] = f"net_memif0,role=client,socket-abstract=no,socket={sock}"
            return srv
        return start

    def strait_echo(name):
        def start(rep):
            sock = os.path.join(tmp, f"{name}-{rep}.sock")
            srv = Server(f"{name}-{rep}", [
                STRAIT, "serve", "--app", "echo", "--cpus", SERVER_CPU, "--dev",
                f"net_memif0,role=server,socket-abstract=no,socket={sock}", "--ip", f"{MEMIF_SERVER_IP}/24"],
                logdir=tmp)
            state["dev"] = f"net_memif0,role=client,socket-abstract=no,socket={sock}"
            return srv
        return start

    def c_floor(rep):
        # C to C: a fresh reflector and pinger (memif peers are never reused, see measure_fresh), the reflector on
        # the server CPU and the pinger on the client CPU, both busy-polling.
        try:
            srv = reflector("floor-reflector")(rep)
        except Exception as e:
            results.add("floor", "icmp ping 64B", "c pinger", rep, {"error": f"reflector did not start: {e}"[-300:]})
            return
        state["pinger"] = None
        try:
            one_run(results, "floor", "icmp ping 64B", "c pinger", rep, lambda: c_ping(srv, tmp, rep, state), srv)
        finally:
            for note in floor_teardown(srv, state["pinger"]):
                log(f"  floor #{rep}: {note} (the DPDK 22.11 memif teardown race; the figures above stand)")

    # The VM moves between a fast and a slow level of cross-CPU cache-line transfer (the floor's p50 ~0.4 or
    # ~1.5 us) from one minute to the next, so each repetition measures everything back to back: the C floor,
    # Strait's ICMP client against the C reflector and against Strait serve (what Strait's dataplane adds), and
    # Strait's TCP echo, whose ratio to the same repetition's floor is issue 12's figure (floor_paragraph).
    echo = ["--app", "echo", "--target", f"{MEMIF_SERVER_IP}:7", "--size", "64", "--connections", "1"]
    for rep in range(1, args.reps + 1):
        log(f"floor #{rep}: C pinger <-> C reflector, Strait ping <-> C reflector, Strait ping and Strait TCP echo "
            "<-> Strait serve, over net_memif")
        c_floor(rep)
        fresh_run(results, "floor", "icmp ping 64B", "strait ping -> c reflector", rep, reflector("reflector"),
                  lambda: strait_ping(state["dev"], f"{MEMIF_CLIENT_IP}/24", MEMIF_SERVER_IP, count))
        fresh_run(results, "floor", "icmp ping 64B", "strait memif", rep, strait_echo("strait-ping-target"),
                  lambda: strait_ping(state["dev"], f"{MEMIF_CLIENT_IP}/24", MEMIF_SERVER_IP, count))
        fresh_run(results, "floor", "tcp echo 64B c1", "strait memif", rep, strait_echo("strait-echo-target"),
                  lambda: strait_load(["--dev", state["dev"], "--ip", f"{MEMIF_CLIENT_IP}/24"] + echo,
                                      args.duration, warmup=1 if args.quick else 2))


# ---------------------------------------------------------------------------------------------------------------
# Loss recovery: the same random drop for both stacks
# ---------------------------------------------------------------------------------------------------------------

LOSS_RATES = (0.0, 0.001, 0.005, 0.02, 0.05, 0.10, 0.20)
LOSS_RATES_QUICK = (0.0, 0.005, 0.05)
LOSS_TABLE = "straitloss"
LOSS_CLIENT = os.path.join(ROOT, "bench", "loss_client.py")
# What each stack counts around a run, under one name per column (per MB of the workload's payload). Linux: the
# servers' namespace (the root one), from /proc/net/snmp and /proc/net/netstat; Strait: `strait stat --json`.
# tcp.retransmitted_bytes is read when the engine has it.
LINUX_LOSS_COUNTERS = {"retrans": "Tcp:RetransSegs", "rto": "TcpExt:TCPTimeouts", "tlp": "TcpExt:TCPLossProbes",
                       "fast": "TcpExt:TCPFastRetrans", "lost_retrans": "TcpExt:TCPLostRetransmit",
                       "dsack": "TcpExt:TCPDSACKRecv"}
STRAIT_LOSS_COUNTERS = {"retrans": "tcp.retransmits", "rto": "tcp.rto_expiries", "tlp": "tcp.tlp_probes",
                        "fast": "tcp.fast_retransmits", "lost_retrans": "tcp.lost_retransmits",
                        "sack": "tcp.sack_retransmits", "retrans_bytes": "tcp.retransmitted_bytes",
                        "dsack": "tcp.dsacks_in"}
LOSS_NGINX_CONF = """
user root;
worker_processes 1;
daemon off;
master_process on;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
events {{ worker_connections 1024; use epoll; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 300s;
  server {{
    listen {ip}:80 backlog=4096;
    location /bytes/ {{ root {www}; default_type application/octet-stream; }}
    location / {{ return 404; }}
  }}
}}
"""


CC_SYSCTL = "/proc/sys/net/ipv4/tcp_congestion_control"
LOSS_CC_SAVED = []  # the root namespace's congestion control while --loss-linux-cc overrides it


def linux_cc(name):
    """Sets the root namespace's default congestion control (the Linux servers' sockets take it at accept) and
    remembers the machine's own; linux_cc(None) puts that back."""
    if name is None:
        if LOSS_CC_SAVED:
            with open(CC_SYSCTL, "w") as f:
                f.write(LOSS_CC_SAVED.pop())
        return
    with open(CC_SYSCTL) as f:
        old = f.read().strip()
    if not LOSS_CC_SAVED:
        LOSS_CC_SAVED.append(old)
    try:
        with open(CC_SYSCTL, "w") as f:
            f.write(name)
    except OSError as e:
        raise RuntimeError(f"cannot set congestion control '{name}' ({e}); see "
                           "/proc/sys/net/ipv4/tcp_available_congestion_control")


def loss_impair(rate):
    """Drops each packet from and to Strait's address with probability `rate`, in the peer namespace's input and
    output hooks (so the same rule impairs a kernel server and Strait alike). A counting rule before each drop rule
    gives the loss actually applied. No netem on this kernel: nftables' numgen is the random source."""
    loss_clear()
    n = round(rate * 1_000_000)
    rules = f"""
table inet {LOSS_TABLE} {{
  chain rx {{
    type filter hook input priority -300; policy accept;
    ip saddr {VETH_IP} counter
    ip saddr {VETH_IP} numgen random mod 1000000 < {n} counter drop
  }}
  chain tx {{
    type filter hook output priority -300; policy accept;
    ip daddr {VETH_IP} counter
    ip daddr {VETH_IP} numgen random mod 1000000 < {n} counter drop
  }}
}}
"""
    run(["nft", "-f", "-"], ns=True, stdin=rules)


def loss_clear():
    run(["ip", "netns", "exec", NS, "nft", "delete", "table", "inet", LOSS_TABLE], check=False)


def loss_drops():
    """(seen, dropped) packet counts of the impairment, per direction: {'in': (..), 'out': (..)}; in = toward the
    peer (sent by the server), out = from the peer."""
    p = run(["nft", "-j", "list", "table", "inet", LOSS_TABLE], ns=True, check=False)
    out = {"in": [0, 0], "out": [0, 0]}
    if p.returncode != 0:
        return out
    for item in json.loads(p.stdout)["nftables"]:
        rule = item.get("rule")
        if not rule:
            continue
        side = "in" if rule["chain"] == "rx" else "out"
        count = next((e["counter"]["packets"] for e in rule["expr"] if "counter" in e), 0)
        dropped = any("drop" in e for e in rule["expr"])
        out[side][1 if dropped else 0] += count
    return out


def proc_net_counters(ns=False):
    """Name:Field -> value from /proc/net/snmp and /proc/net/netstat of the harness's namespace or the peer's. Read
    directly rather than through nstat, whose history file would make the deltas depend on earlier calls."""
    p = run(["cat", "/proc/net/snmp", "/proc/net/netstat"], ns=ns)
    lines = p.stdout.splitlines()
    out = {}
    for head, vals in zip(lines[0::2], lines[1::2]):  # "Tcp: Name ..." then "Tcp: value ..."
        h, v = head.split(), vals.split()
        for name, val in zip(h[1:], v[1:]):
            out[f"{h[0].rstrip(':')}:{name}"] = int(val)
    return out


def strait_counters(srv):
    try:
        p = run([STRAIT, "stat", "--json", "--pid", str(srv.proc.pid)], cpu=CLIENT_CPU, timeout=60)
        return json.loads(p.stdout.strip().splitlines()[-1])["counters"]
    except (RuntimeError, ValueError, KeyError, IndexError, subprocess.TimeoutExpired) as e:
        log(f"  strait stat failed: {e}")
        return None


def counter_value(counters, name):
    """A counter by name: the total if `strait stat` printed one, else the sum of the per-core coreN.name."""
    if counters is None:
        return None
    if name in counters:
        return counters[name]
    per_core = [v for k, v in counters.items() if k.endswith("." + name)]
    return sum(per_core) if per_core else None


def curl_download(url, nbytes, sha256, path, timeout):
    """curl in the peer namespace on the client CPU; the time is curl's own time_total. A short, wrong or late body
    is a failed run, not a time."""
    p = run(["curl", "-sS", "--max-time", str(timeout), "-o", path, "-w", "%{http_code} %{size_download} "
             "%{time_total}", url], ns=True, cpu=CLIENT_CPU, timeout=timeout + 30, check=False)
    try:
        code, size, secs = p.stdout.split()
        size, secs = int(size), float(secs)
    except ValueError:
        raise RuntimeError(f"curl exited {p.returncode} with no summary: {p.stderr.strip()[-200:]}")
    try:
        if p.returncode == 28:
            raise RuntimeError(f"timeout after {timeout} s ({size} of {nbytes} bytes)")
        if p.returncode != 0:
            raise RuntimeError(f"curl exited {p.returncode} after {size} of {nbytes} bytes: "
                               f"{p.stderr.strip()[-200:]}")
        if code != "200":
            raise RuntimeError(f"HTTP {code}")
        got = os.path.getsize(path)
        if got != nbytes:
            raise RuntimeError(f"short body: {got} of {nbytes} bytes")
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        if h.hexdigest() != sha256:
            raise RuntimeError("wrong body: SHA-256 differs from the expected bytes (i mod 251)")
    finally:
        if os.path.exists(path):
            os.remove(path)
    return {"seconds": secs, "bytes_per_s": nbytes / secs, "requests": 1, "errors": 0}


def echo_stream(nbytes, seed, timeout):
    """bench/loss_client.py in the peer namespace on the client CPU: nbytes into the echo server on port 7 while
    reading them back, every byte checked."""
    p = run(["/usr/bin/python3", LOSS_CLIENT, VETH_IP, "7", str(nbytes), "--timeout", str(timeout), "--seed",
             str(seed)], ns=True, cpu=CLIENT_CPU, timeout=timeout + 30, check=False)
    try:
        j = json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError(f"loss_client exited {p.returncode} with no result: {p.stderr.strip()[-200:]}")
    if not j.get("equal"):
        raise RuntimeError(j.get("error") or "echo differs")
    return {"seconds": j["seconds"], "bytes_per_s": nbytes / j["seconds"], "requests": 1, "errors": 0}


def loss_run(results, kind, stack, rate, rep, nbytes, timeout, holder, fn):
    """One measured run under the current impairment: the time (or why it failed), and per MB of payload the
    server stack's retransmissions, timeouts and loss probes, the peer kernel's own retransmissions, and the loss
    the rule really applied each way."""
    strait = stack.startswith("strait")
    names = STRAIT_LOSS_COUNTERS if strait else LINUX_LOSS_COUNTERS

    def snapshot():
        c = strait_counters(holder["srv"]) if strait else proc_net_counters()
        return {k: counter_value(c, n) if strait else c.get(n) for k, n in names.items()}
    c0, p0, d0 = snapshot(), proc_net_counters(ns=True), loss_drops()
    values = {"loss": rate, "bytes": nbytes, "timeout_s": timeout}
    try:
        values.update(timed(fn))
    except Exception as e:
        values["error"] = str(e)[-300:]
    c1, p1, d1 = snapshot(), proc_net_counters(ns=True), loss_drops()
    mb = nbytes / 1e6
    for k in names:
        if c0.get(k) is not None and c1.get(k) is not None:
            values[f"{k}_per_mb"] = (c1[k] - c0[k]) / mb
    values["client_retrans_per_mb"] = (p1["Tcp:RetransSegs"] - p0["Tcp:RetransSegs"]) / mb
    values["client_rto_per_mb"] = (p1["TcpExt:TCPTimeouts"] - p0["TcpExt:TCPTimeouts"]) / mb
    for side in ("in", "out"):
        seen = d1[side][0] - d0[side][0]
        if seen:
            values[f"drop_{side}_pct"] = 100.0 * (d1[side][1] - d0[side][1]) / seen
    results.add("loss", f"{kind} loss={rate:g}", stack, rep, values)
    return not values.get("error")


def loss_pattern(nbytes):
    block = bytes(range(251))
    return (block * (nbytes // 251 + 1))[:nbytes]


def loss_warm_up(fn, seconds=WARMUP_S):
    """Runs of the measured shape for `seconds` (at least one) under the impairment in place: the JIT compiles a
    fresh JVM server on the server's one CPU meanwhile, as in the other cases; the kernel servers get the same."""
    t0 = time.time()
    fn(0)
    while time.time() - t0 < seconds:
        fn(0)


# hping3 floods (FloodIT's set): a name and hping3's arguments; all at VETH_IP, --flood.
FLOODS = [("syn", ["-S", "-p", "80", "--rand-source"]), ("ack", ["-A", "-p", "80"]), ("rst", ["-R", "-p", "80"]),
          ("fin", ["-F", "-p", "80"]), ("icmp", ["-1"])]


def flooded(fn, hping):
    """Runs fn while hping3 floods at full speed from the peer, pinned to the client's CPU as FloodIT does; adds the
    flood's rate in packets per second from hping3's own count."""
    cmd = ["ip", "netns", "exec", NS, "taskset", "-c", CLIENT_CPU, "hping3", "--flood", "-q"] + hping + [VETH_IP]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    t0 = time.time()
    try:
        time.sleep(0.5)  # the flood reaches its rate before the measurement starts
        if p.poll() is not None:
            raise RuntimeError(f"hping3 exited {p.returncode}: {p.stdout.read()[-300:]}")
        v = fn()
    finally:
        p.send_signal(signal.SIGINT)  # hping3 prints how many packets it sent
        try:
            out = p.communicate(timeout=10)[0]
        except subprocess.TimeoutExpired:
            p.kill()
            out = p.communicate()[0]
    m = re.search(r"(\d+) packets transmitted", out)
    if m:
        v["flood_pps"] = int(m[1]) / (time.time() - t0)
    return v


def case_flood(results, args, tmp):
    """Issue 10: one keep-alive wrk connection's latency with and without each hping3 flood, Strait and nginx on
    the same veth. The latency is the server's, timed on the wire at the peer's end of the veth (wrk_wire): on two
    CPUs the flood generator shares the client's CPU, and wrk's own figures then measure that CPU's queue."""
    url = f"http://{VETH_IP}/"
    lua = wrk_lua(tmp)
    nginx_dir = nginx_conf(tmp, "nginx-flood")
    stacks = [("strait af_packet", False, lambda: Server("strait-flood", [STRAIT, "serve", "--app", "http", "--cpus",
                                                                          SERVER_CPU], logdir=tmp)),
              ("nginx", True, lambda: Server("nginx-flood", ["nginx", "-c", os.path.join(nginx_dir, "nginx.conf"),
                                                             "-p", nginx_dir], ready=None, host=VETH_IP, port=80,
                                             logdir=tmp))]
    d = args.duration
    for stack, srv in serve_each(results, "flood", stacks, ["base"]):
        wrk(url, 64, WARMUP_S, lua=lua)
        wrk(url, 1, 2, lua=lua)
        for rep in range(1, args.reps + 1):  # interleaved, so that a drift of the VM hits base and floods alike
            one_run(results, "flood", "base", stack, rep, lambda: wrk_wire(url, d, lua, tmp), srv)
            for name, hping in FLOODS:
                one_run(results, "flood", name, stack, rep,
                        lambda hping=hping: flooded(lambda: wrk_wire(url, d, lua, tmp), hping), srv)


def flood_section(results):
    if not any(r["case"] == "flood" for r in results.rows):
        return []
    md = ["## Floods (issue 10)", "",
          "hping3 `--flood` from the peer namespace (pinned to the client's CPU, as `FloodIT`) while one keep-alive "
          "wrk connection requests `/`; the latency is the server's, timed on the wire (`wrk c1 wire`, above), and "
          "wrk's own p99 (coordinated-omission corrected, and on two CPUs the wait for the CPU it shares with "
          "hping3) beside it. Medians of the repetitions, base and floods interleaved. Target: p99 with a flood "
          "<= 2x without.", "",
          "| stack | flood | flood pps | req/s | server p50 / p99 / p99.9 us | p99 flood/base | met | "
          "wrk p99 us | errors |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for stack in results.stacks("flood", "base"):
        base99 = results.median("flood", "base", stack, "p99_us")[0]
        for name in ["base"] + [f[0] for f in FLOODS]:
            def m(metric, kind="p50_us"):
                return fmt(results.median("flood", name, stack, metric)[0], kind)
            p99 = results.median("flood", name, stack, "p99_us")[0]
            ratio = p99 / base99 if p99 and base99 and name != "base" else None
            met = "" if ratio is None else ("yes" if ratio <= 2.0 else "no")
            errors = sum(r.get("errors") or 0 for r in results.rows if r["case"] == "flood"
                         and r["workload"] == name and r["stack"] == stack)
            md.append(f"| {stack} | {name} | {m('flood_pps', 'rps')} | {m('rps', 'rps')} | {m('p50_us')} / "
                      f"{m('p99_us')} / {m('p999_us')} | {'' if ratio is None else f'{ratio:.2f}x'} | {met} | "
                      f"{m('wrk_p99_us')} | {errors} |")
    return md + [""]


def case_loss(results, args, tmp):
    rates = args.loss_rates
    timeout = args.loss_timeout
    n_dl, n_echo = args.loss_bytes, args.loss_echo_bytes
    www = os.path.join(tmp, "loss-www")
    os.makedirs(os.path.join(www, "bytes"), exist_ok=True)
    body = loss_pattern(n_dl)
    with open(os.path.join(www, "bytes", str(n_dl)), "wb") as f:
        f.write(body)
    sha = hashlib.sha256(body).hexdigest()
    del body
    nginx_dir = nginx_conf(tmp, "nginx-loss", LOSS_NGINX_CONF, www=www)
    shm = tempfile.mkdtemp(prefix="strait-loss-", dir="/dev/shm" if os.path.isdir("/dev/shm") else tmp)
    url = f"http://{VETH_IP}/bytes/{n_dl}"
    java = ["java", "-XX:+UseParallelGC", "--enable-native-access=ALL-UNNAMED", "-cp", JAR]
    extra = args.loss_strait_args.split()
    starts = 0

    def name(base):
        nonlocal starts
        starts += 1
        return f"{base}-{starts}"
    workloads = [
        ("download", n_dl, lambda rep: curl_download(url, n_dl, sha, os.path.join(shm, "body"), timeout), [
            ("nginx", True, lambda: Server(name("loss-nginx"), ["nginx", "-c", os.path.join(nginx_dir, "nginx.conf"),
                                                                 "-p", nginx_dir], ready=None, host=VETH_IP, port=80,
                                           logdir=tmp)),
            ("strait af_packet", False, lambda: Server(name("loss-strait-http"), [
                STRAIT, "serve", "--app", "http", "--cpus", SERVER_CPU] + extra, logdir=tmp))]),
        ("echo", n_echo, lambda rep: echo_stream(n_echo, rep, timeout), [
            ("java nio", True, lambda: Server(name("loss-nio-echo"), java + [
                "io.strait.bench.kernel.NioEchoServer", "--port", "7", "--bind", VETH_IP], logdir=tmp)),
            ("strait af_packet", False, lambda: Server(name("loss-strait-echo"), [
                STRAIT, "serve", "--app", "echo", "--cpus", SERVER_CPU] + extra, logdir=tmp))]),
    ]
    try:
        for kind, nbytes, fn, stacks in workloads:
            for stack, kernel, start in stacks:
                if ("linux" if kernel else "strait") not in args.loss_stacks:
                    continue
                log(f"loss: {kind} {nbytes} B, {stack}, loss {', '.join(f'{r:g}' for r in rates)}, "
                    f"{args.loss_reps} run(s) each")
                veth_address(kernel)
                holder = {}
                try:
                    try:
                        if kernel and args.loss_linux_cc:
                            linux_cc(args.loss_linux_cc)
                        holder["srv"] = start()
                    except Exception as e:
                        log(f"loss: {stack} did not start: {e}")
                        for rate in rates:
                            results.add("loss", f"{kind} loss={rate:g}", stack, 1,
                                        {"loss": rate, "bytes": nbytes, "error": f"server did not start: {e}"[-300:]})
                        continue
                    loss_impair(0.0)
                    warm_up(stack, lambda: loss_warm_up(fn))  # a JIT's warm-up, without loss
                    for rate in rates:
                        loss_impair(rate)
                        if rate > 0 and args.loss_warmup > 0:
                            # Loss recovery is code a lossless warm-up never runs: measured cold, the first 0.1%
                            # downloads took 2x the later ones while C2 compiled and deoptimised it (uncommon traps
                            # in Recovery, RackTlp, SentSegments). A server in service has long been through that.
                            warm_up(stack, lambda: loss_warm_up(fn, args.loss_warmup))
                        for rep in range(1, args.loss_reps + 1):
                            if not loss_run(results, kind, stack, rate, rep, nbytes, timeout, holder,
                                            lambda: fn(rep)):
                                # A stuck connection must not weigh on the next run: a fresh server, warmed up.
                                holder["srv"].stop()
                                loss_impair(0.0)
                                holder["srv"] = start()
                                warm_up(stack, lambda: loss_warm_up(fn))
                                loss_impair(rate)
                finally:
                    loss_clear()
                    if holder.get("srv"):
                        holder["srv"].stop()
                    linux_cc(None)
                    veth_address(False)
    finally:
        loss_clear()
        shutil.rmtree(www, ignore_errors=True)
        shutil.rmtree(shm, ignore_errors=True)


def jmh(selection, jmh_args, out, name, cpu=None, label=""):
    jdk = JAVA_ENV["JAVA_HOME"]
    flags = os.environ.get("STRAIT_JVM_FLAGS", "").split()
    path = os.path.join(out, f"{name}.json")
    p = run([os.path.join(jdk, "bin", "java")] + flags + ["-jar", JAR, selection, "-prof", "gc", "-rf", "json",
            "-rff", path] + jmh_args + ["-jvmArgsAppend",
            f"-Dstrait.shim={ROOT}/bindings/target/native/libstrait_shim.so"], cpu=cpu, timeout=3600, check=False)
    with open(os.path.join(out, f"{name}.txt"), "w") as f:
        f.write(p.stdout + p.stderr)
    try:
        return jmh_rows_from(path, label)
    except (OSError, ValueError, KeyError) as e:
        log(f"jmh: no results ({e}); see {out}/{name}.txt")
        return []


def jmh_rows_from(path, label):
    """The rows of a JMH JSON result: benchmark (with its parameters), score, error, unit, gc.alloc.rate.norm."""
    rows = []
    with open(path) as f:
        for b in json.load(f):
            bench = b["benchmark"].split(".")[-2] + "." + b["benchmark"].split(".")[-1]
            if b.get("params"):
                bench += "(" + ",".join(f"{k}={v}" for k, v in b["params"].items()) + ")"
            alloc = b.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
            rows.append({"benchmark": bench + label, "score": b["primaryMetric"]["score"],
                         "error": b["primaryMetric"].get("scoreError"), "threads": b.get("threads", 1),
                         "unit": b["primaryMetric"]["scoreUnit"], "alloc_b_per_op": alloc})
    return rows


def case_jmh(results, args, out):
    log("jmh: running the suite (short iterations)")
    sel = "EstablishedPath|Handshake|ConnectionTable|TimerWheel|Checksum|HttpParse|NetAgentBenchmark"
    jmh_args = ["-f", "1", "-wi", "2", "-i", "3", "-w", "1", "-r", "1"] if args.quick else \
        ["-f", "1", "-wi", "3", "-i", "5", "-w", "1", "-r", "2"]
    rows = jmh(sel, jmh_args, out, "jmh", cpu=None)
    # Scaling in simulation: the same per-core work on two threads at once, each with its own engine or agent
    # (JMH Scope.Thread), on both CPUs. Shared nothing means the time per operation stays as on one thread.
    log("jmh: two threads at once (shared-nothing scaling)")
    rows += jmh("EstablishedPathBenchmark|NetAgentBenchmark", jmh_args + ["-t", "2"], out, "jmh-2threads", cpu=None,
                label=" [2 threads]")
    return rows


def scaling(jmh_rows):
    """Per-core cost x cores against line rate, from this run's JMH per-packet and per-segment figures."""
    def find(pattern):
        for r in jmh_rows:
            if re.search(pattern, r["benchmark"]) and r["unit"].startswith("ns"):
                return r["score"]
        return None
    seg = find(r"EstablishedPath.*dataIn") or find(r"EstablishedPath")
    pkt = find(r"NetAgentBenchmark\.")
    csum = None
    for r in jmh_rows:
        if "Checksum" in r["benchmark"] and "1460" in r["benchmark"] and r["unit"].startswith("ns"):
            csum = r["score"]
    if seg is None or pkt is None:
        return None
    pairs = []
    for r in jmh_rows:
        if r["benchmark"].endswith(" [2 threads]"):
            base = r["benchmark"][:-len(" [2 threads]")]
            one = next((x for x in jmh_rows if x["benchmark"] == base), None)
            if one:
                pairs.append({"benchmark": base, "one": one["score"], "two": r["score"],
                              "speedup": 2 * one["score"] / r["score"]})
    lines = []
    for gbps in (10, 25, 100):
        for frame in (64, 1500):
            wire = (frame + 18 + 20) if frame == 1500 else 84  # + Ethernet header/FCS, preamble and gap
            pps = gbps * 1e9 / (wire * 8)
            per_pkt = pkt + seg + ((csum or 0) if frame == 1500 else 0)
            cores = pps * per_pkt / 1e9
            lines.append({"link": f"{gbps} GbE", "frame": frame, "mpps": pps / 1e6, "ns_per_packet": per_pkt,
                          "cores": cores})
    return {"segment_ns": seg, "packet_ns": pkt, "checksum_1460_ns": csum, "rows": lines, "pairs": pairs}


# ---------------------------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------------------------

# (case, workload, metric, higher_is_better, kernel anchors, strait stack, target text, target ratio)
COMPARISONS = [
    ("http", "wrk c1", "p50_us", False, ["nginx", "netty epoll", "java nio"], "strait af_packet",
     "p50 RTT <= 0.5x nginx", ("nginx", 0.5)),
] + [
    # issue 12: the one-connection tail against nginx, wrk's own figure and the server's time on the wire
    ("http", wl, metric, False, ["nginx"], stack, f"{what} {pct} <= 1.0x nginx", ("nginx", 1.0))
    for stack in ("strait af_packet", "strait af_xdp") for metric, pct in (("p99_us", "p99"), ("p999_us", "p99.9"))
    for wl, what in (("wrk c1", "wrk's"), ("wrk c1 wire", "server on the wire"))
] + [
    ("http", "wrk c64", "rps", True, ["nginx", "netty epoll", "java nio"], "strait af_packet", "", None),
    ("http", "wrk c64 close", "rps", True, ["nginx", "netty epoll", "java nio"], "strait af_packet", "", None),
    ("http", "h2load c64", "rps", True, ["nginx", "netty epoll", "java nio"], "strait af_packet",
     "req/s >= 1.5x nginx", ("nginx", 1.5)),
    ("http", "h2load c64 m16", "rps", True, ["nginx", "netty epoll", "java nio"], "strait af_packet",
     "req/s >= 2x nginx", ("nginx", 2.0)),
    ("http", "wrk c1", "p50_us", False, ["netty epoll"], "netty on strait", "p50 <= 0.6x netty epoll",
     ("netty epoll", 0.6)),
    ("http", "wrk c1", "p99_us", False, ["netty epoll"], "netty on strait", "p99 <= 1.0x netty epoll",
     ("netty epoll", 1.0)),
    ("http", "wrk c1 wire", "p50_us", False, ["netty epoll"], "netty on strait",
     "server p50 on the wire <= 0.6x netty epoll", ("netty epoll", 0.6)),
    ("http", "wrk c1 wire", "p99_us", False, ["netty epoll"], "netty on strait",
     "server p99 on the wire <= 1.0x netty epoll", ("netty epoll", 1.0)),
    ("http", "h2load c64", "rps", True, ["netty epoll"], "netty on strait", "", None),
    ("http", "h2load c64 m16", "rps", True, ["netty epoll"], "netty on strait", "req/s >= 3x netty epoll",
     ("netty epoll", 3.0)),
    ("memif", "ping-pong 64B c1", "p50_us", False, ["linux sockperf", "linux java nio", "linux java nio spin"],
     "strait memif",
     "p50 RTT <= 0.1x sockperf", ("linux sockperf", 0.1)),
    ("memif", "ping-pong 64B c64", "rps", True, ["linux java nio"], "strait memif", "", None),
    ("memif", "connections/s c64", "rps", True, ["linux java nio"], "strait memif", "conn/s >= 5x loopback",
     ("linux java nio", 5.0)),
    ("memif", "bulk 1 conn", "bytes_per_s", True, ["linux iperf3"], "strait memif", "", None),
    ("memif", "http c1", "p50_us", False, ["strait memif"], "netty on strait memif", "", None),
    ("memif", "http c64", "rps", True, ["strait memif"], "netty on strait memif", "", None),
]


def fmt(v, metric):
    if v is None:
        return "n/a"
    if metric == "bytes_per_s":
        return f"{v / 1e9:.2f} GB/s"
    if metric == "rps":
        return f"{v:,.0f}"
    return f"{v:.1f}"


def write_report(results, out, args, machine, jmh_rows, scale, started, elapsed, loss=None):
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        keys = ["case", "workload", "stack", "rep", "rps", "bytes_per_s", "p50_us", "p90_us", "p99_us", "p999_us",
                "max_us", "server_cpu_us_per_req", "client_cpu_pct", "server_cpu_pct", "requests", "errors", "error",
                "loss", "bytes", "seconds", "timeout_s", "retrans_per_mb", "rto_per_mb", "tlp_per_mb", "fast_per_mb",
                "lost_retrans_per_mb", "sack_per_mb", "retrans_bytes_per_mb", "dsack_per_mb", "client_retrans_per_mb",
                "client_rto_per_mb", "drop_in_pct", "drop_out_pct", "wrk_p99_us", "wrk_p999_us", "client_gap_p50_us",
                "client_gap_p99_us", "client_gap_p999_us", "client_gaps_over_1ms", "flood_pps"]
        w = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        w.writeheader()
        for r in results.rows:
            w.writerow(r)
    ran = {r["case"] for r in results.rows}
    loss_only = ran <= {"loss", "flood"}  # `--only loss` or `flood`: no headline table or floor of others' n/a
    md = [f"# Strait benchmark run {started}", "",
          f"Made by `setup/bench{' --quick' if args.quick else ''}"
          f"{' --only ' + ','.join(sorted(ran)) if loss_only else ''}` in "
          f"{elapsed / 60:.1f} min: "
          + ("" if loss_only else f"{args.reps} repetition(s) of {args.duration} s per case, ")
          + f"medians with the spread (min..max) in brackets; server on CPU {SERVER_CPU}, client on CPU "
          f"{CLIENT_CPU}. Every figure below was parsed from a tool's output in this run (results.csv has each "
          "repetition).", "", "## Machine", ""]
    md += [f"- {k}: {v}" for k, v in machine.items()]
    ratio_bars = []
    if loss_only:
        md += [""] + loss_section(results, out, loss) + flood_section(results)
        with open(os.path.join(out, "report.md"), "w") as f:
            f.write("\n".join(md))
        return ratio_bars
    md += ["", "## Headline ratios (Strait against the kernel anchor, same run)", "",
           "| case | workload | metric | Strait | anchor | anchor value | ratio | target | met |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for case, wl, metric, higher, anchors, strait, target_text, target in COMPARISONS:
        sv = results.median(case, wl, strait, metric)[0]
        best, best_v = None, None
        for a in anchors:
            v = results.median(case, wl, a, metric)[0]
            if v is None:
                continue
            if best_v is None or (v > best_v if higher else v < best_v):
                best, best_v = a, v
        ratio = sv / best_v if sv and best_v else None
        met = ""
        if target and sv:
            tv = results.median(case, wl, target[0], metric)[0]
            if tv:
                r = sv / tv
                met = ("yes" if (r >= target[1] if higher else r <= target[1]) else "no") + f" ({r:.2f}x)"
        md.append(f"| {case} | {wl} | {metric} | {fmt(sv, metric)} | {best or 'n/a'} | {fmt(best_v, metric)} | "
                  f"{'n/a' if ratio is None else f'{ratio:.2f}x'} | {target_text} | {met} |")
        if ratio:
            ratio_bars.append((f"{case}: {wl} ({'higher' if higher else 'lower'} is better)",
                               ratio if higher else 1 / ratio))
    wire = results.stacks("http", "wrk c1 wire")
    if wire:
        md += ["", "wrk's latency percentiles are corrected for coordinated omission (wrk's stats_correct adds, "
               "for every sample longer than the run's mean interval, one synthetic sample per interval it spans), "
               "so at one connection a millisecond stall of the client's own CPU between a response and the next "
               "request weighs 1 ms / mean interval samples, more for a faster server. `wrk c1 wire` runs the same "
               "wrk while dumpcap records the peer's end of the veth: its percentiles are the server's time, from "
               "a request's segment leaving the client's stack to its response's first segment arriving there. "
               "The client's gap, a response's arrival to the next request's departure (medians of the "
               "repetitions):", "",
               "| stack | server p50 / p99 / p99.9 us | client gap p50 / p99 / p99.9 us | client gaps over 1 ms | "
               "wrk's p99 / p99.9 us |", "| --- | --- | --- | --- | --- |"]
        for st in wire:
            def m(metric):
                return fmt(results.median("http", "wrk c1 wire", st, metric)[0], "p50_us")
            md.append(f"| {st} | {m('p50_us')} / {m('p99_us')} / {m('p999_us')} | {m('client_gap_p50_us')} / "
                      f"{m('client_gap_p99_us')} / {m('client_gap_p999_us')} | {m('client_gaps_over_1ms')} | "
                      f"{m('wrk_p99_us')} / {m('wrk_p999_us')} |")
    floor, flo, fhi = results.median("floor", "icmp ping 64B", "c pinger", "p50_us")
    f99, f999 = (results.median("floor", "icmp ping 64B", "c pinger", m)[0] for m in ("p99_us", "p999_us"))
    rounds = [r.get("rounds") for r in results.rows if r["case"] == "floor" and r["stack"] == "c pinger"
              and r.get("rounds") is not None]
    unstable = sum(1 for r in results.rows if r["case"] == "floor" and r["stack"] == "c pinger"
                   and r.get("stable") is False)
    tcp = results.median("floor", "tcp echo 64B c1", "strait memif", "p50_us")[0]
    paired = paired_ratios(results, "floor", ("tcp echo 64B c1", "strait memif"), ("icmp ping 64B", "c pinger"))
    sping = results.median("floor", "icmp ping 64B", "strait ping -> c reflector", "p50_us")[0]
    icmp = results.median("floor", "icmp ping 64B", "strait memif", "p50_us")[0]

    def times(v):
        return "n/a" if not (floor and v) else f"{v / floor:.2f}x"
    md += ["", "## The floor", "",
           "C to C over net_memif: a DPDK pinger in C (bench/reflector/pinger.c, client CPU) against the DPDK "
           "reflector in C (server CPU), both pinned and busy-polling, 64 B ICMP echo ping-pong, warmed up, then "
           "rounds until two consecutive rounds' p50 agree within 5% (the last round counts"
           + (f"; {min(rounds)}..{max(rounds)} rounds per repetition" if rounds else "")
           + (f"; {unstable} repetition(s) never settled" if unstable else "") + "). "
           f"p50 RTT {fmt(floor, 'p50_us')} us"
           + (f" ({fmt(flo, 'p50_us')}..{fmt(fhi, 'p50_us')} across repetitions)" if floor is not None else "")
           + f", p99 {fmt(f99, 'p99_us')} us, p99.9 {fmt(f999, 'p999_us')} us.",
           "",
           f"Strait's TCP echo 64 B ping-pong (Strait load c1 against Strait echo) p50 over the same kind of link: "
           f"{fmt(tcp, 'p50_us')} us. Measured right after the floor in each repetition (the VM's level moves "
           f"between minutes), its ratio to that repetition's floor: "
           + (", ".join(f"#{rep} {e:.1f} / {f:.1f} us = {e / f:.2f}x" for rep, e, f in paired)
              + f"; median {statistics.median(e / f for _, e, f in paired):.2f}x" if paired else "n/a")
           + " (target <= 1.3x, issue 12). Strait's ICMP client against the same reflector: "
           f"{fmt(sping, 'p50_us')} us = {times(sping)} the floor (what Strait's client adds); Strait serve "
           f"answering Strait's ICMP client: {fmt(icmp, 'p50_us')} us = {times(icmp)} the floor.", ""]
    md += stops_paragraph(results)
    md += loss_section(results, out, loss)
    md += flood_section(results)
    for case in ("http", "memif", "floor"):
        wls = []
        for r in results.rows:
            if r["case"] == case and r["workload"] not in wls:
                wls.append(r["workload"])
        if not wls:
            continue
        md += [f"## All results: {case}", "",
               "| workload | stack | req/s | bytes/s | p50 us | p90 us | p99 us | p99.9 us | server CPU us/req | "
               "client CPU % | server CPU % | errors |",
               "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for wl in wls:
            for st in results.stacks(case, wl):
                cells = []
                for metric in ("rps", "bytes_per_s", "p50_us", "p90_us", "p99_us", "p999_us",
                               "server_cpu_us_per_req", "client_cpu_pct", "server_cpu_pct"):
                    m, lo, hi = results.median(case, wl, st, metric)
                    if m is None:
                        cells.append("")
                    elif lo == hi:
                        cells.append(fmt(m, metric) if not metric.startswith(("server_cpu", "client_cpu"))
                                     else f"{m:.2f}" if metric == "server_cpu_us_per_req" else f"{m:.0f}")
                    else:
                        f2 = (lambda x: fmt(x, metric)) if not metric.startswith(("server_cpu", "client_cpu")) \
                            else (lambda x: f"{x:.2f}") if metric == "server_cpu_us_per_req" else \
                            (lambda x: f"{x:.0f}")
                        cells.append(f"{f2(m)} [{f2(lo)}..{f2(hi)}]")
                errs = sum(r.get("errors", 0) or 0 for r in results.rows if r["case"] == case
                           and r["workload"] == wl and r["stack"] == st)
                failed = [r["error"] for r in results.rows if r["case"] == case and r["workload"] == wl
                          and r["stack"] == st and r.get("error")]
                md.append(f"| {wl} | {st} | " + " | ".join(cells) + f" | {errs}"
                          + (f"; failed: {failed[0][:80]}" if failed else "") + " |")
        md.append("")
    if jmh_rows:
        md += ["## JMH (this run, -prof gc)", "", "| benchmark | score | unit | alloc B/op |",
               "| --- | --- | --- | --- |"]
        for r in jmh_rows:
            err = f" ± {r['error']:.1f}" if r.get("error") == r.get("error") and r.get("error") is not None else ""
            alloc = "" if r["alloc_b_per_op"] is None else f"{r['alloc_b_per_op']:.3f}"
            md.append(f"| {r['benchmark']} | {r['score']:.1f}{err} | {r['unit']} | {alloc} |")
        md.append("")
    if scale:
        md += ["## Scaling on paper", "",
               f"Per packet on one core, from this run's JMH: dataplane echo cycle {scale['packet_ns']:.1f} ns + TCP "
               f"segment {scale['segment_ns']:.1f} ns"
               + (f" + software checksum of 1460 B {scale['checksum_1460_ns']:.1f} ns (1500 B frames only; a NIC "
                  "with checksum offload removes it)" if scale['checksum_1460_ns'] else "") + ".", "",
               "| link | frame B | line rate Mpps | ns/packet | cores to keep up |", "| --- | --- | --- | --- | --- |"]
        for r in scale["rows"]:
            md.append(f"| {r['link']} | {r['frame']} | {r['mpps']:.2f} | {r['ns_per_packet']:.0f} | "
                      f"{r['cores']:.1f} |")
        small_ns = scale["packet_ns"] + scale["segment_ns"]
        big_ns = small_ns + (scale["checksum_1460_ns"] or 0)
        gbps_small = 1e9 / small_ns * 84 * 8 / 1e9
        gbps_big = 1e9 / big_ns * 1538 * 8 / 1e9
        gbps_offload = 1e9 / small_ns * 1538 * 8 / 1e9
        md += ["", f"One core does {1e3 / small_ns:.1f} Mpps of dataplane plus engine work: {gbps_small:.1f} Gb/s "
               f"of 64 B frames and {gbps_big:.1f} Gb/s of 1500 B frames ({gbps_offload:.1f} Gb/s if the NIC "
               "verifies and fills the TCP checksum). So at 64 B the CPU runs out first, long before the link, the "
               "NIC's descriptor rate or PCIe (a 100 GbE NIC moves 148.8 Mpps); at 1500 B the per-byte work "
               "(checksum, then the copy into the application's buffer and memory bandwidth) is what grows. These "
               "are per-packet costs measured in isolation: they leave out cache misses at large connection counts "
               "and the NIC driver's own cost, which the end-to-end figures above include.", ""]
        if scale["pairs"]:
            md += ["**In simulation**, two cores at once (JMH, two threads, each with its own engine or agent, no "
                   "shared state):", "", "| benchmark | ns/op, 1 thread | ns/op each, 2 threads | aggregate speed-up |",
                   "| --- | --- | --- | --- |"]
            for p in scale["pairs"]:
                md.append(f"| {p['benchmark']} | {p['one']:.1f} | {p['two']:.1f} | {p['speedup']:.2f}x |")
            md += ["", "A speed-up near 2x on 2 CPUs is what shared-nothing promises; the cores needed above assume "
                   "it holds at N cores (each core its own NIC queue, engine and memory pool).", ""]
    if os.path.exists(os.path.join(out, "ratios.png")):
        md += ["## Plots", "", "![ratios](ratios.png)", "", "![latency](latency.png)", ""]
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write("\n".join(md))
    return ratio_bars


def loss_info(args):
    """What the loss case's report states about its set-up (kept in run.json for --report)."""
    try:
        with open(CC_SYSCTL) as f:
            cc = args.loss_linux_cc or f.read().strip()
    except OSError:
        cc = "?"
    return {"bytes": args.loss_bytes, "echo_bytes": args.loss_echo_bytes, "reps": args.loss_reps,
            "rates": args.loss_rates, "timeout_s": args.loss_timeout, "warmup_s": args.loss_warmup,
            "strait_args": args.loss_strait_args,
            "linux_cc": cc}


# (workload, Linux stack, what it is) of the loss case; Strait is "strait af_packet" in both.
LOSS_WORKLOADS = [("download", "nginx", "curl downloads GET /bytes/N (time: curl's time_total)"),
                  ("echo", "java nio", "bench/loss_client.py streams N bytes into the echo server while reading "
                                       "them back (time: connect to last byte back)")]
LOSS_STRAIT = "strait af_packet"


def loss_target(kind, rate):
    """The issue's time target for Strait/Linux at this loss rate, or None."""
    if rate == 0:
        return 1.1 if kind == "download" else None
    return 1.2 if rate <= 0.10 else 1.5


def loss_rows(results, kind, stack, rate):
    return [r for r in results.rows if r["case"] == "loss" and r["workload"] == f"{kind} loss={rate:g}"
            and r["stack"] == stack]


def loss_stat(rows, metric):
    """Median, min, max of a metric over the runs that succeeded."""
    vals = [r[metric] for r in rows if not r.get("error") and r.get(metric) is not None]
    if not vals:
        return None, None, None
    return statistics.median(vals), min(vals), max(vals)


def loss_section(results, out, info):
    if not any(r["case"] == "loss" for r in results.rows):
        return []
    info = info or {}
    md = ["## Loss recovery", "",
          "The same random drop for both stacks: an nftables rule in the peer namespace (`numgen random`, input and "
          "output hooks) drops each packet from and to 198.18.0.2 with the given probability, each way; the "
          "drop column is what the rule really dropped (toward the peer / from the peer). Strait serves on "
          "net_af_packet on strait0; the Linux servers listen on 198.18.0.2 on strait0 in the root namespace"
          f" (congestion control {info.get('linux_cc', '?')}, autotuned buffers); server on CPU {SERVER_CPU}, "
          f"client in the peer namespace on CPU {CLIENT_CPU}. Strait's `serve` arguments: "
          f"`{info.get('strait_args') or 'defaults: congestion control as the host kernel, 64 KB buffers per direction growing to 4 MB within a 256 MB budget'}`. "
          f"Each server is warmed up by {WARMUP_S} s of lossless runs, then before each lossy rate by "
          f"{info.get('warmup_s', 0):g} s of unmeasured runs at that rate (both stacks alike). "
          f"Medians over the runs that finished ({info.get('reps', '?')} per cell), spread in brackets; a run that "
          f"did not finish in {info.get('timeout_s', '?')} s or returned wrong bytes is counted as failed, not "
          "timed. Retransmissions (segments) and timeouts (RTO expiries) per MB of payload, of the server's stack "
          "(Linux: /proc/net/snmp and netstat deltas, RetransSegs and TCPTimeouts; Strait: tcp.retransmits and "
          "tcp.rto_expiries). Targets: time ratio <= 1.2x at 0.1% to 10% loss, <= 1.5x at 20%, zero-loss download "
          "<= 1.1x; Strait's RTOs per MB <= 1.5x Linux's.", ""]
    met_count, target_count = 0, 0
    for kind, linux, what in LOSS_WORKLOADS:
        rates = sorted({r["loss"] for r in results.rows if r["case"] == "loss"
                        and r["workload"].startswith(kind + " ") and r.get("loss") is not None})
        if not rates:
            continue
        sizes = {r.get("bytes") for r in results.rows if r["case"] == "loss" and r["workload"].startswith(kind + " ")}
        size = max(s for s in sizes if s) if any(sizes) else None
        md += [f"### {kind}: {what}, N = {size / 1e6:g} MB" if size else f"### {kind}: {what}", "",
               f"| loss each way | dropped % (to / from peer) | Linux ({linux}) s | Strait s | Strait/Linux | "
               "target | met | retrans/MB Linux | retrans/MB Strait | RTO/MB Linux | RTO/MB Strait | RTO target met | "
               "TLP/MB Linux | TLP/MB Strait | failed runs (Linux, Strait) |",
               "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for rate in rates:
            lr, sr = loss_rows(results, kind, linux, rate), loss_rows(results, kind, LOSS_STRAIT, rate)
            lt, st = loss_stat(lr, "seconds"), loss_stat(sr, "seconds")

            def secs(t):
                if t[0] is None:
                    return "n/a"
                return f"{t[0]:.2f}" if t[1] == t[2] else f"{t[0]:.2f} [{t[1]:.2f}..{t[2]:.2f}]"

            def num(v):
                return "n/a" if v is None else f"{v:.2f}" if v < 10 else f"{v:.0f}"
            ratio = st[0] / lt[0] if st[0] and lt[0] else None
            s_failed = sum(1 for r in sr if r.get("error"))
            target = loss_target(kind, rate)
            met = ""
            if target:
                target_count += 1
                ok = ratio is not None and ratio <= target and s_failed == 0
                met_count += ok
                met = "yes" if ok else "no" + (f" ({s_failed} failed)" if s_failed else "")
            l_rto, s_rto = loss_stat(lr, "rto_per_mb")[0], loss_stat(sr, "rto_per_mb")[0]
            rto_met = ""
            if rate > 0 and l_rto is not None and s_rto is not None:
                target_count += 1
                ok = s_rto <= 1.5 * l_rto
                met_count += ok
                rto_met = "yes" if ok else "no"
            drops = []
            for side in ("in", "out"):
                m = loss_stat(lr + sr, f"drop_{side}_pct")[0]
                drops.append("n/a" if m is None else f"{m:.2f}")

            def failures(rows):
                bad = [r["error"] for r in rows if r.get("error")]
                if not bad:
                    return f"0/{len(rows)}"
                kinds = sorted({"timeout" if "timeout" in e else e[:40] for e in bad})
                return f"{len(bad)}/{len(rows)} ({'; '.join(kinds)})"
            md.append(f"| {rate * 100:g}% | {' / '.join(drops)} | {secs(lt)} | {secs(st)} | "
                      f"{'n/a' if ratio is None else f'{ratio:.2f}x'} | "
                      f"{'' if target is None else f'<= {target:g}x'} | {met} | "
                      f"{num(loss_stat(lr, 'retrans_per_mb')[0])} | {num(loss_stat(sr, 'retrans_per_mb')[0])} | "
                      f"{num(l_rto)} | {num(s_rto)} | {rto_met} | {num(loss_stat(lr, 'tlp_per_mb')[0])} | "
                      f"{num(loss_stat(sr, 'tlp_per_mb')[0])} | {failures(lr)}, {failures(sr)} |")
        md.append("")
    md += [f"Targets met: {met_count} of {target_count}. results.csv has every run, with the peer kernel's own "
           "retransmissions and timeouts per MB (client_retrans_per_mb, client_rto_per_mb) and the other counters "
           "(fast, lost_retrans, sack, retrans_bytes where the stack has them, and dsack: D-SACKs received, "
           "RFC 2883, the peer's report of a segment that arrived twice, so mostly spurious retransmissions).", ""]
    if os.path.exists(os.path.join(out, "loss.png")):
        md += ["![loss](loss.png)", ""]
    return md


def plot_loss(plt, results, out):
    """loss.png: time against loss rate (symlog x), both stacks, one panel per workload; a run that never finished
    at a rate is drawn as an x at the timeout."""
    if not any(r["case"] == "loss" for r in results.rows):
        return
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, (kind, linux, _) in zip(axes, LOSS_WORKLOADS):
        for stack, color in ((linux, "tab:blue"), (LOSS_STRAIT, "tab:orange")):
            rates = sorted({r["loss"] for r in results.rows if r["case"] == "loss" and r["stack"] == stack
                            and r["workload"].startswith(kind + " ") and r.get("loss") is not None})
            xs, ys, lo, hi, fx, fy = [], [], [], [], [], []
            for rate in rates:
                rows = loss_rows(results, kind, stack, rate)
                m, a, b = loss_stat(rows, "seconds")
                if m is None:
                    fx.append(rate)
                    fy.append(max((r.get("timeout_s") or 0) for r in rows) or 1)
                    continue
                xs.append(rate)
                ys.append(m)
                lo.append(m - a)
                hi.append(b - m)
            if xs:
                ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", capsize=3, color=color, label=f"{stack}")
            if fx:
                ax.scatter(fx, fy, marker="x", s=60, color=color, label=f"{stack}: no run finished")
        ax.set_xscale("symlog", linthresh=0.001)
        ax.set_yscale("log")
        ax.set_xlabel("loss probability each way (symlog)")
        ax.set_ylabel("time (s, log; median, min..max)")
        ax.set_title({"download": "curl download", "echo": "bidirectional echo stream"}[kind])
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "loss.png"), dpi=110)
    plt.close(fig)


def plots(results, out, ratio_bars):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("plots: matplotlib is missing (apt-get install python3-matplotlib); no PNGs")
        return
    if ratio_bars:
        fig, ax = plt.subplots(figsize=(9, 0.5 * len(ratio_bars) + 1.5))
        names = [n for n, _ in ratio_bars]
        vals = [v for _, v in ratio_bars]
        ax.barh(names, vals, color=["tab:green" if v >= 1 else "tab:red" for v in vals])
        ax.axvline(1.0, color="black", linewidth=1)
        ax.set_xlabel("Strait advantage over the best kernel anchor (x, >1 = Strait better)")
        ax.invert_yaxis()
        fig.tight_layout()
        fig.savefig(os.path.join(out, "ratios.png"), dpi=110)
        plt.close(fig)
    plot_loss(plt, results, out)
    if not any(r["case"] in ("http", "memif") for r in results.rows):
        return
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    pcts = [("p50_us", 50), ("p90_us", 90), ("p99_us", 99), ("p999_us", 99.9)]
    for ax, (case, wl, title) in zip(axes, [("http", "wrk c1", "HTTP over veth, 1 connection (wrk)"),
                                            ("memif", "ping-pong 64B c1", "64 B ping-pong, 1 connection")]):
        for st in results.stacks(case, wl):
            ys = [results.median(case, wl, st, m)[0] for m, _ in pcts]
            if all(y is not None for y in ys):
                ax.plot([str(p) for _, p in pcts], ys, marker="o", label=st)
        ax.set_yscale("log")
        ax.set_xlabel("percentile")
        ax.set_ylabel("latency (us, log)")
        ax.set_title(title)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "latency.png"), dpi=110)
    plt.close(fig)


def machine_description():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.*)", f.read())
            cpu = m[1] if m else cpu
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30

    def version(argv, pattern=r"(.*)"):
        try:
            p = subprocess.run(argv, capture_output=True, text=True, timeout=20)
            m = re.search(pattern, p.stdout + p.stderr)
            return m[1].strip() if m else "?"
        except (OSError, subprocess.TimeoutExpired):
            return "missing"
    return {"CPU": f"{cpu}, {os.cpu_count()} CPUs", "memory": f"{mem:.0f} GiB",
            "kernel": platform.release(), "OS": version(["bash", "-c", ". /etc/os-release; echo $PRETTY_NAME"]),
            "DPDK": version(["pkg-config", "--modversion", "libdpdk"]),
            "JDK": version([os.path.join(JAVA_ENV["JAVA_HOME"], "bin", "java"), "-version"], r'version "([^"]+)"'),
            "nginx": version(["nginx", "-v"], r"nginx/(\S+)"), "wrk": version(["wrk", "-v"], r"(wrk \S+)"),
            "h2load": version(["h2load", "--version"], r"nghttp2/(\S+)"),
            "sockperf": version(["sockperf", "--version"], r"version (\S+)"),
            "iperf3": version(["iperf3", "--version"], r"iperf (\S+)"),
            "curl": version(["curl", "--version"], r"curl (\S+)"),
            "nftables": version(["nft", "--version"], r"nftables v(\S+)"),
            "link": "veth pair strait0 / strait1 (peer namespace strait-peer), offloads off; net_memif between "
                    "two processes"}


JAVA_ENV = dict(os.environ)


def rewrite_report(out):
    """Rebuilds report.md and the plots of a finished run from what it stored (results.csv, JMH JSON, run.json)."""
    results = Results()
    with open(os.path.join(out, "results.csv")) as f:
        for row in csv.DictReader(f):
            values = {}
            for k, v in row.items():
                if k in ("case", "workload", "stack", "error") or v == "":
                    if v != "":
                        values[k] = v
                    continue
                values[k] = int(v) if k in ("rep", "requests", "errors", "bytes") else float(v)
            results.rows.append(values)
    rows = []
    for name, label in (("jmh", ""), ("jmh-2threads", " [2 threads]")):
        if os.path.exists(os.path.join(out, f"{name}.json")):
            rows += jmh_rows_from(os.path.join(out, f"{name}.json"), label)
    with open(os.path.join(out, "run.json")) as f:
        run_info = json.load(f)
    args = argparse.Namespace(quick=run_info["quick"], reps=run_info["reps"], duration=run_info["duration"])
    scale = scaling(rows) if rows else None
    bars = write_report(results, out, args, run_info["machine"], rows, scale, run_info["started"],
                        run_info["elapsed_s"], run_info.get("loss"))
    plots(results, out, bars)
    write_report(results, out, args, run_info["machine"], rows, scale, run_info["started"], run_info["elapsed_s"],
                 run_info.get("loss"))
    log(f"rewrote {out}/report.md")
    return 0


def interrupted(signum, _frame):
    for srv in list(LIVE):
        srv.stop()
    veth_address(False)
    loss_clear()
    linux_cc(None)
    die(f"interrupted (signal {signum}); servers stopped")


def main():
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    ap = argparse.ArgumentParser(prog="setup/bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 repetition of 3 s, short JMH (a smoke run)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions per case (default 3; 1 with --quick)")
    ap.add_argument("--duration", type=int, default=None, help="seconds per run (default 5; 3 with --quick)")
    ap.add_argument("--only", default="http,memif,floor,jmh",
                    help="comma list of cases: http,memif,floor,jmh,loss (default all but loss)")
    ap.add_argument("--http-stacks", default=None, metavar="LIST",
                    help="comma list of the http case's stacks to run (default all: strait af_packet, strait af_xdp, "
                         "nginx, netty epoll, java nio, netty on strait)")
    ap.add_argument("--out", default=None, help="result folder (default bench/results/<UTC stamp>)")
    ap.add_argument("--report", default=None, metavar="DIR",
                    help="only rewrite DIR/report.md and the plots from DIR's results.csv and JMH JSON")
    lo = ap.add_argument_group("the loss case (--only loss)")
    lo.add_argument("--loss-bytes", type=int, default=50_000_000, help="bytes per download (default 50000000)")
    lo.add_argument("--loss-echo-bytes", type=int, default=50_000_000,
                    help="bytes streamed each way per echo run (default 50000000: shorter streams, 20-80 ms on this veth, left the ratio to noise and to the handshake)")
    lo.add_argument("--loss-reps", type=int, default=None, help="runs per stack and loss rate (default 5; 1 with "
                    "--quick); the report gives their median")
    lo.add_argument("--loss-rates", default=None, help="comma list of loss probabilities each way (default "
                    f"{','.join(f'{r:g}' for r in LOSS_RATES)}; {','.join(f'{r:g}' for r in LOSS_RATES_QUICK)} "
                    "with --quick)")
    lo.add_argument("--loss-timeout", type=int, default=180, help="seconds before a run counts as a timeout "
                    "(default 180)")
    lo.add_argument("--loss-warmup", type=float, default=2, metavar="SECONDS",
                    help="before each lossy rate's runs, unmeasured runs at that rate for SECONDS (at least one), "
                    "for both stacks (default 2; 0: only the lossless warm-up, to see a cold server's first losses)")
    lo.add_argument("--loss-stacks", default="linux,strait",
                    help="which side(s) to run: linux, strait or both (default linux,strait)")
    lo.add_argument("--loss-linux-cc", default=None, metavar="NAME",
                    help="congestion control of the Linux servers (root namespace's net.ipv4.tcp_congestion_control,"
                    " restored after), e.g. cubic to match a loss-based sender (default: the machine's own)")
    lo.add_argument("--loss-strait-args", default="", metavar="ARGS",
                    help="extra `strait serve` arguments for the loss case, e.g. \"--buffer-kb 1024 --cc cubic\" "
                    "(default none: as the http case starts it)")
    args = ap.parse_args()
    if args.report:
        return rewrite_report(args.report)
    args.reps = args.reps or (1 if args.quick else 3)
    args.duration = args.duration or (3 if args.quick else 5)
    args.loss_reps = args.loss_reps or (1 if args.quick else 5)
    try:
        args.loss_rates = [float(x) for x in args.loss_rates.split(",")] if args.loss_rates else \
            list(LOSS_RATES_QUICK if args.quick else LOSS_RATES)
    except ValueError:
        die(f"--loss-rates: '{args.loss_rates}' is not a comma list of probabilities such as 0,0.01,0.05")
    if any(not 0 <= r < 1 for r in args.loss_rates):
        die("--loss-rates: each rate must be in 0..1 (0.02 is 2% each way)")
    if args.loss_warmup < 0:
        die("--loss-warmup: seconds, 0 or more")
    if args.loss_reps < 1 or args.loss_bytes < 1 or args.loss_echo_bytes < 1 or args.loss_timeout < 1:
        die("--loss-reps, --loss-bytes, --loss-echo-bytes and --loss-timeout must be positive")
    args.loss_stacks = set(args.loss_stacks.split(","))
    if not args.loss_stacks or args.loss_stacks - {"linux", "strait"}:
        die("--loss-stacks: a comma list of linux and strait")
    cases = set(args.only.split(","))
    unknown = cases - {"http", "memif", "floor", "jmh", "loss", "flood"}
    if unknown:
        die(f"--only: unknown case(s) {', '.join(sorted(unknown))}; use http, memif, floor, jmh, loss, flood")
    jdk = os.environ.get("STRAIT_JDK")
    if not jdk:
        die("STRAIT_JDK is not set: start the harness with setup/bench")
    JAVA_ENV["JAVA_HOME"] = jdk
    JAVA_ENV["PATH"] = os.path.join(jdk, "bin") + ":" + os.environ.get("PATH", "")
    os.environ["PATH"] = JAVA_ENV["PATH"]
    tools = {"taskset"}
    for case, need in (("http", ("wrk", "h2load", "nginx", "dumpcap", "tshark")), ("memif", ("sockperf", "iperf3")),
                       ("loss", ("curl", "nginx", "nft")), ("flood", ("wrk", "nginx", "hping3", "dumpcap", "tshark"))):
        if case in cases:
            tools.update(need)
    for tool in sorted(tools):
        if shutil.which(tool) is None:
            die(f"{tool} is missing: run setup/install")
    if not os.path.exists(JAR):
        die(f"{JAR} is missing: run setup/build")
    if "floor" in cases and not all(os.path.exists(b) for b in (REFLECTOR, PINGER, STOPS)):
        die(f"{REFLECTOR}, {PINGER} or {STOPS} is missing: run bench/reflector/build.sh")
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or os.path.join(ROOT, "bench", "results", started)
    os.makedirs(out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="strait-bench-")
    log(f"results in {out}; logs in {tmp}")
    t0 = time.time()
    results = Results()
    jmh_rows = []
    try:
        if "http" in cases:
            case_http(results, args, tmp)
        if "memif" in cases:
            case_memif(results, args, tmp)
        if "floor" in cases:
            case_floor(results, args, tmp)
        if "jmh" in cases:
            jmh_rows = case_jmh(results, args, out)
        if "loss" in cases:
            case_loss(results, args, tmp)
        if "flood" in cases:
            case_flood(results, args, tmp)
    finally:
        veth_address(False)
        if "loss" in cases:
            loss_clear()
            linux_cc(None)
    scale = scaling(jmh_rows) if jmh_rows else None
    machine = machine_description()
    elapsed = time.time() - t0
    loss = loss_info(args) if "loss" in cases else None
    with open(os.path.join(out, "run.json"), "w") as f:
        json.dump({"started": started, "elapsed_s": elapsed, "quick": args.quick, "reps": args.reps,
                   "duration": args.duration, "machine": machine, "cases": sorted(cases),
                   "loss": loss}, f, indent=1)
    bars = write_report(results, out, args, machine, jmh_rows, scale, started, elapsed, loss)
    plots(results, out, bars)
    write_report(results, out, args, machine, jmh_rows, scale, started, elapsed, loss)
    os.makedirs(os.path.join(out, "logs"), exist_ok=True)
    for name in os.listdir(tmp):
        if name.endswith(".log"):
            shutil.copy(os.path.join(tmp, name), os.path.join(out, "logs", name))
    log(f"done in {(time.time() - t0) / 60:.1f} min: {out}/report.md")
    failed = [r for r in results.rows if r.get("error")]
    if failed:
        log(f"{len(failed)} run(s) failed; see the report")
    return 0


if __name__ == "__main__":
    sys.exit(main())
