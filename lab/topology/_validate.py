"""Checks that need several fields of a topology at once; the first problem is raised.

Reading (`_schema`) has already checked each field on its own. The checks here
run in the order of `CHECKS`, each over the topology in declaration order
(links, then bridges, then hosts), so the same input always gets the same error:

1. every host named by a link or a port is declared; no link joins a host to
   itself; no host sits on one bridge twice;
2. no host has two interfaces of the same name;
3. no address is used twice; every link and bridge has subnets of its own;
   the ends of a segment agree on prefix lengths and share a subnet;
4. a segment with IPv6 addresses has an MTU of at least 1280;
5. routes go via a neighbour on a directly connected subnet, to somewhere that
   is not connected already, one route per destination;
6. per-interface sysctls name interfaces the host has.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from lab._addresses import IP
from lab._errors import did_you_mean
from lab._reader import At, Located
from lab.topology._model import Address, HostSpec, Network
from lab.topology._resolve import assign_ifnames, host_endpoints
from lab.topology._schema import Draft, DraftEndpoint, DraftSegment

_MIN_IPV6_MTU: Final = 1280
# Sysctls that name an interface: net.ipv4.conf.eth0.rp_filter and the like.
_PER_INTERFACE: Final = re.compile(r"net\.ipv[46]\.(?:conf|neigh)\.([^.]+)\..+")
_ALWAYS_THERE: Final = ("all", "default", "lo")


def check(draft: Draft) -> None:
    """Raise a TopologyError for the first way `draft`'s fields do not fit together."""
    for run in CHECKS:
        run(draft)


def _hosts_exist(draft: Draft) -> None:
    """Links and ports name declared hosts, links join two hosts, ports are distinct."""
    declared = [h.name for h in draft.hosts]
    known = set(declared)
    for segment in draft.segments:
        seen: dict[str, DraftEndpoint] = {}
        for e in segment.endpoints:
            at = e.at.key("host")
            if e.host not in known:
                guess = did_you_mean(e.host, declared)
                raise at.error(
                    f"there is no host '{e.host}'",
                    f"{guess}declared hosts: {', '.join(declared)}; "
                    "add it under hosts: if it is new",
                )
            if e.host in seen:
                raise at.error(*_twice(segment, e.host, seen[e.host].at))
            seen[e.host] = e


def _twice(segment: DraftSegment, host: str, first: At) -> tuple[str, str]:
    """Problem and fix for a host that appears twice on one segment."""
    if segment.bridge is None:
        return (
            f"{segment.label} joins host '{host}' to itself",
            "a link joins two different hosts; to give a host more addresses, list them "
            "under one endpoint's addresses",
        )
    return (
        f"host '{host}' is on bridge {segment.bridge} twice (also at {first.path})",
        "list each host once; one port can carry several addresses",
    )


def _interface_names(draft: Draft) -> None:
    """No host has two interfaces with the same explicit name."""
    seen: dict[tuple[str, str], At] = {}
    for segment in draft.segments:
        for e in segment.endpoints:
            if e.ifname is None:
                continue
            at = e.at.key("ifname")
            first = seen.setdefault((e.host, e.ifname), at)
            if first is not at:
                raise at.error(
                    f"host '{e.host}' already has an interface {e.ifname} (at {first.path})",
                    "give each interface of a host its own name, or leave ifname out "
                    "to get eth0, eth1, ...",
                )


@dataclass
class _Subnets:
    """Subnets seen so far, as sorted disjoint integer ranges, to find overlaps quickly.

    Subnets never partly overlap: two of them either are disjoint or one contains
    the other, and every overlap is an error unless it is the same subnet on the
    same segment. So the stored ranges stay disjoint, and a new subnet can only
    overlap one of its two neighbours in sorted order.
    """

    starts: list[tuple[int, int]] = field(default_factory=list)
    owners: list[tuple[int, Network, Located[Address], DraftSegment]] = field(default_factory=list)

    def overlapping(
        self, network: Network
    ) -> tuple[Network, Located[Address], DraftSegment] | None:
        """A stored subnet that overlaps `network`, with where it was declared."""
        start = (network.version, int(network.network_address))
        end = int(network.broadcast_address)
        i = bisect.bisect_left(self.starts, start)
        for j in (i - 1, i):
            if 0 <= j < len(self.owners):
                version, first = self.starts[j]
                last, other, where, segment = self.owners[j]
                if version == network.version and first <= end and start[1] <= last:
                    return other, where, segment
        return None

    def add(self, address: Located[Address], segment: DraftSegment) -> None:
        """Store the subnet of `address`, which overlaps nothing stored."""
        network = address.value.network
        start = (network.version, int(network.network_address))
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.owners.insert(i, (int(network.broadcast_address), network, address, segment))


def _addresses(draft: Draft) -> None:
    """Addresses are unique, segments own their subnets, and each segment's ends can talk."""
    seen: dict[IP, Located[Address]] = {}
    subnets = _Subnets()
    for segment in draft.segments:
        for e in segment.endpoints:
            for address in e.addresses:
                ip = address.value.ip
                first = seen.setdefault(ip, address)
                if first is not address:
                    raise address.at.error(
                        f"{ip} is already used at {first.at.path}",
                        "every interface needs its own address",
                    )
                _check_subnet(address, segment, subnets)
        _check_reachable(segment)


