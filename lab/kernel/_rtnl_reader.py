"""A minimal, fast rtnetlink reader: interface indexes, operational states, local routes.

The builder needs to read a few facts while it builds: the index of an
interface it named, and whether a fresh namespace is ready to carry traffic.
Netlink calls return before the kernel's deferred work has run: the link
watcher sets a new veth's operational state (and activates its queue) a
moment later, and IPv6 uses an address only once its local route exists. A
packet sent before then is dropped, or a neighbour solicitation goes
unanswered for a second, which turns a deterministic lab into a flaky one.

This only reads, with dump requests parsed by `struct`: pyroute2's general
message parser takes 200-400 us per dump, more than the rest of a two-host
build. All configuration goes through pyroute2.
"""

from __future__ import annotations

import ipaddress
import socket
import struct

from lab.kernel._netns import NetNamespace
from lab.kernel._rawnetlink import NetlinkSocket, attributes

_IFINFO = struct.Struct("=BxHiII")  # family, type, index, flags, change
_RTMSG = struct.Struct("=BBBBBBBBI")  # family, dst_len, src_len, tos, table, protocol, scope, type

RTM_NEWLINK, RTM_GETLINK, RTM_NEWROUTE, RTM_GETROUTE = 16, 18, 24, 26
IFLA_IFNAME, IFLA_OPERSTATE = 3, 16
RTA_DST = 1
RT_TABLE_LOCAL = 255
OPERSTATES = ("UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING", "DORMANT", "UP")


class RtnlReader:
    """A raw rtnetlink socket inside one namespace, for the few facts the builder reads."""

    def __init__(self, netns: NetNamespace) -> None:
        self._sock = NetlinkSocket(netns, socket.NETLINK_ROUTE)

    def close(self) -> None:
        self._sock.close()

    def links(self) -> dict[str, tuple[int, str]]:
        """Every interface: name -> (index, operational state)."""
        found = {}
        for message in self._sock.dump(RTM_GETLINK, _IFINFO.pack(0, 0, 0, 0, 0)):
            if message.kind != RTM_NEWLINK:
                continue
            payload = message.payload
            index = _IFINFO.unpack_from(payload)[2]
            attrs = attributes(payload, _IFINFO.size)
            name = attrs.get(IFLA_IFNAME, b"?").rstrip(b"\0").decode()
            state = attrs.get(IFLA_OPERSTATE, b"\0")[0]
            found[name] = (index, OPERSTATES[state] if state < len(OPERSTATES) else str(state))
        return found

    def local_ipv6(self) -> set[ipaddress.IPv6Address]:
        """The IPv6 addresses that have their route in the local table (usable as such)."""
        found = set()
        request = _RTMSG.pack(socket.AF_INET6, 0, 0, 0, 0, 0, 0, 0, 0)
        for message in self._sock.dump(RTM_GETROUTE, request):
            payload = message.payload
            if message.kind != RTM_NEWROUTE or _RTMSG.unpack_from(payload)[4] != RT_TABLE_LOCAL:
                continue
            dst = attributes(payload, _RTMSG.size).get(RTA_DST)
            if dst is not None and len(dst) == 16:
                found.add(ipaddress.IPv6Address(dst))
        return found

    def waiting_for(
        self, ipv6: set[ipaddress.IPv6Address], ignore: frozenset[str] = frozenset()
    ) -> list[str]:
        """What is not ready: interfaces not UP (but `ignore`), IPv6 addresses not local yet.

        A bridge device itself is ignored by the caller: frames cross a bridge
        between its ports, whose states are checked, and the bridge's own
        operational state trails them by up to a second (the link watcher's
        rate limit) without holding anything up.
        """
        links = self.links()
        waiting = [f"{n} is {s}" for n, (_, s) in links.items() if s != "UP" and n not in ignore]
        if ipv6:
            waiting += [f"{a} has no local route yet" for a in sorted(ipv6 - self.local_ipv6())]
        return waiting
