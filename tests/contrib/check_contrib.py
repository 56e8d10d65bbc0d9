#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Static checks of contrib/grafana/ and contrib/kubernetes/.

Prints one line per check, "ok contrib NAME" or "FAIL contrib NAME: why",
and nothing else on stdout; exits 1 when a check failed. Python's standard
library, PyYAML (Debian's python3-yaml: run it with /usr/bin/python3) for
the manifest, and promtool (Debian's prometheus) to parse the dashboard's
queries; all test dependencies.

    /usr/bin/python3 tests/contrib/check_contrib.py [--top DIR]

Importable: dashboard_exprs(path) lists each query as (panel title, expr),
and promql(expr) makes one runnable against a Prometheus by giving the
dashboard's variables a value.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DASHBOARD = "contrib/grafana/memlockacct-dashboard.json"
DAEMONSET = "contrib/kubernetes/memlockacct-daemonset.yaml"
UNIT = "contrib/systemd/memlockacct-exporter.service.in"
MAN = "man/memlockacct.8"

# What `memlockacct exporter` serves (memlockacct(8), METRICS), and
# Prometheus' own up.
METRICS = frozenset({
    "memlockacct_locked_bytes",
    "memlockacct_limit_bytes",
    "memlockacct_headroom_ratio",
    "memlockacct_double_counted_bytes",
    "memlockacct_process_refusals_total",
    "memlockacct_summed_processes",
    "memlockacct_cgroup_locked_bytes",
    "memlockacct_user_locked_bytes",
    "memlockacct_refusals_total",
    "memlockacct_lost_events_total",
    "memlockacct_vm_locked_bytes",
    "memlockacct_vm_libvirt_limit_bytes",
    "memlockacct_vm_headroom_bytes",
    "memlockacct_vm_limit_below_libvirt",
    "memlockacct_vm_one_more_device_fits",
})
PROMETHEUS_METRICS = frozenset({"up"})

# Grafana's own variables ($__rate_interval, $__range, ...)
GRAFANA_VAR = re.compile(r"\$\{([A-Za-z0-9_]+)(?:[:.][^}]*)?\}|\$([A-Za-z0-9_]+)|\[\[([A-Za-z0-9_]+)\]\]")
INTERVAL_VARS = {"__rate_interval", "__interval", "__range", "__auto_interval"}

UNITS = {"bytes": {"bytes", "decbytes"}, "ratio": {"percentunit"}}


# ---------------------------------------------------------------- the suite

class Suite:
    def __init__(self):
        self.failed = 0

    def check(self, name, fn, *args):
        """Run fn(*args): None or "" is ok, a string is why it failed."""
        try:
            why = fn(*args)
        except Exception as e:  # a broken file must not stop the others
            why = "%s: %s" % (type(e).__name__, e)
        if why:
            self.failed += 1
            print("FAIL contrib %s: %s" % (name, " ".join(str(why).split())))
        else:
            print("ok contrib %s" % name)
        sys.stdout.flush()


# ---------------------------------------------------------------- PromQL

AGGREGATORS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar",
               "count", "count_values", "bottomk", "topk", "quantile",
               "limitk", "limit_ratio"}
LABEL_LISTS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2"} | LABEL_LISTS
NUMBERS = {"inf", "nan"}


def _skip_string(s, i):
    q = s[i]
    i += 1
    while i < len(s) and s[i] != q:
        i += 2 if s[i] == "\\" and q != "`" else 1
    return i + 1


def _matching(s, i, open_, close):
    """Index after the bracket closing the one at s[i]."""
    depth = 0
    while i < len(s):
        c = s[i]
        if c in "\"'`":
            i = _skip_string(s, i)
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if not depth:
                return i + 1
        i += 1
    raise ValueError("unbalanced %s%s" % (open_, close))


def metric_names(expr):
    """The metric names an expression (PromQL, maybe with Grafana variables)
    selects: identifiers not inside a label matcher, a label list, a
    range or a string, not a function, aggregation, keyword or number."""
    names = set()
    s, i, braces = expr, 0, 0
    while i < len(s):
        c = s[i]
        if c.isspace():
            i += 1
        elif c == "#":
            j = s.find("\n", i)
            i = len(s) if j < 0 else j
        elif c in "\"'`":
            i = _skip_string(s, i)
        elif c == "{":
            braces += 1
            i += 1
        elif c == "}":
            braces -= 1
            i += 1
        elif c == "[":
            i = _matching(s, i, "[", "]")
        elif c == "$":
            m = GRAFANA_VAR.match(s, i)
            i = m.end() if m else i + 1
        elif c.isdigit() or (c == "." and s[i + 1:i + 2].isdigit()):
            # a number or a duration (5m, 1h30m; 1e+3's +3 is one too)
            i = re.compile(r"[0-9A-Za-z_.]*").match(s, i + 1).end()
        elif c.isalpha() or c in "_:":
            m = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*").match(s, i)
            word, i = m.group(0), m.end()
            j = i
            while j < len(s) and s[j].isspace():
                j += 1
            nxt = s[j:j + 1]
            low = word.lower()
            if braces:
                continue  # a label name
            if low in LABEL_LISTS:
                if nxt == "(":
                    i = _matching(s, j, "(", ")")
                continue
            if low in KEYWORDS or low in NUMBERS:
                continue
            if nxt == "(":
                continue  # a function or an aggregation
            if low in AGGREGATORS:
                continue  # sum by (...) (...): the by comes next
            names.add(word)
        else:
            i += 1
    # and whatever looks like one of ours, wherever it is
    names |= set(re.findall(r"\bmemlockacct_[a-z_]+", expr))
    return names


def promql(expr, interval="1m", value=".*"):
    """expr with Grafana's variables replaced: intervals and ranges by
    @interval, any other variable by @value (the dashboard's variables are
    all in =~ matchers, and ".*" is their All)."""
    def sub(m):
        name = m.group(1) or m.group(2) or m.group(3)
        return interval if name in INTERVAL_VARS else value
    return GRAFANA_VAR.sub(sub, expr)


def promtool_parse(exprs):
    """{expr: error} for the expressions promtool's parser refuses, each
    given as a recording rule. None in place of the dict: no promtool."""
    tool = shutil.which("promtool")
    if not tool:
        return None

    def run(batch):
        groups = [{"name": "g%d" % k,
                   "rules": [{"record": "contrib_check:expr%d" % k, "expr": e}]}
                  for k, e in enumerate(batch)]
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
            json.dump({"groups": groups}, f)  # YAML reads JSON
            f.flush()
            r = subprocess.run([tool, "check", "rules", f.name],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               universal_newlines=True)
        return r.returncode, r.stdout

    uniq = sorted(set(exprs))
    rc, _ = run(uniq)
    if rc == 0:
        return {}
    bad = {}
    for e in uniq:  # one at a time, to say which
        rc, out = run([e])
        if rc:
            lines = [l.strip() for l in out.splitlines()
                     if "parse" in l or "error" in l.lower()]
            why = lines[-1] if lines else out.strip()[-200:]
            bad[e] = re.sub(r"^\S+\.yml: ", "", why)
    return bad or {"(all)": "promtool check rules failed, no single expression did"}


# ---------------------------------------------------------------- dashboard

def panels(dash):
    """Every panel, those inside collapsed rows too."""
    for p in dash.get("panels", []):
        yield p
        for q in p.get("panels", []) or []:
            yield q


def dashboard_exprs(path):
    """[(panel title, expr)] of every query of the dashboard at @path, in
    panel order, with Grafana's variables left in (see promql())."""
    with open(path) as f:
        dash = json.load(f)
    return [(p.get("title", ""), t["expr"])
            for p in panels(dash) for t in p.get("targets", []) or []
            if t.get("expr")]


def variable_queries(dash):
    """[(variable name, the series selector of its label_values())]"""
    out = []
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("query")
        if isinstance(q, dict):
            q = q.get("query", "")
        # the definition is what the editor shows: it must be the query
        for text in dict.fromkeys([q or "", v.get("definition") or q or ""]):
            m = re.match(r"\s*label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$",
                         text, re.S)
            out.append((v.get("name"), m.group(1) if m else text))
    return out


def expr_kind(expr):
    """"bytes" or "ratio" when every metric the expression reads is one
    (so its values are), else None."""
    ours = [n for n in metric_names(expr) if n in METRICS]
    if ours and all(n.endswith("_bytes") for n in ours):
        return "bytes"
    if ours and all(n.endswith("_ratio") for n in ours):
        return "ratio"
    return None


def target_unit(panel, target):
    """The unit a panel gives a query's values: an override naming the
    query (by refId, or Grafana's "Value #REFID" field), else the default."""
    ref = target.get("refId", "")
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
    for o in panel.get("fieldConfig", {}).get("overrides", []):
        m = o.get("matcher", {})
        names = {("byFrameRefID", ref), ("byName", "Value #" + ref)}
        if len([t for t in panel.get("targets", []) if t.get("expr")]) == 1:
            names.add(("byName", "Value"))
        if (m.get("id"), m.get("options")) in names:
            for prop in o.get("properties", []):
                if prop.get("id") == "unit":
                    unit = prop.get("value")
    return unit


def check_json(path, state):
    with open(path) as f:
        text = f.read()
    try:
        state["dash"] = json.loads(text)
    except ValueError as e:
        return "not JSON: %s" % e
    if not isinstance(state["dash"], dict):
        return "not a JSON object"
    return None


def need_dash(state):
    if "dash" not in state or not isinstance(state.get("dash"), dict):
        raise RuntimeError("the dashboard was not read")
    return state["dash"]


def check_shape(state):
    d = need_dash(state)
    why = []
    if d.get("uid") != "memlockacct":
        why.append('uid is %r, not "memlockacct"' % d.get("uid"))
    if not isinstance(d.get("schemaVersion"), int) or d["schemaVersion"] < 36:
        why.append("schemaVersion %r (36 or later)" % d.get("schemaVersion"))
    ids = [p.get("id") for p in panels(d)]
    dup = sorted({i for i in ids if ids.count(i) > 1}, key=str)
    if dup:
        why.append("panel ids used twice: %s" % dup)
    if any(not p.get("title") for p in panels(d)):
        why.append("a panel has no title")
    if not [t for p in panels(d) for t in p.get("targets", []) or []]:
        why.append("no query")
    return "; ".join(why)


def check_datasource(state):
    d = need_dash(state)
    var = [v for v in d.get("templating", {}).get("list", [])
           if v.get("name") == "datasource"]
    if not var or var[0].get("type") != "datasource" or var[0].get("query") != "prometheus":
        return 'no "datasource" variable of type datasource for prometheus'
    bad = []
    for p in panels(d):
        if p.get("type") == "row":
            continue
        for x in [p] + list(p.get("targets", []) or []):
            ds = x.get("datasource", {})
            if not isinstance(ds, dict) or ds.get("uid") not in ("${datasource}", "$datasource"):
                bad.append(p.get("title"))
                break
    return "not from $datasource: %s" % ", ".join(bad) if bad else None


def check_instance_var(state):
    d = need_dash(state)
    for v in d.get("templating", {}).get("list", []):
        if v.get("name") == "instance":
            q = v.get("query")
            q = q.get("query") if isinstance(q, dict) else q
            if (q or "").replace(" ", "") != "label_values(memlockacct_lost_events_total,instance)":
                return "instance's query is %r" % q
            return None
    return "no instance variable"


def check_units(state):
    d = need_dash(state)
    bad = []
    for p in panels(d):
        for t in p.get("targets", []) or []:
            kind = expr_kind(t.get("expr", ""))
            if not kind:
                continue
            unit = target_unit(p, t)
            if unit not in UNITS[kind]:
                bad.append("%r query %s shows %s in unit %r" %
                           (p.get("title"), t.get("refId"), kind, unit))
    return "; ".join(bad)


def all_exprs(d):
    """[(where, expr)]: the panels' queries and the variables' selectors."""
    out = [(p.get("title", ""), t["expr"]) for p in panels(d)
           for t in p.get("targets", []) or [] if t.get("expr")]
    out += [("variable " + str(n), q) for n, q in variable_queries(d)]
    return out


def check_metrics(state):
    d = need_dash(state)
    bad = []
    for where, e in all_exprs(d):
        names = metric_names(e)
        if not names:
            bad.append("%r reads no metric: %s" % (where, e))
        unknown = names - METRICS - PROMETHEUS_METRICS
        if unknown:
            bad.append("%r: %s" % (where, ", ".join(sorted(unknown))))
        if "up" in names and 'job="memlockacct"' not in e.replace(" ", ""):
            bad.append('%r: up without job="memlockacct"' % where)
    return "not memlockacct's metrics: " + "; ".join(bad) if bad else None


def check_documented(top, state):
    d = need_dash(state)
    with open(os.path.join(top, MAN)) as f:
        man = set(re.findall(r"\bmemlockacct_[a-z_]+", f.read()))
    used = set()
    for _, e in all_exprs(d):
        used |= metric_names(e)
    missing = sorted((used & METRICS) - man)
    # a name the exporter serves but that the checker does not know yet
    unknown = sorted(n for n in man - METRICS if n in used)
    why = []
    if missing:
        why.append("not in %s: %s" % (MAN, ", ".join(missing)))
    if unknown:
        why.append("unknown to this checker: %s" % ", ".join(unknown))
    return "; ".join(why)


def check_parse(state):
    d = need_dash(state)
    exprs = [promql(e) for _, e in all_exprs(d)]
    bad = promtool_parse(exprs)
    if bad is None:
        return "promtool not found (Debian's prometheus: make deps-test)"
    return "; ".join("%s: %s" % (e, w) for e, w in sorted(bad.items()))


def check_variables(state):
    d = need_dash(state)
    defined = {v.get("name") for v in d.get("templating", {}).get("list", [])}
    used = set()

    def walk(x):
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        elif isinstance(x, str):
            for m in GRAFANA_VAR.finditer(x):
                used.add(m.group(1) or m.group(2) or m.group(3))
    walk(d.get("panels", []))
    walk(d.get("templating", {}))
    undefined = sorted(n for n in used if n not in defined and not n.startswith("__"))
    unused = sorted(n for n in defined - used if n != "datasource")
    why = []
    if undefined:
        why.append("used, not defined: " + ", ".join("$" + n for n in undefined))
    if unused:
        why.append("defined, not used: " + ", ".join("$" + n for n in unused))
    return "; ".join(why)


# ---------------------------------------------------------------- YAML

def load_yaml(text):
    """The documents, read by Debian's python3-yaml (imported here: the
    exporter test imports this module without it)."""
    import yaml
    return [d for d in yaml.safe_load_all(text) if d is not None]


# ---------------------------------------------------------------- DaemonSet

def unit_capabilities(path):
    caps = set()
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*CapabilityBoundingSet\s*=(.*)$", line)
            if not m:
                continue
            v = m.group(1).split()
            if not v:
                caps = set()  # an empty assignment resets
                continue
            if v[0].startswith("~"):
                raise ValueError("CapabilityBoundingSet=~ (a set inverted) is not parsed here")
            caps |= {c[4:] if c.upper().startswith("CAP_") else c for c in v}
    if not caps:
        raise ValueError("no CapabilityBoundingSet= in %s" % path)
    return {c.upper() for c in caps}


def check_manifest_parse(top, state):
    with open(os.path.join(top, DAEMONSET)) as f:
        text = f.read()
    docs = load_yaml(text)
    state["docs"] = docs
    if any(not isinstance(d, dict) for d in docs):
        return "a document is not a mapping"
    ds = [d for d in docs if d.get("kind") == "DaemonSet"]
    if len(ds) != 1:
        return "%d DaemonSets" % len(ds)
    state["ds"] = ds[0]
    ns = [d.get("kind") for d in docs if d.get("metadata", {}).get("namespace")]
    if ns or any(d.get("kind") == "Namespace" for d in docs):
        return "names a namespace (%s): it is applied with -n" % ", ".join(ns or ["Namespace"])
    return None


def pod_spec(state):
    if "ds" not in state:
        raise RuntimeError("the DaemonSet was not read")
    return state["ds"]["spec"]["template"]["spec"]


def containers(state):
    spec = pod_spec(state)
    cs = list(spec.get("initContainers") or []) + list(spec.get("containers") or [])
    if not cs:
        raise RuntimeError("no container")
    return cs


def each_container(state, fn):
    bad = []
    for c in containers(state):
        why = fn(c, c.get("securityContext") or {})
        if why:
            bad.append("%s: %s" % (c.get("name"), why))
    return "; ".join(bad)


def check_not_privileged(state):
    return each_container(state, lambda c, sc:
                          "privileged is %r" % sc.get("privileged")
                          if sc.get("privileged") is not False else None)


def check_no_escalation(state):
    return each_container(state, lambda c, sc:
                          "allowPrivilegeEscalation is %r" % sc.get("allowPrivilegeEscalation")
                          if sc.get("allowPrivilegeEscalation") is not False else None)


def check_drop_all(state):
    return each_container(state, lambda c, sc:
                          "drops %r" % (sc.get("capabilities") or {}).get("drop")
                          if (sc.get("capabilities") or {}).get("drop") != ["ALL"] else None)


def check_caps(top, state):
    want = unit_capabilities(os.path.join(top, UNIT))

    def one(c, sc):
        add = (sc.get("capabilities") or {}).get("add") or []
        why = []
        # Kubernetes' names have no CAP_ (and refuses CAP_SYS_ADMIN
        # with allowPrivilegeEscalation false)
        prefixed = [a for a in add if str(a).upper().startswith("CAP_")]
        if prefixed:
            why.append("spelled with CAP_: %s" % ", ".join(prefixed))
        got = {str(a).upper().replace("CAP_", "", 1) for a in add}
        if len(got) != len(add):
            why.append("a capability added twice")
        if got - want:
            why.append("more than the unit: %s" % ", ".join(sorted(got - want)))
        if want - got:
            why.append("less than the unit: %s" % ", ".join(sorted(want - got)))
        return "; ".join(why)
    if not any("exporter" in (c.get("args") or []) for c in containers(state)):
        return "no exporter container"
    return each_container(state, lambda c, sc:
                          one(c, sc) if "exporter" in (c.get("args") or []) else
                          ("adds %s" % sc["capabilities"]["add"]
                           if (sc.get("capabilities") or {}).get("add") else None))


def check_hostpath_ro(state):
    spec = pod_spec(state)
    host = {v["name"]: v["hostPath"].get("path") for v in spec.get("volumes") or []
            if v.get("hostPath")}
    bad, mounted = [], set()
    for c in containers(state):
        for m in c.get("volumeMounts") or []:
            if m.get("name") in host:
                mounted.add(m["name"])
                if m.get("readOnly") is not True:
                    bad.append("%s at %s is not readOnly" % (host[m["name"]], m.get("mountPath")))
                if m.get("mountPropagation") not in (None, "None"):
                    bad.append("%s propagates mounts" % host[m["name"]])
    unused = sorted(set(host) - mounted)
    if unused:
        bad.append("hostPath volumes not mounted: %s" % ", ".join(unused))
    return "; ".join(bad)


def listen_port(c):
    args = [str(a) for a in c.get("args") or []]
    for k, a in enumerate(args):
        if a == "--listen" and k + 1 < len(args):
            return int(args[k + 1].rsplit(":", 1)[1])
        if a.startswith("--listen="):
            return int(a.rsplit(":", 1)[1])
    return 9877  # the exporter's default, on loopback


def check_probes(state):
    bad = []
    for c in containers(state):
        if "exporter" not in (c.get("args") or []):
            continue
        ports = {p.get("name"): p.get("containerPort") for p in c.get("ports") or []}
        want = listen_port(c)
        if want not in ports.values():
            bad.append("%s: --listen port %d is not a containerPort" % (c.get("name"), want))
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            p = c.get(probe)
            if p is None:
                if probe != "startupProbe":
                    bad.append("%s: no %s" % (c.get("name"), probe))
                continue
            get = p.get("httpGet") or {}
            port = ports.get(get.get("port"), get.get("port"))
            if get.get("path") != "/healthz":
                bad.append("%s: %s asks %r" % (c.get("name"), probe, get.get("path")))
            if port != want:
                bad.append("%s: %s on port %r, the exporter on %d" %
                           (c.get("name"), probe, get.get("port"), want))
    return "; ".join(bad)


def check_exporter(state):
    cs = [c for c in containers(state) if "exporter" in (c.get("args") or [])]
    if len(cs) != 1:
        return "%d containers with exporter in their args" % len(cs)
    c = cs[0]
    if (c.get("args") or [])[0] != "exporter" and "exporter" not in (c.get("command") or []):
        return "exporter is not its command: %s %s" % (c.get("command"), c.get("args"))
    addr = None
    args = [str(a) for a in c.get("args")]
    if "--listen" in args:
        addr = args[args.index("--listen") + 1]
    if not addr or addr.startswith("127.") or addr.startswith("[::1]"):
        return "listens on %s: Prometheus cannot reach it" % (addr or "loopback")
    return None


def check_hostpid(state):
    return None if pod_spec(state).get("hostPID") is True else "hostPID is not true"


def check_rootfs(state):
    return each_container(state, lambda c, sc:
                          None if sc.get("readOnlyRootFilesystem") is True
                          else "readOnlyRootFilesystem is %r" % sc.get("readOnlyRootFilesystem"))


def check_resources(state):
    def one(c, sc):
        r = c.get("resources") or {}
        if not (r.get("limits") or {}).get("memory"):
            return "no memory limit"
        if not (r.get("requests") or {}).get("memory"):
            return "no memory request"
        return None
    return each_container(state, one)


def check_tolerations(state):
    t = pod_spec(state).get("tolerations") or []
    if not any(x.get("operator") == "Exists" and not x.get("key") and not x.get("effect")
               for x in t):
        return "not every taint tolerated: %s" % t
    return None


def check_scrape_annotation(state):
    pod_spec(state)  # the DaemonSet was read
    ann = state["ds"]["spec"]["template"].get("metadata", {}).get("annotations") or {}
    if ann.get("prometheus.io/scrape") != "true":
        return 'no prometheus.io/scrape: "true" on the pod template'
    port = ann.get("prometheus.io/port")
    if port is not None and int(port) not in [listen_port(c) for c in containers(state)]:
        return "prometheus.io/port %s is not the exporter's" % port
    return None


# ---------------------------------------------------------------- main

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--top", default=TOP, help="the source tree (default: this one)")
    a = ap.parse_args(argv)
    s, st, top = Suite(), {}, a.top

    s.check("dashboard is valid JSON", check_json, os.path.join(top, DASHBOARD), st)
    s.check("dashboard has uid memlockacct, schemaVersion 36+, unique panel ids", check_shape, st)
    s.check("dashboard panels query $datasource", check_datasource, st)
    s.check("dashboard instance variable from memlockacct_lost_events_total", check_instance_var, st)
    s.check("dashboard variables used are defined", check_variables, st)
    s.check("dashboard panels showing bytes or ratios have units", check_units, st)
    s.check("dashboard queries use only memlockacct's metrics", check_metrics, st)
    s.check("dashboard metrics are documented in memlockacct(8)", check_documented, top, st)
    s.check("dashboard queries parse (promtool)", check_parse, st)

    s.check("daemonset manifest parses", check_manifest_parse, top, st)
    s.check("daemonset runs the exporter on the pod's address", check_exporter, st)
    s.check("daemonset shares the host's PID namespace", check_hostpid, st)
    s.check("daemonset is not privileged", check_not_privileged, st)
    s.check("daemonset allowPrivilegeEscalation false", check_no_escalation, st)
    s.check("daemonset drops ALL capabilities", check_drop_all, st)
    s.check("daemonset adds exactly the exporter unit's CapabilityBoundingSet", check_caps, top, st)
    s.check("daemonset root filesystem read-only", check_rootfs, st)
    s.check("daemonset hostPath mounts are read-only", check_hostpath_ro, st)
    s.check("daemonset probes hit /healthz on the exporter's port", check_probes, st)
    s.check("daemonset has memory request and limit", check_resources, st)
    s.check("daemonset tolerates every taint", check_tolerations, st)
    s.check("daemonset pods carry prometheus.io/scrape", check_scrape_annotation, st)
    return 1 if s.failed else 0


if __name__ == "__main__":
    sys.exit(main())
