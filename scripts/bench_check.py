#!/usr/bin/env python3
"""Benchmark: `lab check` with runs side by side, beside one run at a time, in the same run.

    sudo .venv/bin/python scripts/bench_check.py [--rounds N] [--jobs N] [-- CHECK ARGS]

Times the whole command, as people run it (``python -m lab check -q``, start-up
and report included), in rounds that alternate:
  one at a time   ``--jobs 1``: the baseline, every run after the other, as before
                  runs went side by side;
  side by side    the default number of jobs (or --jobs N);
and prints, for each, the median, min and max wall time over --rounds, the
scenario runs per check, and how many checks failed (exit status not 0) with
the runs that failed in them; then the speed-up. Alternating rounds let a
load that comes and goes weigh on both alike. Target: side by side within 3 s
of wall time (the median); the exit status is 1 when it is missed or a check
failed. Needs root (or a user namespace), as every lab does.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from lab._check import default_jobs  # noqa: E402

TARGET_SECONDS = 3.0
"""`lab check`, runs side by side, must take at most this many seconds (median wall time)."""


@dataclass
class Measure:
    """One way to run the check, and what its rounds gave."""

    name: str
    jobs: int | None
    seconds: list[float] = field(default_factory=list)
    runs: list[int] = field(default_factory=list)
    failed_checks: int = 0
    failed_runs: Counter[str] = field(default_factory=Counter)

    def once(self, check_args: Sequence[str], folder: Path) -> None:
        """Run the check once, timed; note its runs and failures."""
        report = folder / f"{self.name.replace(' ', '-')}.json"
        jobs = [] if self.jobs is None else ["--jobs", str(self.jobs)]
        command = [sys.executable, "-m", "lab", "check", "-q", *jobs, *check_args]
        start = time.perf_counter()
        done = subprocess.run(
            [*command, "--json", str(report)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        self.seconds.append(time.perf_counter() - start)
        if done.returncode != 0:
            self.failed_checks += 1
        try:
            data = json.loads(report.read_text())
        except (OSError, ValueError):
            print(f"  {self.name}: no JSON (exit {done.returncode}): {done.stderr.strip()}")
            return
        scenarios = data["scenarios"]
        self.runs.append(len(scenarios))
        self.failed_runs.update(f"{s['name']} ({s['family']})" for s in scenarios if not s["ok"])

    def row(self) -> str:
        seconds = self.seconds
        runs = "/".join(str(n) for n in sorted(set(self.runs))) or "?"
        return (
            f"  {self.name:<15} {statistics.median(seconds):6.2f} s  "
            f"(min {min(seconds):.2f}, max {max(seconds):.2f})  {runs} runs  "
            f"{self.failed_checks} of {len(seconds)} checks failed"
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds, median taken (default 5)")
    parser.add_argument("--jobs", type=int, default=None, help="side by side: --jobs N")
    parser.add_argument("check_args", nargs="*", help="after --: more lab check arguments")
    options = parser.parse_args(argv)
    measures = [Measure("one at a time", 1), Measure("side by side", options.jobs)]
    with tempfile.TemporaryDirectory(prefix="lab-bench-check-") as folder:
        for _ in range(options.rounds):
            for measure in measures:
                measure.once(options.check_args, Path(folder))
    alone, together = measures
    jobs = options.jobs or default_jobs(max(together.runs, default=1))
    command = " ".join(["lab check -q", *options.check_args])
    print(f"`{command}`, {options.rounds} rounds, wall time of the whole command")
    print(alone.row())
    print(together.row() + f"  (--jobs {jobs})")
    for measure in measures:
        for label, count in sorted(measure.failed_runs.items()):
            print(f"    {measure.name}: {label} failed {count} times")
    speedup = statistics.median(alone.seconds) / statistics.median(together.seconds)
    print(f"  speed-up        {speedup:.1f}x")
    met = statistics.median(together.seconds) <= TARGET_SECONDS
    print(f"target: side by side within {TARGET_SECONDS:.0f} s: {'met' if met else 'MISSED'}")
    failed = alone.failed_checks + together.failed_checks
    return 0 if met and not failed else 1


if __name__ == "__main__":
    raise SystemExit(main())
