"""TCP sockets of one network namespace, read with sock_diag (inet_diag) netlink.

A dump is one SOCK_DIAG_BY_FAMILY request per address family on a
NETLINK_SOCK_DIAG socket created inside the namespace, parsed with `struct`
(~60 us a dump; pyroute2's DiagSocket takes ~0.3 ms and its get_sock_stats()
is marked work in progress). The states mask decides what comes back, and
three kinds of sockets are easy to miss:

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

import os
import socket
import struct
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address

from lab._errors import SteppingError
from lab.kernel._netns import NetNamespace
from lab.tcp._names import TcpState
from lab.tcp._observed import StateSnapshot

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST = 0x1
NLM_F_DUMP = 0x300
NLMSG_ERROR = 2
NLMSG_DONE = 3

ALL_TCP_STATES = (1 << 13) - 1
"""Bits 0..12 of the states mask: every state, request sockets (12) included."""

_TIMER_NAMES = ("off", "on", "keepalive", "timewait", "persist", "unknown")
"""idiag_timer values as ``ss -o`` names them (tcp_timer_print in iproute2's ss.c)."""

_NLMSGHDR = struct.Struct("=IHHII")
# struct inet_diag_req_v2: family, protocol, ext, pad, states; then struct inet_diag_sockid.
_REQ = struct.Struct("=BBBxI")
_SOCKID_NET = struct.Struct(">HH16s16s")  # ports and addresses, network order
_SOCKID_HOST = struct.Struct("=I8s")  # interface index and cookie, host order
_SOCKID_SIZE = _SOCKID_NET.size + _SOCKID_HOST.size
# struct inet_diag_msg: family, state, timer, retrans, sockid, expires, rqueue, wqueue, uid, inode
_MSG_HEAD = struct.Struct("=BBBB")
_MSG_TAIL = struct.Struct("=IIIII")
_NO_COOKIE = b"\xff" * 8  # INET_DIAG_NOCOOKIE

IP = IPv4Address | IPv6Address
Endpoint = tuple[IP, int]


@dataclass(frozen=True)
class TcpSocket:
    """One TCP socket as sock_diag reports it."""

    state: TcpState
    local: Endpoint
    peer: Endpoint
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
    address = ip_address(raw[:4] if family == socket.AF_INET else raw)
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


class SockDiag:
    """A NETLINK_SOCK_DIAG socket bound inside one namespace."""

    def __init__(self, netns: NetNamespace, *, label: str) -> None:
        self.label = label
        """Whose sockets these are, for error messages (a host name)."""
        with netns.entered():
            self._sock = socket.socket(
                socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_SOCK_DIAG
            )
        try:
            self._sock.bind((0, 0))
        except BaseException:
            self._sock.close()
            raise
        self._seq = 0

    def close(self) -> None:
        self._sock.close()

    def tcp_sockets(self) -> list[TcpSocket]:
        """Every IPv4 and IPv6 TCP socket of the namespace, in any state but CLOSE."""
        return self.dump(socket.AF_INET) + self.dump(socket.AF_INET6)

    def dump(self, family: int, states: int = ALL_TCP_STATES) -> list[TcpSocket]:
        """The TCP sockets of `family` whose state bit is in `states`."""
        self._seq += 1
        body = (
            _REQ.pack(family, socket.IPPROTO_TCP, 0, states)
            + _SOCKID_NET.pack(0, 0, b"", b"")
            + _SOCKID_HOST.pack(0, _NO_COOKIE)
        )
        header = _NLMSGHDR.pack(
            _NLMSGHDR.size + len(body),
            SOCK_DIAG_BY_FAMILY,
            NLM_F_REQUEST | NLM_F_DUMP,
            self._seq,
            0,
        )
        self._sock.send(header + body)
        found: list[TcpSocket] = []
        while True:
            data = self._sock.recv(1 << 16)
            offset = 0
            while offset + _NLMSGHDR.size <= len(data):
                length, kind, _flags, seq, _port = _NLMSGHDR.unpack_from(data, offset)
                payload = data[offset + _NLMSGHDR.size : offset + length]
                offset += (length + 3) & ~3
                if seq != self._seq:
                    continue
                if kind == NLMSG_DONE:
                    return found
                if kind == NLMSG_ERROR:
                    code = -struct.unpack_from("=i", payload)[0]
                    raise SteppingError(
                        f"reading the TCP sockets of host {self.label} with sock_diag failed: "
                        f"{os.strerror(code)}; the kernel needs CONFIG_INET_DIAG and "
                        "CONFIG_INET_TCP_DIAG"
                    )
                if kind == SOCK_DIAG_BY_FAMILY:
                    found.append(_parse(payload))


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


def connection_socket(
    sockets: list[TcpSocket],
    connection: tuple[Endpoint, Endpoint] | None,
    *,
    listening_port: int | None,
) -> TcpSocket | None:
    """The socket of a connection, given as (local, peer), among `sockets`.

    With `listening_port`, a listener on that port stands in while the
    connection has no socket yet (a server before the SYN arrives). None means
    no socket: RFC 9293's CLOSED.
    """
    if connection is not None:
        local, peer = connection
        found = next((s for s in sockets if s.local == local and s.peer == peer), None)
        if found is not None:
            return found
    if listening_port is None:
        return None
    return next(
        (s for s in sockets if s.state is TcpState.LISTEN and s.local[1] == listening_port), None
    )
