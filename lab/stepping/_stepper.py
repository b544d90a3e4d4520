"""The Stepper: every TCP segment between two lab hosts held in flight, one at a time.

See the package docstring (`lab.stepping`) for where segments are held, when
states are read, and how settling works.
"""

from __future__ import annotations

import contextlib
import itertools
import select
import time
from collections import deque
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from lab._addresses import SocketAddress, show_address
from lab._errors import HostError, SteppingError
from lab.kernel._host import Host
from lab.kernel._lab import Lab
from lab.stepping._capture import Capture
from lab.stepping._counters import SentTally, TcpCounters
from lab.stepping._diag import SockDiag
from lab.stepping._inject import RawSender
from lab.stepping._nfqueue import NfQueue, QueuedPacket
from lab.stepping._nftables import EGRESS_QUEUE, INGRESS_QUEUE, AddressPair, QueueRules
from lab.stepping._profile import PeerPath, apply_sysctls, peer_paths
from lab.stepping._segment import (
    Connection,
    ConnectionTracker,
    Segment,
    mark_ce,
    unacknowledged,
)
from lab.tcp._names import Role, TcpFlag, TcpState
from lab.tcp._observed import ObservedSegment, StateSnapshot

T = TypeVar("T")

ARRIVAL_TIMEOUT = 2.0
"""Seconds a released segment may take to reach the receiver's input hook."""

ACK_DELAY_LIMIT = 0.5
"""Seconds `settle` waits for an acknowledgement the kernel still owes (a delayed ACK).

Linux delays an ACK by at most TCP_DELACK_MAX (200 ms) unless a route says otherwise."""

CATCH_UP_TIMEOUT = 0.5
"""Seconds to wait for segments TCP has counted as sent but that are not queued yet."""

COUNTED_AFTER_GRACE = 0.05
"""Seconds to wait for the counter of a segment already taken (RSTs are counted after sending)."""

_CLOSE_PASSES = 64
"""At close, rounds of letting held packets go (each may cause answers) before giving up."""

_TCP_STATES_THAT_ACK = frozenset(TcpState) - {
    TcpState.CLOSED,
    TcpState.LISTEN,
    TcpState.SYN_SENT,
    TcpState.TIME_WAIT,  # answers at once, never with a delayed ACK
}


@dataclass(frozen=True)
class _Emitted:
    """A segment taken from a sender's egress queue, with the states when it was taken."""

    sender: Role
    packet: QueuedPacket
    segment: Segment
    before: dict[str, StateSnapshot]
    time: float
    injected: bool = False
    """Sent by `Stepper.inject` from a raw socket, not by the sender's TCP."""


class HeldSegment:
    """A segment held at its sender's output: look at it, then `release` or `drop` it."""

    def __init__(self, stepper: Stepper, emitted: _Emitted) -> None:
        self._stepper = stepper
        self.packet = emitted.packet
        """The kernel's handle on the held packet (its NFQUEUE id)."""
        self.sender = emitted.sender
        self.receiver = emitted.sender.peer
        self.segment = emitted.segment
        self.before = emitted.before
        """Both roles' states when the sender's kernel emitted it (the sender has moved)."""
        self.time = emitted.time
        """When it was emitted, in seconds since the stepper started."""
        self.injected = emitted.injected
        """Crafted by `Stepper.inject`, not sent by the sender's TCP."""
        self.done = False
        """Released or dropped already."""

    @property
    def flags(self) -> TcpFlag:
        return self.segment.flags

    def release(self, *, ce: bool = False) -> ObservedSegment:
        """Deliver it (with `ce`, marked Congestion Experienced on its way), let the
        receiver process it, and return what was observed."""
        return self._stepper.release(self, ce=ce)

    def drop(self) -> ObservedSegment:
        """Throw it away, as a lossy network would; TCP will retransmit on its timer."""
        return self._stepper.drop(self)

    def __repr__(self) -> str:
        state = "done" if self.done else "held"
        return f"<HeldSegment {self.sender} -> {self.receiver} {self.segment} ({state})>"


