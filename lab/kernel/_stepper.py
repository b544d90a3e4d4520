"""Segment stepping: hold every TCP segment between two lab hosts, one at a time.

    with Lab("dual-stack") as lab, Stepper(lab, port=8080) as stepper:
        listener = stepper.act("server", lambda: lab["server"].listen(8080))
        client = stepper.act("client", socket.socket)   # made inside the client's namespace
        client.setblocking(False)                       # nothing may wait for the network
        stepper.act("client", lambda: client.connect_ex(("192.0.2.2", 8080)))
        held = stepper.next_segment()    # the SYN, held at the client's output
        held.before["client"].state      # TcpState.SYN_SENT
        observed = held.release()        # delivered, and processed by the server
        observed.after["server"].state   # TcpState.SYN_RECEIVED
        stepper.settle()                 # the SYN+ACK and the ACK

Where the segments are held
---------------------------
Each host gets two NFQUEUE queues (see `_nftables`):

* **egress**, on the *output* hook of the sender: TCP has already changed
  state when it hands a segment to IP (tcp_connect() sets SYN-SENT before the
  SYN is transmitted, tcp_conn_request() hashes the request socket before
  sending the SYN+ACK, tcp_close() sets FIN-WAIT-1 or LAST-ACK before the
  FIN). So while the segment sits here the *sender is already in its new
  state and the receiver has seen nothing*: that is the `before` snapshot;
* **ingress**, on the *input* hook of the receiver: the last netfilter hook
  before tcp_v4_rcv()/tcp_v6_rcv(). Its verdict runs the rest of the receive
  path synchronously inside our sendmsg() (nf_reinject -> okfn under
  local_bh_disable), including any answer the receiver sends, which lands in
  the receiver's egress queue before the verdict call returns. So when the
  ingress verdict returns, the receiver *has processed the segment*: that is
  the `after` snapshot. No sleep, no polling of states.

The egress verdict is usually synchronous too (veth_xmit -> netif_rx ->
softirq on local_bh_enable), but that is not guaranteed (ksoftirqd may take
the softirq), so the stepper blocks on the ingress queue instead of assuming it.

Settling
--------
`settle` releases until nothing is held, then checks with the kernel's own
counters (OutSegs + RetransSegs, see `_counters`) that every segment TCP
transmitted has been seen; only then may the scenario's next application
action happen. Segments are released in the order they were queued (collected
client first, then server, when both hold some).

Which socket is "the connection"
--------------------------------
A Stepper follows one connection, whose 4-tuple it learns from the first
held segment. A role's state is the state of its socket with that 4-tuple.
Until the server has had such a socket, it is LISTEN if it listens on the
connection's port (on `port` while no segment has been held); a role with no
matching socket is CLOSED, which is also how the kernel's sock_diag shows a
socket that was reset or refused (see `_diag`).
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import time
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from lab._errors import HostError, SteppingError
from lab.kernel._capture import Capture
from lab.kernel._counters import TcpCounters
from lab.kernel._diag import SockDiag, TcpSocket, connection_socket
from lab.kernel._host import Host
from lab.kernel._lab import Lab
from lab.kernel._nfqueue import NfQueue, QueuedPacket
from lab.kernel._nftables import EGRESS_QUEUE, INGRESS_QUEUE, AddressPair, QueueRules
from lab.kernel._profile import PeerPath, apply_profile
from lab.tcp._names import TcpFlag, TcpState
from lab.tcp._observed import ObservedSegment, StateSnapshot

T = TypeVar("T")

IP = IPv4Address | IPv6Address
Endpoint = tuple[IP, int]

ARRIVAL_TIMEOUT = 2.0
"""Seconds a released segment may take to reach the receiver's input hook."""

_CLOSE_PASSES = 64
"""At close, rounds of letting held packets go (each may cause answers) before giving up."""


