#!/usr/bin/env python3
"""Run a command N times in a row and count how often it passed (exit status 0).

    .venv/bin/python scripts/repeat.py [--times 20] [--load N] [--stop-on-failure] -- COMMAND ...

    make repeat                    # `lab check` 20 times: every state and flag, every time
    scripts/repeat.py --load 2 -- .venv/bin/lab check   # the same with both cores kept busy
    scripts/repeat.py -- .venv/bin/pytest -q -n 2      # the suite, for flakes

With ``--load N``, N processes spin on the CPU for the whole time (as a busy
CI machine would), so timing-sensitive behaviour shows up if there is any.

Prints one line per run (status, seconds) and a final line
``N passed, M failed`` (the form CI logs understand); exits 1 if any run failed.
The output of a failed run is printed in full; passing runs stay quiet.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator

SPIN = "while True: pass"


@contextlib.contextmanager
def cpu_load(processes: int) -> Iterator[None]:
    """`processes` busy loops for the duration of the block."""
    spinners = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(processes)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--times", type=int, default=20, help="how many runs (default 20)")
    parser.add_argument("--load", type=int, default=0, help="busy processes meanwhile (default 0)")
    parser.add_argument("--stop-on-failure", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARG ...]")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to repeat after --")
    with cpu_load(args.load):
        passed, failed, durations = repeat(command, args.times, stop=args.stop_on_failure)
    load = f", {args.load} busy processes meanwhile" if args.load else ""
    print(
        f"command: {' '.join(command)}; median {statistics.median(durations):.2f} s, "
        f"max {max(durations):.2f} s{load}"
    )
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def repeat(command: list[str], times: int, *, stop: bool) -> tuple[int, int, list[float]]:
    """Run `command` `times` times; (passed, failed, seconds of each run)."""
    passed = failed = 0
    durations = []
    for run in range(1, times + 1):
        start = time.monotonic()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        seconds = time.monotonic() - start
        durations.append(seconds)
        if done.returncode == 0:
            passed += 1
        else:
            failed += 1
        status = "ok" if done.returncode == 0 else f"FAILED (exit {done.returncode})"
        print(f"run {run:>3}/{times}: {status:<18} {seconds:6.2f} s", flush=True)
        if done.returncode != 0:
            print(done.stdout + done.stderr)
            if stop:
                break
    return passed, failed, durations


if __name__ == "__main__":
    sys.exit(main())
