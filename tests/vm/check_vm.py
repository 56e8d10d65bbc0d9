#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check one guest's console log (from run-scenarios.sh / guest-run.sh).

The guest ran the vm scenarios of tests/scenarios.list; each kind there
has its check here. A run scenario's step lines carry the kernel's own
VmLck/VmPin, and the tool's summary and events must match them exactly,
with zero lost events. Prints one line per test and a per-kernel
"# vm LABEL: N passed, N failed in S s" line; keeps the guest's
`memlockacct features` table beside the log (LABEL.features).
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import mla_check  # noqa: E402
import mla_scenarios  # noqa: E402
import check_qemu  # noqa: E402

PRECISE_PROBES = ("__account_locked_vm", "account_locked_vm",
                  "vfio_lock_acct", "vfio_pin_pages_remote", "ib_umem_get",
                  "ib_umem_release")
# by default, on every kernel we boot: how each hook attaches
FENTRY_KINDS = {"__account_locked_vm": "fexit", "account_locked_vm": "fexit",
                "vfio_pin_pages_remote": "fentry", "ib_umem_get": "fentry",
                "ib_umem_release": "fentry"}
# left off while __account_locked_vm and vfio_lock_acct are hooked: it
# charges through the one for the other
UNNEEDED_PROBES = ("mm_lock_acct",)
# the syscall exits: fexit on each syscall's entry point where trampolines
# attach (every kernel we boot), their tracepoints with --kprobes/--portable
SYSCALL_EXITS = ("mlock", "mlock2", "munlock", "mlockall", "munlockall",
                 "mmap", "munmap", "mremap", "brk", "shmctl",
                 "io_uring_register", "io_uring_setup", "ioctl",
                 "prlimit64", "setrlimit")


def check_syscall_exits(c, test, table, kind):
    for name in SYSCALL_EXITS:
        row = table.get("sys_exit_" + name, ("", ""))
        c.equal(test, "sys_exit_" + name, (row[0], row[1]), (kind, "active"))


def parse_log(path):
    """Blocks: {scenario: {kind: [lines]}}, and the MLA-FACT lines."""
    blocks, facts = {}, []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("MLA-FACT "):
                facts.append(line[9:])
            if not line.startswith("MLA|"):
                continue
            parts = line.split("|", 3)
            if len(parts) == 4:
                blocks.setdefault(parts[1], {}).setdefault(
                    parts[2], []).append(parts[3])
    return blocks, facts


text = mla_check.text


def load_run(c, name, block, tier="precise"):
    """The scenario's steps, the tool's summary and events, checked as
    every run is; None if broken."""
    test = f"{name}: memlockacct run"
    if not c.check(test, block is not None, "no output in the log"):
        return None
    rc = text(block, "rc")
    err = text(block, "err").strip()
    errors = [l for l in block.get("out", []) if '"error"' in l]
    c.check(test, rc == "0", f"exit {rc}: {err[-300:]}")
    c.check(test, not errors, f"scenario failed: {errors}")
    try:
        summary = json.loads(text(block, "json"))
        events = mla_check.load_events(text(block, "ev"))
    except ValueError as e:
        c.check(test, False, f"unreadable output: {e}")
        return None
    steps = mla_check.load_steps(text(block, "out"))
    mla_scenarios.check_run(c, name, steps, summary, events, tier)
    return steps, summary, events


# the checks field of a run scenario, in the order check_run_kind runs them
RUN_CHECKS = ("other_task", "moved", "limits", "failures", "limit_setters")