@dataclass
class _SteppedHost:
    """What the stepper keeps in one host's namespace."""

    host: Host
    paths: list[PeerPath]
    egress: NfQueue
    ingress: NfQueue
    rules: QueueRules
    diag: SockDiag
    counters: TcpCounters
    sent_base: int
    """OutSegs + RetransSegs once the rules were in place."""
    timers_base: dict[str, int]
    taken: SentTally = field(default_factory=SentTally)
    """Segments taken from the egress queue since then, counted as the kernel counts them."""

    @classmethod
    def open(
        cls, host: Host, paths: list[PeerPath], sockets: ExitStack, undo: ExitStack
    ) -> _SteppedHost:
        """Bind the host's queues, install its rules, open its readers; closes go on the stacks."""
        # Bind the queues before the rules exist: a rule whose queue has no listener drops.
        egress = NfQueue(host.netns, EGRESS_QUEUE, label=f"egress queue of host {host.name}")
        sockets.callback(egress.close)
        ingress = NfQueue(host.netns, INGRESS_QUEUE, label=f"ingress queue of host {host.name}")
        sockets.callback(ingress.close)
        rules = QueueRules(host.netns, label=host.name)
        sockets.callback(rules.close)
        undo.callback(_remove_rules, rules, host)
        rules.install([AddressPair(p.me, p.peer) for p in paths])
        diag = SockDiag(host.netns, label=host.name)
        sockets.callback(diag.close)
        counters = TcpCounters(host.netns)
        sockets.callback(counters.close)
        return cls(
            host, paths, egress, ingress, rules, diag, counters,
            sent_base=counters.segments_sent(), timers_base=counters.timers(),
        )  # fmt: skip

    def unaccounted(self) -> int:
        """Segments TCP counted as sent but not taken yet (negative: taken, not counted yet)."""
        return self.counters.segments_sent() - self.sent_base - self.taken.counted


def _remove_rules(rules: QueueRules, host: Host) -> None:
    if not host.netns.closed:
        rules.remove()


