"""rtnetlink inside one namespace, for the builder: one raw socket, requests made in `struct`.

The socket is opened inside the namespace, so it talks to that namespace
whichever thread uses it later. Every request asks for an acknowledgement
and waits for it, so an error surfaces at the step that caused it. The
builder names interfaces by the indexes it gave them, so nothing is looked
up by name; the same socket answers the readiness lookups (`_rtnl_reader`).
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Mapping
from ipaddress import IPv6Address

from lab._addresses import IP
from lab.kernel import _rtnl_messages as msg
from lab.kernel._netns import NetNamespace
from lab.kernel._rawnetlink import NetlinkSocket
from lab.kernel._rtnl_reader import waiting_for
from lab.topology._model import Address, Network

__all__ = ["Rtnetlink"]


class Rtnetlink:
    """rtnetlink requests inside one namespace."""

    def __init__(self, netns: NetNamespace) -> None:
        self._sock = NetlinkSocket(netns, socket.NETLINK_ROUTE)

    def close(self) -> None:
        self._sock.close()

    def add_veth(
        self,
        ifname: str,
        index: int,
        *,
        peer: str,
        peer_index: int,
        peer_netns: NetNamespace,
        mtu: int | None,
    ) -> None:
        """A veth pair: `ifname` here (up), `peer` in `peer_netns` (down until `set_up`).

        The explicit indexes matter: in fresh namespaces both ends would get
        index 2, and the kernel's link watcher treats a device whose peer has
        its own index as not urgent, delaying its carrier (and so its
        traffic) by up to a second. With distinct indexes both ends come up
        at once.
        """
        body = msg.new_veth(
            ifname, index, peer=peer, peer_index=peer_index, peer_netns_fd=peer_netns.fd, mtu=mtu
        )
        self._sock.request_ack(msg.RTM_NEWLINK, msg.CREATE, body)

    def add_bridge(self, ifname: str, index: int, mtu: int | None) -> None:
        self._sock.request_ack(msg.RTM_NEWLINK, msg.CREATE, msg.new_bridge(ifname, index, mtu))

    def set_up(self, index: int, master: int | None = None) -> None:
        """Bring interface `index` up, enslaved to the bridge of index `master` if given."""
        self._sock.request_ack(msg.RTM_NEWLINK, 0, msg.set_link_up(index, master))

    def add_address(self, index: int, address: Address) -> None:
        self._sock.request_ack(msg.RTM_NEWADDR, msg.CREATE, msg.new_address(index, address))

    def add_route(self, to: Network, via: IP) -> None:
        self._sock.request_ack(msg.RTM_NEWROUTE, msg.CREATE, msg.new_route(to, via))

    def waiting_for(self, links: Mapping[int, str], ipv6: Iterable[IPv6Address]) -> list[str]:
        """What keeps this namespace from carrying traffic yet; [] when ready (`_rtnl_reader`)."""
        return waiting_for(self._sock, links, ipv6)
