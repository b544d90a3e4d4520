"""`lab check`'s progress with runs side by side: whole lines, each naming its run."""

from __future__ import annotations

import io

from rich.console import Console

from lab._check import (
    CheckEvent,
    CheckStarted,
    PlannedRun,
    RunStarted,
    TimerWaiting,
    plan_check,
)
from lab.cli._progress import CheckProgress
from lab.stepping._runner import TimerWait
from lab.tcp import Role, TcpState

PLAN = plan_check(scenarios=["close"])


def run(n: int) -> PlannedRun:
    scenario, family = PLAN.runs[n - 1]
    return PlannedRun(n, len(PLAN.runs), scenario, family)


def waiting(n: int, waited: float) -> TimerWaiting:
    wait = TimerWait(Role.CLIENT, TcpState.TIME_WAIT, TcpState.CLOSED, waited, 60 - waited)
    return TimerWaiting(run(n), wait)


def logged(events: list[CheckEvent]) -> list[str]:
    out = io.StringIO()
    progress = CheckProgress(Console(file=out, width=200), live=False, log=True)
    with progress:
        for event in events:
            progress(event)
    return out.getvalue().splitlines()


def test_two_runs_waiting_side_by_side_each_get_a_line_per_ten_seconds() -> None:
    events: list[CheckEvent] = [CheckStarted(PLAN), RunStarted(run(1)), RunStarted(run(2))]
    events += [waiting(1, 0), waiting(2, 0), waiting(1, 5), waiting(2, 5)]
    events += [waiting(1, 10.2), waiting(2, 10.1), waiting(1, 12), waiting(2, 12)]
    lines = logged(events)
    assert lines[1:3] == [
        "[1/2] close (IPv4) Four-way close from ESTABLISHED, the client first",
        "[2/2] close (IPv6) Four-way close from ESTABLISHED, the client first",
    ]
    waits = [line.split(" waiting for")[0] + line.split(",")[-1] for line in lines[3:]]
    assert waits == [
        "[1/2] close (IPv4) 60 s left (waited 0 s)",
        "[2/2] close (IPv6) 60 s left (waited 0 s)",
        "[1/2] close (IPv4) 50 s left (waited 10 s)",
        "[2/2] close (IPv6) 50 s left (waited 10 s)",
    ]


def test_the_live_display_counts_the_runs_under_way_and_those_waiting() -> None:
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=True, color_system=None)
    progress = CheckProgress(console, live=True, log=False)
    events: list[CheckEvent] = [CheckStarted(PLAN), RunStarted(run(1)), RunStarted(run(2))]
    with progress:  # drawn a last time as it ends, then erased
        for event in [*events, waiting(1, 3), waiting(2, 2)]:
            progress(event)
    shown = out.getvalue()
    assert "close (IPv4) and 1 more" in shown
    assert "2 runs wait for their timers to end TIME-WAIT" in shown
    assert "58 s left" in shown  # the one that ends last
