#!/usr/bin/env python3
"""Chaos: run the test suite, SIGKILL it at a random moment, count what is left. Repeat.

    .venv/bin/python scripts/chaos.py [--runs 20] [--seed N] [--max-delay S] [-- PYTEST ARGS]

Each run starts pytest (the whole suite by default) with a unique marker in
its environment, kills the pytest process with SIGKILL after a random delay
(as a crash would: its children get no warning), waits for the kernel to
reclaim, then counts against a snapshot taken before the run:

  namespaces   network namespaces still reachable (held by a process, a
               descriptor or a pin under /run/netns) that were not there before
  mounts       mount points added to the machine's mount table
  interfaces   interfaces added to or removed from the machine's namespace
  processes    live processes that carry the run's marker (children, grandchildren)
  host changes any other difference in the machine's namespace (addresses,
               routes, sysctls, nftables)

Prints one row per run and the totals; exits 1 if anything was left. Needs root.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lab.kernel._snapshot import MachineSnapshot, take_snapshot  # noqa: E402


def net_namespaces() -> set[str]:
    """Every network namespace some process holds (as its own, or an open descriptor), plus pins."""
    found: set[str] = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            found.add(os.readlink(proc / "ns" / "net"))
            for fd in (proc / "fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("net:["):
                    found.add(target)
        except OSError:  # the process ended while we looked
            continue
    pins = Path("/run/netns")
    if pins.is_dir():
        found |= {f"pin:{p.name}" for p in pins.iterdir()}
    return found


def marked_processes(mark: str) -> list[int]:
    needle = f"LAB_CHAOS_MARK={mark}".encode()
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if needle in (proc / "environ").read_bytes().split(b"\0"):
                pids.append(int(proc.name))
        except OSError:
            continue
    return pids


def leftovers(before: MachineSnapshot, namespaces: set[str], mark: str) -> dict[str, list[str]]:
    after = take_snapshot()
    changes = before.diff(after)
    return {
        "namespaces": sorted(net_namespaces() - namespaces),
        "mounts": [c for c in changes if c.startswith(("mounts", "pinned_netns"))],
        "interfaces": [c for c in changes if c.startswith("links")],
        "processes": [str(p) for p in marked_processes(mark)],
        "host changes": [
            c for c in changes if not c.startswith(("mounts", "pinned_netns", "links"))
        ],
    }


def one_run(
    pytest_argv: list[str], delay: float, settle: float
) -> tuple[bool, dict[str, list[str]]]:
    """Run pytest, SIGKILL it after `delay` s unless it ended; returns (killed, leftovers)."""
    mark = uuid.uuid4().hex
    before, namespaces = take_snapshot(), net_namespaces()
    env = {**os.environ, "LAB_CHAOS_MARK": mark}
    proc = subprocess.Popen(
        pytest_argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    killed = False
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        killed = True
    deadline = time.monotonic() + settle
    while True:
        found = leftovers(before, namespaces, mark)
        if not any(found.values()) or time.monotonic() > deadline:
            return killed, found
        time.sleep(0.25)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None, help="seed for the kill moments")
    parser.add_argument("--min-delay", type=float, default=0.3)
    parser.add_argument("--max-delay", type=float, default=20.0)
    parser.add_argument(
        "--settle",
        type=float,
        default=15.0,
        help="seconds the kernel and orphaned test children get to finish before counting",
    )
    parser.add_argument("pytest_args", nargs="*", help="after --: what pytest runs")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print(
            "chaos needs root: it reads every process and the machine's namespace", file=sys.stderr
        )
        return 2
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    rng = random.Random(seed)
    pytest_argv = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        *(args.pytest_args or ["tests"]),
    ]
    kinds = ["namespaces", "mounts", "interfaces", "processes", "host changes"]
    totals = dict.fromkeys(kinds, 0)
    kills = 0
    print(f"chaos: {args.runs} runs of `{' '.join(pytest_argv[1:])}`, seed {seed}")
    print(f"{'run':>3} {'killed at s':>11} " + " ".join(f"{k:>12}" for k in kinds))
    for run in range(1, args.runs + 1):
        delay = rng.uniform(args.min_delay, args.max_delay)
        killed, found = one_run(pytest_argv, delay, args.settle)
        kills += killed
        for kind in kinds:
            totals[kind] += len(found[kind])
        moment = f"{delay:.2f}" if killed else "finished"
        print(f"{run:>3} {moment:>11} " + " ".join(f"{len(found[k]):>12}" for k in kinds))
        for kind in kinds:
            for item in found[kind]:
                print(f"      left: {kind}: {item}")
    print(f"{'total':>15} " + " ".join(f"{totals[k]:>12}" for k in kinds))
    print(f"{kills} of {args.runs} runs were killed mid-way; the others finished first")
    return 1 if any(totals.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