def check_run_kind(c, sc, block, ctx):
    """Kind run: the run, its recording read back, and its checks field."""
    name = sc.name
    portable = "--portable" in sc.options
    run = load_run(c, name, block, "portable" if portable else "precise")
    if not run:
        return
    steps, summary, events = run
    if "other_task" in sc.checks:
        check_other_task(c, steps, events, name)
    if "moved" in sc.checks:
        # the child moved the charge: our mm's uncharge is its doing
        check_other_task(c, steps, events, name, ("charge_moved_to_child",))
    check_replay(c, name, block, summary)
    if "limits" in sc.checks:
        check_headroom(c, steps, summary, name)
        check_half_way(c, name, steps, events)
    if "limit_setters" in sc.checks:
        mla_check.check_limit_setters(c, name, text(block, "out"), summary,
                                      events)
    if "failures" in sc.checks:
        mla_check.check_failures(c, steps, summary, name,
                                 mla_check.TRACEPOINT_SHM if portable
                                 else None)
        check_explained_text(c, name, block, summary, ctx["failures_txt"])


def check_other_task(c, steps, events, name,
                     foreign=("unmap_by_child", "release_by_child_exit")):
    """Uncharges run by another task land on the mm that was charged."""
    for s in steps:
        if s["step"] not in foreign:
            continue
        mine = [e for e in events
                if e.get("type") == "change" and e["pid"] == s["pid"]
                and e["counter"] == "locked_vm"
                and s["t0"] <= e["ts_ns"] <= s["t1"]]
        test = f"{name}: {s['step']} charged to pid {s['pid']}"
        c.check(test, mine, "no event")
        c.check(test, all(e.get("by_pid", e["pid"]) != e["pid"]
                          for e in mine),
                f"not run by another process: {mine}")


def check_headroom(c, steps, summary, name):
    """Up to the limit exactly before the refusals: headroom 0."""
    refused = [s for s in steps if "errno" in s]
    test = f"{name}: headroom 0 before the refusals"
    procs = {p["pid"]: p for p in summary["processes"]}
    if refused and c.check(test, refused[0]["pid"] in procs, "no process"):
        h = procs[refused[0]["pid"]]["headroom"]
        c.equal(test, "locked_vm headroom_kib",
                h["locked_vm"]["headroom_kib"], 0)
        c.equal(test, "cap_ipc_lock", h["cap_ipc_lock"], False)
        c.equal(test, "unified would_exceed",
                h["unified"]["would_exceed"], False)


def check_half_way(c, name, steps, events):
    """The map refused half-way charged some runs first, and took them
    back: else it only repeats the refusal at the first run."""
    test = f"{name}: map_dma_1m_refused_half_way charged runs first"
    step = [s for s in steps if s["step"] == "map_dma_1m_refused_half_way"]
    if not c.check(test, len(step) == 1, "no such step"):
        return
    s = step[0]
    vfio = [e["delta_kib"] for e in events
            if e.get("type") == "change" and e["pid"] == s["pid"]
            and e.get("source") == "vfio" and s["t0"] <= e["ts_ns"] <= s["t1"]]
    charged = sum(d for d in vfio if d > 0)
    c.check(test, 0 < charged <= 64, f"charged {charged} KiB before the refusal")
    c.equal(test, "net vfio change", sum(vfio), 0)


def check_replay(c, name, block, summary):
    """The run's recording, read back by report -i: the same summary."""
    test = f"{name}: record then report -i gives the live summary"
    try:
        replay = json.loads(text(block, "rjson"))
    except ValueError as e:
        c.check(test, False, f"unreadable: {e}: {text(block, 'err')[-300:]}")
        return
    live = dict(summary)
    for doc in (live, replay):
        doc.pop("duration_s", None)
        doc.pop("map_entries", None)
    c.equal(test, "summary", replay, live)


def check_explained_text(c, name, block, summary, out):
    """Each refusal, as printed, names its check and the limit to set;
    kept beside the log (LABEL.failures.txt)."""
    txt = block.get("txt", [])
    shown, keep = [], False
    for line in txt:
        if " was refused " in line:
            keep = True
        elif not line.startswith("  "):
            keep = False
        if keep:
            shown.append(line)
    body = "\n".join(shown)
    with open(out, "a") as f:
        f.write(f"== {name}\n{body}\n")
    for fl in summary["failures"]:
        test = f"{name}: refusal at {fl['ts_ns']} printed with its fix"
        c.check(test, f"check: {fl['check']}: " in body,
                f"no 'check: {fl['check']}' line")
        if fl["memlock"] and fl.get("size_known", True):
            want = f"fix: a limit of at least {fl['suggested_limit_kib']} KiB"
            c.check(test, want in body, f"no '{want}'")


