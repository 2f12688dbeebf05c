#!/usr/bin/python3
"""The soak (issue 10): mixed load with connection churn for --minutes, then checks that Strait's TCB count, mbuf
pool use and heap came back to their baselines.

Started by `setup/soak`. Outside CI: the default 30 minutes hold the test network (and the CPUs) that long.

Servers   `strait serve --app http` on strait0 (198.18.0.2:80), its poll thread on CPU 1, its other threads on CPU 0;
          with --echo (default), `strait serve --app echo` on strait2 (198.18.1.2:7), confined to CPU 0 with the
          backoff idle strategy (it parks when idle: CPU 0 also runs the clients). Both with --msl-ms (default
          2000: TIME_WAIT lasts 2 MSL = 4 s instead of Linux's 60 s, so the quiet period can see it drain).
Clients   all in the peer namespace on CPU 0: wrk keep-alive (--wrk-connections, each waiting --wrk-delay-ms
          between requests through wrk's Lua delay(): a steady rate, not wrk's saturating closed loop; run in
          60 s pieces so its figures land in the CSV per minute) and bench/soak_client.py (churn with FIN, RST,
          half-close, malformed requests; byte-exact downloads and uploads; slow readers and a slow writer; echo
          streams). See soak_client.py.
Phases    cold baseline (counters before any load), warm-up (--warmup-s of the same mix), quiet, forced GC
          (jcmd GC.run) -> baseline; load for --minutes, `strait stat` every --sample-s into samples.csv; quiet
          until no TCB is left (at least 3 x 2 MSL, at most --quiet-max-s); forced GC -> end. The baseline is
          taken after the warm-up: JIT-compiled code, lazily loaded classes and the apps' pools grown to their
          high-water mark are start-up costs, not leaks; the cold figures are reported beside it.
Checks    per server: TCBs (tcp.tcbs_in_use, and every tcp.conn_* state) back to the baseline, ESTABLISHED 0,
          TIME_WAIT drained; timers back; mbuf.in_use within --mbuf-margin of the baseline; heap after a forced
          GC (jvm.heap_after_gc_bytes: the live set) within --heap-margin-mb; no internal_errors, handler_errors, drop.mbuf_exhausted, port.rx_nombuf or
          drop_no_tcb_slot during the run; the server stops cleanly (exit 0) and leaves no DPDK runtime folder.
          Clients: no checksum failure, no hung client thread, client error rate at most --max-error-rate.
Report    bench/results/soak-<UTC stamp>/: summary.md, samples.csv, client.json, logs/. Exit status 1 if a check
          failed.
"""
import argparse
import csv
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STRAIT = os.path.join(ROOT, "setup", "strait")
NET = os.path.join(ROOT, "setup", "net")
CLIENT = os.path.join(ROOT, "bench", "soak_client.py")
NS = "strait-peer"
POLL_CPU = "1"
OTHER_CPU = "0"
HTTP_IP, ECHO_IP = "198.18.0.2", "198.18.1.2"

# Columns of samples.csv after t_s, phase, server: counter names of `strait stat --json` (totals over cores).
GAUGES = ["tcp.tcbs_in_use", "tcp.conn_syn_received", "tcp.conn_established", "tcp.conn_fin_wait_1",
          "tcp.conn_fin_wait_2", "tcp.conn_close_wait", "tcp.conn_closing", "tcp.conn_last_ack",
          "tcp.conn_time_wait", "tcp.timers_scheduled", "tcp.large_buffers_in_use", "mbuf.in_use",
          "jvm.heap_used_bytes", "jvm.heap_after_gc_bytes"]
COUNTERS = ["jvm.gc_collections", "jvm.gc_ms", "internal_errors", "tcp.handler_errors", "drop.mbuf_exhausted",
            "drop.tx_queue_full", "tcp.drop_no_tcb_slot", "tcp.drop_backlog_full", "port.rx_missed",
            "port.rx_nombuf", "tcp.passive_opens", "tcp.resets_in", "tcp.rsts_out", "tcp.retransmits",
            "tcp.rto_expiries", "tcp.persist_probes", "tcp.timeouts", "tcp.time_wait_recycled",
            "tcp.time_wait_reused", "tcp.syn_cookies_sent", "rx_packets", "tx_packets", "tcp.bytes_in",
            "tcp.bytes_out"]
MUST_NOT_GROW = ["internal_errors", "tcp.handler_errors", "drop.mbuf_exhausted", "port.rx_nombuf",
                 "tcp.drop_no_tcb_slot"]