def _check_subnet(address: Located[Address], segment: DraftSegment, subnets: _Subnets) -> None:
    """The subnet of `address` is its segment's own, with one prefix length."""
    network = address.value.network
    found = subnets.overlapping(network)
    if found is None:
        subnets.add(address, segment)
        return
    other, where, owner = found
    if owner is not segment:
        raise address.at.error(
            f"the subnet {network} of {address.value} overlaps {other} of {owner.label} "
            f"(at {where.at.path})",
            "give every link and bridge a subnet of its own",
        )
    if other != network:
        raise address.at.error(
            f"{address.value} and {where.value} (at {where.at.path}) are on the same "
            f"{_kind(segment)} but their prefix lengths differ",
            f"use /{other.prefixlen} for both, or give them separate segments",
        )


def _check_reachable(segment: DraftSegment) -> None:
    """Each endpoint shares a subnet with another one that has addresses of that family."""
    for e in segment.endpoints:
        for version in (4, 6):
            mine = [a for a in e.addresses if a.value.version == version]
            others = {
                a.value.network
                for o in segment.endpoints
                if o is not e
                for a in o.addresses
                if a.value.version == version
            }
            if mine and others and not others & {a.value.network for a in mine}:
                listed = ", ".join(sorted(str(n) for n in others))
                raise mine[0].at.error(
                    f"{mine[0].value} shares no subnet with the other "
                    f"{'end' if segment.bridge is None else 'ports'} of {segment.label} "
                    f"({listed}), so they cannot reach each other",
                    f"put it in {listed.split(', ')[0]} as well",
                )


def _kind(segment: DraftSegment) -> str:
    """'link' or 'bridge', for messages."""
    return "link" if segment.bridge is None else "bridge"


def _mtus(draft: Draft) -> None:
    """A segment that carries IPv6 has an MTU IPv6 can use."""
    for segment in draft.segments:
        has_ipv6 = any(a.value.version == 6 for e in segment.endpoints for a in e.addresses)
        if has_ipv6 and segment.mtu is not None and segment.mtu < _MIN_IPV6_MTU:
            raise segment.at.key("mtu").error(
                f"{segment.label} has IPv6 addresses, and IPv6 needs an MTU of at least "
                f"{_MIN_IPV6_MTU}, not {segment.mtu}",
                f"set mtu: {_MIN_IPV6_MTU} or more, or drop the IPv6 addresses",
            )


def _routes(draft: Draft) -> None:
    """Every route of every host makes sense for that host's subnets."""
    for host in draft.hosts:
        at = draft.at.key("hosts").key(host.name).key("routes")
        own = [a.value for _, e in host_endpoints(draft, host.name) for a in e.addresses]
        connected = list(dict.fromkeys(a.network for a in own))
        first_to: dict[Network, int] = {}
        for i, route in enumerate(host.routes):
            _check_route_to(host, i, at.index(i).key("to"), connected, first_to)
            _check_route_via(host, route.via, at.index(i).key("via"), own, connected)


def _check_route_to(
    host: HostSpec, i: int, at: At, connected: list[Network], first_to: dict[Network, int]
) -> None:
    """The destination of route `i` is new for `host`: not routed yet, not connected."""
    to = host.routes[i].to
    first = first_to.setdefault(to, i)
    if first != i:
        raise at.error(
            f"host '{host.name}' has a route to {to} already (routes[{first}])",
            "keep one route per destination",
        )
    if to in connected:
        raise at.error(
            f"{to} is directly connected to host '{host.name}', which already has a route to it",
            "remove this route",
        )


def _check_route_via(
    host: HostSpec, via: IP, at: At, own: list[Address], connected: list[Network]
) -> None:
    """The gateway is a neighbour of `host` on one of its subnets, not `host` itself."""
    if any(a.ip == via for a in own):
        raise at.error(
            f"{via} is an address of host '{host.name}' itself",
            "route via the address of a neighbour, such as a router, on that subnet",
        )
    same_family = [n for n in connected if n.version == via.version]
    if not same_family:
        raise at.error(
            f"host '{host.name}' has no IPv{via.version} address, so it cannot reach {via}",
            f"give one of its interfaces an IPv{via.version} address, or remove the route",
        )
    if not any(via in n for n in same_family):
        listed = ", ".join(str(n) for n in same_family)
        raise at.error(
            f"the gateway {via} is not on a subnet of host '{host.name}' ({listed})",
            "a gateway must be directly connected: use a neighbour's address in one of "
            "those subnets",
        )


def _sysctls(draft: Draft) -> None:
    """Per-interface sysctls name an interface of their host."""
    ifnames = assign_ifnames(draft)
    for host in draft.hosts:
        at = draft.at.key("hosts").key(host.name).key("sysctls")
        present = [ifnames[e] for _, e in host_endpoints(draft, host.name)]
        for name, _ in host.sysctls:
            match = _PER_INTERFACE.fullmatch(name)
            if match and match[1] not in (*present, *_ALWAYS_THERE):
                listed = ", ".join((*present, *_ALWAYS_THERE))
                raise at.key(name).error(
                    f"host '{host.name}' has no interface {match[1]}",
                    f"name one of its interfaces ({listed})",
                )


CHECKS: Final[tuple[Callable[[Draft], None], ...]] = (
    _hosts_exist,
    _interface_names,
    _addresses,
    _mtus,
    _routes,
    _sysctls,
)
