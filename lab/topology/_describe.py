"""`describe`: a topology as plain, aligned text, for ``lab show``.

    topology     routed
    description  Client and server on two subnets joined by a router.
    source       topologies/routed.yaml

    hosts
      host    role    interface  address            peer
      client  host    eth0       192.0.2.1/24       router eth0 (link)
      router  router  eth0       192.0.2.254/24     client eth0 (link)
      ...

    routes
      host    to       via             origin
      client  default  192.0.2.254     automatic

Sections without content (routes, sysctls, bridges) are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from lab._columns import align_columns
from lab.topology._model import Bridge, Endpoint, Link, Topology

Row = tuple[str, ...]


def describe(topology: Topology) -> str:
    """Human-readable text for `topology`: header, interfaces, routes, sysctls, bridges."""
    sections = [_header(topology)]
    for title, (header, rows) in ((t, build(topology)) for t, build in _SECTIONS):
        if rows:
            sections.append([title, *align_columns([header, *rows], indent="  ")])
    return "\n\n".join("\n".join(lines) for lines in sections) + "\n"


def _header(topology: Topology) -> list[str]:
    """Name, description (on one line) and source."""
    rows = [("topology", topology.name)]
    if topology.description:
        rows.append(("description", " ".join(topology.description.split())))
    rows.append(("source", topology.source))
    return align_columns(rows)


def _interfaces(topology: Topology) -> tuple[Row, list[Row]]:
    """One row per address (at least one per interface, one per host without any)."""
    peers = _peers(topology)
    rows: list[Row] = []
    for host in topology.hosts:
        role = "router" if host.router else "host"
        endpoints = topology.endpoints(host.name) or (None,)
        for i, endpoint in enumerate(endpoints):
            first_of_host = (host.name, role) if i == 0 else ("", "")
            if endpoint is None:
                rows.append((*first_of_host, "-", "-", "no interfaces"))
                continue
            addresses = [str(a) for a in endpoint.addresses] or ["-"]
            rows.append((*first_of_host, endpoint.ifname, addresses[0], peers[endpoint]))
            rows += [("", "", "", address, "") for address in addresses[1:]]
    return ("host", "role", "interface", "address", "peer"), rows


def _peers(topology: Topology) -> dict[Endpoint, str]:
    """What each interface is connected to: the other end of its link, or its bridge."""
    peers: dict[Endpoint, str] = {}
    for link in topology.links:
        note = _segment_note("link", link)
        peers[link.a] = f"{link.b.host} {link.b.ifname} ({note})"
        peers[link.b] = f"{link.a.host} {link.a.ifname} ({note})"
    for bridge in topology.bridges:
        note = _segment_note(f"bridge {bridge.name}", bridge)
        peers.update((port, note) for port in bridge.ports)
    return peers


def _segment_note(what: str, segment: Link | Bridge) -> str:
    """`what`, with the segment's MTU if it has one."""
    return what if segment.mtu is None else f"{what}, mtu {segment.mtu}"


def _routes(topology: Topology) -> tuple[Row, list[Row]]:
    """One row per route, given or automatic."""
    rows: list[Row] = [
        (
            host.name,
            "default" if route.is_default else str(route.to),
            str(route.via),
            "automatic" if route.automatic else "given",
        )
        for host in topology.hosts
        for route in host.routes
    ]
    return ("host", "to", "via", "origin"), rows


def _sysctls(topology: Topology) -> tuple[Row, list[Row]]:
    """One row per sysctl, including the forwarding ones routers get."""
    rows: list[Row] = [
        (host.name, name, value) for host in topology.hosts for name, value in host.sysctls
    ]
    return ("host", "sysctl", "value"), rows


def _bridges(topology: Topology) -> tuple[Row, list[Row]]:
    """One row per bridge, with its ports."""
    rows: list[Row] = [
        (
            bridge.name,
            "-" if bridge.mtu is None else str(bridge.mtu),
            ", ".join(f"{p.host} {p.ifname}" for p in bridge.ports),
        )
        for bridge in topology.bridges
    ]
    return ("bridge", "mtu", "ports"), rows


_SECTIONS: Final[tuple[tuple[str, Callable[[Topology], tuple[Row, list[Row]]]], ...]] = (
    ("hosts", _interfaces),
    ("routes", _routes),
    ("sysctls", _sysctls),
    ("bridges", _bridges),
)