STATES = [g for g in GAUGES if g.startswith("tcp.conn_")]

WRK_LUA = """
delay = function() return %d end
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%%d seconds=%%f connect=%%d read=%%d write=%%d status=%%d timeout=%%d p50=%%f p99=%%f max=%%f\\n",
    summary.requests, summary.duration / 1e6, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def log(msg):
    print(f"soak: {msg}", file=sys.stderr, flush=True)


def run(argv, timeout=120, check=True, ns=False, cpu=None):
    if cpu is not None:
        argv = ["taskset", "-c", cpu] + argv
    if ns:
        argv = ["ip", "netns", "exec", NS] + argv
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {p.returncode}: {p.stderr.strip()[-500:]}")
    return p


LIVE = []  # processes this run started and has not stopped: ended by PID on any exit


class Proc:
    """A background process of this run: its own session (so its process group is ours alone), stopped by PID."""

    def __init__(self, name, argv, logdir, stdout=None, ready=None):
        self.name = name
        self.log = open(os.path.join(logdir, f"{name}.log"), "w")
        self.out = stdout
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE if ready else (stdout or self.log),
                                     stderr=self.log, text=True, start_new_session=True)
        self.pid = self.proc.pid
        self.rc = None
        LIVE.append(self)
        if ready:
            deadline = time.time() + 90
            line = ""
            while time.time() < deadline:
                line = self.proc.stdout.readline()
                if not line:
                    break
                self.log.write(line)
                self.log.flush()
                if line.startswith(ready):
                    self.ready_line = line.strip()
                    # Keep draining its stdout (the counters it prints at exit) into the log.
                    threading.Thread(target=self._drain, daemon=True).start()
                    return
            self.stop()
            raise RuntimeError(f"{name} did not print {ready}; see {self.log.name}")

    def _drain(self):
        for line in self.proc.stdout:
            if not self.log.closed:
                self.log.write(line)

    def wait(self, timeout):
        try:
            self.rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        if self in LIVE:
            LIVE.remove(self)
        return self.rc

    def stop(self, grace=30):
        if self.proc.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                log(f"{self.name} (pid {self.pid}) ignored SIGTERM for {grace} s: SIGKILL")
                os.killpg(self.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.rc = self.proc.returncode
        if self in LIVE:
            LIVE.remove(self)
        time.sleep(0.2)  # the drain thread's last lines
        if not self.log.closed:
            self.log.close()
        return self.rc


# ---------------------------------------------------------------------------------------------------------------

def cpu_ticks():
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            m = re.match(r"cpu(\d+) (.*)", line)
            if m:
                v = [int(x) for x in m[2].split()]
                idle = v[3] + (v[4] if len(v) > 4 else 0)
                out[m[1]] = (sum(v[:8]) - idle, sum(v[:8]))
    return out


def stat_all(servers):
    """{server name: counters} from one `strait stat --json` (one JVM for all servers), on the clients' CPU."""
    p = run([STRAIT, "stat", "--json"], cpu=OTHER_CPU, timeout=60, check=False)
    by_pid = {}
    for line in p.stdout.splitlines():
        try:
            j = json.loads(line)
            by_pid[j["pid"]] = j["counters"]
        except (ValueError, KeyError):
            continue
    out = {}
    for name, srv in servers.items():
        if srv.pid not in by_pid:
            raise RuntimeError(f"strait stat shows no process {srv.pid} ({name}): {p.stderr.strip()[-300:]}")
        out[name] = by_pid[srv.pid]
    return out


def tcb_total(c):
    return sum(c.get(s, 0) for s in STATES)


def force_gc(servers, jcmd):
    """A full GC in every server (jcmd GC.run: System.gc(), a full collection under ParallelGC), then a wait for
    the gauge thread (it samples the heap once a second)."""
    for name, srv in servers.items():
        p = run([jcmd, str(srv.pid), "GC.run"], cpu=OTHER_CPU, timeout=60, check=False)
        if p.returncode != 0:
            log(f"jcmd GC.run on {name} failed: {p.stderr.strip()[-200:] or p.stdout.strip()[-200:]}")
    time.sleep(2.5)


