#!/usr/bin/env python3
"""Ctrl-C at random moments of `lab check`: does it say so, and is anything left behind?

    .venv/bin/python scripts/interrupt.py [--runs 5] [--seed N] [--max-delay S] [-- CHECK ARGS]

Each run starts ``python -m lab check --verbose CHECK ARGS`` in a process
group of its own, as a shell starts a foreground job, with a unique marker
in its environment. Once lab check has started its work (its first
--verbose line: before that the interpreter is still importing, and Python's
own start-up answers Ctrl-C), it waits a random moment, then sends SIGINT to
the whole group, as Ctrl-C at a terminal does. It then checks that the run

  status       exited with status 130
  interrupted  said "interrupted" on stderr
  report       printed the report of what finished, its summary saying it was interrupted

and, after letting the kernel reclaim, counts what the run left behind:

  namespaces   network namespaces reachable (held by a process or a descriptor, or
               pinned under /run/netns) that were not there before
  processes    live processes carrying the run's marker
  pcap dirs    lab-check-* folders it made (in a TMPDIR of its own, so a neighbour's do not count)

A run whose moment came only after its last scenario run had finished
(nothing left to interrupt but the printing of the report) is drawn again,
up to --tries times. Prints one row per run and the totals; exits 1 on any problem. Needs root.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from chaos import net_namespaces

REPO = Path(__file__).resolve().parents[1]
MARK = "LAB_INTERRUPT_MARK"
KINDS = ("namespaces", "processes", "pcap dirs")


@dataclass
class Run:
    """One interrupted lab check, and what it left."""

    moment: float
    """Seconds after lab check started its work that SIGINT was sent."""
    doing: str
    """The last --verbose line before SIGINT: what lab check was doing."""
    status: int | None
    stdout: str
    stderr: str
    left: dict[str, list[str]] = field(default_factory=dict)

    @property
    def said_interrupted(self) -> bool:
        return "interrupted" in self.stderr

    @property
    def reported(self) -> bool:
        return "interrupted (Ctrl-C) after" in self.stdout

    @property
    def problems(self) -> list[str]:
        found = [] if self.status == 130 else [f"exit status {self.status}, not 130"]
        found += [] if self.said_interrupted else ['"interrupted" not on stderr']
        found += [] if self.reported else ["no report of what finished"]
        found += [f"left {kind}: {item}" for kind, items in self.left.items() for item in items]
        return found


def marked_processes(mark: str) -> list[str]:
    """Live processes (not zombies) whose environment carries `mark`."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if needle not in (proc / "environ").read_bytes().split(b"\0"):
                continue
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
            name = (proc / "comm").read_text().strip()
        except OSError:  # it ended while we looked
            continue
        if state != "Z":
            found.append(f"{proc.name} ({name})")
    return found


def pcap_dirs(folder: Path) -> set[str]:
    return {str(p) for p in folder.glob("lab-check-*")}


