"""What a run showed of each end, as the claims of a note need it: moments, ends, timers, ISNs.

    run = RunMoments(record)
    run.window(Role.CLIENT, lo=2, hi=5)     # the client's states from timeline[2] to timeline[5]
    run.ending(Role.CLIENT)                 # StateSnapshot(TIME-WAIT, "timewait,59sec,0")
    run.fires_into(Role.CLIENT)             # CLOSED: what follows when its running timer fires

A role without a snapshot at some moment was not observed then (the stepper
writes CLOSED for a role without a socket, so a missing key means "not taken").
Pure: no kernel access.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from lab.tcp._names import Role, TcpFlag, TcpState
from lab.tcp._observed import Observation, ObservedSegment, StateSnapshot
from lab.tcp._record import RunRecord
from lab.tcp._spec import ROLES, Timer

__all__ = ["TIMER_ENDS", "RunMoments", "moments", "segment_text"]

TIMER_ENDS: Final[Mapping[TcpState, TcpState]] = {
    TcpState.TIME_WAIT: TcpState.CLOSED,  # 2MSL (Linux: 60 s)
    TcpState.FIN_WAIT_2: TcpState.CLOSED,  # an orphan's tcp_fin_timeout (Linux: 60 s)
}
"""States that a timer ends, and the state that follows when it fires.

A scenario's own `Timer`s (tables.yaml's ``timers:``) add to these for their role.
"""


def moments(item: Observation) -> list[Mapping[str, StateSnapshot]]:
    """The snapshots an observation holds, in time order: in flight and once processed."""
    return [item.before, item.after] if isinstance(item, ObservedSegment) else [item.states]


def segment_text(seg: ObservedSegment, isn: Mapping[str, int]) -> str:
    """``client → server SYN+ACK (seq 0, ack 1)``: relative numbers, ack only with ACK."""
    numbers = [f"seq {(seg.seq - isn.get(seg.sender, 0)) % (1 << 32)}"]
    if TcpFlag.ACK in seg.flags:
        numbers.append(f"ack {(seg.ack - isn.get(seg.receiver, 0)) % (1 << 32)}")
    if seg.length:
        numbers.append(f"len {seg.length}")
    dropped = ", dropped" if seg.dropped else ""
    return f"{seg.sender} → {seg.receiver} {seg.flags.label} ({', '.join(numbers)}){dropped}"


class RunMoments:
    """One `RunRecord` read role by role."""

    def __init__(self, record: RunRecord, timers: Sequence[Timer] = ()) -> None:
        self.record = record
        self.timeline: tuple[Observation, ...] = tuple(record.timeline)
        self._timers = {(t.role, t.state): t.then for t in timers}
        self.isn: dict[str, int] = dict.fromkeys(ROLES, 0) | record.anchors()

    def snapshots(self, role: Role, lo: int, hi: int) -> list[StateSnapshot]:
        """`role`'s snapshots in timeline[lo:hi], in order."""
        return [m[role] for item in self.timeline[lo:hi] for m in moments(item) if role in m]

    def window(self, role: Role, lo: int | None, hi: int | None) -> list[TcpState]:
        """`role`'s states from the processing of timeline[lo] to the sending of timeline[hi].

        None for `lo`: from the start (the setup done); None for `hi`: to the
        ending (the script and its settling done). Each state once, in order.
        """
        found: list[StateSnapshot | None] = []
        if lo is None:
            found.append(self.record.start.get(role))
        else:
            lo_item = self.timeline[lo]
            own = self._own_segment_above(role, lo)
            if own is not None:
                # Its own segment above: the state it sent it in counts too. When two
                # segments cross (a simultaneous close), the peer's arrives before this
                # one is released, and "FIN, then FIN-WAIT-1" is still what it did; so
                # too when the peer's crossing segment is drawn between (a par block).
                found.append(own.before.get(role))
            found.append(moments(lo_item)[-1].get(role))
        first = 0 if lo is None else lo + 1
        last = len(self.timeline) if hi is None else hi
        found += self.snapshots(role, first, last)
        if hi is None:
            found.append(self.ending(role))
        else:
            found.append(moments(self.timeline[hi])[0].get(role))
        return list(dict.fromkeys(s.state for s in found if s is not None))

    def _own_segment_above(self, role: Role, lo: int) -> ObservedSegment | None:
        """`role`'s segment at timeline[lo], or just before the peer's segment there when
        the peer sent that one before it had `role`'s (the two crossed on the wire)."""
        item = self.timeline[lo]
        if not isinstance(item, ObservedSegment):
            return None
        if item.sender == role:
            return item
        before = self.timeline[lo - 1] if lo > 0 else None
        if isinstance(before, ObservedSegment) and before.sender == role and _crossed(before, item):
            return before
        return None

    def ending(self, role: Role) -> StateSnapshot | None:
        """`role` when the script and its settling ended (before any wait)."""
        found = self.record.ending.get(role)
        if found is None:
            shown = self.snapshots(role, 0, len(self.timeline))
            found = shown[-1] if shown else self.record.start.get(role)
        return found

    def final(self, role: Role) -> StateSnapshot | None:
        """`role` when the run ended, after the wait of --wait-timers if it waited."""
        return self.record.final.get(role) or self.ending(role)

    def waited(self, role: Role) -> float | None:
        """The seconds --wait-timers waited for `role`'s timer; None if it did not wait."""
        return self.record.waited.get(role)

    def timer_text(self, role: Role) -> str:
        """The timer ``ss -o`` showed on `role` in its ending state (``timewait,59sec,0``)."""
        end = self.ending(role)
        if end is None:
            return ""
        shown = [*self.snapshots(role, 0, len(self.timeline)), end]
        return next((s.timer for s in reversed(shown) if s.state == end.state and s.timer), "")

    def timed(self, role: Role) -> bool:
        """Whether `role` ended the script in a timed state: TIME-WAIT, or any timer shown."""
        end = self.ending(role)
        return end is not None and (end.state is TcpState.TIME_WAIT or bool(end.timer))

    def fires_into(self, role: Role) -> TcpState | None:
        """The state `role` enters when the timer of its ending state fires; None: no such timer."""
        end = self.ending(role)
        if end is None or not self.timed(role):
            return None
        return self._timers.get((role, end.state), TIMER_ENDS.get(end.state))

    def sequence(self, role: Role) -> list[TcpState]:
        """Every state `role` was seen in, start to end (the final one if waited), merged runs."""
        shown: list[StateSnapshot | None] = [
            self.record.start.get(role),
            *self.snapshots(role, 0, len(self.timeline)),
            self.ending(role),
        ]
        if self.waited(role) is not None:
            shown.append(self.record.final.get(role))
        states: list[TcpState] = []
        for snapshot in shown:
            if snapshot is not None and (not states or states[-1] != snapshot.state):
                states.append(snapshot.state)
        return states


def _crossed(first: ObservedSegment, second: ObservedSegment) -> bool:
    """Whether `second` (the peer's) was sent before the peer had `first`: its ACK field
    does not cover all of `first` (its data, and its SYN or FIN)."""
    if TcpFlag.ACK not in second.flags:
        return True
    return ((second.ack - first.acknowledges) % 2**32) >= 2**31  # before first's end