# --- segments --------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """The TCP header of one held segment, and its payload length."""

    src: Endpoint
    dst: Endpoint
    seq: int
    ack: int
    flags: TcpFlag
    window: int
    urgent: int
    length: int
    """Payload bytes."""

    @classmethod
    def parse(cls, packet: bytes) -> Segment:
        """The segment inside an IPv4 or IPv6 packet (no IPv6 extension headers)."""
        version = packet[0] >> 4
        if version == 4:
            start = (packet[0] & 0x0F) * 4
            end = struct.unpack_from(">H", packet, 2)[0]
            proto, src, dst = packet[9], packet[12:16], packet[16:20]
        elif version == 6:
            start = 40
            end = 40 + struct.unpack_from(">H", packet, 4)[0]
            proto, src, dst = packet[6], packet[8:24], packet[24:40]
        else:
            raise SteppingError(f"a held packet is not IP (version {version}); this is a bug")
        if proto != socket.IPPROTO_TCP:
            raise SteppingError(f"a held packet is not TCP (protocol {proto}); this is a bug")
        sport, dport, seq, ack, offset_flags, window, _checksum, urgent = struct.unpack_from(
            ">HHIIHHHH", packet, start
        )
        return cls(
            src=(ip_address(src), sport),
            dst=(ip_address(dst), dport),
            seq=seq,
            ack=ack,
            flags=TcpFlag(offset_flags & 0xFF),  # the AE (ex-NS) bit above is not a TcpFlag
            window=window,
            urgent=urgent,
            length=end - start - (offset_flags >> 12) * 4,
        )

    def __str__(self) -> str:
        return (
            f"{self.flags.label} {_endpoint(self.src)} > {_endpoint(self.dst)} "
            f"seq {self.seq} ack {self.ack} len {self.length}"
        )

    def same_on_the_wire(self, other: Segment) -> bool:
        """Whether `other` is this segment (the receiver's copy of the sender's)."""
        return (self.src, self.dst, self.seq, self.ack, self.flags, self.length) == (
            other.src,
            other.dst,
            other.seq,
            other.ack,
            other.flags,
            other.length,
        )


def _endpoint(endpoint: Endpoint) -> str:
    ip, port = endpoint
    return f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"


@dataclass(frozen=True)
class Connection:
    """The connection under test: the client's and the server's endpoints."""

    client: Endpoint
    server: Endpoint

    def endpoints(self, client_side: bool) -> tuple[Endpoint, Endpoint]:
        """(local, peer) as seen from the client or the server."""
        return (self.client, self.server) if client_side else (self.server, self.client)

    def __str__(self) -> str:
        return f"{_endpoint(self.client)} <-> {_endpoint(self.server)}"


class Held:
    """A segment held at its sender's output: look at it, then `release` or `drop` it."""

    def __init__(
        self,
        stepper: Stepper,
        *,
        sender: str,
        receiver: str,
        segment: Segment,
        packet: QueuedPacket,
        before: dict[str, StateSnapshot],
    ) -> None:
        self._stepper = stepper
        self._packet = packet
        self.sender = sender
        self.receiver = receiver
        self.segment = segment
        self.before = before
        """Both roles' states while the segment is held (the sender has already moved)."""
        self.done = False
        """Released or dropped already."""

    @property
    def flags(self) -> TcpFlag:
        return self.segment.flags

    @property
    def seq(self) -> int:
        return self.segment.seq

    @property
    def ack(self) -> int:
        return self.segment.ack

    @property
    def length(self) -> int:
        return self.segment.length

    def release(self) -> ObservedSegment:
        """Deliver it, let the receiver process it, and return what was observed."""
        return self._stepper._release(self)

    def drop(self) -> None:
        """Throw it away, as a lossy network would; TCP will retransmit on its timer."""
        self._stepper._drop(self)

    def __repr__(self) -> str:
        state = "done" if self.done else "held"
        return f"<Held {self.sender} -> {self.receiver} {self.segment} ({state})>"


# --- the stepper ---------------------------------------------------------------------------


@dataclass
class _Side:
    """What the stepper keeps in one host's namespace."""

    role: str
    host: Host
    paths: list[PeerPath]
    egress: NfQueue
    ingress: NfQueue
    rules: QueueRules
    diag: SockDiag
    counters: TcpCounters
    sent_base: int = 0
    """OutSegs + RetransSegs once the rules were in place."""
    seen: int = 0
    """Segments taken from the egress queue since then."""


