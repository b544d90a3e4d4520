"""Independent pieces of work run side by side in threads, heard from the caller's thread.

`side_by_side` runs ``work(index, item, lane)`` for each item, at most `jobs`
at a time, and reports what they tell (`Lane.tell`) and what they return
(`Done`) to `hear`, always in the caller's thread: a progress display that
prints from `hear` never interleaves, and an exception `hear` raises (or a
Ctrl-C, which only the main thread receives) stops everything from one place.

Stopping is cooperative, since a thread cannot be interrupted: no piece
starts once a stop is asked, a piece under way raises `Stopped` at its next
`Lane.stop_if_asked`, and `side_by_side` returns or raises only when every
thread has ended, so each piece has run its own teardown (``with`` blocks,
``finally``). Pieces under way when it stops are not heard of again.

A piece that from some point on only waits (sleeps) may call `Lane.waiting`:
it gives its place to the next piece, so `jobs` bounds the pieces that work,
not those that wait; up to `waiting` more pieces may be under way for that.
A piece whose outcome hangs on a few milliseconds can be made to run `alone`:
it takes every place, so no other piece works beside it, and the pieces that
wait pause in `Lane.waiting` meanwhile. Pieces take places in item order.

``jobs=1`` runs every piece in the caller's thread, one after another, as a
plain loop would: a Ctrl-C interrupts the piece under way at once.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Done", "Lane", "Stopped", "side_by_side"]

T = TypeVar("T")
R = TypeVar("R")
E = TypeVar("E")

_POLL = 0.1
"""Seconds between two looks at the threads while waiting for them to end."""


class Stopped(BaseException):
    """Raised in a piece of work under way when `side_by_side` stops (Ctrl-C, or a failure).

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` on
    the way swallows it; only `side_by_side` catches it.
    """


@dataclass(frozen=True)
class Done(Generic[R]):
    """Piece `index` ended and returned `value`."""

    index: int
    value: R


class Lane(Generic[E]):
    """What a piece of work may do while it runs: tell, give its place away, check for a stop."""

    def __init__(
        self,
        tell: Callable[[E], None],
        stop: threading.Event | None = None,
        places: _Places | None = None,
        taken: int = 0,
    ) -> None:
        self._tell = tell
        self._stop = stop
        self._places = places
        self._taken = taken

    def tell(self, event: E) -> None:
        """Have `event` heard in the caller's thread, after what this piece told before."""
        self._tell(event)

    def waiting(self) -> None:
        """From now on this piece only waits: the next may take its place.

        Call it before each wait: while a piece that must run alone works, it
        returns only once that piece is done (or waits itself).
        """
        self.give_back()
        if self._places is not None:
            self._places.wait_while_one_runs_alone()

    def give_back(self) -> None:
        """Give back the places this piece took (once); `side_by_side` does it as it ends."""
        taken, self._taken = self._taken, 0
        if self._places is not None and taken:
            self._places.give_back(taken)

    def stop_if_asked(self) -> None:
        """Raise `Stopped` if `side_by_side` is stopping; call it where stopping is safe."""
        if self._stop is not None and self._stop.is_set():
            raise Stopped


class _Places:
    """`jobs` places for the pieces that work; a piece that must run alone takes them all."""

    def __init__(self, jobs: int, stop: threading.Event) -> None:
        self.jobs = jobs
        self._free = jobs
        self._stop = stop
        self._changed = threading.Condition()
        self._alone = False
        """A piece that must run alone holds every place."""

    def take(self, alone: bool) -> int:
        """Wait for a place (every place, if `alone`); how many were taken (0: stopping)."""
        need = self.jobs if alone else 1
        with self._changed:
            self._changed.wait_for(lambda: self._stop.is_set() or self._free >= need)
            if self._stop.is_set():
                return 0
            self._free -= need
            self._alone = alone
            return need

    def give_back(self, taken: int) -> None:
        with self._changed:
            self._free += taken
            if self._free == self.jobs:  # every place free: no piece runs alone
                self._alone = False
            self._changed.notify_all()

    def wait_while_one_runs_alone(self) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._stop.is_set() or not self._alone)

    def stopping(self) -> None:
        """Wake every thread that waits here: they see the stop."""
        with self._changed:
            self._changed.notify_all()


def side_by_side(
    items: Sequence[T],
    work: Callable[[int, T, Lane[E]], R],
    *,
    hear: Callable[[E | Done[R]], None],
    jobs: int,
    waiting: int = 0,
    alone: Callable[[T], bool] | None = None,
) -> None:
    """Run `work` on every item, `jobs` at a time, in item order; `hear` hears it all.

    Up to `waiting` more pieces may be under way while they only wait (after
    `Lane.waiting`). An item for which `alone` is true runs with no other piece working beside
    it (pieces that wait, see `Lane.waiting`, pause meanwhile): for work whose
    outcome hangs on a few milliseconds. Returns once every piece is done and
    heard. If a piece raises, the others are stopped and its exception is
    raised; if `hear` raises (or Ctrl-C comes), the pieces are stopped and that
    is raised; either way only once every thread has ended. See the module
    docstring.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    if jobs == 1 or len(items) <= 1:
        for index, item in enumerate(items):
            hear(Done(index, work(index, item, Lane(hear))))
        return
    _Threads(items, work, jobs, jobs + waiting, alone or _never).run(hear)


def _never(item: object) -> bool:
    return False


@dataclass(frozen=True)
class _Told(Generic[E]):
    event: E


@dataclass(frozen=True)
class _Failed:
    error: BaseException


@dataclass(frozen=True)
class _Ended:
    """A thread ended (after its last piece)."""


class _Threads(Generic[T, R, E]):
    """One `side_by_side` over several threads."""

    def __init__(
        self,
        items: Sequence[T],
        work: Callable[[int, T, Lane[E]], R],
        jobs: int,
        threads: int,
        alone: Callable[[T], bool],
    ) -> None:
        self._work = work
        self._alone = alone
        self._todo = list(enumerate(items))
        self._todo.reverse()  # popped from the end: item order
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._places = _Places(jobs, self._stop)
        self._inbox: queue.SimpleQueue[_Told[E] | Done[R] | _Failed | _Ended] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._serve, name=f"lab-run-{n}")
            for n in range(min(threads, len(items)))
        ]

    def run(self, hear: Callable[[E | Done[R]], None]) -> None:
        try:
            for thread in self._threads:
                thread.start()
            self._listen(hear)
        finally:
            self._stop_and_join()

    def _listen(self, hear: Callable[[E | Done[R]], None]) -> None:
        ended = 0
        while ended < len(self._threads):
            message = self._inbox.get()
            match message:
                case _Told(event=event):
                    hear(event)
                case Done():
                    hear(message)
                case _Failed(error=error):
                    raise error
                case _Ended():
                    ended += 1

    def _stop_and_join(self) -> None:
        """Stop, and wait for every thread to end, however many times Ctrl-C comes meanwhile.

        Each piece under way ends within moments (it stops at its next
        `Lane.stop_if_asked`, or runs to its end); leaving before would leave
        labs behind that no one tears down.
        """
        while True:
            try:
                self._stop.set()
                self._places.stopping()
                for thread in self._threads:
                    while thread.is_alive():
                        thread.join(_POLL)
                return
            except KeyboardInterrupt:
                continue

    def _serve(self) -> None:
        """One thread: take the next item, in item order, until none is left."""
        try:
            while self._next_piece():
                pass
        finally:
            self._inbox.put(_Ended())

    def _next_piece(self) -> bool:
        """Run one piece (False: nothing left, or stopping)."""
        # Held while waiting for places: pieces take places in item order, and one that
        # must run alone is not overtaken by those after it.
        with self._lock:
            if self._stop.is_set() or not self._todo:
                return False
            index, item = self._todo.pop()
            taken = self._places.take(self._alone(item))
        if not taken:
            return False
        lane: Lane[E] = Lane(self._told, self._stop, self._places, taken)
        try:
            value = self._work(index, item, lane)
        except Stopped:
            return False
        except BaseException as error:
            self._stop.set()
            self._places.stopping()
            self._inbox.put(_Failed(error))
            return False
        finally:
            lane.give_back()  # unless the piece did
        self._inbox.put(Done(index, value))
        return True

    def _told(self, event: E) -> None:
        self._inbox.put(_Told(event))
