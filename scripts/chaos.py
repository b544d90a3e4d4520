#!/usr/bin/env python3
"""Chaos: run the test suite, SIGKILL it at a random moment, count what is left. Repeat.

    .venv/bin/python scripts/chaos.py [--runs 20] [--seed N] [--max-delay S] [-- PYTEST ARGS]
    .venv/bin/python scripts/chaos.py --kernels 6.1 [--signal INT] [-- LAB CHECK ARGS]

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
  qemu         qemu processes that were not running before (any: a VM's qemu
               must die with the run that started it)
  shares       lab-vm-* folders (a guest's shared directory) added to the
               temporary directory

With --kernels LIST the run is `lab check --kernels LIST` (by default on the
scenario open over IPv4; arguments after -- replace that), which boots each
kernel under qemu. --signal INT sends Ctrl-C instead, to the run's whole
process group as a terminal does; KILL (the default) kills the one process.

Prints one row per run and the totals; exits 1 if anything was left. Needs root.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
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


def qemu_processes() -> set[str]:
    """``PID qemu-system-x86_64`` for every qemu running now."""
    found = set()
    for proc in Path("/proc").iterdir():
        try:
            name = (proc / "comm").read_text().strip() if proc.name.isdigit() else ""
        except OSError:
            continue
        if name.startswith("qemu-system"):
            found.add(f"{proc.name} {name}")
    return found


def guest_shares() -> set[str]:
    return {str(p) for p in Path(tempfile.gettempdir()).glob("lab-vm-*")}


@dataclass(frozen=True)
class Before:
    snapshot: MachineSnapshot
    namespaces: set[str]
    qemu: set[str]
    shares: set[str]

    @classmethod
    def now(cls) -> Before:
        return cls(take_snapshot(), net_namespaces(), qemu_processes(), guest_shares())


def leftovers(before: Before, mark: str) -> dict[str, list[str]]:
    after = take_snapshot()
    changes = before.snapshot.diff(after)
    return {
        "namespaces": sorted(net_namespaces() - before.namespaces),
        "mounts": [c for c in changes if c.startswith(("mounts", "pinned_netns"))],
        "interfaces": [c for c in changes if c.startswith("links")],
        "processes": [str(p) for p in marked_processes(mark)],
        "host changes": [
            c for c in changes if not c.startswith(("mounts", "pinned_netns", "links"))
        ],
        "qemu": sorted(qemu_processes() - before.qemu),
        "shares": sorted(guest_shares() - before.shares),
    }


def one_run(
    argv: list[str], delay: float, settle: float, sig: signal.Signals = signal.SIGKILL
) -> tuple[bool, dict[str, list[str]]]:
    """Run `argv`, signal it after `delay` s unless it ended; returns (killed, leftovers).

    SIGKILL goes to the one process, as a crash; SIGINT to its process group, as Ctrl-C.
    """
    mark = uuid.uuid4().hex
    before = Before.now()
    env = {**os.environ, "LAB_CHAOS_MARK": mark}
    proc = subprocess.Popen(
        argv,
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    killed = False
    try:
        proc.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        if sig == signal.SIGKILL:
            proc.send_signal(sig)
        else:
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=settle)
        except subprocess.TimeoutExpired:  # Ctrl-C not obeyed: that is a finding, then kill
            print(f"      did not end within {settle} s of {sig.name}; killed")
            proc.kill()
            proc.wait()
        killed = True
    deadline = time.monotonic() + settle
    while True:
        found = leftovers(before, mark)
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
    parser.add_argument(
        "--kernels",
        metavar="LIST",
        help="kill `lab check --kernels LIST` runs instead of pytest (boots VMs)",
    )
    parser.add_argument(
        "--signal",
        choices=["KILL", "INT"],
        default="KILL",
        help="KILL the process (a crash), or INT its process group (Ctrl-C)",
    )
    parser.add_argument("pytest_args", nargs="*", help="after --: what pytest (or lab check) runs")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print(
            "chaos needs root: it reads every process and the machine's namespace", file=sys.stderr
        )
        return 2
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    rng = random.Random(seed)
    if args.kernels:
        check = args.pytest_args or ["--scenario", "open", "--family", "IPv4"]
        argv = [sys.executable, "-m", "lab", "check", "--kernels", args.kernels, *check]
    else:
        argv = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            *(args.pytest_args or ["tests"]),
        ]
    sig = signal.Signals[f"SIG{args.signal}"]
    kinds = ["namespaces", "mounts", "interfaces", "processes", "host changes", "qemu", "shares"]
    totals = dict.fromkeys(kinds, 0)
    kills = 0
    print(f"chaos: {args.runs} runs of `{' '.join(argv[1:])}`, SIG{args.signal}, seed {seed}")
    print(f"{'run':>3} {'killed at s':>11} " + " ".join(f"{k:>12}" for k in kinds))
    for run in range(1, args.runs + 1):
        delay = rng.uniform(args.min_delay, args.max_delay)
        killed, found = one_run(argv, delay, args.settle, sig)
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
