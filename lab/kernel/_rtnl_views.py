"""Read-only views of one namespace through pyroute2's IPRoute: snapshots, a host's addresses.

pyroute2 is untyped and its call signatures are wide; these few typed
methods are all we use of it. Nothing here is on the build path, which
speaks raw rtnetlink (`_rtnl`): so the tests check what the builder made
through a second, independent parser.
"""

from __future__ import annotations

import socket
from typing import Any

from lab.kernel._netns import NetNamespace

__all__ = ["RtnlViews"]


class RtnlViews:
    """What the kernel has in one namespace, read through pyroute2."""

    def __init__(self, netns: NetNamespace) -> None:
        # Imported here: pyroute2 takes ~0.13 s to import, and only snapshots and
        # Host.kernel_addresses use it, not building or stepping.
        from pyroute2 import IPRoute  # noqa: PLC0415

        with netns.entered():
            self._ipr: Any = IPRoute()

    def close(self) -> None:
        self._ipr.close()

    def addresses(self) -> list[str]:
        """Every address the kernel has in this namespace, without prefix."""
        return [str(a.get_attr("IFA_ADDRESS")) for a in self._ipr.addr("dump")]

    def describe_links(self) -> list[str]:
        """One line per interface: name, kind, MTU, up or down."""
        lines = []
        for link in self._ipr.link("dump"):
            info = link.get_attr("IFLA_LINKINFO")
            kind = info.get_attr("IFLA_INFO_KIND") if info is not None else "-"
            state = "up" if link["flags"] & 1 else "down"
            lines.append(
                f"{link.get_attr('IFLA_IFNAME')} {kind} mtu {link.get_attr('IFLA_MTU')} {state}"
            )
        return sorted(lines)

    def describe_addresses(self) -> list[str]:
        return sorted(
            f"{a['index']} {a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}"
            for a in self._ipr.addr("dump")
        )

    def describe_routes(self) -> list[str]:
        lines = []
        for family in (socket.AF_INET, socket.AF_INET6):
            for r in self._ipr.route("dump", family=family):
                lines.append(
                    f"table {r.get_attr('RTA_TABLE')} {r.get_attr('RTA_DST')}/{r['dst_len']} "
                    f"via {r.get_attr('RTA_GATEWAY')} oif {r.get_attr('RTA_OIF')} type {r['type']}"
                )
        return sorted(lines)