def holding_report(c, test, block):
    """A scenario that holds memory while `report` runs: its steps, the
    report's JSON and the "holding" steps; None (and a failure) if absent."""
    if not c.check(test, block is not None, "no output in the log"):
        return None
    c.equal(test, "report exit", text(block, "rc"), "0")
    steps = mla_check.load_steps(text(block, "out"))
    try:
        summary = json.loads(text(block, "json"))
    except ValueError as e:
        c.check(test, False, f"unreadable report: {e}")
        return None
    return steps, summary, [x for x in steps if x["step"] == "holding"]


def check_hold(c, block, name,
               what="first report of a pre-existing process"):
    """Started after the process had mapped and mlocked: right at once
    (or, hold_live, started before it: one event a VFIO map)."""
    test = f"{name}: {what}"
    got = holding_report(c, test, block)
    if not got:
        return
    steps, summary, holding = got
    if not c.check(test, holding, "holder printed no state"):
        return
    h = holding[-1]  # the state it ended in (hold_change: after a change)
    procs = {p["pid"]: p for p in summary["processes"]}
    p = procs.get(h["pid"])
    if not c.check(test, p, f"pid {h['pid']} not reported"):
        return
    lv = p["locked_vm"]
    c.equal(test, "locked_vm final_kib", lv["final_kib"], h["vmlck_after"])
    pv = p["pinned_vm"]
    c.equal(test, "pinned_vm final_kib", pv["final_kib"], h["vmpin_after"])
    if "rdma_kib" in h:
        c.equal(test, "rdma final_kib",
                pv["by_source"].get("rdma", {}).get("final_kib"), h["rdma_kib"])
    c.equal(test, "drift_kib", p["drift_kib"], 0)
    if "mlock_kib" in h:
        c.equal(test, "mlock final_kib",
                lv["by_source"]["mlock"]["final_kib"], h["mlock_kib"])
        c.equal(test, "vfio final_kib", lv["by_source"]["vfio"]["final_kib"],
                h["vfio_kib"])
    mla_check.check_figures(c, steps, summary, f"{name}: ")
    secs = text(block, "seconds").split()
    if len(secs) == 2:
        print(f"# vm {name}: `memlockacct report -d 1` took "
              f"{float(secs[1]) - float(secs[0]):.1f} s in the guest "
              f"({h.get('mappings', '-')} mappings)")


def check_users(c, block, name):
    """report --users over two holders of nobody's bucket, against the
    kernel's own bucket (probed)."""
    test = f"{name}: report --users"
    if not c.check(test, block is not None, "no output in the log"):
        return
    c.equal(test, "report exit (json, text)",
            (text(block, "rc"), text(block, "rc_text")), ("0", "0"))
    try:
        summary = json.loads(text(block, "json"))
    except ValueError as e:
        c.check(test, False, f"unreadable report: {e}")
        return
    pids = [int(x) for x in text(block, "holders").split()]
    mla_check.check_users(c, name, summary, text(block, "txt"),
                          dict(zip((64, 128), pids)), 1024,
                          mla_check.probe_fits(text(block, "probe")))


def check_report_limits(c, block, name):
    """The refusals of `limits` made while `report` runs (one event a VFIO
    map, summed in the kernel) are told as under `run`."""
    got = holding_report(c, f"{name}: refusals under report", block)
    if not got:
        return
    steps, summary, _ = got
    mla_check.check_failures(c, steps, summary, name)
    # the maps must span snapshots, or no refusal shows that a snapshot
    # taken mid-map does not count its runs twice
    done = [s for s in steps if s["step"] == "refused_maps_done"]
    if c.check(f"{name}: refused_maps ran", done, "no refused_maps_done"):
        ms = done[0]["maps_ms"]
        print(f"# vm {name}: 20 maps refused half-way: {ms} ms in all")
        c.check(f"{name}: refused maps span report's snapshots", ms >= 500,
                f"{ms} ms in the maps, less than two snapshots' 500 ms")


