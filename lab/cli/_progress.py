"""What `lab check` shows on stderr while it runs; the report itself stays plain text.

Two things, independent of each other:

* a live display (the run under way, a bar of the runs done and how many
  failed, and under ``--wait-timers`` a countdown of the kernel's timer),
  drawn by rich only when standard output and standard error are both
  terminals and ``--quiet`` is not given: never into a pipe, a file or a CI
  log. It is erased when the check ends, before the report is printed;
* with ``--verbose``, one plain line per event (each run as it starts and
  ends, with its verdict, and every 10 s of a timer wait), terminal or not:
  what a CI log needs.

``NO_COLOR`` is honoured (rich reads it): the display keeps its shape, without colour.
"""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from lab._check import CheckEvent, CheckStarted, RunFinished, RunStarted, TimerWaiting

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
        self._logged_wait = -1

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
        if isinstance(event, RunStarted):
            self._logged_wait = -1
        if not isinstance(event, TimerWaiting):
            return True
        step = int(event.wait.waited // LOG_EVERY)
        if step == self._logged_wait:
            return False
        self._logged_wait = step
        return True

    def _show(self, display: Progress, event: CheckEvent) -> None:
        match event:
            case CheckStarted(plan=plan):
                self._runs = display.add_task("starting", total=len(plan.runs), count="")
                self._count(display, self._runs, 0, len(plan.runs))
            case RunStarted(run=run) if self._runs is not None:
                display.update(self._runs, description=run.label)
            case TimerWaiting(run=run, wait=wait):
                left = "" if wait.left is None else f"{wait.left:.0f} s left"
                total = wait.limit if wait.left is None else wait.waited + wait.left
                if self._timer is None:
                    self._timer = display.add_task("", total=total, count="")
                display.update(
                    self._timer,
                    description=f"  {wait.role} in {wait.state} until its timer fires",
                    completed=wait.waited,
                    total=max(total, wait.waited),
                    count=left,
                )
            case RunFinished(run=run, check=check) if self._runs is not None:
                if self._timer is not None:
                    display.remove_task(self._timer)
                    self._timer = None
                self._failed += not check.ok
                display.advance(self._runs)
                self._count(display, self._runs, run.n, run.total)

    def _count(self, display: Progress, runs: TaskID, done: int, total: int) -> None:
        """``3/12 runs, 1 failed`` beside the bar."""
        failed = f", {self._failed} failed" if self._failed else ""
        display.update(runs, count=f"{done}/{total} runs{failed}")
