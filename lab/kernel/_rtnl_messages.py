"""The rtnetlink requests the builder sends, as bytes: links, addresses, routes, lookups.

Each function returns the body of one request (what follows ``nlmsghdr``),
packed with `struct` in host order as ``<linux/rtnetlink.h>`` lays it out;
the constant says which message type it goes with. The requests are the
ones pyroute2's IPRoute sent before (same attributes, same flags, routes
with protocol ``static``), which tests/pure/test_rtnl_messages.py checks by
decoding them with pyroute2's own message classes: pyroute2 stays the
reference for what the kernel headers say.

Why not pyroute2 itself: IPRoute 0.9 runs an asyncio event loop for every
call (and its own sockets and epoll per namespace), which cost about 3 ms of
a 5.5 ms two-hosts build. Encoding with pyroute2's message classes over our
own socket was measured too: 20-140 us a message (a veth 140 us, an address
65 us, against 3-10 us packed here), about 1 ms more per two-hosts build,
which put it at 1.8x the kernel's floor instead of 1.3x.
"""

from __future__ import annotations

import socket
import struct
from ipaddress import IPv4Address, IPv6Address

from lab._addresses import IP
from lab.kernel._rawnetlink import attr, nest
from lab.topology._model import Address, Network

RTM_NEWLINK, RTM_GETLINK = 16, 18
RTM_NEWADDR = 20
RTM_NEWROUTE, RTM_GETROUTE = 24, 26

NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
CREATE = NLM_F_CREATE | NLM_F_EXCL
"""The flags of a request that makes something new, and fails if it exists already."""

LOOPBACK_INDEX = 1
"""The interface index of ``lo`` in every network namespace."""

IFF_UP = 0x1
IFA_F_NODAD = 0x02
"""Skip IPv6 duplicate address detection: lab addresses are unique by validation,
and DAD would keep them unusable ("tentative") for about two seconds."""

RT_TABLE_MAIN = 254
RTPROT_STATIC = 4
RT_SCOPE_UNIVERSE = 0
RTN_UNICAST = 1
RTM_F_FIB_MATCH = 0x2000

IFLA_IFNAME, IFLA_MTU, IFLA_MASTER, IFLA_LINKINFO, IFLA_NET_NS_FD = 3, 4, 10, 18, 28
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
VETH_INFO_PEER = 1
IFA_ADDRESS, IFA_LOCAL, IFA_FLAGS = 1, 2, 8
RTA_DST, RTA_OIF, RTA_GATEWAY = 1, 4, 5

IFINFOMSG = struct.Struct("=BxHiII")
"""family, (pad), type, index, flags, change"""
IFADDRMSG = struct.Struct("=BBBBi")
"""family, prefix length, flags (the low 8 bits), scope, index"""
RTMSG = struct.Struct("=BBBBBBBBI")
"""family, dst_len, src_len, tos, table, protocol, scope, type, flags"""


def _ifinfo(index: int, up: bool) -> bytes:
    flags = IFF_UP if up else 0
    return IFINFOMSG.pack(socket.AF_UNSPEC, 0, index, flags, flags)


def _name(ifname: str) -> bytes:
    return attr(IFLA_IFNAME, ifname.encode() + b"\0")


def _mtu(mtu: int | None) -> bytes:
    return b"" if mtu is None else attr(IFLA_MTU, struct.pack("=I", mtu))


def new_veth(
    ifname: str, index: int, *, peer: str, peer_index: int, peer_netns_fd: int, mtu: int | None
) -> bytes:
    """RTM_NEWLINK (with CREATE): a veth pair, `ifname` up here, `peer` down in another namespace.

    The peer cannot be brought up in the same request (veth_open answers
    ENOTCONN while the pair is half made): the peer's namespace does that
    with `set_link`.
    """
    peer_info = IFINFOMSG.pack(socket.AF_UNSPEC, 0, peer_index, 0, 0)
    peer_attrs = _name(peer) + attr(IFLA_NET_NS_FD, struct.pack("=I", peer_netns_fd)) + _mtu(mtu)
    return (
        _ifinfo(index, up=True)
        + _name(ifname)
        + _mtu(mtu)
        + nest(
            IFLA_LINKINFO,
            attr(IFLA_INFO_KIND, b"veth\0"),
            nest(IFLA_INFO_DATA, attr(VETH_INFO_PEER, peer_info + peer_attrs)),
        )
    )


def new_bridge(ifname: str, index: int, mtu: int | None) -> bytes:
    """RTM_NEWLINK (with CREATE): a bridge, up."""
    return (
        _ifinfo(index, up=True)
        + _name(ifname)
        + _mtu(mtu)
        + nest(IFLA_LINKINFO, attr(IFLA_INFO_KIND, b"bridge\0"))
    )


def set_link_up(index: int, master: int | None = None) -> bytes:
    """RTM_NEWLINK: bring interface `index` up, enslaved to bridge `master` if given."""
    enslave = b"" if master is None else attr(IFLA_MASTER, struct.pack("=I", master))
    return _ifinfo(index, up=True) + enslave


def new_address(index: int, address: Address) -> bytes:
    """RTM_NEWADDR (with CREATE): `address` on interface `index`; IPv6 without DAD."""
    ip = address.ip.packed
    if address.version == 4:
        family, flags, attrs = socket.AF_INET, 0, attr(IFA_LOCAL, ip) + attr(IFA_ADDRESS, ip)
    else:
        family, flags, attrs = socket.AF_INET6, IFA_F_NODAD, attr(IFA_ADDRESS, ip)
    header = IFADDRMSG.pack(family, address.network.prefixlen, 0, 0, index)
    return header + attrs + attr(IFA_FLAGS, struct.pack("=I", flags))


def new_route(to: Network, via: IP) -> bytes:
    """RTM_NEWROUTE (with CREATE): `to` via gateway `via`, in the main table."""
    family = socket.AF_INET if to.version == 4 else socket.AF_INET6
    header = RTMSG.pack(
        family, to.prefixlen, 0, 0, RT_TABLE_MAIN, RTPROT_STATIC, RT_SCOPE_UNIVERSE, RTN_UNICAST, 0
    )
    dst = attr(RTA_DST, to.network_address.packed) if to.prefixlen else b""
    return header + dst + attr(RTA_GATEWAY, via.packed)


def get_link(index: int) -> bytes:
    """RTM_GETLINK: interface `index` (answered with one RTM_NEWLINK)."""
    return IFINFOMSG.pack(socket.AF_UNSPEC, 0, index, 0, 0)


def get_route(ip: IPv4Address | IPv6Address, *, fib_match: bool = True) -> bytes:
    """RTM_GETROUTE: the routing table entry that `ip` matches (one RTM_NEWROUTE).

    Without `fib_match`, the kernel answers with the route a packet to `ip`
    would take, resolved: its output interface (RTA_OIF) and next hop
    (RTA_GATEWAY), as ``ip route get`` shows.
    """
    family = socket.AF_INET if ip.version == 4 else socket.AF_INET6
    flags = RTM_F_FIB_MATCH if fib_match else 0
    header = RTMSG.pack(family, ip.max_prefixlen, 0, 0, 0, 0, 0, 0, flags)
    return header + attr(RTA_DST, ip.packed)
