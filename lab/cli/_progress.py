"""What `lab check` shows on stderr while it runs; the report itself stays plain text.

Two things, independent of each other:

* a live display (the runs under way, a bar of the runs done and how many
  failed, and under ``--wait-timers`` a countdown of the kernel's timer, or
  of the last of the timers when several runs wait side by side),
  drawn by rich only when standard output and standard error are both
  terminals and ``--quiet`` is not given: never into a pipe, a file or a CI
  log. It is erased when the check ends, before the report is printed;
* with ``--verbose``, one plain line per event (each run as it starts and
  ends, with its verdict, and every 10 s of a timer wait), terminal or not:
  what a CI log needs. Runs side by side interleave their lines, whole
  lines each naming its run (``[3/34] close (IPv4) ok in 0.05 s``): every
  event reaches this callback in the check's calling thread.

``NO_COLOR`` is honoured (rich reads it): the display keeps its shape, without colour.
"""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from lab._check import CheckEvent, CheckStarted, RunFinished, RunStarted, TimerWaiting
from lab.stepping._runner import TimerWait

LOG_EVERY = 10.0
"""Seconds between two log lines of one timer wait."""


class CheckProgress:
    """The `progress` callback of `run_check` for the CLI: a context manager around the display."""

    def __init__(self, console: Console, *, live: bool, log: bool) -> None:
        self.console = console
        self.log = log
        self._display = (
            Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[count]}"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            if live
            else None
        )
        self._runs: TaskID | None = None
        self._timer: TaskID | None = None
        self._failed = 0
        self._done = 0
        self._under_way: dict[int, str] = {}
        """Run number -> label, for the runs started and not finished (several side by side)."""
        self._waits: dict[int, TimerWait] = {}
        """Run number -> how its timer wait stands, for the runs waiting out a timer."""
        self._logged_waits: dict[int, int] = {}
        """Run number -> the last `LOG_EVERY` step of its wait that got a log line."""

    @classmethod
    def on_stderr(cls, *, quiet: bool = False, verbose: bool = False) -> CheckProgress:
        """As the module docstring says: live on two terminals unless quiet, lines if verbose."""
        console = Console(stderr=True, highlight=False, soft_wrap=True)
        live = (
            not quiet
            and console.is_terminal
            and not console.is_dumb_terminal
            and sys.stdout.isatty()
        )
        return cls(console, live=live, log=verbose)

    @property
    def live(self) -> bool:
        """Whether the live display is drawn."""
        return self._display is not None

    def __enter__(self) -> CheckProgress:
        if self._display is not None:
            self._display.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._display is not None:
            self._display.stop()

    def __call__(self, event: CheckEvent) -> None:
        if self.log and self._worth_a_line(event):
            self.console.print(str(event), markup=False)
        if self._display is not None:
            self._show(self._display, event)

    def _worth_a_line(self, event: CheckEvent) -> bool:
        """Every event, except timer waits: one line per `LOG_EVERY` seconds of each."""
        if not isinstance(event, TimerWaiting):
            return True
        step = int(event.wait.waited // LOG_EVERY)
        if self._logged_waits.get(event.run.n) == step:
            return False
        self._logged_waits[event.run.n] = step
        return True

    def _show(self, display: Progress, event: CheckEvent) -> None:
        match event:
            case CheckStarted(plan=plan):
                self._runs = display.add_task("starting", total=len(plan.runs), count="")
                self._count(display, self._runs, len(plan.runs))
            case RunStarted(run=run) if self._runs is not None:
                self._under_way[run.n] = run.label
                display.update(self._runs, description=self._describe_runs())
            case TimerWaiting(run=run, wait=wait):
                self._waits[run.n] = wait
                self._show_waits(display)
            case RunFinished(run=run, check=check) if self._runs is not None:
                self._under_way.pop(run.n, None)
                self._waits.pop(run.n, None)
                self._show_waits(display)
                self._failed += not check.ok
                self._done += 1
                display.update(self._runs, description=self._describe_runs())
                display.advance(self._runs)
                self._count(display, self._runs, run.total)

    def _describe_runs(self) -> str:
        """The runs under way: ``open (IPv4)``, or ``open (IPv4) and 3 more`` side by side."""
        labels = list(self._under_way.values())
        if not labels:
            return "finishing"
        more = f" and {len(labels) - 1} more" if len(labels) > 1 else ""
        return labels[0] + more

    def _show_waits(self, display: Progress) -> None:
        """One line for the timers waited out: the run's, or how many runs wait, and the
        countdown of the one that ends last."""
        if not self._waits:
            if self._timer is not None:
                display.remove_task(self._timer)
                self._timer = None
            return
        last = max(self._waits.values(), key=_ends_in)
        left = "" if last.left is None else f"{last.left:.0f} s left"
        total = last.limit if last.left is None else last.waited + last.left
        if len(self._waits) == 1:
            description = f"  {last.role} in {last.state} until its timer fires"
        else:
            states = ", ".join(sorted({str(w.state) for w in self._waits.values()}))
            description = f"  {len(self._waits)} runs wait for their timers to end {states}"
        if self._timer is None:
            self._timer = display.add_task("", total=total, count="")
        display.update(
            self._timer,
            description=description,
            completed=last.waited,
            total=max(total, last.waited),
            count=left,
        )

    def _count(self, display: Progress, runs: TaskID, total: int) -> None:
        """``3/12 runs, 1 failed`` beside the bar."""
        failed = f", {self._failed} failed" if self._failed else ""
        display.update(runs, count=f"{self._done}/{total} runs{failed}")


def _ends_in(wait: TimerWait) -> float:
    """Seconds until the wait ends: the kernel's countdown, else what the limit leaves."""
    return wait.limit - wait.waited if wait.left is None else wait.left
