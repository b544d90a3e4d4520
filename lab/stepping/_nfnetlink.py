"""nfnetlink: the netlink dialect of netfilter, on the shared raw netlink layer.

Both NFQUEUE (`_nfqueue`) and nf_tables (`_nftables`) are nfnetlink
subsystems. Every message is ``nlmsghdr`` + ``nfgenmsg`` (family, version 0,
res_id big-endian) + attributes. The ``nlattr`` headers are in host order;
attribute *payloads* are big-endian unless a subsystem says otherwise. The
message type is ``(subsystem << 8) | message``. Framing, acknowledgements and
errors (`OSError` with the kernel's errno) are `lab.kernel._rawnetlink`'s; the
callers turn errors into `SteppingError` with what they were doing.
"""

from __future__ import annotations

import errno
import socket
import struct

from lab.kernel._netns import NetNamespace
from lab.kernel._rawnetlink import Message, NetlinkSocket, attributes

NETLINK_NETFILTER = 12

_NFGENMSG = struct.Struct("=BBH")  # family, version, res_id (packed big-endian by hand)

NO_NETFILTER_NETLINK = (errno.EPROTONOSUPPORT, errno.EAFNOSUPPORT)
"""socket() errnos meaning the kernel has no nfnetlink at all (CONFIG_NETFILTER_NETLINK)."""


def nfnetlink_body(message: Message) -> tuple[int, dict[int, bytes]]:
    """res_id (host order) and attributes of an nfnetlink message."""
    _family, _version, res_id = _NFGENMSG.unpack_from(message.payload)
    return socket.ntohs(res_id), attributes(message.payload, _NFGENMSG.size)


class NfnetlinkSocket(NetlinkSocket):
    """A NETLINK_NETFILTER socket bound inside one namespace."""

    def __init__(self, netns: NetNamespace, *, rcvbuf: int | None = None) -> None:
        super().__init__(netns, NETLINK_NETFILTER, rcvbuf=rcvbuf)

    def request(
        self,
        subsystem: int,
        kind: int,
        attrs: bytes,
        *,
        family: int = 0,
        res_id: int = 0,
        flags: int = 0,
    ) -> tuple[int, bytes]:
        """A request of `subsystem` and its sequence number (not sent yet)."""
        body = _NFGENMSG.pack(family, 0, socket.htons(res_id)) + attrs
        return self.message((subsystem << 8) | kind, flags, body)
