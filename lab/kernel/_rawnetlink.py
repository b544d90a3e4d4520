"""Raw netlink: a socket inside a namespace, message framing and attributes, in one place.

Small clients speak netlink without pyroute2, each for one reason of speed
or coverage: the builder's rtnetlink requests and readiness lookups (`_rtnl`,
`_rtnl_messages`, `_rtnl_reader`), the sock_diag reader of TCP states and the
nfnetlink clients of NFQUEUE and nf_tables (`lab.stepping`). They share this
framing:

* a message is ``nlmsghdr`` (length, type, flags, sequence, port; host order)
  and a payload, padded to 4 bytes; a length shorter than the header ends the
  buffer (a zero length would otherwise loop forever);
* an attribute is ``nlattr`` (length, type; host order) and a payload padded
  to 4 bytes; the type's top two bits are flags (nested, network byte order);
* an NLMSG_ERROR carries a negative errno (0 is an acknowledgement), which
  becomes an `OSError` naming the request;
* answers are matched to requests by sequence number: a stray message from an
  earlier request (or a multicast) is never taken for this one's answer.

The socket is created inside a namespace and talks to that namespace for its
whole life, whichever thread uses it later.
"""

from __future__ import annotations

import os
import socket
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from lab.kernel._netns import NetNamespace

__all__ = [
    "NLMSG_DONE",
    "NLMSG_ERROR",
    "NLM_F_ACK",
    "NLM_F_DUMP",
    "NLM_F_REQUEST",
    "Message",
    "NetlinkSocket",
    "attr",
    "attribute",
    "attributes",
    "nest",
    "split",
]

NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLA_F_NESTED = 0x8000
_NLA_TYPE_MASK = 0x3FFF  # without NLA_F_NESTED and NLA_F_NET_BYTEORDER

_NLMSGHDR = struct.Struct("=IHHII")  # length, type, flags, sequence, port
_NLATTR = struct.Struct("=HH")  # length, type
_RECV_SIZE = 1 << 17


@dataclass(frozen=True)
class Message:
    """One message the kernel sent, without its ``nlmsghdr``."""

    kind: int
    flags: int
    seq: int
    payload: bytes

    @property
    def error(self) -> int:
        """For an NLMSG_ERROR: the positive errno, or 0 for an acknowledgement."""
        return -int(struct.unpack_from("=i", self.payload)[0])


def split(data: bytes) -> Iterator[Message]:
    """The messages of one datagram; a malformed length ends it."""
    offset = 0
    while offset + _NLMSGHDR.size <= len(data):
        length, kind, flags, seq, _port = _NLMSGHDR.unpack_from(data, offset)
        if length < _NLMSGHDR.size:
            return
        yield Message(kind, flags, seq, data[offset + _NLMSGHDR.size : offset + length])
        offset += (length + 3) & ~3


def attr(kind: int, value: bytes) -> bytes:
    """One attribute, padded to 4 bytes."""
    length = _NLATTR.size + len(value)
    return _NLATTR.pack(length, kind) + value + b"\0" * (-length % 4)


def nest(kind: int, *attrs: bytes) -> bytes:
    """A nested attribute holding `attrs`."""
    return attr(kind | NLA_F_NESTED, b"".join(attrs))


def attributes(data: bytes, offset: int = 0) -> dict[int, bytes]:
    """The attributes from `offset` on, by type without its flag bits (the last one wins)."""
    found: dict[int, bytes] = {}
    while offset + _NLATTR.size <= len(data):
        length, kind = _NLATTR.unpack_from(data, offset)
        if length < _NLATTR.size:
            break
        found[kind & _NLA_TYPE_MASK] = data[offset + _NLATTR.size : offset + length]
        offset += (length + 3) & ~3
    return found


def attribute(data: bytes, offset: int, kind: int) -> bytes | None:
    """The first attribute of type `kind` from `offset` on, or None; stops as soon as found."""
    while offset + _NLATTR.size <= len(data):
        length, found = _NLATTR.unpack_from(data, offset)
        if length < _NLATTR.size:
            break
        if found & _NLA_TYPE_MASK == kind:
            return data[offset + _NLATTR.size : offset + length]
        offset += (length + 3) & ~3
    return None