def _default_sigint() -> None:
    # A background job's SIGINT may be ignored, and children inherit that: undo it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def one_run(check_args: list[str], delay: float, settle: float) -> Run | None:
    """Start lab check, SIGINT its group `delay` s after it started; None if it ended first."""
    mark = uuid.uuid4().hex
    namespaces = net_namespaces()
    # A temporary folder of its own: its lab-check-* folders are this run's, not a neighbour's.
    tmp = Path(tempfile.mkdtemp(prefix="lab-interrupt-"))
    lab = subprocess.Popen(
        [sys.executable, "-m", "lab", "check", "--verbose", *check_args],
        cwd=REPO,
        env={**os.environ, MARK: mark, "TMPDIR": str(tmp)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a shell's foreground job
        preexec_fn=_default_sigint,  # noqa: PLW1509 - no other thread runs at this point
    )
    assert lab.stdout is not None
    assert lab.stderr is not None
    started = threading.Event()
    lines: list[str] = []
    out: list[str] = []

    def read_stderr() -> None:
        assert lab.stderr is not None
        for line in lab.stderr:
            lines.append(line)
            started.set()
        started.set()

    readers = [
        threading.Thread(target=read_stderr),
        threading.Thread(target=lambda: out.append(lab.stdout.read() if lab.stdout else "")),
    ]
    for reader in readers:
        reader.start()
    started.wait(timeout=30)
    begin = time.monotonic()
    try:
        lab.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        seen = list(lines)  # what lab check had said when SIGINT went
        doing = seen[-1].strip() if seen else ""
        os.killpg(lab.pid, signal.SIGINT)
        moment = time.monotonic() - begin
        status: int | None = lab.wait(timeout=120)
    else:
        moment, doing, status, seen = 0.0, "", None, []  # it ended first: no interrupt tested
    for reader in readers:
        reader.join()
    if status is None or _all_runs_finished(seen):
        shutil.rmtree(tmp, ignore_errors=True)
        return None
    run = Run(moment, doing, status, "".join(out), "".join(lines))
    deadline = time.monotonic() + settle
    while True:
        run.left = {
            "namespaces": sorted(net_namespaces() - namespaces),
            "processes": marked_processes(mark),
            "pcap dirs": sorted(pcap_dirs(tmp)),
        }
        if not any(run.left.values()) or time.monotonic() > deadline:
            shutil.rmtree(tmp, ignore_errors=True)
            return run
        time.sleep(0.25)


def _all_runs_finished(lines: list[str]) -> bool:
    """Whether --verbose's `lines` say every run finished (``[12/12] abort (IPv6) ok in``).

    Runs go side by side and end in any order: each one's end is counted.
    """
    ended = set()
    total = None
    for line in lines:
        counted = re.match(r"\[(\d+)/(\d+)\] \S+ \(IPv[46]\) (ok|FAIL)", line)
        if counted is not None:
            ended.add(counted.group(1))
            total = int(counted.group(2))
    return total is not None and len(ended) == total


WIDTHS = (5, 11, 6, 11, 6, 10, 10, 10)


def _row(cells: Sequence[object]) -> str:
    return " ".join(f"{cell!s:>{width}}" for cell, width in zip(cells, WIDTHS, strict=True))


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=None, help="seed for the moments")
    parser.add_argument(
        "--max-delay",
        type=float,
        default=0.9,
        help="latest moment, in seconds after lab check started (a plain check takes about 1 s; "
        "with -- --wait-timers, try 125)",
    )
    parser.add_argument("--tries", type=int, default=5, help="draws per run if the check wins")
    parser.add_argument(
        "--settle", type=float, default=10.0, help="seconds to let the kernel reclaim"
    )
    parser.add_argument("check_args", nargs="*", help="after --: more lab check arguments")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("interrupt needs root: it reads every process's namespaces", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.randrange(1 << 32)
    rng = random.Random(seed)
    command = " ".join(["lab check --verbose", *args.check_args])
    print(f"interrupt: {args.runs} runs of `{command}`, seed {seed}")
    columns = ["run", "SIGINT at s", "status", "interrupted", "report", *KINDS]
    print(_row(columns) + "  during")
    totals = dict.fromkeys(KINDS, 0)
    problems = 0
    for n in range(1, args.runs + 1):
        run = None
        for _ in range(args.tries):
            run = one_run(args.check_args, rng.uniform(0, args.max_delay), args.settle)
            if run is not None:
                break
        if run is None:
            print(f"{n:>3} lab check finished before every moment drawn; lower --max-delay")
            problems += 1
            continue
        for kind in KINDS:
            totals[kind] += len(run.left[kind])
        problems += bool(run.problems)
        cells = [n, f"{run.moment:.2f}", run.status, _yes(run.said_interrupted), _yes(run.reported)]
        print(_row([*cells, *(len(run.left[k]) for k in KINDS)]) + f"  {run.doing}")
        for problem in run.problems:
            print(f"      problem: {problem}")
    print(_row(["total", "", "", "", "", *(totals[k] for k in KINDS)]))
    print(f"{problems} of {args.runs} runs had a problem")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
