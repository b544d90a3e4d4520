#!/usr/bin/env python3
"""Benchmark: checking a study note on the kernel, beside lab's own tables in the same run.

    sudo .venv/bin/python scripts/bench_note_check.py [--rounds N] [NOTE.md]

Times, in the same run, the median wall time over --rounds of:
  tables      `run_check` of lab's own open and close scenarios (both families): the
              baseline, the same kind and number of stepped runs without a note;
  note        `check_note` of the note (default: examples/notes/tcp-connection.md,
              two diagrams and three tables): reading it, its runs (the diagrams and
              the demonstrations its flag table needs) and judging every line;
and prints their ratio and the runs each made. Target: the note within 3 s
(without --wait-timers); the exit status is 1 when missed. Needs root (or a
user namespace), as every lab does.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab._check import run_check
from lab._notecheck import check_note
from lab.kernel._privileges import ensure_privileges

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "notes" / "tcp-connection.md"
TARGET_SECONDS = 3.0
"""A note of two diagrams and three tables must check within this many seconds."""


def timed(work: Callable[[], int], rounds: int) -> tuple[float, int]:
    """The median wall time of `work` over `rounds` runs, and the runs it made."""
    samples, runs = [], 0
    for _ in range(rounds):
        start = time.perf_counter()
        runs = work()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), runs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds, median taken (default 5)")
    parser.add_argument("note", nargs="?", type=Path, default=EXAMPLE, help="the note to check")
    options = parser.parse_args(argv)
    ensure_privileges()
    tables, table_runs = timed(
        lambda: len(run_check(scenarios=["open", "close"]).runs), options.rounds
    )
    note, note_runs = timed(lambda: len(check_note(options.note).result.runs), options.rounds)
    print(f"median of {options.rounds} rounds, {options.note}")
    print(f"  tables (open, close)  {tables:6.2f} s  {table_runs} runs")
    print(f"  note                  {note:6.2f} s  {note_runs} runs  ({note / tables:.1f}x)")
    verdict = "met" if note <= TARGET_SECONDS else "MISSED"
    print(f"target: the note within {TARGET_SECONDS:.0f} s: {verdict}")
    return 0 if note <= TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
