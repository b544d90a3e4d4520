"""TCP sockets of one network namespace, read with sock_diag (inet_diag) netlink.

A dump is one SOCK_DIAG_BY_FAMILY request per address family on a
NETLINK_SOCK_DIAG socket created inside the namespace, parsed with `struct`
into typed `TcpSocket`s with the timer as ``ss -o`` prints it. pyroute2's
DiagSocket would give untyped messages through get_sock_stats(), which it
marks as work in progress whose signature will change (and takes ~0.3 ms a
dump against ~60 us); tests/kernel/test_diag.py checks that both agree. The
states mask decides what comes back, and three kinds of sockets are easy to
miss:

* **request sockets** (a SYN received by a listener, SYN+ACK sent, the final
  ACK not yet received) live in the established hash with the internal state
  TCP_NEW_SYN_RECV (12). They are only dumped when the mask has bit 12 (or
  bit 3, TCP_SYN_RECV, which the kernel widens to bit 12); the kernel reports
  them as TCP_SYN_RECV (3) with inode 0;
* **time-wait sockets** (bit 6) are minisockets, also with inode 0. A socket
  the application has already closed (an orphan) that reaches FIN-WAIT-2 is
  turned into a time-wait minisocket too, reported with its substate
  FIN-WAIT-2 and a ``timewait`` timer (tcp_fin_timeout <= 60 s, the default);
* **orphans** in FIN-WAIT-1, CLOSING or LAST-ACK are full sockets without a
  file, so inode 0 as well.

A socket in state CLOSE (7, ``ss`` says UNCONN) is in no lookup hash, so it is
*not dumped* with bits 0..12: a connect() that was refused or reset looks the
same as a socket that no longer exists (no row), which is what RFC 9293 calls
CLOSED. An auto-bound client port is released on reset, so not even bit 13
(TCP_BOUND_INACTIVE, bound but unconnected) would show that socket.

A connection accepted by an IPv6 listener from an IPv4 peer is an AF_INET6
socket with v4-mapped addresses (``::ffff:192.0.2.1``), while its request
socket is AF_INET: addresses are normalised to plain IPv4 so both match.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from ipaddress import ip_address

from lab._addresses import IP, SocketAddress, unmapped
from lab._errors import SteppingError
from lab.kernel._netns import NetNamespace
from lab.kernel._rawnetlink import NetlinkSocket
from lab.tcp._names import TcpState
from lab.tcp._observed import StateSnapshot

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20

ALL_TCP_STATES = (1 << 13) - 1
"""Bits 0..12 of the states mask: every state, request sockets (12) included."""
_KERNEL_LISTEN = 10  # TCP_LISTEN

_TIMER_NAMES = ("off", "on", "keepalive", "timewait", "persist", "unknown")
"""idiag_timer values as ``ss -o`` names them (tcp_timer_print in iproute2's ss.c)."""

# struct inet_diag_req_v2: family, protocol, ext, pad, states; then struct inet_diag_sockid.
_REQ = struct.Struct("=BBBxI")
_SOCKID_NET = struct.Struct(">HH16s16s")  # ports and addresses, network order
_SOCKID_HOST = struct.Struct("=I8s")  # interface index and cookie, host order
_SOCKID_SIZE = _SOCKID_NET.size + _SOCKID_HOST.size
# struct inet_diag_msg: family, state, timer, retrans, sockid, expires, rqueue, wqueue, uid, inode
_MSG_HEAD = struct.Struct("=BBBB")
_MSG_TAIL = struct.Struct("=IIIII")
_NO_COOKIE = b"\xff" * 8  # INET_DIAG_NOCOOKIE


@dataclass(frozen=True)
class TcpSocket:
    """One TCP socket as sock_diag reports it."""

    state: TcpState
    local: SocketAddress
    peer: SocketAddress
    timer: str
    """The timer as ``ss -o`` prints it between ``timer:(`` and ``)``; "" when none runs."""
    inode: int
    """0 for request sockets, time-wait minisockets and orphans."""
    recv_q: int
    send_q: int

    def snapshot(self) -> StateSnapshot:
        return StateSnapshot(state=self.state, timer=self.timer)


def ss_timer(timer: int, expires_ms: int, retrans: int) -> str:
    """A timer in ``ss -o`` form (``timewait,59sec,0``); "" when `timer` is 0 (none).

    ss prints ``timer:(NAME,TIME,RETRANS)`` with TIME from print_ms_timer():
    minutes, then seconds, then milliseconds, dropping the finer unit once the
    coarser one has two digits, so 59.9 s reads ``59sec``, 4.996 s ``4.996ms``.
    """
    if timer == 0:
        return ""
    name = _TIMER_NAMES[min(timer, len(_TIMER_NAMES) - 1)]
    return f"{name},{_ms_timer(expires_ms)},{retrans}"


def _ms_timer(timeout: int) -> str:
    secs, msecs = divmod(timeout, 1000)
    minutes, secs = divmod(secs, 60)
    text = ""
    if minutes:
        msecs = 0
        text = f"{minutes}min"
        if minutes > 9:
            secs = 0
    if secs:
        if secs > 9:
            msecs = 0
        text += f"{secs}{'.' if msecs else 'sec'}"
    if msecs:
        text += f"{msecs:03d}ms"
    return text


def _address(family: int, raw: bytes) -> IP:
    return unmapped(ip_address(raw[:4] if family == socket.AF_INET else raw))


class SockDiag:
    """A NETLINK_SOCK_DIAG socket bound inside one namespace."""

    def __init__(self, netns: NetNamespace, *, label: str) -> None:
        self.label = label
        """Whose sockets these are, for error messages (a host name)."""
        self._sock = NetlinkSocket(netns, NETLINK_SOCK_DIAG)

    def close(self) -> None:
        self._sock.close()

    def tcp_sockets(self) -> list[TcpSocket]:
        """Every IPv4 and IPv6 TCP socket of the namespace, in any state but CLOSE."""
        return self.dump(socket.AF_INET) + self.dump(socket.AF_INET6)

    def listeners(self) -> list[TcpSocket]:
        """Every listening TCP socket of the namespace (cheap: the listening hash only)."""
        listen = 1 << _KERNEL_LISTEN
        return self.dump(socket.AF_INET, listen) + self.dump(socket.AF_INET6, listen)

    def dump(self, family: int, states: int = ALL_TCP_STATES) -> list[TcpSocket]:
        """The TCP sockets of `family` whose state bit is in `states`.

        Any state but LISTEN walks the whole established hash table, which is
        shared by every namespace unless the kernel was told otherwise: ~1 ms on
        a machine with a large one. `find` looks one connection up instead.
        """
        body = _REQ.pack(family, socket.IPPROTO_TCP, 0, states) + _sockid(None, None)
        with self._errors():
            return [
                _parse(m.payload)
                for m in self._sock.dump(SOCK_DIAG_BY_FAMILY, body)
                if m.kind == SOCK_DIAG_BY_FAMILY
            ]

    def find(self, local: SocketAddress, peer: SocketAddress) -> TcpSocket | None:
        """The socket the kernel would deliver `peer`'s segments to `local` to; None if none.

        One hash lookup, as for an arriving segment: the connection's own socket
        (request and time-wait minisockets included), else a listener on
        `local`'s port, else nothing.
        """
        family = socket.AF_INET if local[0].version == 4 else socket.AF_INET6
        body = _REQ.pack(family, socket.IPPROTO_TCP, 0, ALL_TCP_STATES) + _sockid(local, peer)
        with self._errors():
            try:
                return _parse(self._sock.request_one(SOCK_DIAG_BY_FAMILY, body).payload)
            except FileNotFoundError:  # ENOENT: no such socket
                return None

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except OSError as error:
            raise SteppingError(
                f"reading the TCP sockets of host {self.label} with sock_diag failed: "
                f"{os.strerror(error.errno or 0)}; the kernel needs CONFIG_INET_DIAG and "
                "CONFIG_INET_TCP_DIAG"
            ) from error


def _sockid(local: SocketAddress | None, peer: SocketAddress | None) -> bytes:
    """struct inet_diag_sockid: all zero for a dump, the connection's addresses for a lookup."""
    if local is None or peer is None:
        return _SOCKID_NET.pack(0, 0, b"", b"") + _SOCKID_HOST.pack(0, _NO_COOKIE)
    return _SOCKID_NET.pack(local[1], peer[1], local[0].packed, peer[0].packed) + (
        _SOCKID_HOST.pack(0, _NO_COOKIE)
    )


def _parse(payload: bytes) -> TcpSocket:
    family, state, timer, retrans = _MSG_HEAD.unpack_from(payload, 0)
    sport, dport, src, dst = _SOCKID_NET.unpack_from(payload, _MSG_HEAD.size)
    expires, rqueue, wqueue, _uid, inode = _MSG_TAIL.unpack_from(
        payload, _MSG_HEAD.size + _SOCKID_SIZE
    )
    return TcpSocket(
        state=TcpState.from_kernel(state),
        local=(_address(family, src), sport),
        peer=(_address(family, dst), dport),
        timer=ss_timer(timer, expires, retrans),
        inode=inode,
        recv_q=rqueue,
        send_q=wqueue,
    )
