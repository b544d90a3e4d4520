"""Segments on the wire, the connection under test, and which socket is that connection.

The stepper (which holds segments) and the observer (which only captures)
share all three: a `Segment` is the TCP header of one IP packet; a
`Connection` is the client's and the server's socket addresses, learnt from
the first segment between them; a `ConnectionTracker` holds the one rule for
reading a role's state out of a sock_diag dump.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Final, Protocol

from lab._addresses import SocketAddress, show_address
from lab._errors import SteppingError
from lab.stepping._diag import TcpSocket
from lab.tcp._names import Role, TcpFlag, TcpState
from lab.tcp._observed import ObservedSegment, StateSnapshot
from lab.tcp._options import TcpOption, parse_options
from lab.tcp._segment_claims import CE

__all__ = ["Connection", "ConnectionTracker", "Segment", "mark_ce", "unacknowledged"]


@dataclass(frozen=True)
class Segment:
    """The TCP header of one segment, and its payload length."""

    src: SocketAddress
    dst: SocketAddress
    seq: int
    ack: int
    flags: TcpFlag
    window: int
    urgent: int
    length: int
    """Payload bytes."""
    ecn: int = 0
    """The IP header's ECN bits (2: ECT(0), 3: CE)."""
    options: tuple[TcpOption, ...] = ()
    """The TCP options, in order."""
    header: int = 0
    """Where the TCP header starts in the packet (the IP header's length)."""

    @classmethod
    def parse(cls, packet: bytes) -> Segment:
        """The segment inside an IPv4 or IPv6 packet (no IPv6 extension headers)."""
        version = packet[0] >> 4
        if version == 4:
            start = (packet[0] & 0x0F) * 4
            end = struct.unpack_from(">H", packet, 2)[0]
            proto, src, dst = packet[9], packet[12:16], packet[16:20]
            ecn = packet[1] & 0b11
        elif version == 6:
            start = 40
            end = 40 + struct.unpack_from(">H", packet, 4)[0]
            proto, src, dst = packet[6], packet[8:24], packet[24:40]
            ecn = (packet[1] >> 4) & 0b11  # the low bits of the traffic class
        else:
            raise SteppingError(f"a held packet is not IP (version {version}); this is a bug")
        if proto != socket.IPPROTO_TCP:
            raise SteppingError(f"a held packet is not TCP (protocol {proto}); this is a bug")
        sport, dport, seq, ack, offset_flags, window, _checksum, urgent = struct.unpack_from(
            ">HHIIHHHH", packet, start
        )
        tcp_header = (offset_flags >> 12) * 4
        return cls(
            src=(ip_address(src), sport),
            dst=(ip_address(dst), dport),
            seq=seq,
            ack=ack,
            flags=TcpFlag(offset_flags & 0xFF),  # the AE (ex-NS) bit above is not a TcpFlag
            window=window,
            urgent=urgent,
            length=end - start - tcp_header,
            ecn=ecn,
            options=parse_options(packet[start + 20 : start + tcp_header]),
            header=start,
        )

    def __str__(self) -> str:
        return (
            f"{self.flags.label} {show_address(self.src)} > {show_address(self.dst)} "
            f"seq {self.seq} ack {self.ack} len {self.length}"
        )

    def same_on_the_wire(self, other: Segment) -> bool:
        """Whether `other` is this segment (the receiver's copy of the sender's)."""
        fields = ("src", "dst", "seq", "ack", "flags", "length")
        return all(getattr(self, name) == getattr(other, name) for name in fields)


def mark_ce(packet: bytes) -> bytes:
    """`packet` with its IP ECN bits set to CE (11), as a congested router marks it.

    IPv4's header checksum covers the ECN bits, so it is computed again; IPv6 has none,
    and TCP's checksum does not cover them.
    """
    marked = bytearray(packet)
    if packet[0] >> 4 == 4:
        marked[1] |= CE
        header = (packet[0] & 0x0F) * 4
        marked[10:12] = b"\0\0"
        marked[10:12] = struct.pack(">H", internet_checksum(bytes(marked[:header])))
    else:
        marked[1] |= CE << 4
    return bytes(marked)


def internet_checksum(data: bytes) -> int:
    """RFC 1071's checksum: the one's complement of the one's complement sum of 16-bit words."""
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f">{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