class Stepper:
    """Holds every TCP segment between two lab hosts, one at a time (a context manager).

    `client` and `server` name the lab hosts that play those roles; `port` is
    the server's port (where it is LISTEN before the connection exists);
    `pcap`, if given, is where the capture is written at `close`. With
    `ss_lines`, every snapshot carries the real ``ss`` line of the socket (a
    fork per role and snapshot: ~6 ms a step). Not thread-safe: drive it from
    one thread.
    """

    def __init__(
        self,
        lab: Lab,
        *,
        client: str = "client",
        server: str = "server",
        port: int,
        pcap: Path | None = None,
        ss_lines: bool = False,
        arrival_timeout: float = ARRIVAL_TIMEOUT,
    ) -> None:
        if client == server:
            raise SteppingError(
                f"the client and the server are both {client!r}; stepping needs two lab hosts"
            )
        self.lab = lab
        self.roles = (client, server)
        self.port = port
        self.ss_lines = ss_lines
        self.arrival_timeout = arrival_timeout
        self._pcap = pcap
        self._sockets = ExitStack()
        """Closes what the stepper opened (queues, netlink sockets, capture)."""
        self._undo = ExitStack()
        """Undoes what it did to a running lab (held packets, rules)."""
        self._sides: dict[str, _Side] = {}
        self._capture: Capture | None = None
        self._fifo: deque[tuple[str, QueuedPacket, Segment]] = deque()
        self._outstanding: list[Held] = []
        self._segments: list[ObservedSegment] = []
        self._connection: Connection | None = None
        self._seen_roles: set[str] = set()
        self._timers_at_start: dict[str, dict[str, int]] = {}
        self._started = False

    # --- lifetime ------------------------------------------------------------------------

    def start(self) -> Stepper:
        """Apply the stepping profile, install the queue rules, open the queues and capture."""
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
        client, server = (self._host(role) for role in self.roles)
        paths = apply_profile(client, server)
        if not paths[client.name]:
            raise SteppingError(
                f"hosts {client.name} and {server.name} of lab {self.lab.name} share no address "
                "family; give both an IPv4 or an IPv6 address in the topology"
            )
        if self._pcap is not None:
            # Open before any traffic: the kernel keeps every frame from now on.
            self._capture = Capture(client.netns, paths[client.name][0].ifname, label=client.name)
        for role, host in zip(self.roles, (client, server), strict=True):
            # Bind the queues before the rules exist: a rule whose queue has no listener drops.
            egress = NfQueue(host.netns, EGRESS_QUEUE, label=f"egress queue of host {host.name}")
            self._sockets.callback(egress.close)
            ingress = NfQueue(host.netns, INGRESS_QUEUE, label=f"ingress queue of host {host.name}")
            self._sockets.callback(ingress.close)
            rules = QueueRules(host.netns, label=host.name)
            self._sockets.callback(rules.close)
            self._undo.callback(self._remove_rules, rules, host)
            rules.install([AddressPair(p.me, p.peer) for p in paths[host.name]])
            diag = SockDiag(host.netns, label=host.name)
            self._sockets.callback(diag.close)
            counters = TcpCounters(host.netns)
            self._sockets.callback(counters.close)
            side = _Side(role, host, paths[host.name], egress, ingress, rules, diag, counters)
            side.sent_base = counters.segments_sent()
            self._timers_at_start[role] = counters.timers()
            self._sides[role] = side
        # Undone last-in first-out: held packets go before the rules do.
        self._undo.callback(self._let_go)

    def close(self) -> None:
        """Stop stepping; write the pcap if asked. Safe to call twice.

        If the lab still runs, what is held is let go and the rules are removed,
        so the lab carries traffic as before; if the lab is closed already,
        there is nothing to undo (its namespaces took the rules with them).
        """
        # Rules first, sockets after. Closing any nfnetlink socket waits for nf_tables'
        # destroy work once a table was deleted, and closing a packet socket waits in
        # packet_release(): an RCU grace period each (~12 ms at HZ=250). Deleting every
        # table first and closing the capture next lets the grace periods overlap.
        try:
            with self._sockets:
                try:
                    self._undo.close()
                finally:
                    if self._capture is not None:
                        self._capture.close()
        finally:
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

    def _lab_alive(self) -> bool:
        return all(not side.host.netns.closed for side in self._sides.values())

    def _let_go(self) -> None:
        """Accept everything held, and what that causes, so the lab carries on unstepped."""
        if not self._lab_alive():
            return
        waiting = [(held.sender, held._packet) for held in self._outstanding]
        waiting += [(sender, packet) for sender, packet, _ in self._fifo]
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

    def _remove_rules(self, rules: QueueRules, host: Host) -> None:
        if not host.netns.closed:
            rules.remove()

    # --- the roles -------------------------------------------------------------------------

    def _host(self, role: str) -> Host:
        if role not in self.roles:
            raise SteppingError(
                f"{role!r} is not a role of this Stepper; the roles are "
                f"{self.roles[0]!r} (client) and {self.roles[1]!r} (server)"
            )
        try:
            return self.lab[role]
        except KeyError as error:
            raise SteppingError(str(error.args[0])) from None

    def _side(self, role: str) -> _Side:
        self._host(role)  # the error for an unknown role
        try:
            return self._sides[role]
        except KeyError:
            raise SteppingError("the Stepper is not started; use it in a with block") from None

    def _peer(self, role: str) -> str:
        return self.roles[1] if role == self.roles[0] else self.roles[0]

    # --- observing -----------------------------------------------------------------------

    @property
    def connection(self) -> Connection | None:
        """The connection under test, once a segment was held; None before."""
        self._collect()
        return self._connection

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
        return {role: self._state(role) for role in self.roles}

    def ss(self, role: str) -> str:
        """The real ``ss -tanoi`` output of that role's host."""
        return self._host(role).ss()

    def timer_transmissions(self) -> dict[str, dict[str, int]]:
        """Timer-driven transmissions since the start, per role; all 0 in a clean run."""
        counts: dict[str, dict[str, int]] = {}
        for role, side in self._sides.items():
            now = side.counters.timers()
            counts[role] = {name: now[name] - self._timers_at_start[role][name] for name in now}
        return counts

    def _state(self, role: str) -> StateSnapshot:
        side = self._side(role)
        client_side = role == self.roles[0]
        port = self.port if self._connection is None else self._connection.server[1]
        found = connection_socket(
            side.diag.tcp_sockets(),
            self._connection.endpoints(client_side) if self._connection else None,
            listening_port=None if client_side or role in self._seen_roles else port,
        )
        if found is None:
            return StateSnapshot(TcpState.CLOSED)
        if found.state is not TcpState.LISTEN:
            self._seen_roles.add(role)
        snapshot = found.snapshot()
        if self.ss_lines:
            line = _ss_line(side.host, found)
            snapshot = StateSnapshot(snapshot.state, snapshot.timer, line)
        return snapshot

    # --- driving ----------------------------------------------------------------------------

    def act(self, role: str, fn: Callable[[], T]) -> T:
        """Run an application call inside `role`'s host; the segments it causes stay held.

        `fn` runs in the calling thread, moved into the host's namespace, so a
        socket it creates lives there. Use non-blocking sockets: a call that
        waits for the network would wait for a segment the stepper holds.
        """
        host = self._host(role)
        self._side(role)
        with host.netns.entered():
            result = fn()
        self._collect()
        return result

    def next_segment(self, timeout: float = 1.0) -> Held | None:
        """The next held segment, or None if the kernel sends nothing within `timeout` s."""
        self._collect()
        deadline = time.monotonic() + timeout
        while not self._fifo:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            select.select([side.egress for side in self._sides.values()], [], [], left)
            self._collect()
        sender, packet, segment = self._fifo.popleft()
        held = Held(
            self,
            sender=sender,
            receiver=self._peer(sender),
            segment=segment,
            packet=packet,
            before=self.states(),
        )
        self._outstanding.append(held)
        return held

    def settle(self, timeout: float = ARRIVAL_TIMEOUT) -> list[ObservedSegment]:
        """Release everything held, and what it causes, until both hosts are quiet.

        Quiet means nothing is held and the kernel's counters show that every
        segment TCP transmitted has been held: no waiting for timers.
        """
        done: list[ObservedSegment] = []
        deadline = time.monotonic() + timeout
        while True:
            if self._outstanding:
                done.append(self._outstanding[0].release())
                deadline = time.monotonic() + timeout
                continue
            held = self.next_segment(timeout=0)
            if held is not None:
                done.append(held.release())
                deadline = time.monotonic() + timeout
                continue
            unaccounted = self._unaccounted()
            if not unaccounted:
                return done
            # TCP counted a segment not queued yet (RSTs are counted just after they are
            # sent, or the transmission runs on another CPU): wait for it.
            if time.monotonic() > deadline:
                missing = ", ".join(f"{n} from {role}" for role, n in unaccounted.items())
                raise SteppingError(
                    f"the kernel counted TCP segments that never reached a queue ({missing}) "
                    f"within {timeout} s; is TCP running between other hosts of lab "
                    f"{self.lab.name}, or did the output path drop them (see dmesg)?"
                )
            select.select([side.egress for side in self._sides.values()], [], [], 0.001)

    def _collect(self) -> None:
        """Move what the egress queues hold into the FIFO; learn the connection from it."""
        for role, side in self._sides.items():
            for packet in side.egress.drain():
                segment = Segment.parse(packet.payload)
                side.seen += 1
                self._learn(role, segment)
                self._fifo.append((role, packet, segment))

    def _learn(self, sender: str, segment: Segment) -> None:
        if self._connection is not None:
            return
        if sender == self.roles[0]:
            self._connection = Connection(client=segment.src, server=segment.dst)
        else:
            self._connection = Connection(client=segment.dst, server=segment.src)

    def _unaccounted(self) -> dict[str, int]:
        missing: dict[str, int] = {}
        for role, side in self._sides.items():
            sent = side.counters.segments_sent() - side.sent_base
            if sent != side.seen:
                missing[role] = sent - side.seen
        return missing

    def _finish(self, held: Held) -> None:
        if held.done:
            raise SteppingError(f"{held.segment} was released or dropped already")
        held.done = True
        self._outstanding.remove(held)

    def _release(self, held: Held) -> ObservedSegment:
        self._finish(held)
        out, into = self._sides[held.sender], self._sides[held.receiver]
        out.egress.verdict(held._packet, accept=True)
        arrived = into.ingress.receive(timeout=self.arrival_timeout)
        if arrived is None:
            raise SteppingError(
                f"{held.segment}, released by {out.host.name}, never reached the input hook of "
                f"{into.host.name} within {self.arrival_timeout} s; {out.host.name}: "
                f"{_link_stats(out)}; {into.host.name}: {_link_stats(into)}"
            )
        seen = Segment.parse(arrived.payload)
        if not seen.same_on_the_wire(held.segment):
            into.ingress.verdict(arrived, accept=True)
            raise SteppingError(
                f"released {held.segment} but {into.host.name} received {seen}; the stepper "
                "releases one segment at a time, so this is a bug"
            )
        into.ingress.verdict(arrived, accept=True)
        observed = ObservedSegment(
            n=len(self._segments) + 1,
            sender=held.sender,
            receiver=held.receiver,
            flags=held.flags,
            seq=held.seq,
            ack=held.ack,
            length=held.length,
            before=held.before,
            after=self.states(),
        )
        self._segments.append(observed)
        return observed

    def _drop(self, held: Held) -> None:
        self._finish(held)
        self._sides[held.sender].egress.verdict(held._packet, accept=False)


