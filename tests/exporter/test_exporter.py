#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The exporter against a real Prometheus server (Debian's prometheus).

`memlockacct exporter` on loopback; Prometheus scrapes it every second.
A process in a cgroup made for the test mlocks a known size, and
Prometheus' HTTP API must return exactly what /proc/PID/status says, with
the process's labels; then an unprivileged process is refused an mlock
and its refusals counter must reach 1. Every text-format scrape the test
makes passes `promtool check metrics`; OpenMetrics is what Prometheus
itself asks for, so its ingestion checks that format.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import mla_check  # noqa: E402
import mla_scenarios  # noqa: E402
from mla_prom import (Prometheus, cgroup2_root, free_port, http,  # noqa: E402
                      promtool_ok, vmlck_bytes, wait_for)

# what Prometheus 2.x sends (scrape.go's acceptHeader)
PROM_ACCEPT = ("application/openmetrics-text;version=1.0.0,"
               "application/openmetrics-text;version=0.0.1;q=0.75,"
               "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
# what Prometheus answered, printed after the results
NOTES = []
RULES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                         "..", "contrib", "prometheus")
HELD_BYTES = 768 * 1024  # workload --hold: 1 MiB locked, 512 KiB unlocked, 256 KiB again


def check_rules(c):
    """The shipped alerting rules load, and their unit tests pass."""
    for what, cmd in (("check rules", ["promtool", "check", "rules",
                                       "memlockacct.rules.yml"]),
                      ("test rules", ["promtool", "test", "rules",
                                      "memlockacct.rules.test.yml"])):
        r = subprocess.run(cmd, cwd=RULES_DIR, capture_output=True, text=True)
        c.check(f"rules: promtool {what} contrib/prometheus/"
                "memlockacct.rules*.yml", r.returncode == 0,
                (r.stdout + r.stderr).strip()[-600:])


def check_http(c, base):
    """The HTTP side: formats, methods, paths, bad requests."""
    t = "exporter: /metrics in the text format by default"
    status, h, body = http(base + "/metrics")
    if c.check(t, status == 200, f"status {status}: {body[:200]}"):
        c.equal(t, "Content-Type", h.get("Content-Type"),
                "text/plain; version=0.0.4; charset=utf-8")
        ok, msg = promtool_ok(body)
        c.check("exporter: the text format passes promtool check metrics",
                ok, msg)
    t = "exporter: OpenMetrics when Prometheus asks for it"
    status, h, body = http(base + "/metrics", headers={"Accept": PROM_ACCEPT})
    if c.check(t, status == 200, f"status {status}"):
        c.equal(t, "Content-Type", h.get("Content-Type"),
                "application/openmetrics-text; version=1.0.0; charset=utf-8")
        c.check(t, body.endswith("# EOF\n"), body[-100:])
        c.check(t, "# TYPE memlockacct_refusals counter\n" in body and
                "# TYPE memlockacct_refusals_total" not in body,
                "a counter's family is named without _total")
    t = "exporter: text format when it is preferred"
    status, h, _ = http(base + "/metrics", headers={
        "Accept": "text/plain;version=0.0.4,application/openmetrics-text;q=0.5"})
    c.equal(t, "Content-Type", h.get("Content-Type") if status else status,
            "text/plain; version=0.0.4; charset=utf-8")
    status, h, body = http(base + "/metrics", method="HEAD")
    c.check("exporter: HEAD /metrics", status == 200 and body == "",
            f"status {status}, {len(body)} bytes of body")
    status, h, _ = http(base + "/metrics", method="POST")
    c.check("exporter: POST is 405 with Allow: GET, HEAD",
            status == 405 and h.get("Allow") == "GET, HEAD", f"status {status}")
    status, _, _ = http(base + "/nope")
    c.equal("exporter: an unknown path is 404", "status", status, 404)
    # a header far past libmicrohttpd's per-connection memory, and junk
    status, _, _ = http(base + "/metrics", headers={"X-Big": "a" * 100000})
    c.check("exporter: a 100 kB header is refused, not served",
            status in (0, 400, 413, 431), f"status {status}")
    with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1]))) as s:
        s.sendall(b"\x00\x1b[31m GET /\xff HTTP/9\r\n\r\n")
        s.settimeout(5)
        try:
            s.recv(1000)
        except OSError:
            pass
    status, _, body = http(base + "/healthz")
    c.check("exporter: still healthy after bad requests",
            status == 200 and body == "ok\n", f"status {status}: {body}")


