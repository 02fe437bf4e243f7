#!/usr/bin/env python3
"""Turns bench/run's scenario lines into one table (stdout) and a JSON file with machine details."""
import argparse
import json
import os
import platform
import subprocess
import sys

p = argparse.ArgumentParser()
p.add_argument("--sel", type=float, required=True, help="pgbench -S tps")
p.add_argument("--tpcb", type=float, required=True, help="pgbench TPC-B tps")
p.add_argument("--commit", required=True)
p.add_argument("--scale", required=True)
p.add_argument("--connections", type=int, required=True)
p.add_argument("--duration", type=int, required=True)
p.add_argument("--out", required=True)
p.add_argument("--drain", default="", help="fan-out jobs pending after the replies, left, seconds waited")
a = p.parse_args()

rows = []
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    name, kind, bench, rss = line.split("|")
    fields = dict(kv.split("=") for kv in bench.replace("BENCH", "").split() if "=" in kv)
    rps = float(fields.get("rps", 0))
    limit = a.sel if kind == "read" else a.tpcb if kind == "write" else None
    rows.append({
        "scenario": name.strip(),
        "kind": kind,
        "rps": rps,
        "p50_ms": float(fields.get("p50_ms", 0)),
        "p95_ms": float(fields.get("p95_ms", 0)),
        "p99_ms": float(fields.get("p99_ms", 0)),
        "connections": int(fields.get("conns", a.connections)),
        "requests": int(fields.get("requests", 0)),
        "errors": int(fields.get("errors", 0)),
        "non_2xx": int(fields.get("non2xx", 0)),
        "ratio_to_limit": round(rps / limit, 3) if limit else None,
        "peak_rss_kb": int(rss) if rss.strip().isdigit() else None,
    })


def cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for l in f:
                if l.startswith("model name"):
                    return l.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


doc = {
    "commit": a.commit,
    "scale": a.scale,
    "connections": a.connections,
    "duration_s": a.duration,
    "machine": {"cpu": cpu(), "cores": os.cpu_count(), "kernel": platform.release(),
                "postgres": subprocess.run(["sh", "-c", "ls -d /usr/lib/postgresql/*/ | sort -V | tail -1"],
                                           capture_output=True, text=True).stdout.strip()},
    "limits": {"pgbench_select_only_tps": a.sel, "pgbench_tpcb_tps": a.tpcb},
    "scenarios": rows,
}
if a.drain:
    pending, left, waited = a.drain.split(",")
    doc["fanout_drain"] = {"pending_after_replies": int(pending), "left": int(left), "seconds": float(waited),
                           "jobs_per_s": round((int(pending) - int(left)) / float(waited), 1) if float(waited) else None}
with open(a.out, "w") as f:
    json.dump(doc, f, indent=2, ensure_ascii=False)

print(f"\nlimits: pgbench -S {a.sel:.0f} tps, TPC-B {a.tpcb:.0f} tps ({a.connections} clients)")
print(f"{'scenario':42} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} {'ratio':>7}")
for r in rows:
    ratio = f"{r['ratio_to_limit']:.2f}" if r["ratio_to_limit"] is not None else "-"
    print(f"{r['scenario']:42} {r['connections']:5d} {r['rps']:9.0f} {r['p50_ms']:8.2f} {r['p95_ms']:8.2f} "
          f"{r['p99_ms']:8.2f} {r['errors'] + r['non_2xx']:7d} {ratio:>7}")
if "fanout_drain" in doc:
    d = doc["fanout_drain"]
    print(f"\nnotification fan-out: {d['pending_after_replies']} jobs after the replies, {d['left']} left after "
          f"{d['seconds']} s ({d['jobs_per_s']} jobs/s)")
print(f"\nwritten: {a.out}")