def _link_stats(side: _Side) -> str:
    """The interfaces' counters, for the error when a segment got lost on the way."""
    try:
        names = sorted({path.ifname for path in side.paths})
        shown = [side.host.exec(["ip", "-s", "-o", "link", "show", n]).stdout for n in names]
        return " ".join(" ".join(shown).split())
    except HostError as error:  # diagnostics must not hide the real error
        return f"(no interface counters: {error})"


def _ss_line(host: Host, sock: TcpSocket) -> str:
    """The line ``ss -tanoH`` prints for `sock` inside `host`; "" if ss shows none."""
    for line in host.ss("-tanoH").splitlines():
        fields = line.split()
        if len(fields) >= 5 and (_ss_endpoint(fields[3]), _ss_endpoint(fields[4])) == (
            sock.local,
            sock.peer,
        ):
            return line.strip()
    return ""


def _ss_endpoint(text: str) -> Endpoint | None:
    """``192.0.2.1:80``, ``[2001:db8::1]:80``, ``0.0.0.0:*`` as ss prints them."""
    address, _, port = text.rpartition(":")
    address = address.strip("[]").split("%")[0]
    try:
        ip = ip_address("0.0.0.0" if address == "*" else address)
    except ValueError:
        return None
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip, 0 if port == "*" else int(port))