def held_in_prometheus(c, prom, holder, cg_rel, cg_unit):
    """Prometheus' value for the holder equals /proc, with its labels."""
    t = "exporter + prometheus: a process's mlocked bytes, exactly"
    want = vmlck_bytes(holder.pid)
    if not c.check(t, want == HELD_BYTES, f"/proc says {want}, the program "
                   f"means to hold {HELD_BYTES}"):
        return
    q = (f'memlockacct_locked_bytes{{pid="{holder.pid}",counter="locked_vm",'
         'source="mlock"}')
    res = wait_for(lambda: [r for r in prom.query(q) if r[1] == str(want)])
    if not c.check(t, res, f"{q}: {prom.query(q)} (want {want}); "
                   f"prometheus: {prom.log_tail()}"):
        return
    labels, value = res[0]
    c.equal(t, "labels", {k: labels.get(k) for k in
                          ("comm", "cgroup", "systemd_unit", "vm",
                           "container_id", "job", "source")},
            {"comm": "workload", "cgroup": cg_rel, "systemd_unit": cg_unit,
             "vm": None, "container_id": None, "job": "memlockacct",
             "source": "mlock"})
    NOTES.append(f"  query {q} = {value} (/proc VmLck {want} bytes), labels "
          f"{json.dumps(labels, sort_keys=True)}")
    up = prom.query('up{job="memlockacct"}')
    c.check("exporter + prometheus: up is 1", up and up[0][1] == "1", str(up))