class Sampler:
    def __init__(self, path, servers, client_progress):
        self.f = open(path, "w", newline="")
        self.w = csv.writer(self.f)
        self.w.writerow(["t_s", "phase", "server", "tcbs_total_by_state"] + GAUGES + COUNTERS
                        + ["client_ok", "client_errors", "checksums_ok", "checksums_failed", "wrk_requests",
                           "wrk_errors", "cpu0_busy_pct", "cpu1_busy_pct"])
        self.servers = servers
        self.client_progress = client_progress
        self.t0 = time.time()
        self.ticks = cpu_ticks()
        self.wrk = {"requests": 0, "errors": 0}

    def sample(self, phase):
        c = stat_all(self.servers)
        t1 = cpu_ticks()
        busy = {}
        for cpu in ("0", "1"):
            d = t1[cpu][1] - self.ticks[cpu][1]
            busy[cpu] = round(100.0 * (t1[cpu][0] - self.ticks[cpu][0]) / d, 1) if d else ""
        self.ticks = t1
        cl = client_totals(read_last_json(self.client_progress)) if self.client_progress else None
        for name, counters in c.items():
            row = [round(time.time() - self.t0, 1), phase, name, tcb_total(counters)]
            row += [counters.get(k, "") for k in GAUGES + COUNTERS]
            row += ([cl["ok"], cl["errors"], cl["checksums_ok"], cl["checksums_failed"]] if cl else ["", "", "", ""])
            row += [self.wrk["requests"], self.wrk["errors"], busy["0"], busy["1"]]
            self.w.writerow(row)
        self.f.flush()
        return c

    def close(self):
        self.f.close()


def read_last_json(path):
    try:
        with open(path) as f:
            lines = [ln for ln in f.read().splitlines() if ln.startswith("{")]
        return json.loads(lines[-1]) if lines else None
    except (OSError, ValueError):
        return None


def client_totals(j):
    t = {"ok": 0, "errors": 0, "checksums_ok": 0, "checksums_failed": 0, "bytes": 0}
    if not j:
        return t
    for k in j["kinds"].values():
        t["ok"] += k["ok"]
        t["errors"] += sum(k["errors"].values())
        t["checksums_ok"] += k["checksums_ok"]
        t["checksums_failed"] += k["checksums_failed"]
        t["bytes"] += k["bytes"]
    return t


class WrkLoop(threading.Thread):
    """wrk in pieces of at most 60 s until the deadline; each piece's RESULT line parsed and summed."""

    def __init__(self, args, lua, logdir, seconds, sampler):
        super().__init__(daemon=True)
        self.args, self.lua, self.logdir, self.seconds, self.sampler = args, lua, logdir, seconds, sampler
        self.pieces = []
        self.failures = []
        self.stop_flag = threading.Event()
        self.current = None

    def run(self):
        end = time.time() + self.seconds
        i = 0
        while not self.stop_flag.is_set():
            left = int(end - time.time())
            if left < 5:
                break
            secs = min(60, left)
            i += 1
            out = os.path.join(self.logdir, f"wrk-{i}.out")
            with open(out, "w") as f:
                self.current = Proc(f"wrk-{i}", ["ip", "netns", "exec", NS, "taskset", "-c", OTHER_CPU, "wrk",
                                                 "-t1", f"-c{self.args.wrk_connections}", f"-d{secs}s",
                                                 "--timeout", "10s", "-s", self.lua,
                                                 f"http://{HTTP_IP}/"], self.logdir, stdout=f)
                rc = self.current.wait(secs + 60)
                if rc is None:
                    self.current.stop()
                    rc = "timeout"
            with open(out) as f:
                text = f.read()
            m = re.search(r"RESULT requests=(\d+) seconds=([\d.]+) connect=(\d+) read=(\d+) write=(\d+) "
                          r"status=(\d+) timeout=(\d+) p50=([\d.]+) p99=([\d.]+) max=([\d.]+)", text)
            if not m or rc != 0:
                self.failures.append(f"wrk piece {i} exited {rc} with no result: {text[-300:]}")
                continue
            piece = {"requests": int(m[1]), "seconds": float(m[2]), "connect": int(m[3]), "read": int(m[4]),
                     "write": int(m[5]), "status": int(m[6]), "timeout": int(m[7]), "p50_us": float(m[8]),
                     "p99_us": float(m[9]), "max_us": float(m[10])}
            piece["errors"] = sum(piece[k] for k in ("connect", "read", "write", "status", "timeout"))
            self.pieces.append(piece)
            if self.sampler:
                self.sampler.wrk["requests"] += piece["requests"]
                self.sampler.wrk["errors"] += piece["errors"]

    def stop(self):
        self.stop_flag.set()
        if self.current:
            self.current.stop()


