"""nfnetlink framing: the netlink dialect of netfilter, spoken over a raw socket.

Both NFQUEUE (`_nfqueue`) and nf_tables (`_nftables`) are nfnetlink
subsystems. Every message is ``nlmsghdr`` + ``nfgenmsg`` (family, version 0,
res_id big-endian) + attributes. The ``nlattr`` headers are in host order;
attribute *payloads* are big-endian unless a subsystem says otherwise. The
message type is ``(subsystem << 8) | message``.

The socket is created inside a namespace and talks to that namespace's
netfilter for its whole life, whichever thread uses it later. Errors come
back as `OSError` with the kernel's errno; the callers turn them into
`SteppingError` with what they were doing.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from lab.kernel._netns import NetNamespace

NETLINK_NETFILTER = 12

NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLMSG_ERROR = 2
NLA_F_NESTED = 0x8000
_NLA_TYPE_MASK = 0x3FFF  # without NLA_F_NESTED and NLA_F_NET_BYTEORDER

NLMSGHDR = struct.Struct("=IHHII")  # length, type, flags, sequence, port
_NFGENMSG = struct.Struct("=BBH")  # family, version, res_id (packed big-endian by hand)
_NLATTR = struct.Struct("=HH")  # length, type

NO_NETFILTER_NETLINK = (errno.EPROTONOSUPPORT, errno.EAFNOSUPPORT)
"""socket() errnos meaning the kernel has no nfnetlink at all (CONFIG_NETFILTER_NETLINK)."""


def attr(kind: int, value: bytes) -> bytes:
    """One netlink attribute, padded to 4 bytes."""
    length = _NLATTR.size + len(value)
    return _NLATTR.pack(length, kind) + value + b"\0" * (-length % 4)


def nest(kind: int, *attrs: bytes) -> bytes:
    """A nested attribute holding `attrs`."""
    return attr(kind | NLA_F_NESTED, b"".join(attrs))


def parse_attrs(data: bytes, offset: int = 0) -> dict[int, bytes]:
    """The attributes from `offset` on, by type (the last one wins)."""
    found: dict[int, bytes] = {}
    while offset + _NLATTR.size <= len(data):
        length, kind = _NLATTR.unpack_from(data, offset)
        if length < _NLATTR.size:
            break
        found[kind & _NLA_TYPE_MASK] = data[offset + _NLATTR.size : offset + length]
        offset += (length + 3) & ~3
    return found


@dataclass(frozen=True)
class Message:
    """One message the kernel sent us, without its nlmsghdr."""

    kind: int
    seq: int
    payload: bytes

    @property
    def error(self) -> int:
        """For an NLMSG_ERROR: the positive errno, or 0 for an acknowledgement."""
        return -int(struct.unpack_from("=i", self.payload)[0])

    def body(self) -> tuple[int, dict[int, bytes]]:
        """res_id (host order) and attributes of an nfnetlink message."""
        _family, _version, res_id = _NFGENMSG.unpack_from(self.payload)
        return socket.ntohs(res_id), parse_attrs(self.payload, _NFGENMSG.size)


class NfnetlinkSocket:
    """A NETLINK_NETFILTER socket bound inside one namespace."""

    def __init__(self, netns: NetNamespace, *, rcvbuf: int | None = None) -> None:
        with netns.entered():
            self._sock = socket.socket(
                socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_NETFILTER
            )
        try:
            if rcvbuf is not None:
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self._sock.bind((0, 0))
        except BaseException:
            self._sock.close()
            raise
        self._seq = 0

    def fileno(self) -> int:
        return self._sock.fileno()

    @property
    def closed(self) -> bool:
        return self._sock.fileno() < 0

    def close(self) -> None:
        self._sock.close()

    def message(
        self,
        subsystem: int,
        kind: int,
        attrs: bytes,
        *,
        family: int = 0,
        res_id: int = 0,
        flags: int = 0,
    ) -> tuple[int, bytes]:
        """A request message and its sequence number (not sent yet)."""
        self._seq += 1
        body = _NFGENMSG.pack(family, 0, socket.htons(res_id)) + attrs
        header = NLMSGHDR.pack(
            NLMSGHDR.size + len(body), (subsystem << 8) | kind, NLM_F_REQUEST | flags, self._seq, 0
        )
        return self._seq, header + body

    def send(self, data: bytes) -> None:
        self._sock.send(data)

    def read(self, *, block: bool) -> list[Message]:
        """The messages of one recv(); [] when not blocking and nothing is there."""
        try:
            data = self._sock.recv(1 << 17, 0 if block else socket.MSG_DONTWAIT)
        except BlockingIOError:
            return []
        return list(_split(data))

    def wait_acks(self, seqs: set[int], others: list[Message] | None = None) -> None:
        """Block until every request in `seqs` is acknowledged; raise the first error.

        Messages that are not answers to `seqs` go to `others` (queued packets
        that arrive meanwhile, for instance), or are dropped without it.
        """
        waiting = set(seqs)
        while waiting:
            for message in self.read(block=True):
                if message.kind == NLMSG_ERROR and message.seq in waiting:
                    if message.error:
                        code = message.error
                        raise OSError(code, os.strerror(code))
                    waiting.discard(message.seq)
                elif others is not None:
                    others.append(message)


def _split(data: bytes) -> Iterator[Message]:
    offset = 0
    while offset + NLMSGHDR.size <= len(data):
        length, kind, _flags, seq, _port = NLMSGHDR.unpack_from(data, offset)
        if length < NLMSGHDR.size:
            return
        yield Message(kind, seq, data[offset + NLMSGHDR.size : offset + length])
        offset += (length + 3) & ~3