def report_cgroup(c, tool, holder, cg_rel, cg_unit):
    """The same attribution in report --json."""
    t = "report --json: the holder's cgroup and unit"
    r = subprocess.run([tool, "report", "-d", "1", "--json", "-p",
                        str(holder.pid)], capture_output=True, text=True)
    if not c.check(t, r.returncode == 0, f"exit {r.returncode}: {r.stderr}"):
        return
    procs = [p for p in json.loads(r.stdout)["processes"]
             if p["pid"] == holder.pid]
    if c.check(t, procs, "holder not in the report"):
        c.equal(t, "cgroup", procs[0].get("cgroup"),
                {"path": cg_rel, "systemd_unit": cg_unit,
                 "container_runtime": None, "container_id": None,
                 "pod_uid": None, "pod_namespace": None, "pod_name": None})
        c.equal(t, "locked_kib", procs[0]["locked_vm"]["final_kib"],
                HELD_BYTES // 1024)


def max_series(c, tool):
    """--max-series 1: no process fits (each has 2 samples at least), all
    are summed, the holder's 768 KiB among them."""
    t = "exporter --max-series 1: every process summed"
    port = free_port()
    x = subprocess.Popen([tool, "exporter", "-i", "0.5", "--max-series", "1",
                          "--listen", f"127.0.0.1:{port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    try:
        body = wait_for(lambda: http(f"http://127.0.0.1:{port}/metrics")[2]
                        if http(f"http://127.0.0.1:{port}/healthz")[0] == 200
                        else None)
        if not c.check(t, body, f"no scrape: {x.poll()}"):
            return
        ok, msg = promtool_ok(body)
        c.check(t, ok, msg)
        c.equal(t, "per-process samples", body.count("{pid="), 0)
        summed = [int(line.rsplit(" ", 1)[1]) for line in body.splitlines()
                  if line.startswith('memlockacct_locked_bytes{summed="true",'
                                     'counter="locked_vm",source="mlock"}')]
        c.check(t, summed and summed[0] >= HELD_BYTES,
                f"summed mlock {summed}, the holder alone has {HELD_BYTES}")
        procs = [line for line in body.splitlines()
                 if line.startswith("memlockacct_summed_processes ")]
        c.check(t, procs and int(procs[0].split()[1]) >= 1, str(procs))
    finally:
        x.terminate()
        x.wait(10)


def refusal_in_prometheus(c, prom, cg_dir, cg_rel, workdir):
    """An unprivileged mlock over a 64 KiB limit: the process's refusals
    1, the host's mlock/locked_vm refusals 1."""
    t = "exporter + prometheus: a refused mlock counted"
    script = ("import ctypes,mmap,sys\n"
              "libc=ctypes.CDLL(None,use_errno=True)\n"
              "m=mmap.mmap(-1,1<<20)\n"
              "a=ctypes.addressof(ctypes.c_char.from_buffer(m))\n"
              "r=libc.mlock(ctypes.c_void_p(a),ctypes.c_size_t(1<<20))\n"
              "print(r,ctypes.get_errno(),flush=True)\n"
              "sys.stdin.read()\n")
    path = os.path.join(workdir, "refused.py")
    with open(path, "w") as f:
        f.write(script)
    os.chmod(workdir, 0o755)
    os.chmod(path, 0o644)
    p = subprocess.Popen(
        ["sh", "-c", f'echo $$ > {cg_dir}/cgroup.procs && exec "$@"', "sh",
         "prlimit", "--memlock=65536:65536", "setpriv", "--reuid=65534",
         "--regid=65534", "--clear-groups", "--inh-caps=-all",
         "--bounding-set=-all", "python3", path],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline().split()
        if not c.check(t, line == ["-1", "12"],
                       f"mlock as nobody said {line} (want -1 ENOMEM)"):
            return
        q = f'memlockacct_process_refusals_total{{pid="{p.pid}"}}'
        res = wait_for(lambda: [r for r in prom.query(q) if r[1] == "1"])
        if c.check(t, res, f"{q}: {prom.query(q)}"):
            c.equal(t, "its cgroup label", res[0][0].get("cgroup"), cg_rel)
            NOTES.append(f"  query {q} = {res[0][1]}, labels "
                         f"{json.dumps(res[0][0], sort_keys=True)}")
        # the host's count; earlier stages' refusals are not this
        # exporter's: it started in this test, so only this one is there
        t = "exporter + prometheus: the host's refusals by source and check"
        qr = 'memlockacct_refusals_total'
        got = wait_for(lambda: [r for r in prom.query(qr)
                                if r[0].get("source") == "mlock"])
        c.equal(t, qr, sorted((r[0]["source"], r[0]["check"], r[1])
                              for r in got or []),
                [("mlock", "locked_vm", "1")])
        # it holds nothing of its 64 KiB: all of the limit is left
        t = "exporter + prometheus: headroom_ratio of the refused process"
        qh = f'memlockacct_headroom_ratio{{pid="{p.pid}"}}'
        got = wait_for(lambda: sorted((r[0]["counter"], r[1])
                                      for r in prom.query(qh)))
        c.equal(t, qh, got, [("locked_vm", "1"), ("pinned_vm", "1")])
        t = "prometheus: the shipped rules fire MemlockRefused for it"
        qa = ('ALERTS{alertname="MemlockRefused",alertstate="firing",'
              'source="mlock",check="locked_vm"}')
        alert = wait_for(lambda: prom.query(qa), timeout=20)
        if c.check(t, alert, f"{qa}: nothing; {prom.log_tail()}"):
            NOTES.append(f"  query {qa}: labels "
                         f"{json.dumps(alert[0][0], sort_keys=True)}")
    finally:
        p.stdin.close()
        p.wait(10)

POD_UID = "5d1c2e0a-7b1f-4c55-9a3e-0f6b8e2d4c11"
POD_CONTAINER = "3f9e" * 16
POD_NS, POD_NAME = "memlockacct-test", "holder-0"


def pod_in_prometheus(c, prom, tool, root, bindir, cg_dir):
    """A holder in a cgroup shaped like a Kubernetes pod's (systemd
    driver, containerd), with the kubelet's log directory naming the pod:
    its series and its pod's carry every attribution label."""
    t = "exporter + prometheus: a holder in a Kubernetes-shaped pod cgroup"
    pod_slice = ("kubepods-burstable-pod" + POD_UID.replace("-", "_") +
                 ".slice")
    scope = f"cri-containerd-{POD_CONTAINER}.scope"
    parts = ["kubepods.slice", "kubepods-burstable.slice", pod_slice, scope]
    rel = "/" + "/".join(parts)
    made, holder = [], None
    logs = "/var/log/pods"
    made_logs = not os.path.isdir(logs)
    poddir = os.path.join(logs, f"{POD_NS}_{POD_NAME}_{POD_UID}")
    try:
        d = root
        for part in parts:
            d = os.path.join(d, part)
            if not os.path.isdir(d):
                os.mkdir(d)
                made.append(d)
        os.makedirs(poddir)
        holder = subprocess.Popen(
            ["sh", "-c", f'echo $$ > {root}{rel}/cgroup.procs && exec "$@"',
             "sh", os.path.join(bindir, "workload"), "--hold"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        mla_scenarios.read_until(holder.stdout, "holding")
        want = vmlck_bytes(holder.pid)
        q = (f'memlockacct_locked_bytes{{pid="{holder.pid}",'
             'counter="locked_vm",source="mlock"}')
        res = wait_for(lambda: [r for r in prom.query(q)
                                if r[1] == str(want)])
        if not c.check(t, want == HELD_BYTES and res,
                       f"/proc {want}; {q}: {prom.query(q)}"):
            return
        attr = {"cgroup": rel, "systemd_unit": scope,
                "container_runtime": "containerd",
                "container_id": POD_CONTAINER, "pod_uid": POD_UID,
                "pod_namespace": POD_NS, "pod_name": POD_NAME}
        c.equal(t, "labels", {k: res[0][0].get(k) for k in attr}, attr)
        NOTES.append(f"  query {q} = {res[0][1]} (/proc VmLck {want} bytes), "
                     f"labels {json.dumps(res[0][0], sort_keys=True)}")
        t = "exporter + prometheus: the pod's cgroup series"
        qc = (f'memlockacct_cgroup_locked_bytes{{pod_name="{POD_NAME}",'
              f'pod_namespace="{POD_NS}",counter="locked_vm"}}')
        got = wait_for(lambda: [r for r in prom.query(qc)
                                if r[1] == str(want)])
        if c.check(t, got, f"{qc}: {prom.query(qc)} (want {want})"):
            c.equal(t, "labels", {k: got[0][0].get(k) for k in attr}, attr)
            NOTES.append(f"  query {qc} = {got[0][1]}")
        t = "report --json: the pod holder's cgroup object"
        r = subprocess.run([tool, "report", "-d", "1", "--json", "-p",
                            str(holder.pid)], capture_output=True, text=True)
        procs = [p for p in json.loads(r.stdout or "{}").get("processes", [])
                 if p["pid"] == holder.pid]
        if c.check(t, procs, f"exit {r.returncode}: {r.stderr[-300:]}"):
            want_cg = dict(attr)
            want_cg["path"] = want_cg.pop("cgroup")
            c.equal(t, "cgroup", procs[0].get("cgroup"), want_cg)
        t = "report --cgroup pod=NAMESPACE/NAME: that pod's holder alone"
        r = subprocess.run([tool, "report", "-d", "1", "--json", "--cgroup",
                            f"pod={POD_NS}/{POD_NAME}"], capture_output=True,
                           text=True)
        pids = [p["pid"] for p in json.loads(r.stdout or "{}").get(
            "processes", [])]
        c.equal(t, f"pids (exit {r.returncode}: {r.stderr[-200:]})", pids,
                [holder.pid])
        t = "report's table: the pod in the WHERE column"
        r = subprocess.run([tool, "report", "-d", "1", "--cgroup",
                            f"container={POD_CONTAINER[:12]}"],
                           capture_output=True, text=True)
        rows = [line for line in r.stdout.splitlines()
                if line.split()[:1] == [str(holder.pid)]]
        c.check(t, rows and
                f"pod {POD_NS}/{POD_NAME}" in rows[0] and
                "WHERE" in r.stdout, repr(r.stdout[-600:]))
        # as in a pod of its own: a cgroup namespace rooted at another
        # cgroup, where /proc shows this one as /../kubepods.slice/...
        # The tool enters PID 1's; where it may not read PID 1's (this
        # sandbox's PID 1 is another user namespace's), it must say so and
        # keep the relative path. The VM stage's cgroupns scenario has the
        # other case.
        try:
            os.readlink("/proc/1/ns/cgroup")
            t = "report in its own cgroup namespace: the host's cgroup path"
            want_path, want_err = rel, None
        except OSError:
            t = ("report in its own cgroup namespace, PID 1's unreadable: "
                 "says so, path relative")
            want_path, want_err = "/.." + rel, "cannot enter PID 1's: "
        r = subprocess.run(
            ["sh", "-c", f'echo $$ > {cg_dir}/cgroup.procs && exec "$@"',
             "sh", "unshare", "--cgroup", tool, "report", "-d", "1",
             "--json", "-p", str(holder.pid)], capture_output=True,
            text=True)
        procs = [p for p in json.loads(r.stdout or "{}").get("processes", [])
                 if p["pid"] == holder.pid]
        if c.check(t, procs, f"exit {r.returncode}: {r.stderr[-300:]}"):
            c.equal(t, "cgroup path", (procs[0].get("cgroup") or {}).get(
                "path"), want_path)
            c.check(t, (want_err in r.stderr) if want_err else
                    "cgroup paths are relative" not in r.stderr,
                    f"stderr: {r.stderr[-300:]}")
    finally:
        if holder and holder.poll() is None:
            holder.kill()
            holder.wait()
        time.sleep(0.2)
        for d in reversed(made):
            try:
                os.rmdir(d)
            except OSError:
                pass
        shutil.rmtree(poddir, ignore_errors=True)
        if made_logs:
            try:
                os.rmdir(logs)
            except OSError:
                pass


def dashboard_in_prometheus(c, prom):
    """Every query of the shipped Grafana dashboard, its variables given
    values, evaluates in the live Prometheus; with the holders running,
    the per-process and host panels have data."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..",
                                    "contrib"))
    import check_contrib
    path = os.path.join(RULES_DIR, "..", "grafana",
                        "memlockacct-dashboard.json")
    exprs = check_contrib.dashboard_exprs(path)
    t = "prometheus: every Grafana dashboard query evaluates"
    errors = [f"{title}: {e}: {err}" for title, e in exprs
              if (err := prom.query_error(check_contrib.promql(e)))]
    c.check(t, exprs and not errors, "; ".join(errors[:3]) or "no queries")
    with_data = [title for title, e in exprs
                 if prom.query(check_contrib.promql(e))]
    NOTES.append(f"  dashboard: {len(exprs)} queries evaluate, "
                 f"{len(with_data)} with data")
    t = "prometheus: the dashboard's bytes-by-source panel has data"
    c.check(t, any("source" in title.lower() for title in with_data),
            f"panels with data: {with_data}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    ap.add_argument("--bin", required=True, help="scenario programs")
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    c = mla_check.Checks("")
    check_rules(c)
    root = cgroup2_root()
    if not c.check("exporter: a cgroup v2 hierarchy is mounted", root,
                   "no cgroup2 in /proc/self/mounts"):
        c.print_results()
        return 1
    # named like a transient systemd scope: its unit label is the name
    cg_unit = f"memlockacct-test-{os.getpid()}.scope"
    cg_rel = "/" + cg_unit
    cg_dir = root + cg_rel
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    work = tempfile.mkdtemp(prefix="mla-exporter-")
    os.mkdir(cg_dir)
    exporter = prom = holder = None
    try:
        ready = os.path.join(work, "ready")
        exporter = subprocess.Popen(
            [args.tool, "exporter", "-i", "0.5", "--listen",
             f"127.0.0.1:{port}", "--ready-file", ready],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        healthy = wait_for(lambda: exporter.poll() is not None or
                           http(base + "/healthz")[0] == 200)
        if not c.check("exporter: /healthz says ok once started",
                       healthy and exporter.poll() is None,
                       f"exit {exporter.poll()}: "
                       f"{exporter.stderr.read() if exporter.poll() is not None else ''}"):
            return 1
        check_http(c, base)
        prom = Prometheus(work, f"127.0.0.1:{port}")
        if not c.check("prometheus: the real server starts",
                       wait_for(prom.ready), prom.log_tail()):
            return 1
        holder = subprocess.Popen(
            ["sh", "-c", f'echo $$ > {cg_dir}/cgroup.procs && exec "$@"',
             "sh", os.path.join(args.bin, "workload"), "--hold"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True)
        mla_scenarios.read_until(holder.stdout, "holding")
        held_in_prometheus(c, prom, holder, cg_rel, cg_unit)
        report_cgroup(c, args.tool, holder, cg_rel, cg_unit)
        pod_in_prometheus(c, prom, args.tool, root, args.bin, cg_dir)
        dashboard_in_prometheus(c, prom)
        max_series(c, args.tool)
        refusal_in_prometheus(c, prom, cg_dir, cg_rel, work)
        t = "exporter: SIGTERM ends it, exit 0"
        exporter.send_signal(signal.SIGTERM)
        try:
            rc = exporter.wait(10)
            c.check(t, rc == 0, f"exit {rc}: {exporter.stderr.read()[-300:]}")
        except subprocess.TimeoutExpired:
            c.check(t, False, "still running 10 s after SIGTERM")
        exporter = None
    finally:
        for p in (holder, exporter):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        if prom:
            prom.stop()
        time.sleep(0.2)
        try:
            os.rmdir(cg_dir)
        except OSError:
            pass
        shutil.rmtree(work, ignore_errors=True)
        c.print_results()
        print("\n".join(NOTES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