def run_load(args, seconds, tmp, lua, sampler, phase, echo):
    """The whole mix for `seconds`: soak_client.py and the wrk loop, sampled every --sample-s."""
    progress = os.path.join(tmp, f"client-{phase}.jsonl")
    argv = ["ip", "netns", "exec", NS, "taskset", "-c", OTHER_CPU, "/usr/bin/python3", CLIENT,
            "--http", f"{HTTP_IP}:80", "--seconds", str(seconds), "--churn-rate", str(args.churn_rate)]
    if echo:
        argv += ["--echo", f"{ECHO_IP}:7"]
    with open(progress, "w") as f:
        client = Proc(f"client-{phase}", argv, tmp, stdout=f)
    wrk = WrkLoop(args, lua, tmp, seconds, sampler if phase == "load" else None)
    wrk.start()
    if sampler:
        sampler.client_progress = progress
    t0 = time.time()
    next_sample = t0 + args.sample_s
    while time.time() < t0 + seconds:
        time.sleep(max(0.0, min(next_sample, t0 + seconds) - time.time()))
        if sampler and time.time() >= next_sample:
            try:
                sampler.sample(phase)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                log(f"sample failed: {e}")
            next_sample += args.sample_s
            cl = client_totals(read_last_json(progress))
            log(f"{phase} {time.time() - t0:.0f}/{seconds:.0f} s: client ok {cl['ok']} errors {cl['errors']} "
                f"checksums {cl['checksums_ok']} (failed {cl['checksums_failed']}); wrk {sampler.wrk['requests']} "
                f"requests")
    rc = client.wait(120)
    if rc is None:
        log("the client did not finish within 120 s of its end: stopped")
        client.stop()
    wrk.join(90)
    if wrk.is_alive():
        wrk.stop()
    final = read_last_json(progress)
    return final, wrk, client.rc


def quiet(args, servers, sampler, phase, min_s):
    """Waits until no server holds a TCB (at least min_s, at most --quiet-max-s); returns the seconds waited."""
    t0 = time.time()
    while True:
        time.sleep(2)
        c = sampler.sample(phase) if sampler else stat_all(servers)
        held = {n: (v.get("tcp.tcbs_in_use", 0), tcb_total(v)) for n, v in c.items()}
        waited = time.time() - t0
        if waited >= min_s and all(a == 0 and b == 0 for a, b in held.values()):
            return waited
        if waited >= args.quiet_max_s:
            log(f"quiet: TCBs still held after {waited:.0f} s: {held}")
            return waited


# ---------------------------------------------------------------------------------------------------------------

def net_state():
    have_ns = run(["ip", "netns", "list"], check=False).stdout.split()
    ns = NS in have_ns
    links = {i: run(["ip", "link", "show", i], check=False).returncode == 0 for i in ("strait0", "strait2")}
    return ns, links


def checks_for(name, base, end, cold, args):
    """(check, passed, detail) rows for one server."""
    rows = []
    d = lambda k: end.get(k, 0) - base.get(k, 0)
    rows.append((f"{name}: TCBs in use back to baseline", end.get("tcp.tcbs_in_use") == base.get("tcp.tcbs_in_use"),
                 f"{base.get('tcp.tcbs_in_use')} -> {end.get('tcp.tcbs_in_use')}"))
    rows.append((f"{name}: connections by state back to baseline", tcb_total(end) == tcb_total(base),
                 f"{tcb_total(base)} -> {tcb_total(end)}"))
    rows.append((f"{name}: no ESTABLISHED left", end.get("tcp.conn_established", 0) == 0,
                 str(end.get("tcp.conn_established"))))
    rows.append((f"{name}: TIME_WAIT drained", end.get("tcp.conn_time_wait", 0) == 0,
                 str(end.get("tcp.conn_time_wait"))))
    rows.append((f"{name}: timers back to baseline",
                 end.get("tcp.timers_scheduled", 0) <= base.get("tcp.timers_scheduled", 0),
                 f"{base.get('tcp.timers_scheduled')} -> {end.get('tcp.timers_scheduled')}"))
    rows.append((f"{name}: large buffers returned",
                 end.get("tcp.large_buffers_in_use", 0) <= base.get("tcp.large_buffers_in_use", 0),
                 f"{base.get('tcp.large_buffers_in_use')} -> {end.get('tcp.large_buffers_in_use')}"))
    mb = end.get("mbuf.in_use", 0) - base.get("mbuf.in_use", 0)
    rows.append((f"{name}: mbufs in use within {args.mbuf_margin} of baseline", abs(mb) <= args.mbuf_margin,
                 f"{base.get('mbuf.in_use')} -> {end.get('mbuf.in_use')} ({mb:+d})"))
    k = "jvm.heap_after_gc_bytes"
    hb = (end.get(k, 0) - base.get(k, 0)) / 2**20
    rows.append((f"{name}: heap after GC within {args.heap_margin_mb:g} MiB of baseline",
                 k in end and hb <= args.heap_margin_mb,
                 f"{base.get(k, 0) / 2**20:.1f} -> {end.get(k, 0) / 2**20:.1f} MiB ({hb:+.1f}; cold "
                 f"{cold.get(k, 0) / 2**20:.1f})"))
    for k in MUST_NOT_GROW:
        rows.append((f"{name}: no {k} during the soak", d(k) == 0, f"+{d(k)}"))
    return rows


