# SPDX-License-Identifier: GPL-2.0
"""The checks of the scenarios that run Debian's own QEMU in the guest
(guest-run.sh's qemu and qemu_refused), for check_vm.py."""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import mla_check  # noqa: E402

text = mla_check.text
# guest-run.sh's VM1_UUID: QEMU's -uuid, as libvirt passes it
VM1_UUID = "7a3f0c52-9d1e-4b8a-a2c4-5e6f70819203"


def check_vm1(c, test, v, ram_kib, locked_kib, by_source):
    """The fields of report --vm's entry for VM vm1 that every QEMU (real or
    not) started by guest-run.sh must have: what it is and what it locked."""
    c.equal(test, "name", v["name"], "vm1")
    c.equal(test, "uuid", v["uuid"], VM1_UUID)
    c.equal(test, "vmm", v["vmm"], "qemu")
    c.equal(test, "guest_ram_kib", v["guest_ram_kib"], ram_kib)
    c.equal(test, "vfio_devices", v["vfio_devices"], 1)
    c.equal(test, "locked_kib = VmLck", v["locked_kib"], locked_kib)
    c.equal(test, "locked_by_source_kib", v["locked_by_source_kib"],
            by_source)


def plain_vmlck(blocks):
    """VmLck of the qemu scenario's QEMU (no mlock): all VFIO's."""
    steps = mla_check.load_steps(text(blocks.get("qemu", {}), "out"))
    return steps[0]["vmlck_after"] if steps else None


def locked_vmas(block):
    """KiB of the VMAs the kernel marked VM_LOCKED ("lo" in smaps)."""
    kib = 0
    for line in block.get("vmas", []):
        f = line.split()
        if "lo" in f[2:]:
            start, end = (int(x, 16) for x in f[0].split("-"))
            kib += (end - start) // 1024
    return kib


def check_qemu(c, block, name, args):
    """Debian's QEMU, its RAM DMA-mapped: report --vm, started before it
    and after it, names the VM and says what the kernel says it locked.
    With -overcommit mem-lock=on (in ARGS) QEMU mlocks all it maps too:
    VmLck is its VM_LOCKED VMAs (smaps) plus VFIO's charge, all of which is
    counted twice. (VFIO's charge is not the plain qemu scenario's: on 6.1
    type1 does not charge the zero pages that untouched ROM is pinned to;
    mlock populated them.)"""
    mem_lock = "mem-lock=on" in args
    test = f"{name}: real QEMU"
    if not c.check(test, block is not None, "no output in the log"):
        return
    steps = mla_check.load_steps(text(block, "out"))
    # its RAM, less the holes q35 leaves below 1 MiB (255.75 MiB on 6.1)
    if not c.check(test, steps and steps[0]["vmlck_after"] >= 250 * 1024,
                   f"QEMU did not map its RAM: {steps}; "
                   f"{text(block, 'qemu')[-400:]}"):
        return
    h = steps[0]
    print(f"# vm {name}: QEMU mapped its RAM in about {h['seconds']} s: "
          f"VmLck {h['vmlck_after']} kB")
    lck, mlocked = h["vmlck_after"], locked_vmas(block)
    vfio = lck - mlocked if mem_lock else lck
    by_source = {"vfio": vfio, "mlock": mlocked} if mem_lock \
        else {"vfio": lck}
    for kind, what in (("json", "tool started before QEMU"),
                       ("after", "tool started after QEMU")):
        t = f"{name}: report --vm, {what}"
        c.equal(t, "report exit",
                text(block, "rc" if kind == "json" else "rc_after"), "0")
        try:
            s = json.loads(text(block, kind))
        except ValueError as e:
            c.check(t, False, f"unreadable report: {e}")
            continue
        vms = [v for v in s.get("vms", []) if v["pid"] == h["pid"]]
        if not c.check(t, len(vms) == 1, f"vms: {s.get('vms')}"):
            continue
        v = vms[0]
        check_vm1(c, t, v, 256 * 1024, lck, by_source)
        if mem_lock:
            c.equal(t, "unique_locked_kib = the VM_LOCKED VMAs (smaps)",
                    v["unique_locked_kib"], mlocked)
            c.equal(t, "double_counted_kib mlock_and_vfio",
                    v["double_counted_kib"].get("mlock_and_vfio"), vfio)
            # libvirt lifts the limit for <locked/>
            c.equal(t, "libvirt_limit_unlimited",
                    v["libvirt_limit_unlimited"], True)
        else:
            c.equal(t, "libvirt_limit_kib", v["libvirt_limit_kib"],
                    256 * 1024 + 1024 * 1024)
    c.check(f"{name}: report --vm table", "vm1" in text(block, "txt"),
            text(block, "txt")[-400:])


