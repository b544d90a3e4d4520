"""Work side by side in threads: heard in the caller's thread, bounded, stopped as a whole.

No timing is asserted: threads meet at barriers and events, each with a generous timeout
that only a broken implementation reaches.
"""

from __future__ import annotations

import threading
import time

import pytest

from lab._side_by_side import Done, Lane, Stopped, side_by_side

PATIENCE = 10.0
"""Seconds a test waits for other threads before calling the implementation broken."""


def stop_when_asked(lane: Lane[str]) -> None:
    """Spin until `side_by_side` stops this piece (raises Stopped); fail after PATIENCE."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        lane.stop_if_asked()
        time.sleep(0.001)
    raise AssertionError("the piece was never asked to stop")


def test_every_piece_is_heard_once_in_the_callers_thread_after_its_own_events() -> None:
    caller = threading.get_ident()
    heard: list[object] = []
    threads: set[int] = set()

    def work(index: int, item: str, lane: Lane[str]) -> str:
        threads.add(threading.get_ident())
        lane.tell(f"start {item}")
        lane.tell(f"middle {item}")
        return item.upper()

    def hear(event: str | Done[str]) -> None:
        assert threading.get_ident() == caller
        heard.append(event)

    items = [f"item{n}" for n in range(12)]
    side_by_side(items, work, hear=hear, jobs=3)
    done = [e for e in heard if isinstance(e, Done)]
    assert sorted((d.index, d.value) for d in done) == [(n, i.upper()) for n, i in enumerate(items)]
    for n, item in enumerate(items):  # each piece's events in the order it told them
        finished = next(k for k, e in enumerate(heard) if isinstance(e, Done) and e.index == n)
        assert heard.index(f"start {item}") < heard.index(f"middle {item}") < finished
    assert caller not in threads


def test_one_job_runs_each_piece_in_the_callers_thread_in_order() -> None:
    caller = threading.get_ident()
    order: list[int] = []

    def work(index: int, item: int, lane: Lane[str]) -> int:
        assert threading.get_ident() == caller
        order.append(item)
        return item

    side_by_side([3, 1, 2], work, hear=lambda event: None, jobs=1)
    assert order == [3, 1, 2]


def test_no_more_than_jobs_pieces_work_at_once_and_they_start_in_item_order() -> None:
    lock = threading.Lock()
    working = 0
    most = 0
    started: list[int] = []
    meet = threading.Barrier(2, timeout=PATIENCE)  # two at once are reached, not just allowed

    def work(index: int, item: int, lane: Lane[str]) -> None:
        nonlocal working, most
        with lock:
            started.append(item)
            working += 1
            most = max(most, working)
        if item < 2:
            meet.wait()
        time.sleep(0.001)
        with lock:
            working -= 1

    side_by_side(list(range(20)), work, hear=lambda event: None, jobs=2)
    assert most == 2
    assert started[:2] in ([0, 1], [1, 0])  # taken in order; two threads may swap them
    assert sorted(started) == list(range(20))


def test_a_piece_that_only_waits_gives_its_place_to_the_next() -> None:
    # Four pieces meet while jobs is 2: only if waiting() freed their places.
    meet = threading.Barrier(4, timeout=PATIENCE)

    def work(index: int, item: int, lane: Lane[str]) -> int:
        lane.waiting()
        lane.waiting()  # twice is harmless: the place is given back once
        meet.wait()
        return item

    heard: list[object] = []
    side_by_side(list(range(4)), work, hear=heard.append, jobs=2, waiting=2)
    assert sorted(d.index for d in heard if isinstance(d, Done)) == [0, 1, 2, 3]


def test_a_piece_that_must_run_alone_works_with_none_beside_it() -> None:
    lock = threading.Lock()
    working: set[int] = set()
    beside_the_alone: list[set[int]] = []
    started: list[int] = []

    def work(index: int, item: int, lane: Lane[str]) -> int:
        with lock:
            started.append(item)
            working.add(item)
            if item in (4, 5):
                beside_the_alone.append(set(working))
        time.sleep(0.002)
        with lock:
            if item in (4, 5):
                beside_the_alone.append(set(working))
            working.discard(item)
        return item

    heard: list[object] = []
    side_by_side(list(range(12)), work, hear=heard.append, jobs=3, alone=lambda i: i in (4, 5))
    assert beside_the_alone == [{4}, {4}, {5}, {5}]
    assert sorted(d.index for d in heard if isinstance(d, Done)) == list(range(12))
    assert started.index(4) < started.index(5) < started.index(6)  # not overtaken


def test_a_failing_piece_stops_the_others_and_its_error_is_raised_once_all_ended() -> None:
    threads = threading.active_count()
    started: list[int] = []
    stopped: list[int] = []

    def work(index: int, item: int, lane: Lane[str]) -> None:
        started.append(item)
        if item == 0:
            raise ValueError("piece 0 broke")
        try:
            stop_when_asked(lane)
        except Stopped:
            stopped.append(item)
            raise

    with pytest.raises(ValueError, match="piece 0 broke"):
        side_by_side(list(range(10)), work, hear=lambda event: None, jobs=2)
    assert len(started) <= 2  # no piece starts once the failure is known
    assert stopped == [i for i in started if i != 0]
    assert threading.active_count() == threads  # every thread ended before the raise


def test_ctrl_c_in_the_callers_thread_stops_the_pieces_under_way_and_ends_every_thread() -> None:
    threads = threading.active_count()
    stopped: list[int] = []
    heard: list[int] = []
    all_started = threading.Barrier(3, timeout=PATIENCE)  # then piece 0 ends, the others work

    def work(index: int, item: int, lane: Lane[str]) -> int:
        if item < 3:
            all_started.wait()
        if item == 0:
            return item
        try:
            stop_when_asked(lane)
        except Stopped:
            stopped.append(item)
            raise
        return item

    def hear(event: str | Done[int]) -> None:
        if isinstance(event, Done):
            heard.append(event.index)
            raise KeyboardInterrupt  # as Ctrl-C would, while the caller hears

    with pytest.raises(KeyboardInterrupt):
        side_by_side(list(range(6)), work, hear=hear, jobs=3)
    assert heard == [0]  # nothing is heard once stopping
    assert {1, 2} <= set(stopped)  # the pieces under way were asked to stop, and did
    assert threading.active_count() == threads


def test_jobs_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        side_by_side([1], lambda index, item, lane: item, hear=lambda event: None, jobs=0)