def write_summary(out, args, info, snaps, checks, client, wrk_pieces, wrk_failures, ready_lines):
    ok = all(c[1] for c in checks)
    L = []
    L.append(f"# Strait soak {info['started']}: {'PASS' if ok else 'FAIL'}\n")
    L.append(f"{args.minutes:g} minutes of mixed load (after a {args.warmup_s} s warm-up), then a quiet period of "
             f"{info['quiet_s']:.0f} s. `strait serve --msl-ms {args.msl_ms}`: TIME_WAIT lasts 2 MSL = "
             f"{2 * args.msl_ms / 1000:g} s here (Linux's is 60 s), so the quiet period sees it drain. Command: "
             f"`{info['command']}`. Total {info['elapsed_s'] / 60:.1f} min.\n")
    L.append("## Placement\n")
    for name, line in ready_lines.items():
        L.append(f"- {name}: `{line}`")
    L.append(f"- clients (wrk, soak_client.py, the sampler's `strait stat`) in namespace {NS}, CPU {OTHER_CPU}; "
             f"mean busy during the load: CPU 0 {info.get('cpu0_load', 'n/a')}%, CPU 1 {info.get('cpu1_load', 'n/a')}%"
             " (CPU 1 is Strait's spinning poll thread: always about 100%)\n")
    L.append("## Baseline and end\n")
    L.append("Cold: before any load. Baseline: after the warm-up, a quiet period and a forced GC. End: after the "
             "load, the quiet period and a forced GC. TCBs: `tcp.tcbs_in_use` (the pool) / the sum of "
             "`tcp.conn_*` (states). Heap after GC: `jvm.heap_after_gc_bytes`, what each heap pool held after its last "
             "collection (after the forced full GC: the live set); heap used: `jvm.heap_used_bytes`, which also counts"
             " garbage and moves a whole TLAB (several MiB) at a time.\n")
    L.append("| server | point | TCBs (pool / states) | ESTABLISHED | TIME_WAIT | timers | mbuf.in_use | "
             "heap after GC MiB | heap used MiB |")
    L.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in snaps["end"]:
        for point in ("cold", "baseline", "peak", "end"):
            c = snaps[point][name]
            L.append(f"| {name} | {point} | {c.get('tcp.tcbs_in_use')} / {tcb_total(c)} | "
                     f"{c.get('tcp.conn_established')} | {c.get('tcp.conn_time_wait')} | "
                     f"{c.get('tcp.timers_scheduled')} | {c.get('mbuf.in_use')} | "
                     f"{c.get('jvm.heap_after_gc_bytes', 0) / 2**20:.1f} | "
                     f"{c.get('jvm.heap_used_bytes', 0) / 2**20:.1f} |")
    L.append("\n(peak: the largest TCB count sampled during the load, with that sample's other figures: heap after GC "
             "there is the last GC's, before the load unless one ran.)\n")
    L.append("## Counters over the soak (end minus baseline)\n")
    L.append("| counter | " + " | ".join(snaps["end"]) + " |")
    L.append("| --- |" + " --- |" * len(snaps["end"]))
    for k in COUNTERS:
        L.append(f"| {k} | " + " | ".join(str(snaps["end"][n].get(k, 0) - snaps["baseline"][n].get(k, 0))
                                          for n in snaps["end"]) + " |")
    L.append("\n## Clients\n")
    if client:
        tot = client_totals(client)
        L.append(f"soak_client.py: {tot['ok']} operations ok, {tot['errors']} errors "
                 f"({info['client_error_rate'] * 100:.3f}%), {tot['checksums_ok']} SHA-256 checks matched, "
                 f"{tot['checksums_failed']} failed, {tot['bytes'] / 1e9:.2f} GB of bodies; "
                 f"{client.get('hung_threads', '?')} hung threads.\n")
        L.append("| kind | ok | errors | checksums ok | checksums failed | MB |")
        L.append("| --- | --- | --- | --- | --- | --- |")
        for kind, k in sorted(client["kinds"].items()):
            errs = ", ".join(f"{c} {n}" for c, n in sorted(k["errors"].items())) or "0"
            L.append(f"| {kind} | {k['ok']} | {errs} | {k['checksums_ok']} | {k['checksums_failed']} | "
                     f"{k['bytes'] / 1e6:.1f} |")
        if client.get("examples"):
            L.append("\nFirst errors:\n")
            L += [f"    {e}" for e in client["examples"]]
    else:
        L.append("soak_client.py printed no result.")
    req = sum(p["requests"] for p in wrk_pieces)
    errs = sum(p["errors"] for p in wrk_pieces)
    secs = sum(p["seconds"] for p in wrk_pieces)
    L.append(f"\nwrk keep-alive ({args.wrk_connections} connections, {args.wrk_delay_ms} ms between requests on "
             f"each, {len(wrk_pieces)} runs of up to 60 s): {req} requests, {req / secs if secs else 0:.0f} req/s, "
             f"{errs} errors; worst piece p99 {max((p['p99_us'] for p in wrk_pieces), default=0) / 1000:.1f} ms, "
             f"max {max((p['max_us'] for p in wrk_pieces), default=0) / 1000:.1f} ms.")
    for f in wrk_failures:
        L.append(f"- {f}")
    L.append("\n## Checks\n")
    L.append("| check | result | detail |")
    L.append("| --- | --- | --- |")
    for name, passed, detail in checks:
        L.append(f"| {name} | {'pass' if passed else '**FAIL**'} | {detail} |")
    if info.get("plot"):
        L.append("\n![TCBs, mbufs and heap over the run](soak.png)")
    L.append("\nFiles: `samples.csv` (every sample, per server), `client.json` (the client's final figures), "
             "`wrk.json`, `logs/` (servers' output with their counters at exit, the clients').")
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    return ok


