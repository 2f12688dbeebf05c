#!/usr/bin/env python3
"""Turns JMH JSON result files into one Markdown table (score, error, B/op): bench/jmh-report.py FILE... > OUT.md"""
import json
import sys


def rows(path):
    for r in json.load(open(path)):
        name = r["benchmark"].rsplit(".", 2)
        bench = name[-2] + "." + name[-1]
        params = ",".join(f"{k}={v}" for k, v in (r.get("params") or {}).items())
        jvm = " ".join(a for a in r.get("jvmArgs", []) if a.startswith("-Dagrona"))
        m = r["primaryMetric"]
        alloc = r.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
        yield bench, params, jvm, m["score"], m["scoreError"], m["scoreUnit"], alloc, path


print("| benchmark | params | extra JVM flags | score | ± error | unit | gc.alloc.rate.norm (B/op) | source |")
print("| --- | --- | --- | ---: | ---: | --- | ---: | --- |")
for path in sys.argv[1:]:
    for bench, params, jvm, score, err, unit, alloc, src in rows(path):
        a = "n/a" if alloc is None else f"{alloc:.3f}"
        print(f"| {bench} | {params} | {jvm} | {score:.2f} | {err:.2f} | {unit} | {a} | {src.split('/')[-1]} |")
