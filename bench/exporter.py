#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Workload 7, the exporter with many holders (BENCHMARKS.md).

N processes (default 10,000) each mlock 4 KiB and hold it. For each
--max-series setting, `memlockacct exporter -i 5` runs over them; once
every holder is in its figures, SCRAPES scrapes in each format are timed
(wall clock, one at a time, as Prometheus scrapes), and the exporter's CPU
time (utime + stime) and RSS are read over WINDOW seconds of steady state
with one scrape a second. Prints a table and writes JSON to OUT.

  bench/exporter.py [--procs N] [--scrapes K] [--window S] [--out FILE]
                    [--tool PATH]...
"""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
TOOL = os.path.join(TOP, "memlockacct")
CHURN = os.path.join(TOP, ".output", "tests", "churn")
OM = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
HZ = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port, accept=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                 headers={"Accept": accept} if accept else {})
    t0 = time.perf_counter()
    with urllib.request.urlopen(req, timeout=30) as r:
        body = r.read()
    return time.perf_counter() - t0, body


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def samples(body):
    return sum(1 for line in body.decode().splitlines()
               if line and not line.startswith("#"))


def held_procs(body):
    """Holders the scrape accounts for: their own samples plus summed."""
    pids = set()
    summed = 0
    for line in body.decode().splitlines():
        if line.startswith('memlockacct_locked_bytes{pid="'):
            pids.add(line.split('"', 2)[1])
        elif line.startswith("memlockacct_summed_processes "):
            summed = int(line.split()[1])
    return len(pids) + summed


def run(tool, max_series, args):
    port = free_port()
    x = subprocess.Popen([tool, "exporter", "-i", "5", "--max-series",
                          str(max_series), "--listen", f"127.0.0.1:{port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        end = time.monotonic() + 120
        body = b""
        while time.monotonic() < end:
            try:
                _, body = scrape(port)
                if held_procs(body) >= args.procs:
                    break
            except OSError:
                pass
            time.sleep(1)
        else:
            sys.exit(f"exporter never saw {args.procs} holders "
                     f"({held_procs(body)}): {x.stderr.read1()[-300:]}")
        res = {"tool": tool, "max_series": max_series,
               "samples": samples(body),
               "body_bytes": len(body)}
        for name, accept in (("text", None), ("openmetrics", OM)):
            times = []
            for _ in range(args.scrapes):
                dt, b = scrape(port, accept)
                times.append(dt * 1000)
            times.sort()
            res[name] = {"median_ms": round(statistics.median(times), 2),
                         "max_ms": round(times[-1], 2),
                         "bytes": len(b)}
        t0, c0 = time.monotonic(), cpu_ticks(x.pid)
        for _ in range(args.window):
            scrape(port)
            time.sleep(1)
        dt, dc = time.monotonic() - t0, cpu_ticks(x.pid) - c0
        res["cpu_pct"] = round(100 * dc / HZ / dt, 2)
        res["rss_kib"] = rss_kib(x.pid)
        return res
    finally:
        x.terminate()
        x.wait(30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--procs", type=int, default=10000)
    ap.add_argument("--scrapes", type=int, default=20)
    ap.add_argument("--window", type=int, default=60)
    ap.add_argument("--tool", action="append",
                    help="a memlockacct binary (again: side by side, same "
                    "holders); default ./memlockacct")
    ap.add_argument("--out", default=os.path.join(TOP, "bench",
                                                  "results-exporter.json"))
    args = ap.parse_args()
    # N holders of 4 KiB each, all at once, for as long as the runs take
    holders = subprocess.Popen([CHURN, str(args.procs), str(args.procs),
                                str(3600 * 1000)], stdout=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        time.sleep(5)
        results = [run(t, m, args) for t in args.tool or [TOOL]
                   for m in (10000, 0)]
    finally:
        # the holders are its children: the whole session, parent and all
        os.killpg(holders.pid, signal.SIGKILL)
        holders.wait()
    print(f"{'tool':<24} {'max-series':>10} {'samples':>8} {'text ms med/max':>16} "
          f"{'OM ms med/max':>14} {'bytes':>9} {'CPU %':>6} {'RSS MiB':>8}")
    for r in results:
        print(f"{r['tool'][-24:]:<24} {r['max_series']:>10} {r['samples']:>8} "
              f"{r['text']['median_ms']:>8}/{r['text']['max_ms']:<7} "
              f"{r['openmetrics']['median_ms']:>6}/{r['openmetrics']['max_ms']:<7} "
              f"{r['body_bytes']:>9} {r['cpu_pct']:>6} "
              f"{r['rss_kib'] / 1024:>8.1f}")
    with open(args.out, "w") as f:
        json.dump({"procs": args.procs, "runs": results}, f, indent=1)


if __name__ == "__main__":
    main()