def check_late(c, block, name):
    """vfio_iommu_type1 loaded after start: its probes attach, no restart."""
    test = f"{name}: VFIO probes attached when the module is loaded"
    if not c.check(test, block is not None, "no output in the log"):
        return
    err = text(block, "err")
    c.check(test, "its probes are attached now" in err, f"stderr: {err}")
    steps = mla_check.load_steps(text(block, "out"))
    events = mla_check.load_events(text(block, "ev"))
    if c.check(test, steps, "the scenario printed no steps"):
        pid = steps[0]["pid"]
        precise = [e for e in events if e["pid"] == pid and
                   e.get("cause") == "vfio_lock_acct"]
        c.check(test, precise, "no charge seen by the vfio_lock_acct probe")


# VM vm1's labels in the Prometheus textfile
VM1 = (f'vm="vm1",vm_uuid="{check_qemu.VM1_UUID}",vmi_namespace="",'
       'vmi_name=""')


def check_qemu_like(c, block, name):
    """A process named and invoked like QEMU is reported as its VM."""
    test = f"{name}: report --vm of VM vm1"
    got = holding_report(c, test, block)
    if not got:
        return
    _, s, holding = got
    vms = s.get("vms", [])
    if not c.check(test, holding and len(vms) == 1, f"vms: {vms}"):
        return
    v, h = vms[0], holding[0]
    check_qemu.check_vm1(c, test, v, 512 * 1024, h["vmlck_after"],
                         {"vfio": h["vmlck_after"]})
    c.equal(test, "pid", v["pid"], h["pid"])
    c.equal(test, "vfio_groups_open", v["vfio_groups_open"], 1)
    c.equal(test, "libvirt_limit_kib", v["libvirt_limit_kib"],
            512 * 1024 + 1024 * 1024)
    c.equal(test, "rlimit_soft_kib", v["rlimit_soft_kib"], 8192)
    c.equal(test, "headroom_kib", v["headroom_kib"], 8192 - h["vmlck_after"])
    c.equal(test, "limit_below_libvirt", v["limit_below_libvirt"], True)
    c.check(test, "vm1" in text(block, "txt") and
            "limit-below-libvirt" in text(block, "txt"),
            f"table: {text(block, 'txt')}")
    # the Prometheus textfile, checked by Prometheus's own parser
    prom = text(block, "prom") + "\n"
    r = subprocess.run(["promtool", "check", "metrics"], input=prom,
                       capture_output=True, text=True)
    test = f"{name}: Prometheus textfile passes promtool"
    c.check(test, r.returncode == 0, r.stdout + r.stderr)
    c.check(test,
            f'memlockacct_vm_limit_below_libvirt{{{VM1}}} 1' in prom and
            f'memlockacct_vm_locked_bytes{{{VM1}}} {h["vmlck_after"] * 1024}'
            in prom, prom[-600:])


def check_cgroupns(c, block, name):
    """The tool in a cgroup namespace of its own, as in a pod: it entered
    PID 1's, so the holder's cgroup is the host's path, with its pod."""
    test = f"{name}: report from a pod's own cgroup namespace"
    if not c.check(test, block is not None, "no output in the log"):
        return
    c.equal(test, "report exit", text(block, "rc"), "0")
    err = text(block, "err")
    c.check(test, "cgroup paths are relative" not in err, err[-300:])
    try:
        summary = json.loads(text(block, "json"))
        pid, vmlck = int(text(block, "pid")), int(text(block, "vmlck"))
    except ValueError as e:
        c.check(test, False, f"unreadable: {e}; {err[-300:]}")
        return
    procs = [p for p in summary["processes"] if p["pid"] == pid]
    if not c.check(test, procs, f"pid {pid} not reported"):
        return
    cg = procs[0].get("cgroup") or {}
    c.equal(test, "cgroup path", cg.get("path"), text(block, "path"))
    c.equal(test, "pod_uid", cg.get("pod_uid"),
            "5d1c2e0a-7b1f-4c55-9a3e-0f6b8e2d4c11")
    c.equal(test, "container_runtime", cg.get("container_runtime"),
            "containerd")
    c.equal(test, "locked_vm final_kib (VmLck)",
            procs[0]["locked_vm"]["final_kib"], vmlck)