class Stepper:
    """Holds every TCP segment between two lab hosts, one at a time (a context manager).

    `client` and `server` name the lab hosts that play those roles; `port` is
    the server's port (where it is LISTEN before the connection exists);
    `sysctls` are settings the scenario needs beyond the kernel's defaults, set
    in both hosts (shown by `settings`); `pcap`, if given, is where the capture
    is written at `close`. Not thread-safe: drive it from one thread.
    """

    def __init__(
        self,
        lab: Lab,
        *,
        client: str = "client",
        server: str = "server",
        port: int,
        sysctls: Mapping[str, str | int] | None = None,
        pcap: Path | None = None,
        arrival_timeout: float = ARRIVAL_TIMEOUT,
    ) -> None:
        if client == server:
            raise SteppingError(
                f"the client and the server are both {client!r}; stepping needs two lab hosts"
            )
        self.lab = lab
        self.hosts = {Role.CLIENT: client, Role.SERVER: server}
        """The lab host that plays each role."""
        self.port = port
        self.settings = {name: str(value) for name, value in (sysctls or {}).items()}
        """The sysctls set in both hosts beyond the kernel's defaults (none by default)."""
        self.arrival_timeout = arrival_timeout
        self._pcap = pcap
        self._sockets = ExitStack()
        """Closes what the stepper opened (queues, netlink sockets)."""
        self._undo = ExitStack()
        """Undoes what it did to a running lab (held packets, rules)."""
        self._sides: dict[Role, _SteppedHost] = {}
        self._capture: Capture | None = None
        self._tracker = ConnectionTracker(port)
        self._fifo: deque[_Emitted] = deque()
        self._injecting: tuple[Role, bytes] | None = None
        """The role and TCP bytes `inject` is sending, until `_collect` takes them."""
        self._injected: _Emitted | None = None
        self._outstanding: list[HeldSegment] = []
        self._segments: list[ObservedSegment] = []
        self._started_at = 0.0
        self._started = False

    # --- lifetime ------------------------------------------------------------------------

    def start(self) -> Stepper:
        """Apply the declared settings, install the queue rules, open the queues and capture."""
        if self._started:
            raise SteppingError("this Stepper was started already; make a new one per scenario")
        self._started = True
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _start(self) -> None:
        client, server = (self.host(role) for role in Role)
        paths = peer_paths(client, server)
        if not paths[client.name]:
            raise SteppingError(
                f"hosts {client.name} and {server.name} of lab {self.lab.name} share no address "
                "family; give both an IPv4 or an IPv6 address in the topology"
            )
        apply_sysctls((client, server), self.settings)
        if self._pcap is not None:
            # Open before any traffic: the kernel keeps every frame from now on.
            self._capture = Capture(client.netns, paths[client.name][0].ifname, label=client.name)
        for role, host in zip(Role, (client, server), strict=True):
            self._sides[role] = _SteppedHost.open(host, paths[host.name], self._sockets, self._undo)
        # Undone last-in first-out: held packets go before the rules do.
        self._undo.callback(self._let_go)
        self._started_at = time.monotonic()

    def close(self) -> None:
        """Stop stepping; write the pcap if asked. Safe to call twice.

        If the lab still runs, what is held is let go and the rules are removed,
        so the lab carries traffic as before; if the lab is closed already,
        there is nothing to undo (its namespaces took the rules with them).
        """
        # Rules first, then the capture, then the sockets, then the pcap. Closing an
        # nfnetlink socket waits for nf_tables' destroy work once a table was deleted, and
        # closing a packet socket waits in packet_release(): an RCU grace period each
        # (~12 ms at HZ=250). Deleting every table first lets the grace periods overlap.
        with ExitStack() as stack:
            stack.callback(self._write_pcap)
            stack.push(self._sockets)
            stack.callback(self._close_capture)
            stack.push(self._undo)

    def _close_capture(self) -> None:
        if self._capture is not None:
            self._capture.close()

    def _write_pcap(self) -> None:
        if self._capture is not None and self._pcap is not None:
            capture, self._capture = self._capture, None
            capture.write(self._pcap)

    def __enter__(self) -> Stepper:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _let_go(self) -> None:
        """Accept everything held, and what that causes, so the lab carries on unstepped."""
        if not all(not side.host.netns.closed for side in self._sides.values()):
            return
        waiting = [(held.sender, held.packet) for held in self._outstanding]
        waiting += [(emitted.sender, emitted.packet) for emitted in self._fifo]
        self._outstanding.clear()
        self._fifo.clear()
        for sender, packet in waiting:
            self._sides[sender].egress.verdict(packet, accept=True)
        for _ in range(_CLOSE_PASSES):
            moved = False
            for side in self._sides.values():
                for queue in (side.egress, side.ingress):
                    for packet in queue.drain():
                        with contextlib.suppress(SteppingError):  # released by us already
                            queue.verdict(packet, accept=True)
                        moved = True
            if not moved:
                return

    # --- the roles -------------------------------------------------------------------------

    def host(self, role: Role | str) -> Host:
        """The lab host that plays `role` (``client`` or ``server``)."""
        try:
            name = self.hosts[Role(role)]
        except ValueError:
            raise SteppingError(
                f"{role!r} is not a role of this Stepper; the roles are client "
                f"(host {self.hosts[Role.CLIENT]!r}) and server (host {self.hosts[Role.SERVER]!r})"
            ) from None
        try:
            return self.lab[name]
        except KeyError as error:
            raise SteppingError(str(error.args[0])) from None

    def _side(self, role: Role) -> _SteppedHost:
        try:
            return self._sides[role]
        except KeyError:
            raise SteppingError("the Stepper is not started; use it in a with block") from None

    # --- observing -----------------------------------------------------------------------

    @property
    def connection(self) -> Connection | None:
        """The connection under test, once a segment was held; None before."""
        self._collect()
        return self._tracker.connection

    @property
    def segments(self) -> list[ObservedSegment]:
        """Every segment released so far, in order."""
        return list(self._segments)

    @property
    def pcap_path(self) -> Path | None:
        """Where the capture is (or will be, at close) written; None without capture."""
        return self._pcap

    def states(self) -> dict[str, StateSnapshot]:
        """Both roles' current state of the connection."""
        self._collect()
        return self._read_states()

    def ss(self, role: Role | str) -> str:
        """The real ``ss -tanoi`` output of that role's host."""
        return self.host(role).ss()

    def timer_transmissions(self) -> dict[str, dict[str, int]]:
        """Timer-driven transmissions (delayed ACKs, probes, timeouts) since the start, per role."""
        counts: dict[str, dict[str, int]] = {}
        for role, side in self._sides.items():
            now = side.counters.timers()
            counts[role] = {name: now[name] - side.timers_base[name] for name in now}
        return counts

    def _read_states(self) -> dict[str, StateSnapshot]:
        return {role: self._tracker.state_of(role, self._side(role).diag) for role in Role}

    # --- driving ----------------------------------------------------------------------------

    def act(self, role: Role | str, fn: Callable[[], T]) -> T:
        """Run an application call inside `role`'s host; the segments it causes stay held.

        Segments the kernel emitted before the call are taken first, with the
        states they were sent in: an action never overtakes them. `fn` runs in
        the calling thread, moved into the host's namespace, so a socket it
        creates lives there. Use non-blocking sockets: a call that waits for
        the network would wait for a segment the stepper holds.
        """
        host = self.host(role)
        self._side(Role(role))
        self._catch_up()
        with host.netns.entered():
            result = fn()
        self._collect()
        return result

    def next_segment(
        self, timeout: float = 1.0, *, sender: Role | str | None = None
    ) -> HeldSegment:
        """The next held segment; SteppingError if the kernel sends none within `timeout` s.

        A segment the kernel sends later (a delayed ACK, a retransmission) is
        waited for, up to `timeout`. With `sender`, the next one that role sent:
        the other role's segments stay held, in order, for later calls.
        """
        held = self.poll(timeout, sender=sender)
        if held is None:
            whose = "" if sender is None else f" from the {Role(sender)}"
            states = ", ".join(f"{role} {s.state}" for role, s in self.states().items())
            raise SteppingError(
                f"the kernel sent no segment{whose} within {timeout} s ({states}); give a "
                "longer timeout for a timer's segment, or use poll() where none may come"
            )
        return held

    def poll(
        self, timeout: float = 0.0, *, sender: Role | str | None = None, skip: int = 0
    ) -> HeldSegment | None:
        """Like `next_segment`, but None when no segment comes within `timeout` s.

        With `skip`, the segment after the next `skip` ones (of `sender`, if given):
        those stay held, in order, so the one taken overtakes them (reordering).
        """
        wanted = None if sender is None else Role(sender)
        self._collect()
        deadline = time.monotonic() + timeout
        while (found := self._first_from(wanted, skip)) is None:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            select.select([side.egress for side in self._sides.values()], [], [], left)
            self._collect()
        emitted = self._fifo[found]
        del self._fifo[found]
        held = HeldSegment(self, emitted)
        self._outstanding.append(held)
        return held

    def _first_from(self, sender: Role | None, skip: int = 0) -> int | None:
        """The position of the first waiting segment from `sender` (any if None) after `skip`."""
        places = (i for i, e in enumerate(self._fifo) if sender is None or e.sender is sender)
        return next(itertools.islice(places, skip, None), None)

    def inject(
        self, sender: Role | str, src: SocketAddress, dst: SocketAddress, tcp: bytes
    ) -> HeldSegment:
        """Send `tcp` (a TCP header and payload, checksum filled) from `src` to `dst` through a
        raw socket in `sender`'s host, and hold it like any other segment of that host.

        The segment passes the sender's output hook, so it is held there; it is returned
        at once, ahead of what the kernel emitted before it, and is not counted as one
        TCP sent (a raw socket's segment is not). Segments emitted before are taken
        first, with the states they were sent in. Injected before any segment was held,
        it names the connection the stepper follows, like any first segment.
        """
        role = Role(sender)
        side = self._side(role)
        self._catch_up()
        self._injecting = (role, tcp)
        try:
            RawSender(side.host.netns).send(src, dst, tcp)
            deadline = time.monotonic() + self.arrival_timeout
            while self._injected is None:
                if time.monotonic() > deadline:
                    raise SteppingError(
                        f"a segment injected from host {side.host.name} never reached its "
                        f"egress queue within {self.arrival_timeout} s; is {show_address(src)} "
                        "one of its addresses?"
                    )
                select.select([side.egress], [], [], 0.01)
                self._collect()
        finally:
            self._injecting = None
        emitted, self._injected = self._injected, None
        held = HeldSegment(self, emitted)
        self._outstanding.append(held)
        return held

    def settle(self, timeout: float = ARRIVAL_TIMEOUT) -> list[ObservedSegment]:
        """Release everything held, and what it causes, until both hosts are quiet.

        Quiet means: nothing is held, the kernel's counters show that every
        segment TCP transmitted has been held, and no acknowledgement is owed
        (an end that received data or a FIN it has not acknowledged yet will
        send a delayed ACK; that is waited for, up to ACK_DELAY_LIMIT).
        """
        done: list[ObservedSegment] = []
        while True:
            held = self._outstanding[0] if self._outstanding else self.poll()
            if held is not None:
                done.append(held.release())
                continue
            self._catch_up(timeout)
            if self._fifo:
                continue
            owed = [role for role in Role if self._owes_ack(role)]
            if not owed:
                return done
            held = self.poll(ACK_DELAY_LIMIT)
            if held is None:
                return done  # the kernel decided not to acknowledge: nothing more comes
            done.append(held.release())

    def release(self, held: HeldSegment, *, ce: bool = False) -> ObservedSegment:
        """Deliver `held`, let the receiver process it, and return what was observed.

        With `ce`, its IP ECN bits are set to CE (11) as it leaves the sender, as a
        congested router would mark it.
        """
        self._finish(held)
        self._collect()  # whatever was emitted meanwhile keeps the states it was sent in
        out, into = self._sides[held.sender], self._sides[held.receiver]
        marked = mark_ce(held.packet.payload) if ce else None
        out.egress.verdict(held.packet, accept=True, payload=marked)
        arrived = into.ingress.receive(timeout=self.arrival_timeout)
        if arrived is None:
            raise SteppingError(
                f"{held.segment}, released by {out.host.name}, never reached the input hook of "
                f"{into.host.name} within {self.arrival_timeout} s; {out.host.name}: "
                f"{_link_stats(out)}; {into.host.name}: {_link_stats(into)}"
            )
        seen = Segment.parse(arrived.payload)
        into.ingress.verdict(arrived, accept=True)
        processed = time.monotonic() - self._started_at
        if not seen.same_on_the_wire(held.segment):
            raise SteppingError(
                f"released {held.segment} but {into.host.name} received {seen}; the stepper "
                "releases one segment at a time, so this is a bug"
            )
        # The ingress verdict ran the receiver's whole input path: it has processed the
        # segment, and whatever it answered at once is in its egress queue now.
        after = self._read_states()
        self._collect(after)
        return self._observed(held, after, ecn=seen.ecn, arrived=processed)

    def drop(self, held: HeldSegment) -> ObservedSegment:
        """Throw `held` away, as a lossy network would; what was observed (``dropped``)."""
        self._finish(held)
        self._collect()
        self._sides[held.sender].egress.verdict(held.packet, accept=False)
        return self._observed(held, self._read_states(), dropped=True)

    def _observed(
        self,
        held: HeldSegment,
        after: dict[str, StateSnapshot],
        *,
        dropped: bool = False,
        ecn: int | None = None,
        arrived: float | None = None,
    ) -> ObservedSegment:
        """What was observed of `held`, released or dropped, kept in order; `after`: both
        roles once it was processed (or thrown away); `ecn`: its ECN bits as it arrived;
        `arrived`: when the receiver had processed it."""
        observed = ObservedSegment(
            n=len(self._segments) + 1,
            sender=held.sender,
            receiver=held.receiver,
            flags=held.segment.flags,
            seq=held.segment.seq,
            ack=held.segment.ack,
            length=held.segment.length,
            before=held.before,
            after=after,
            time=held.time,
            arrived=arrived,
            dropped=dropped,
            injected=held.injected,
            ecn=ecn,
            options=held.segment.options,
        )
        self._segments.append(observed)
        return observed

    def _finish(self, held: HeldSegment) -> None:
        if held.done:
            raise SteppingError(f"{held.segment} was released or dropped already")
        held.done = True
        self._outstanding.remove(held)

    def _collect(self, states: dict[str, StateSnapshot] | None = None) -> None:
        """Take what the egress queues hold, with both roles' states as they are now.

        `states`, when given, were read just now (after a release) and are used
        instead of reading them again.
        """
        taken: list[tuple[Role, QueuedPacket, Segment]] = []
        injected: tuple[Role, QueuedPacket, Segment] | None = None
        for role, side in self._sides.items():
            for packet in side.egress.drain():
                segment = Segment.parse(packet.payload)
                self._tracker.learn(role, segment)
                if (role, packet.payload[segment.header :]) == self._injecting:
                    injected = (role, packet, segment)  # a raw socket's: TCP counted nothing
                    self._injecting = None
                    continue
                side.taken.add(segment.flags, segment.seq)
                taken.append((role, packet, segment))
        if not taken and injected is None:
            return
        now = time.monotonic() - self._started_at
        before = states if states is not None else self._read_states()
        self._fifo.extend(_Emitted(role, p, s, before, now) for role, p, s in taken)
        if injected is not None:
            self._injected = _Emitted(*injected, before, now, injected=True)

    def _catch_up(self, timeout: float = CATCH_UP_TIMEOUT) -> None:
        """Take every segment TCP has counted as sent; wait (up to `timeout`) for stragglers.

        TCP counts a segment just before handing it to IP, or, for RSTs and ACKs
        of unknown connections, just after: either way it may be counted on one
        side of our look at the queue and queued on the other.
        """
        start = time.monotonic()
        while True:
            self._collect()
            unaccounted = {r: n for r, s in self._sides.items() if (n := s.unaccounted())}
            if not unaccounted:
                return
            waited = time.monotonic() - start
            if all(n < 0 for n in unaccounted.values()) and waited > COUNTED_AFTER_GRACE:
                return  # taken but never counted: a path our tally does not know; nothing is lost
            if waited > timeout:
                missing = ", ".join(f"{n} from {role}" for role, n in unaccounted.items())
                raise SteppingError(
                    f"the kernel counted TCP segments that never reached a queue ({missing}) "
                    f"within {timeout} s; is TCP running between other hosts of lab "
                    f"{self.lab.name}, or did the output path drop them (see dmesg)?"
                )
            select.select([side.egress for side in self._sides.values()], [], [], 0.001)

    def _owes_ack(self, role: Role) -> bool:
        """Whether `role` still owes an ACK for what it received, in a state that sends one."""
        if unacknowledged(role, self._segments) is None:
            return False
        return self._read_states()[role].state in _TCP_STATES_THAT_ACK


def _link_stats(side: _SteppedHost) -> str:
    """The interfaces' counters, for the error when a segment got lost on the way."""
    try:
        names = sorted({path.ifname for path in side.paths})
        shown = [side.host.exec(["ip", "-s", "-o", "link", "show", n]).stdout for n in names]
        return " ".join(" ".join(shown).split())
    except HostError as error:  # diagnostics must not hide the real error
        return f"(no interface counters: {error})"
