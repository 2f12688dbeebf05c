#!/usr/bin/env python3
"""Turns JMH JSON result files into one Markdown table (score, error, B/op): bench/jmh-report.py FILE... > OUT.md

A benchmark with a `bytes` parameter measured in ns/op (ChecksumBenchmark) also gets its throughput, bytes / score
(bytes per ns = GB/s), in a GB/s column; the column appears only when some row has it."""
import json
import sys


def rows(path):
    for r in json.load(open(path)):
        name = r["benchmark"].rsplit(".", 2)
        bench = name[-2] + "." + name[-1]
        p = r.get("params") or {}
        params = ",".join(f"{k}={v}" for k, v in p.items())
        jvm = " ".join(a for a in r.get("jvmArgs", []) if a.startswith("-Dagrona"))
        m = r["primaryMetric"]
        alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
        gbps = None
        if "bytes" in p and m["scoreUnit"] == "ns/op" and m["score"] > 0:
            gbps = int(p["bytes"]) / m["score"]
        yield bench, params, jvm, m["score"], m["scoreError"], m["scoreUnit"], alloc, gbps, path


table = [row for path in sys.argv[1:] for row in rows(path)]
with_gbps = any(row[7] is not None for row in table)
extra_head, extra_rule = (" GB/s |", " ---: |") if with_gbps else ("", "")
print(f"| benchmark | params | extra JVM flags | score | ± error | unit |{extra_head} gc.alloc.rate.norm (B/op) | source |")
print(f"| --- | --- | --- | ---: | ---: | --- |{extra_rule} ---: | --- |")
for bench, params, jvm, score, err, unit, alloc, gbps, src in table:
    a = "n/a" if alloc is None else f"{alloc:.3f}"
    g = (" " + ("" if gbps is None else f"{gbps:.2f}") + " |") if with_gbps else ""
    print(f"| {bench} | {params} | {jvm} | {score:.2f} | {err:.2f} | {unit} |{g} {a} | {src.split('/')[-1]} |")