def check_qemu_refused(c, block, name, blocks):
    """QEMU refused by a 64 MiB RLIMIT_MEMLOCK, started again with the limit
    `trace --failures` suggested until it starts: every refusal the kernel
    warned of (vfio_pin_pages_remote's RLIMIT_MEMLOCK line) is traced and
    explained, and the limits suggested get QEMU started."""
    test = f"{name}: QEMU refused, then started with the suggested limit"
    if not c.check(test, block is not None, "no output in the log"):
        return
    c.equal(test, "trace --failures --json exit", text(block, "rc"), "0")
    c.equal(test, "trace --failures exit", text(block, "rc_text"), "0")
    steps = mla_check.load_steps(text(block, "out"))
    try:
        events = mla_check.load_events(text(block, "ev"))
    except ValueError as e:
        c.check(test, False, f"unreadable trace --json: {e}")
        return
    if not c.check(test, len(steps) >= 2 and not steps[0]["started"]
                   and steps[-1]["started"],
                   f"tries: {steps}; {text(block, 'qemu')[-400:]}"):
        return
    c.equal(test, "first limit", steps[0]["limit_kib"], 64 * 1024)
    last = steps[-1]
    print(f"# vm {name}: limits tried "
          f"{[s['limit_kib'] for s in steps]} KiB; started with VmLck "
          f"{last['vmlck_after']} kB")
    # the kernel let it start under the last suggestion; what it then
    # locked is that (6.12, 7.2: the last map refused was its last) or less
    # (6.1: the RAM map refused at first charges 256 KiB less than asked)
    c.check(test, last["vmlck_after"] <= last["limit_kib"],
            f"VmLck {last['vmlck_after']} kB over the limit "
            f"{last['limit_kib']} KiB")
    c.equal(test, "started: VmLck = the unlimited QEMU's (qemu)",
            last["vmlck_after"], plain_vmlck(blocks))
    txt = text(block, "txt")
    for s in steps[:-1]:
        t = f"{name}: {s['step']} (limit {s['limit_kib']} KiB) explained"
        fails = [e for e in events if e.get("type") == "failure"
                 and e["pid"] == s["pid"]]
        if not c.check(t, fails, "no failure traced"):
            continue
        for f in fails:
            want = {"comm": "qemu-system-x86", "errno": "ENOMEM",
                    "check": "vfio_pin_pages_remote", "source": "vfio",
                    "counter": "locked_vm", "limit_kib": s["limit_kib"],
                    "cap_ipc_lock": False, "memlock": True,
                    "size_bytes": f["requested_kib"] * 1024,
                    "suggested_limit_kib":
                        f["counter_kib"] + f["requested_kib"],
                    "sources": {"vfio": f["counter_kib"]}
                               if f["counter_kib"] else {}}
            for field, value in want.items():
                c.equal(t, field, f.get(field), value)
            c.check(t, f["counter_kib"] <= s["limit_kib"] <
                    f["counter_kib"] + f["requested_kib"],
                    f"held {f['counter_kib']} + asked {f['requested_kib']} "
                    f"KiB: not a refusal under {s['limit_kib']} KiB")
            head = (f"qemu-system-x86 (pid {s['pid']}, uid 0, VM vm1) was "
                    f"refused {f['requested_kib']} KiB")
            fix = f"fix: a limit of at least {f['suggested_limit_kib']} KiB"
            c.check(t, head in txt and fix in txt,
                    f"text has no '{head}' ... '{fix}': {txt[-600:]}")
        c.equal(t, "the suggestion tried next",
                max(f["suggested_limit_kib"] for f in fails),
                s["suggested_kib"])
    # the kernel's own warnings: one per refusal, with its limit in bytes
    warned = [int(l.split("RLIMIT_MEMLOCK (")[1].split(")")[0])
              for l in block.get("dmesg", [])]
    traced = [e["limit_bytes"] for e in events if e.get("type") == "failure"]
    c.equal(f"{name}: refusals traced = the kernel's warnings",
            "limits (bytes)", traced, warned)