def features_table(block):
    """{hook: (kind, state)} from `memlockacct features`."""
    table = {}
    for line in block.get("out", []):
        fields = line.split()
        if len(fields) >= 4 and fields[1] in ("portable", "precise"):
            table[fields[0]] = (fields[2], fields[3])
    return table


def check_features(c, block, ctx):
    """The precise tier attached, with trampolines where they can be; kept
    beside the log (LABEL.features)."""
    test = "features: precise probes attached"
    if not c.check(test, block is not None, "no output"):
        return
    out = text(block, "out")
    with open(ctx["features_txt"], "w") as f:
        f.write(out + "\n")
    table = features_table(block)
    for probe in PRECISE_PROBES:
        c.equal(test, probe, table.get(probe, ("", ""))[1], "active")
    for probe, kind in FENTRY_KINDS.items():
        c.equal("features: trampolines where they attach", probe,
                table.get(probe), (kind, "active"))
    for probe in UNNEEDED_PROBES:
        c.equal("features: redundant hooks left off", probe,
                table.get(probe, ("", ""))[1], "off")
    check_syscall_exits(c, "features: syscall exits by fexit, no syscall "
                        "tracepoint", table, "fexit")
    c.check("features: no syscall tracepoint", "(syscall exits by fexit: "
            "no syscall tracepoint)" in out, "\n".join(out.splitlines()[-3:]))


def check_kprobes_everywhere(c, block, ctx):
    """`features --kprobes`: every precise hook a kprobe."""
    test = "features --kprobes: kprobes everywhere"
    if not c.check(test, block is not None, "no output"):
        return
    table = features_table(block)
    for probe in PRECISE_PROBES:
        c.equal(test, probe, table.get(probe), ("kprobe", "active"))
    for probe in UNNEEDED_PROBES:
        c.equal(test, probe, table.get(probe, ("", ""))[1], "off")
    check_syscall_exits(c, "features --kprobes: syscall tracepoints", table,
                        "tracepoint")


def check_portable_everywhere(c, block, ctx):
    """`features --portable`: the tier as kernels without trampolines
    run it: syscall tracepoints, no precise probe."""
    test = "features --portable: tracepoints only"
    if not c.check(test, block is not None, "no output"):
        return
    table = features_table(block)
    check_syscall_exits(c, test, table, "tracepoint")
    for probe in PRECISE_PROBES:
        c.equal(test, probe, table.get(probe, ("", ""))[1], "off")


def check_verify(c, block, ctx):
    if not c.check("verifier: every program loads", block, "no output"):
        return
    flavours = []
    for line in block.get("out", []):
        fields = line.split()
        if len(fields) >= 2 and fields[0] in ("loaded", "REFUSED"):
            c.check(f"verifier: {fields[1]} loads", fields[0] == "loaded",
                    line)
        # tp_btf: only the flavour for this kernel's layout can load ("n/a")
        if len(fields) >= 2 and fields[1].startswith("mmap_lock_released") \
                and fields[0] != "n/a":
            flavours.append(fields[1])
    c.equal("verifier: one mmap_lock_released flavour is this kernel's",
            "flavours", len(flavours), 1)


# the checks field of a tool scenario
TOOL_CHECKS = {"features": check_features,
               "kprobes_everywhere": check_kprobes_everywhere,
               "portable_everywhere": check_portable_everywhere,
               "verifier": check_verify}


def check_tool_kind(c, sc, block, ctx):
    """Kind tool: a command of memlockacct itself, its checks field."""
    for check in sc.checks:
        TOOL_CHECKS[check](c, block, ctx)


