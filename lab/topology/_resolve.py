"""Filling in what a checked draft leaves out: interface names, default routes, forwarding.

Runs after `_validate`, so nothing here can fail. The rules:

* an endpoint without ``ifname`` gets the first free name of eth0, eth1, ... on its
  host, in the order links and then bridges are declared; names given explicitly
  on that host are skipped;
* a host that is not a router and has no default route of a family gets one
  (``automatic=True``) when its segments hold exactly one router with an address
  of that family in a subnet they share: the route goes via that address;
* a router gets ``net.ipv4.ip_forward=1`` and, if it has IPv6 addresses,
  ``net.ipv6.conf.all.forwarding=1``, unless its sysctls already set them.
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Network, IPv6Network
from typing import Final

from lab._addresses import IP
from lab.topology._model import Bridge, Endpoint, HostSpec, Link, Network, Route, Topology
from lab.topology._schema import Draft, DraftEndpoint, DraftSegment

_DEFAULT_ROUTES: Final[tuple[Network, ...]] = (IPv4Network("0.0.0.0/0"), IPv6Network("::/0"))

# (address family that makes it needed, or None for always; sysctl) for every router.
_FORWARDING: Final[tuple[tuple[int | None, str], ...]] = (
    (None, "net.ipv4.ip_forward"),
    (6, "net.ipv6.conf.all.forwarding"),
)


def resolve(draft: Draft, name: str, source: str) -> Topology:
    """The `Topology` that a validated `draft` describes, with everything filled in."""
    ifnames = assign_ifnames(draft)

    def endpoint(e: DraftEndpoint) -> Endpoint:
        """The model endpoint of `e`, with its interface name."""
        return Endpoint(e.host, ifnames[e], tuple(a.value for a in e.addresses))

    links = tuple(
        Link(endpoint(s.endpoints[0]), endpoint(s.endpoints[1]), s.mtu) for s in draft.links
    )
    bridges = tuple(
        Bridge(s.bridge or "", tuple(endpoint(p) for p in s.endpoints), s.mtu)
        for s in draft.bridges
    )
    hosts = tuple(_complete_host(host, draft) for host in draft.hosts)
    return Topology(name, hosts, links, bridges, draft.description, source)


def assign_ifnames(draft: Draft) -> dict[DraftEndpoint, str]:
    """The interface name of every endpoint: its own, or the next free ethN of its host."""
    taken: dict[str, set[str]] = {}
    for segment in draft.segments:
        for e in segment.endpoints:
            if e.ifname is not None:
                taken.setdefault(e.host, set()).add(e.ifname)
    counters: dict[str, int] = {}
    names: dict[DraftEndpoint, str] = {}
    for segment in draft.segments:
        for e in segment.endpoints:
            if e.ifname is not None:
                names[e] = e.ifname
                continue
            used = taken.setdefault(e.host, set())
            number = counters.get(e.host, 0)
            while f"eth{number}" in used:
                number += 1
            names[e] = f"eth{number}"
            counters[e.host] = number + 1
    return names


def _complete_host(host: HostSpec, draft: Draft) -> HostSpec:
    """`host` with its automatic default routes or its forwarding sysctls added."""
    if host.router:
        given = {name for name, _ in host.sysctls}
        families = {
            a.value.version for _, e in host_endpoints(draft, host.name) for a in e.addresses
        }
        added = tuple(
            (sysctl, "1")
            for family, sysctl in _FORWARDING
            if sysctl not in given and (family is None or family in families)
        )
        return replace(host, sysctls=host.sysctls + added)
    has_default = {r.to.version for r in host.routes if r.is_default}
    automatic = tuple(
        Route(to=default, via=via, automatic=True)
        for default in _DEFAULT_ROUTES
        if default.version not in has_default
        and (via := _only_router(draft, host.name, default.version)) is not None
    )
    return replace(host, routes=host.routes + automatic)


def host_endpoints(draft: Draft, host: str) -> list[tuple[DraftSegment, DraftEndpoint]]:
    """The endpoints of `host`, with their segments, in declaration order."""
    return draft.endpoints_by_host.get(host, [])


def _only_router(draft: Draft, host: str, version: int) -> IP | None:
    """The address of the one router next to `host` for `version`, if exactly one exists."""
    routers = draft.routers
    found: dict[str, IP] = {}  # router -> its first address in a subnet it shares with host
    for segment, mine in host_endpoints(draft, host):
        subnets = {a.value.network for a in mine.addresses if a.value.version == version}
        for other in segment.endpoints:
            if other.host not in routers or other.host == host:
                continue
            for a in other.addresses:
                if a.value.network in subnets:
                    found.setdefault(other.host, a.value.ip)
    return next(iter(found.values())) if len(found) == 1 else None