def plot(out):
    """soak.png: TCBs, mbufs in use and heap per server over the run (heap between GCs is a saw-tooth)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log("no matplotlib: no soak.png")
        return False
    with open(os.path.join(out, "samples.csv")) as f:
        rows = list(csv.DictReader(f))
    fig, axes = plt.subplots(3, 1, figsize=(9, 8), sharex=True)
    for i, name in enumerate(sorted({r["server"] for r in rows})):
        mine = [r for r in rows if r["server"] == name]
        t = [float(r["t_s"]) / 60 for r in mine]
        for ax, key, scale, label in ((axes[0], "tcp.tcbs_in_use", 1, "TCBs in use"),
                                      (axes[1], "mbuf.in_use", 1, "mbufs in use"),
                                      (axes[2], "jvm.heap_used_bytes", 2**20, "heap used (MiB)"),
                                      (axes[2], "jvm.heap_after_gc_bytes", 2**20, "heap (MiB)")):
            suffix = " after GC" if key == "jvm.heap_after_gc_bytes" else ""
            ax.plot(t, [float(r[key] or 0) / scale for r in mine], marker=".", label=name + suffix,
                    linestyle="--" if suffix else "-", color=f"C{i}")
            ax.set_ylabel(label)
    axes[0].legend()
    axes[2].legend(fontsize=8)
    axes[2].set_xlabel("minutes since the baseline")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "soak.png"), dpi=100)
    plt.close(fig)
    return True


def peak(rows_by_server):
    return {n: max(rows, key=tcb_total) if rows else {} for n, rows in rows_by_server.items()}


def main():
    ap = argparse.ArgumentParser(prog="setup/soak", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    ap.add_argument("--minutes", type=float, default=30.0, help="minutes of load (default 30)")
    ap.add_argument("--warmup-s", type=int, default=30, help="seconds of the same mix before the baseline (30)")
    ap.add_argument("--msl-ms", type=int, default=2000, help="serve's MSL: TIME_WAIT lasts 2 MSL (default 2000)")
    ap.add_argument("--sample-s", type=float, default=10.0, help="seconds between `strait stat` samples (10)")
    ap.add_argument("--quiet-max-s", type=float, default=150.0,
                    help="longest wait for the TCBs to drain after the load (default 150)")
    ap.add_argument("--no-echo", dest="echo", action="store_false",
                    help="no second server (echo on strait2); only the http app")
    ap.add_argument("--churn-rate", type=float, default=40.0, help="short connections per second (default 40)")
    ap.add_argument("--wrk-connections", type=int, default=16, help="wrk keep-alive connections (default 16)")
    ap.add_argument("--wrk-delay-ms", type=int, default=10,
                    help="wrk's pause between requests on each connection (default 10)")
    ap.add_argument("--mbuf-margin", type=int, default=64,
                    help="mbufs in use may differ from the baseline by this much (default 64: the TX stash of 32 "
                         "refills in one bulk allocation)")
    ap.add_argument("--heap-margin-mb", type=float, default=8.0,
                    help="heap after a forced GC (jvm.heap_after_gc_bytes) may exceed the baseline by this much "
                         "(default 8 MiB)")
    ap.add_argument("--max-error-rate", type=float, default=0.001,
                    help="client errors / operations allowed (default 0.001)")
    ap.add_argument("--out", default=None, help="result folder (default bench/results/soak-<UTC stamp>)")
    args = ap.parse_args()
    if args.minutes <= 0 or args.msl_ms < 1 or args.sample_s < 1:
        ap.error("--minutes must be positive, --msl-ms and --sample-s at least 1")
    jdk = os.environ.get("STRAIT_JDK")
    if not jdk:
        log("STRAIT_JDK is not set: start the soak with setup/soak")
        return 1
    jcmd = os.path.join(jdk, "bin", "jcmd")
    for tool in ("wrk", "taskset", "ip", jcmd):
        if shutil.which(tool) is None:
            log(f"{tool} is missing: run setup/install")
            return 1
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or os.path.join(ROOT, "bench", "results", f"soak-{started}")
    os.makedirs(os.path.join(out, "logs"), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="strait-soak-")
    log(f"results in {out}; logs in {tmp}")
    t_start = time.time()
    info = {"started": started, "command": "setup/soak " + " ".join(sys.argv[1:])}
    brought_up = False
    servers = {}

    def cleanup(*_):
        for p in list(LIVE):
            p.stop()
        if brought_up:
            run([NET, "down"], check=False)

    def on_signal(signum, _frame):
        log(f"interrupted (signal {signum}): stopping what this run started")
        cleanup()
        sys.exit(1)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    checks = []
    try:
        ns, links = net_state()
        if not ns or not all(links.values()):
            run([NET, "up", "--links", "2"])
            brought_up = not ns and not any(links.values())
            log("test network up (--links 2)" + ("; taken down at the end" if brought_up else ""))
        common = ["--msl-ms", str(args.msl_ms)]
        servers["http"] = Proc("strait-http", [STRAIT, "serve", "--app", "http", "--cpus", POLL_CPU] + common,
                               tmp, ready="READY")
        if args.echo:
            servers["echo"] = Proc("strait-echo", ["taskset", "-c", OTHER_CPU, STRAIT, "serve", "--app", "echo",
                                                   "--dev", "net_af_packet0,iface=strait2", "--ip", f"{ECHO_IP}/24",
                                                   "--idle", "backoff"] + common, tmp, ready="READY")
        ready_lines = {n: s.ready_line for n, s in servers.items()}
        for n, line in ready_lines.items():
            log(f"{n}: {line}")
        lua = os.path.join(tmp, "soak-wrk.lua")
        with open(lua, "w") as f:
            f.write(WRK_LUA % args.wrk_delay_ms)
        time.sleep(2)
        snaps = {}
        force_gc(servers, jcmd)
        snaps["cold"] = stat_all(servers)
        if args.warmup_s > 0:
            log(f"warm-up: {args.warmup_s} s of the mix")
            run_load(args, args.warmup_s, tmp, lua, None, "warmup", args.echo)
            quiet(args, servers, None, "warmup-quiet", 3 * 2 * args.msl_ms / 1000)
        force_gc(servers, jcmd)
        sampler = Sampler(os.path.join(out, "samples.csv"), servers, None)
        snaps["baseline"] = sampler.sample("baseline")
        log("baseline: " + ", ".join(f"{n} TCBs {c.get('tcp.tcbs_in_use')} mbufs {c.get('mbuf.in_use')} heap "
                                     f"after GC {c.get('jvm.heap_after_gc_bytes', 0) / 2**20:.1f} MiB"
                                     for n, c in snaps["baseline"].items()))
        seconds = args.minutes * 60
        log(f"load: {args.minutes:g} min")
        t_load = time.time()
        cpu0 = cpu_ticks()
        seen = {n: [] for n in servers}
        orig = sampler.sample

        def sample_and_keep(phase):
            c = orig(phase)
            for n, v in c.items():
                seen[n].append(v)
            return c
        sampler.sample = sample_and_keep
        client, wrk, client_rc = run_load(args, seconds, tmp, lua, sampler, "load", args.echo)
        cpu1 = cpu_ticks()
        for cpu in ("0", "1"):
            d = cpu1[cpu][1] - cpu0[cpu][1]
            info[f"cpu{cpu}_load"] = f"{100.0 * (cpu1[cpu][0] - cpu0[cpu][0]) / d:.0f}" if d else "n/a"
        log(f"load done in {(time.time() - t_load) / 60:.1f} min; quiet period")
        sampler.sample = orig
        info["quiet_s"] = quiet(args, servers, sampler, "quiet", 3 * 2 * args.msl_ms / 1000)
        force_gc(servers, jcmd)
        snaps["end"] = sampler.sample("end")
        snaps["peak"] = peak(seen)
        sampler.close()
        with open(os.path.join(out, "client.json"), "w") as f:
            json.dump(client, f, indent=1)
        with open(os.path.join(out, "wrk.json"), "w") as f:
            json.dump({"pieces": wrk.pieces, "failures": wrk.failures}, f, indent=1)
        for name in servers:
            checks += checks_for(name, snaps["baseline"][name], snaps["end"][name], snaps["cold"][name], args)
        tot = client_totals(client)
        ops = tot["ok"] + tot["errors"] + sum(p["requests"] for p in wrk.pieces)
        errors = tot["errors"] + sum(p["errors"] for p in wrk.pieces)
        info["client_error_rate"] = errors / ops if ops else 1.0
        checks.append(("clients: soak_client.py finished with a result", client is not None and client_rc == 0,
                       f"exit {client_rc}"))
        checks.append(("clients: no hung client thread", bool(client) and client.get("hung_threads") == 0,
                       str(client.get("hung_threads") if client else "n/a")))
        checks.append(("clients: every SHA-256 matched", tot["checksums_failed"] == 0 and tot["checksums_ok"] > 0,
                       f"{tot['checksums_ok']} matched, {tot['checksums_failed']} failed"))
        checks.append((f"clients: error rate at most {args.max_error_rate * 100:g}%",
                       info["client_error_rate"] <= args.max_error_rate,
                       f"{errors} of {ops} ({info['client_error_rate'] * 100:.3f}%; wrk {sum(p['errors'] for p in wrk.pieces)})"))
        checks.append(("clients: every wrk run gave a result", not wrk.failures and bool(wrk.pieces),
                       f"{len(wrk.pieces)} ok, {len(wrk.failures)} failed"))
        # Clean stops: exit 0 (CONTRACT.md) and no DPDK runtime folder left behind (issue 10, defect 8).
        for name, srv in servers.items():
            rc = srv.stop()
            left = os.path.exists(f"/var/run/dpdk/strait-{srv.pid}")
            checks.append((f"{name}: stops cleanly on SIGTERM, no DPDK runtime folder left", rc == 0 and not left,
                           f"exit {rc}" + (f"; /var/run/dpdk/strait-{srv.pid} left" if left else "")))
        info["elapsed_s"] = time.time() - t_start
        info["plot"] = plot(out)
        passed = write_summary(out, args, info, snaps, checks, client, wrk.pieces, wrk.failures, ready_lines)
    except Exception as e:
        log(f"soak aborted: {type(e).__name__}: {e}")
        cleanup()
        for name in os.listdir(tmp):
            shutil.copy(os.path.join(tmp, name), os.path.join(out, "logs", name))
        return 1
    finally:
        cleanup()
    for name in os.listdir(tmp):
        shutil.copy(os.path.join(tmp, name), os.path.join(out, "logs", name))
    shutil.rmtree(tmp, ignore_errors=True)
    with open(os.path.join(out, "summary.md")) as f:
        print(f.read())
    log(f"{'PASS' if passed else 'FAIL'}: {out}/summary.md")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