# one function a kind of tests/scenarios.list: (c, scenario, block, ctx)
KINDS = {
    "tool": check_tool_kind,
    "run": check_run_kind,
    "hold": lambda c, sc, block, ctx: check_hold(c, block, sc.name),
    # the same state made under `report`: one event a VFIO map
    # report started on a held state, which then changes under it
    "hold_change": lambda c, sc, block, ctx: check_hold(
        c, block, sc.name, "report of a held state that changed while it ran"),
    "hold_live": lambda c, sc, block, ctx: check_hold(
        c, block, sc.name, "report of a process that mapped while it ran"),
    "report_limits": lambda c, sc, block, ctx:
        check_report_limits(c, block, sc.name),
    "qemu_like": lambda c, sc, block, ctx: check_qemu_like(c, block, sc.name),
    "late": lambda c, sc, block, ctx: check_late(c, block, sc.name),
    "cgroupns": lambda c, sc, block, ctx: check_cgroupns(c, block, sc.name),
    "users": lambda c, sc, block, ctx: check_users(c, block, sc.name),
    "qemu": lambda c, sc, block, ctx: check_qemu.check_qemu(
        c, block, sc.name, sc.command),
    "qemu_refused": lambda c, sc, block, ctx:
        check_qemu.check_qemu_refused(c, block, sc.name, ctx["blocks"]),
}


def known(sc):
    """Whether this file has the scenario's kind and checks."""
    checks = {"tool": TOOL_CHECKS, "run": RUN_CHECKS}.get(sc.kind, ())
    return sc.kind in KINDS and all(k in checks for k in sc.checks)


# Sources no scenario drives, because Debian's kernels do not build them
# (README.md, optional tests): the module that would, what it would test,
# and the config option whose absence makes it optional.
UNBUILT = (
    ("iommufd", "iommufd: IOMMU_IOAS_MAP in both accounting modes",
     "CONFIG_IOMMUFD"),
    ("vdpa_sim_net", "vhost-vdpa: IOTLB updates on vdpa_sim_net",
     "CONFIG_VDPA_SIM_NET"),
)


def check_unbuilt(c, label, facts):
    """SKIPPED where the kernel lacks the module and its config says it is
    not built; a FAIL where it has it: the scenario is still to write."""
    cache = os.environ.get("MLA_VM_CACHE", "/var/cache/memlockacct-vm")
    try:
        with open(os.path.join(cache, label, "config")) as f:
            config = f.read()
    except OSError:
        config = ""
    for module, what, option in UNBUILT:
        state = next((f.split()[2] for f in facts
                      if f.startswith(f"module {module} ")
                      and len(f.split()) > 2), "unknown")
        unset = bool(config) and f"\n{option}=" not in config
        if state == "missing" and unset:
            print(f"SKIPPED vm {label} {what}: {option} is not set in this "
                  f"Debian kernel, so there is no {module} module")
        else:
            c.check(f"{what}", False,
                    f"module {module} {state} ({option} "
                    f"{'unset' if unset else 'set or unknown'}): no "
                    f"scenario drives it yet")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--seconds", default="?")
    args = ap.parse_args()

    blocks, facts = parse_log(args.log)
    c = mla_check.Checks(f"vm {args.label} ")
    check_unbuilt(c, args.label, facts)
    logdir = os.path.dirname(args.log)
    ctx = {"features_txt": os.path.join(logdir, f"{args.label}.features"),
           "failures_txt": os.path.join(logdir,
                                        f"{args.label}.failures.txt"),
           "blocks": blocks}
    open(ctx["failures_txt"], "w").close()
    for sc in mla_scenarios.load("vm", args.label):
        if not known(sc):
            c.check(f"{sc.name}: scenarios.list", False,
                    f"kind {sc.kind}, checks {sc.checks}: not known here")
            continue
        KINDS[sc.kind](c, sc, blocks.get(sc.name), ctx)

    passed, failed = c.print_results()
    print(f"# vm {args.label}: {passed} passed, {failed} failed "
          f"in {args.seconds} s (log {args.log})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
