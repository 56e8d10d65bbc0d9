# SPDX-License-Identifier: GPL-2.0
"""The scenarios of tests/scenarios.list, and what running one takes.

The manifest is shared with tests/vm/guest-run.sh (the guest's shell reads
it too); its header says what each field means. Here: the scenarios for one
place, a command run under the tool, the wait for a ready file or line, and
the checks every `memlockacct run` of a scenario gets.
"""
import os
import subprocess
import time
from collections import namedtuple

import mla_check

MANIFEST = os.path.join(os.path.dirname(__file__), "..", "scenarios.list")

Scenario = namedtuple("Scenario",
                      "name where kind checks options command")


def _list(field):
    return () if field == "-" else tuple(field.split(","))


def _checks(field, place):
    """The checks for PLACE: "X" everywhere, "PLACE:X" here only."""
    mine = []
    for c in _list(field):
        where, _, what = c.rpartition(":")
        if where in ("", place):
            mine.append(what)
    return tuple(mine)


def _here(where, place, label):
    return place in where or (label and f"{place}/{label}" in where)


def load(place, label=None, path=MANIFEST):
    """The scenarios that run at PLACE ("live" or "vm"; LABEL, the vm's
    kernel), in the manifest's order."""
    found = []
    with open(path) as f:
        for line in f:
            fields = line.split(None, 5)
            if not fields or fields[0].startswith("#"):
                continue
            if len(fields) < 6:
                raise ValueError(f"{path}: too few fields: {line.strip()}")
            name, where, kind, checks, options, command = fields
            if not _here(_list(where), place, label):
                continue
            found.append(Scenario(name, where, kind, _checks(checks, place),
                                  _list(options),
                                  () if command.strip() == "-"
                                  else tuple(command.split())))
    return found


def run_tool(tool, cmd, workdir, extra=()):
    """`memlockacct run` over CMD: (process, summary text, events text)."""
    summary = os.path.join(workdir, "summary.json")
    events = os.path.join(workdir, "events.jsonl")
    proc = subprocess.run(
        [tool, "run", "--json", "-o", summary, "--events", events, *extra,
         "--", *cmd],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        timeout=120)
    with open(summary) as f:
        summary_text = f.read()
    with open(events) as f:
        events_text = f.read()
    return proc, summary_text, events_text


def wait_file(path, seconds, proc=None):
    """Until PATH exists (a --ready-file), at most SECONDS, or until PROC
    has ended; whether it exists."""
    for _ in range(int(seconds * 10)):
        if os.path.exists(path) or (proc and proc.poll() is not None):
            break
        time.sleep(0.1)
    return os.path.exists(path)


def read_until(stream, prefix):
    """The lines of STREAM before the first that starts with PREFIX (a
    program saying it is ready), which is read too."""
    lines = []
    for line in stream:
        if line.startswith(prefix):
            break
        lines.append(line)
    return lines


def check_run(c, name, steps, summary, events, tier):
    """What every scenario's `memlockacct run` must show: its steps, the
    tier expected here, and all mla_check.check_run asserts, as NAME's
    tests (c's prefix, then NAME)."""
    test = f"{name}: memlockacct run"
    c.check(test, steps, "the scenario printed no steps")
    c.equal(test, "tier", summary.get("tier"), tier)
    mla_check.check_run(c.scope(f"{name}: "), steps, summary, events)
