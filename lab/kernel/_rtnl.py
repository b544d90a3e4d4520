"""A small typed face on pyroute2's IPRoute, bound to one network namespace.

pyroute2 is untyped and its call signatures are wide; the builder only needs
these few operations (read-only views of a namespace are in `_rtnl_views`).
The netlink socket is opened inside the namespace, so it talks to that
namespace whichever thread calls it later.
"""

from __future__ import annotations

import errno
from typing import Any

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from lab._addresses import IP
from lab.kernel._netns import NetNamespace
from lab.kernel._rtnl_reader import RtnlReader
from lab.topology._model import Address, Network

IFA_F_NODAD = 0x02
"""Skip IPv6 duplicate address detection: lab addresses are unique by validation,
and DAD would keep them unusable ("tentative") for about two seconds."""

__all__ = ["NetlinkError", "Rtnetlink"]


class Rtnetlink:
    """rtnetlink operations inside one namespace."""

    def __init__(self, netns: NetNamespace) -> None:
        with netns.entered():
            self._ipr: Any = IPRoute()
        try:
            self.reader = RtnlReader(netns)
        except BaseException:
            self._ipr.close()
            raise
        self._index: dict[str, int] = {}

    def close(self) -> None:
        self._ipr.close()
        self.reader.close()

    def index(self, ifname: str) -> int:
        """The interface index of `ifname` (read through the fast reader, then cached)."""
        if ifname not in self._index:
            self._index = {name: index for name, (index, _) in self.reader.links().items()}
        if ifname not in self._index:
            raise NetlinkError(errno.ENODEV, f"no interface {ifname}")
        return self._index[ifname]

    def add_veth(
        self, ifname: str, peer: str, peer_netns: NetNamespace, mtu: int | None, index: int
    ) -> None:
        """A veth pair: `ifname` here (up, interface index `index`), `peer` in `peer_netns`.

        The peer stays down until set_up. The explicit index matters: in fresh
        namespaces both ends would get index 2, and the kernel's link watcher
        treats a device whose peer has its own index as not urgent, delaying its
        carrier (and so its traffic) by up to a second. With distinct indexes
        both ends come up at once.
        """
        extra = {} if mtu is None else {"mtu": mtu}
        peer_spec = {"ifname": peer, "net_ns_fd": peer_netns.fd, **extra}
        self._ipr.link(
            "add", ifname=ifname, index=index, kind="veth", state="up", peer=peer_spec, **extra
        )

    def add_bridge(self, ifname: str, mtu: int | None) -> None:
        extra = {} if mtu is None else {"mtu": mtu}
        self._ipr.link("add", ifname=ifname, kind="bridge", state="up", **extra)

    def set_up(self, ifname: str, master: str | None = None) -> None:
        """Bring `ifname` up, enslaved to bridge `master` if given."""
        extra = {} if master is None else {"master": self.index(master)}
        self._ipr.link("set", ifname=ifname, state="up", **extra)

    def add_address(self, ifname: str, address: Address) -> None:
        self._ipr.addr(
            "add",
            index=self.index(ifname),
            address=str(address.ip),
            prefixlen=address.network.prefixlen,
            flags=IFA_F_NODAD if address.version == 6 else 0,
        )

    def add_route(self, to: Network, via: IP) -> None:
        self._ipr.route("add", dst=str(to), gateway=str(via))
