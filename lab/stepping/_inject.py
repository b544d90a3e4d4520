"""Segments the runner injects: crafted here, sent from a raw socket in the sender's host.

    seq, ack = numbers(stepper.segments, Role.SERVER, Injection(), TcpFlag.RST)
    tcp = craft(src, dst, seq=seq, ack=ack, flags=TcpFlag.RST)
    stepper.inject("server", src, dst, tcp)       # held at the server's output, like its own

`craft` builds a TCP header (no options) and its payload, with the checksum over the
IPv4 or IPv6 pseudo-header. `RawSender` sends it from a raw ``IPPROTO_TCP`` socket
opened in the sender's namespace: the kernel adds the IP header, and the segment
leaves through the host's output path, where the stepper's egress queue holds it
like any other (`Stepper.inject`). `numbers` turns a documented injection
(``seq: next``, ``seq: +100000``) into numbers from the segments observed so far,
so that a script never needs the kernel's random initial sequence numbers.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable, Mapping, Sequence
from ipaddress import ip_address
from typing import TYPE_CHECKING, Final

from lab._addresses import SocketAddress
from lab.kernel._netns import NetNamespace
from lab.stepping._segment import internet_checksum
from lab.tcp._names import Role, TcpFlag
from lab.tcp._observed import ObservedSegment
from lab.tcp._segment_claims import Injection
from lab.tcp._spec import DocumentedSegment

if TYPE_CHECKING:
    from lab.stepping._stepper import HeldSegment, Stepper

__all__ = [
    "NO_CONNECTION_SEQ",
    "STRAY_PORT",
    "RawSender",
    "craft",
    "inject",
    "numbers",
    "stray_ends",
]

SPACE: Final = 1 << 32
WINDOW: Final = 1024
"""The window an injected segment offers: any will do, none of them is ever filled."""
NO_CONNECTION_SEQ: Final = 1_000_000
"""The sequence number an end that has sent nothing injects from (a stray segment)."""
PAYLOAD_BYTE: Final = b"x"
STRAY_PORT: Final = 40_000
"""The client's port for a segment injected before any connection: none of its sockets uses it
(Linux picks ephemeral ports from 32768 up, at random, and a scenario opens at most one)."""


def stray_ends(address: Callable[[Role], str], port: int) -> dict[Role, SocketAddress]:
    """Each role's address and port for a segment injected before any connection: the
    server's `port`, and on the client `STRAY_PORT`, which no socket of a scenario uses."""
    ports = {Role.CLIENT: STRAY_PORT, Role.SERVER: port}
    return {role: (ip_address(address(role)), ports[role]) for role in Role}


def inject(
    stepper: Stepper, stray: Mapping[Role, SocketAddress], doc: DocumentedSegment
) -> HeldSegment:
    """Craft the segment `doc` documents as injected, send it, and return it held.

    Its addresses are the connection's once a segment has shown it, else `stray`'s
    (each role's address and port); its numbers come from the segments so far.
    """
    injection = doc.inject or Injection()
    connection = stepper.connection
    if connection is not None:
        src, dst = connection.ends(doc.sender)
    else:
        src, dst = stray[doc.sender], stray[doc.receiver]
    seq, ack = numbers(stepper.segments, doc.sender, injection, doc.flags)
    tcp = craft(src, dst, seq=seq, ack=ack, flags=doc.flags, data=injection.data)
    return stepper.inject(doc.sender, src, dst, tcp)


def craft(
    src: SocketAddress,
    dst: SocketAddress,
    *,
    seq: int,
    ack: int,
    flags: TcpFlag,
    data: int = 0,
) -> bytes:
    """A TCP header without options and `data` bytes of payload, from `src` to `dst`."""
    payload = PAYLOAD_BYTE * data
    header = struct.pack(
        ">HHIIBBHHH",
        src[1],
        dst[1],
        seq % SPACE,
        ack % SPACE,
        5 << 4,  # a 20-byte header
        int(flags) & 0xFF,
        WINDOW,
        0,  # the checksum, filled below
        0,  # no urgent pointer
    )
    segment = header + payload
    checksum = internet_checksum(_pseudo_header(src, dst, len(segment)) + segment)
    return segment[:16] + struct.pack(">H", checksum) + segment[18:]


def _pseudo_header(src: SocketAddress, dst: SocketAddress, length: int) -> bytes:
    """What TCP's checksum covers besides the segment (RFC 9293 3.1; RFC 8200 8.1)."""
    source, destination = src[0].packed, dst[0].packed
    if src[0].version == 4:
        return source + destination + struct.pack(">BBH", 0, socket.IPPROTO_TCP, length)
    return source + destination + struct.pack(">I3xB", length, socket.IPPROTO_TCP)


class RawSender:
    """Sends crafted TCP segments from a raw socket opened in one namespace."""

    def __init__(self, netns: NetNamespace) -> None:
        self._netns = netns

    def send(self, src: SocketAddress, dst: SocketAddress, tcp: bytes) -> None:
        """Send `tcp` from `src` to `dst`; the kernel builds the IP header."""
        family = socket.AF_INET if src[0].version == 4 else socket.AF_INET6
        with self._netns.entered():
            sock = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_TCP)
        with sock:
            sock.bind((str(src[0]), 0))
            sock.sendto(tcp, (str(dst[0]), 0))


def numbers(
    segments: Sequence[ObservedSegment], sender: Role, injection: Injection, flags: TcpFlag
) -> tuple[int, int]:
    """The seq and ack an injected segment from `sender` carries.

    ``next`` for an end is the sequence number after everything of it that was
    delivered: what the other end expects (RCV.NXT), in window. An end that has
    delivered nothing starts from `NO_CONNECTION_SEQ`. The ack is the receiver's
    next, and 0 on a segment without ACK.
    """
    seq = next_sequence(segments, sender) + injection.seq
    ack = next_sequence(segments, sender.peer) + injection.ack if TcpFlag.ACK in flags else 0
    return seq % SPACE, ack % SPACE


def next_sequence(segments: Sequence[ObservedSegment], role: Role) -> int:
    """The sequence number after all that `role` delivered (modulo 2**32)."""
    ends = [s.acknowledges for s in segments if s.sender is role and not s.dropped]
    if not ends:
        return NO_CONNECTION_SEQ
    furthest = ends[0]
    for end in ends[1:]:
        if (end - furthest) % SPACE < SPACE // 2:
            furthest = end
    return furthest