class NetlinkSocket:
    """A raw netlink socket of one protocol (NETLINK_ROUTE, ...), bound inside one namespace."""

    def __init__(self, netns: NetNamespace, protocol: int, *, rcvbuf: int | None = None) -> None:
        with netns.entered():
            self._sock = socket.socket(
                socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, protocol
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

    def message(self, kind: int, flags: int, body: bytes) -> tuple[int, bytes]:
        """A request of type `kind` (NLM_F_REQUEST is added) and its sequence number; not sent."""
        self._seq += 1
        header = _NLMSGHDR.pack(
            _NLMSGHDR.size + len(body), kind, NLM_F_REQUEST | flags, self._seq, 0
        )
        return self._seq, header + body

    def send(self, data: bytes) -> None:
        self._sock.send(data)

    def read(self, *, block: bool = True) -> list[Message]:
        """The messages of one recv(); [] when not blocking and nothing is there."""
        try:
            data = self._sock.recv(_RECV_SIZE, 0 if block else socket.MSG_DONTWAIT)
        except BlockingIOError:
            return []
        return list(split(data))

    def dump(self, kind: int, body: bytes) -> Iterator[Message]:
        """Every message a dump request of type `kind` answers with, until NLMSG_DONE.

        An NLMSG_ERROR answer raises OSError with the kernel's errno.
        """
        seq, request = self.message(kind, NLM_F_DUMP, body)
        self.send(request)
        while True:
            for message in self.read():
                if message.seq != seq:
                    continue  # an answer to an earlier, abandoned request
                if message.kind == NLMSG_DONE:
                    return
                if message.kind == NLMSG_ERROR:
                    raise _os_error(message.error)
                yield message

    def request_one(self, kind: int, body: bytes) -> Message:
        """The one message a (non-dump) request of type `kind` is answered with.

        An NLMSG_ERROR answer raises OSError with the kernel's errno.
        """
        seq, request = self.message(kind, 0, body)
        self.send(request)
        while True:
            for message in self.read():
                if message.seq != seq:
                    continue  # an answer to an earlier, abandoned request
                if message.kind == NLMSG_ERROR:
                    raise _os_error(message.error)
                return message

    def request_ack(self, kind: int, flags: int, body: bytes) -> None:
        """Send a request of type `kind` asking for an acknowledgement, and wait for it.

        The kernel has carried the request out when send() returns (netlink
        to the kernel is synchronous); an NLMSG_ERROR answer raises OSError.
        """
        seq, request = self.message(kind, flags | NLM_F_ACK, body)
        self.send(request)
        self.wait_acks({seq})

    def request_many(self, requests: Sequence[tuple[int, bytes]]) -> list[Message | OSError]:
        """The answers to several (non-dump) requests sent in one datagram, in their order.

        Each answer is the message the request was answered with, or the
        OSError its NLMSG_ERROR carried: one failed lookup does not hide the
        others' answers.
        """
        if not requests:
            return []  # an empty datagram is an error (ENODATA), not an empty answer
        order: dict[int, int] = {}
        datagram = []
        for position, (kind, body) in enumerate(requests):
            seq, request = self.message(kind, 0, body)
            order[seq] = position
            datagram.append(request)
        self.send(b"".join(datagram))
        answers: list[Message | OSError | None] = [None] * len(requests)
        while order:
            for message in self.read():
                if message.seq not in order:
                    continue  # an answer to an earlier, abandoned request
                error = message.error if message.kind == NLMSG_ERROR else 0
                answers[order.pop(message.seq)] = _os_error(error) if error else message
        return [answer for answer in answers if answer is not None]

    def wait_acks(self, seqs: set[int], others: list[Message] | None = None) -> None:
        """Block until every request in `seqs` is acknowledged; raise the first error.

        Messages that are not answers to `seqs` go to `others` (queued packets
        that arrive meanwhile, for instance), or are dropped without it.
        """
        waiting = set(seqs)
        while waiting:
            for message in self.read():
                if message.kind == NLMSG_ERROR and message.seq in waiting:
                    if message.error:
                        raise _os_error(message.error)
                    waiting.discard(message.seq)
                elif others is not None:
                    others.append(message)


def _os_error(code: int) -> OSError:
    return OSError(code, os.strerror(code))