@dataclass(frozen=True)
class Connection:
    """The connection under test: the client's and the server's socket addresses."""

    client: SocketAddress
    server: SocketAddress

    @classmethod
    def of(cls, sender: Role, segment: Segment) -> Connection:
        """The connection `segment` belongs to, sent by `sender`."""
        if sender is Role.CLIENT:
            return cls(client=segment.src, server=segment.dst)
        return cls(client=segment.dst, server=segment.src)

    def ends(self, role: Role) -> tuple[SocketAddress, SocketAddress]:
        """(local, peer) as `role` sees them."""
        return (self.client, self.server) if role is Role.CLIENT else (self.server, self.client)

    def __str__(self) -> str:
        return f"{show_address(self.client)} <-> {show_address(self.server)}"


class SocketLookup(Protocol):
    """What the tracker asks of one host's sockets (`SockDiag` answers it)."""

    def find(self, local: SocketAddress, peer: SocketAddress) -> TcpSocket | None:
        """The socket for segments from `peer` to `local`: the connection's, or a listener."""

    def listeners(self) -> list[TcpSocket]:
        """Every listening socket."""


@dataclass
class ConnectionTracker:
    """Which socket is "the connection" for each role, as segments go by.

    The connection is learnt from the first segment between the two roles. A
    role's state is that of its socket with the connection's addresses. Until
    the server has had such a socket, a listener on the connection's port (on
    `port` while no segment was seen) stands in for it: the server is LISTEN.
    It stands in again when the server's socket was a request the listener
    answered (SYN-RECEIVED) and that request is gone: RFC 9293 returns a passive
    open reset in SYN-RECEIVED to LISTEN (section 3.10.7.3), and Linux drops the
    request while the listener listens on. A role with no matching socket is
    CLOSED, which is also how sock_diag shows a socket that was reset or refused.
    The client has no state before its first segment: a connecting socket always
    sends one.
    """

    port: int
    """The server's port, where it listens before the connection exists."""
    connection: Connection | None = None
    _last: dict[Role, TcpState] = field(default_factory=dict)
    """Each role's state the last time its socket was found."""

    def learn(self, sender: Role, segment: Segment) -> None:
        """Take the connection from `segment` unless it is known already."""
        if self.connection is None:
            self.connection = Connection.of(sender, segment)

    def state_of(self, role: Role, sockets: SocketLookup) -> StateSnapshot:
        """`role`'s state of the connection, asking its host's `sockets`."""
        found = self._socket(role, sockets)
        if found is None:
            return StateSnapshot(TcpState.CLOSED)
        self._last[role] = found.state
        return found.snapshot()

    def _socket(self, role: Role, sockets: SocketLookup) -> TcpSocket | None:
        if self.connection is None:
            if role is Role.CLIENT:
                return None
            return next((s for s in sockets.listeners() if s.local[1] == self.port), None)
        found = sockets.find(*self.connection.ends(role))
        if found is None or found.state is not TcpState.LISTEN:
            return found
        # A listener answers for a connection it has no socket for: it stands in for the
        # server until the connection had one, and again once a request it answered is
        # forgotten; a socket past SYN-RECEIVED that is gone is CLOSED.
        stands_in = role is Role.SERVER and self._last.get(role) in _LISTENER_STANDS_IN
        return found if stands_in else None


_LISTENER_STANDS_IN: Final = frozenset({None, TcpState.LISTEN, TcpState.SYN_RECEIVED})
"""The server's last state (None: no socket yet) after which its listener is its state."""


def unacknowledged(role: Role, segments: Sequence[ObservedSegment]) -> int | None:
    """The sequence number `role` has yet to acknowledge, if it owes an ACK; else None.

    `role` owes one when it received sequence space (data, SYN, FIN) that no
    ACK it sent since covers: Linux may be delaying it (up to 200 ms). RSTs
    are never acknowledged.
    """
    received = [
        s
        for s in segments
        if s.receiver is role and s.sequence_space and TcpFlag.RST not in s.flags
    ]
    if not received:
        return None
    wanted = received[-1].acknowledges
    # A segment the runner injected as `role`'s acknowledges nothing its kernel received.
    sent = [s for s in segments if s.sender is role and TcpFlag.ACK in s.flags and not s.injected]
    return None if any(_at_or_after(s.ack, wanted) for s in sent) else wanted


def _at_or_after(a: int, b: int) -> bool:
    """Whether sequence number `a` is at or after `b`, modulo 2**32."""
    return (a - b) % (1 << 32) < (1 << 31)
