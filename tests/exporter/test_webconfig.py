#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The exporter's --web.config.file against real parts: a certificate
made by openssl, a password hashed by htpasswd -B (what Prometheus'
documentation tells operators to use), Debian's prometheus scraping over
https with basic_auth, and curl-like requests without or with a wrong
password. A setting the exporter cannot honour must stop it, by name."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import mla_check  # noqa: E402
from mla_prom import Prometheus, free_port, http, wait_for  # noqa: E402

USER, PASSWORD = "prometheus", "memlockacct-test-pw"


def make_secrets(c, work):
    """cert.pem/key.pem for 127.0.0.1 and a bcrypt hash of PASSWORD."""
    t = "web config: openssl makes the certificate, htpasswd the hash"
    r = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj",
         "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", os.path.join(work, "key.pem"),
         "-out", os.path.join(work, "cert.pem")],
        capture_output=True, text=True)
    if not c.check(t, r.returncode == 0, f"openssl: {r.stderr[-300:]}"):
        return None
    h = subprocess.run(["htpasswd", "-nbBC", "10", USER, PASSWORD],
                       capture_output=True, text=True)
    if not c.check(t, h.returncode == 0 and ":$2y$" in h.stdout,
                   f"htpasswd: {h.stdout!r} {h.stderr[-300:]}"):
        return None
    return h.stdout.strip().split(":", 1)[1]


def start(tool, port, cfg):
    return subprocess.Popen(
        [tool, "exporter", "-i", "0.5", "--listen", f"127.0.0.1:{port}",
         "--web.config.file", cfg],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def refused_config(c, tool, work):
    """client certificates are not supported: the exporter must not start
    serving without them."""
    t = "web config: client_auth_type RequireAndVerifyClientCert refused"
    cfg = os.path.join(work, "mtls.yml")
    with open(cfg, "w") as f:
        f.write("tls_server_config:\n  cert_file: cert.pem\n"
                "  key_file: key.pem\n"
                "  client_auth_type: RequireAndVerifyClientCert\n"
                "  client_ca_file: cert.pem\n")
    x = start(tool, free_port(), cfg)
    try:
        rc = x.wait(20)
        err = x.stderr.read()
        c.check(t, rc != 0 and "client_auth_type" in err and
                "not supported" in err, f"exit {rc}: {err[-300:]}")
    except subprocess.TimeoutExpired:
        c.check(t, False, "still running: it serves without the "
                "client certificates it was told to require")
        x.kill()
        x.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tool", required=True)
    args = ap.parse_args()
    c = mla_check.Checks("")
    work = tempfile.mkdtemp(prefix="mla-webconfig-")
    os.chmod(work, 0o755)
    x = prom = None
    notes = []
    try:
        hashed = make_secrets(c, work)
        if not hashed:
            return 1
        cfg = os.path.join(work, "web.yml")
        with open(cfg, "w") as f:
            # relative paths: to the config file's directory
            f.write("tls_server_config:\n  cert_file: cert.pem\n"
                    f"  key_file: key.pem\nbasic_auth_users:\n"
                    f"  {USER}: '{hashed}'\n")
        port = free_port()
        base = f"https://127.0.0.1:{port}"
        ca = os.path.join(work, "cert.pem")
        x = start(args.tool, port, cfg)
        t = "web config: https with the right password: /healthz ok"
        got = wait_for(lambda: x.poll() is not None or
                       http(base + "/healthz", cafile=ca,
                            auth=(USER, PASSWORD))[0] == 200)
        if not c.check(t, got and x.poll() is None,
                       f"exit {x.poll()}: "
                       f"{x.stderr.read() if x.poll() is not None else ''}"):
            return 1
        st, _, body = http(base + "/metrics", cafile=ca,
                           auth=(USER, PASSWORD))
        c.check("web config: /metrics over TLS with the password",
                st == 200 and "memlockacct_lost_events_total" in body,
                f"{st}: {body[:200]}")
        for what, auth in (("no password", None),
                           ("a wrong password", (USER, PASSWORD + "x")),
                           ("an unknown user", ("root", PASSWORD))):
            st, hdr, body = http(base + "/metrics", cafile=ca, auth=auth)
            c.check(f"web config: {what} is 401 with a Basic challenge",
                    st == 401 and "memlockacct_" not in body and
                    'Basic realm="memlockacct"' in
                    (hdr.get("WWW-Authenticate") or ""),
                    f"{st} {dict(hdr) if hdr else {}}: {body[:200]}")
        st, _, body = http(f"http://127.0.0.1:{port}/metrics",
                           auth=(USER, PASSWORD))
        c.check("web config: plain HTTP to the TLS port gets no metrics",
                st != 200 and "memlockacct_" not in body, f"{st}: {body[:200]}")
        # the real scraper: https, the CA, basic_auth
        prom = Prometheus(
            work, "127.0.0.1:1", rules=False,
            scrape=("  - job_name: memlockacct-tls\n    scheme: https\n"
                    f"    tls_config:\n      ca_file: {ca}\n"
                    f"    basic_auth:\n      username: {USER}\n"
                    f"      password: {PASSWORD}\n"
                    f"    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"))
        t = "prometheus: scrapes the exporter over https with basic_auth"
        if c.check("prometheus: the real server starts",
                   wait_for(prom.ready), prom.log_tail()):
            q = 'up{job="memlockacct-tls"}'
            up = wait_for(lambda: [r for r in prom.query(q) if r[1] == "1"])
            lost = prom.query('memlockacct_lost_events_total'
                              '{job="memlockacct-tls"}')
            c.check(t, up and lost, f"{q}: {prom.query(q)}; lost: {lost}; "
                    f"{prom.log_tail()}")
            if up and lost:
                notes.append(f"  query {q} = 1; memlockacct_lost_events_"
                             f'total{{job="memlockacct-tls"}} = {lost[0][1]}')
        refused_config(c, args.tool, work)
    finally:
        if x and x.poll() is None:
            x.terminate()
            x.wait(10)
        if prom:
            prom.stop()
        shutil.rmtree(work, ignore_errors=True)
        c.print_results()
        print("\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
