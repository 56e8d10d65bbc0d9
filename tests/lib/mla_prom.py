# SPDX-License-Identifier: GPL-2.0
"""What the exporter's tests share: HTTP requests, waiting, a real
Prometheus server (Debian's prometheus) on loopback, promtool."""
import base64
import json
import os
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

RULES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                         "..", "contrib", "prometheus")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(url, method="GET", headers=None, timeout=5, cafile=None,
         auth=None):
    """(status, headers, body) of one request; status 0 when it failed.
    CAFILE: the only CA an https URL's certificate may come from; AUTH:
    (user, password) for basic authentication."""
    headers = dict(headers or {})
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        headers["Authorization"] = "Basic " + token
    req = urllib.request.Request(url, method=method, headers=headers)
    ctx = ssl.create_default_context(cafile=cafile) if cafile else None
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=ctx) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()
    except (OSError, urllib.error.URLError) as e:
        return 0, {}, str(e)


def wait_for(what, timeout=30, step=0.2):
    """what() until it returns something true, at most TIMEOUT s."""
    end = time.monotonic() + timeout
    while True:
        got = what()
        if got or time.monotonic() > end:
            return got
        time.sleep(step)


def cgroup2_root():
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, path, fstype = line.split()[:3]
            if fstype == "cgroup2":
                return path
    return None


def vmlck_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmLck:"):
                return int(line.split()[1]) * 1024
    return None


class Prometheus:
    """A real Prometheus server on loopback, scraping TARGET every 1 s
    (job memlockacct), with the shipped rules; SCRAPE: more of
    scrape_configs, as YAML list items indented by 2."""

    def __init__(self, workdir, target, scrape="", rules=True):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cfg = os.path.join(workdir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    + (f"rule_files:\n  - {RULES_DIR}/memlockacct.rules.yml\n"
                       if rules else "") +
                    "scrape_configs:\n  - job_name: memlockacct\n"
                    f"    static_configs:\n      - targets: ['{target}']\n"
                    + scrape)
        self.log = open(os.path.join(workdir, "prometheus.log"), "w+")
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={cfg}",
             f"--storage.tsdb.path={os.path.join(workdir, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{self.port}",
             "--log.level=warn"],
            stdout=self.log, stderr=subprocess.STDOUT)

    def ready(self):
        return http(self.base + "/-/ready")[0] == 200

    def query(self, q):
        """The instant vector of Q: a list of (labels, value)."""
        url = self.base + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
        status, _, body = http(url)
        if status != 200:
            return []
        data = json.loads(body)["data"]["result"]
        return [(r["metric"], r["value"][1]) for r in data]

    def query_error(self, q):
        """None when Prometheus evaluates Q, else its error."""
        url = self.base + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
        status, _, body = http(url)
        try:
            data = json.loads(body)
        except ValueError:
            return f"HTTP {status}: {body[:200]}"
        if status == 200 and data.get("status") == "success":
            return None
        return f"HTTP {status}: {data.get('error', body[:200])}"

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log_tail(self):
        self.log.seek(0)
        return self.log.read()[-400:]


def promtool_ok(text):
    r = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True)
    return r.returncode == 0, (r.stdout + r.stderr).strip()


