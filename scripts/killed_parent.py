#!/usr/bin/env python3
"""Kill a process that started a program in a lab, at once or a little later; count survivors.

    .venv/bin/python scripts/killed_parent.py [--runs 50] [--seed N]

Each run starts a Python process that builds a lab, starts `sleep` with a
command line unique to the run in one of its hosts, prints that it did, and
is then SIGKILLed after a random delay of 0 to 20 ms: often while the
program's start-up chain (setpriv, nsenter, unshare, init) is still under
way, which is where races live. A run counts as leaking when that `sleep` is
still alive 5 s later. Prints one line per leak and the totals; exits 1 on
any leak. Needs the same privileges as the tests (root, or a user namespace).
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

CHILD = textwrap.dedent(
    """
    import sys, time
    from lab import Lab
    lab = Lab("two-hosts").start()
    lab["server"].popen(["sleep", sys.argv[1]])
    print("started", flush=True)
    time.sleep(600)
    """
)


def running(argv: list[str]) -> list[int]:
    """PIDs whose command line is exactly `argv`."""
    wanted = "\0".join(argv).encode() + b"\0"
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "cmdline").read_bytes() == wanted:
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def one_run(delay: float) -> list[int]:
    """Start, kill after `delay` s, and return the program's PIDs still alive after 5 s."""
    marker = ["sleep", f"600.{uuid.uuid4().int % 10**9}"]
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, marker[1]], stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None
        if child.stdout.readline() != "started\n":
            raise SystemExit("the lab process died before starting its program")
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 5
    while (left := running(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in left:
        os.kill(pid, signal.SIGKILL)  # clean up after ourselves
    return left


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--max-delay", type=float, default=0.02, help="seconds (default 0.02)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    leaks = 0
    for run in range(1, args.runs + 1):
        delay = rng.uniform(0, args.max_delay)
        left = one_run(delay)
        if left:
            leaks += 1
            print(f"run {run}: killed after {delay * 1000:.1f} ms, program left running: {left}")
    print(f"{args.runs} runs, {leaks} left a program running")
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
