"""sock_diag timers read as ``ss -o`` prints them (`ss_timer`, a pure function of the reader)."""

from __future__ import annotations

import pytest

from lab.stepping._diag import ss_timer
from lab.tcp import StateSnapshot, TcpState


@pytest.mark.parametrize(
    ("timer", "expires_ms", "retrans", "shown"),
    [
        (0, 0, 0, ""),
        (3, 59_999, 0, "timewait,59sec,0"),
        (3, 60_000, 0, "timewait,1min,0"),
        (1, 4_996, 0, "on,4.996ms,0"),
        (1, 992, 2, "on,992ms,2"),
        (1, 1_000, 0, "on,1sec,0"),
        (2, 125_000, 0, "keepalive,2min5sec,0"),
        (2, 605_000, 0, "keepalive,10min,0"),
    ],
)
def test_timers_read_like_ss(timer: int, expires_ms: int, retrans: int, shown: str) -> None:
    assert ss_timer(timer, expires_ms, retrans) == shown


@pytest.mark.parametrize(
    ("timer", "left"),
    [
        ("timewait,59sec,0", 59.0),
        ("timewait,1min,0", 60.0),
        ("on,4.996ms,0", 4.996),
        ("on,992ms,2", 0.992),
        ("keepalive,2min5sec,0", 125.0),
        ("", None),
        ("timewait,soon,0", None),
    ],
)
def test_the_time_a_timer_has_left(timer: str, left: float | None) -> None:
    assert StateSnapshot(TcpState.TIME_WAIT, timer).timer_left == left
