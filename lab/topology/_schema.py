"""The topology schema, as tables of keys, and the draft it reads data into.

    name: routed                        optional; default: the file's stem
    description: One line for lab show.
    hosts:                              host name -> options (null means none)
      client: {}
      router: {router: true}
      server:
        routes: [{to: default, via: 198.51.100.1}]
        sysctls: {net.ipv4.tcp_ecn: 1}
    links:                              veth pairs: exactly two endpoints each
      - endpoints:
          - {host: client, ifname: eth0, addresses: [192.0.2.1/24]}
          - {host: router, addresses: 192.0.2.254/24}
        mtu: 1400
    bridges:                            bridge name -> ports (two or more)
      lan0:
        mtu: 1500
        ports: [{host: a, addresses: [203.0.113.1/24]}, {host: b}]

Reading checks each field on its own: shape, types, names and addresses. What
needs several fields at once (hosts named by links exist, addresses are unique,
gateways are reachable) is checked on the `Draft` by `_validate`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from ipaddress import IPv4Network, IPv6Network
from typing import Final

from lab._reader import (
    At,
    Key,
    Located,
    Record,
    Shape,
    boolean,
    default,
    integer,
    list_of,
    located,
    mapping_of,
    plain_text,
    required,
)
from lab.topology._model import Address, HostSpec, Network, Route
from lab.topology._names import (
    host_name,
    host_reference,
    interface_name,
    sysctl_table,
    topology_name,
)
from lab.topology._ranges import destination, gateway, interface_address

_DEFAULT_ROUTE: Final[dict[int, Network]] = {
    4: IPv4Network("0.0.0.0/0"),
    6: IPv6Network("::/0"),
}


@dataclass(frozen=True)
class DraftEndpoint:
    """An endpoint as written: its interface name may still be left to the loader."""

    host: str
    ifname: str | None
    addresses: tuple[Located[Address], ...]
    at: At


@dataclass(frozen=True)
class DraftSegment:
    """A link or a bridge as written: one Ethernet segment and the endpoints on it."""

    label: str
    """How messages name it: ``links[0]`` or ``bridge lan0``."""
    endpoints: tuple[DraftEndpoint, ...]
    mtu: int | None
    at: At
    bridge: str | None = None
    """The bridge's name; None for a link."""


@dataclass(frozen=True)
class Draft:
    """A topology whose fields are each well-formed, before cross-checks and resolution."""

    name: str | None
    description: str
    hosts: tuple[HostSpec, ...]
    links: tuple[DraftSegment, ...]
    bridges: tuple[DraftSegment, ...]
    at: At

    @property
    def segments(self) -> tuple[DraftSegment, ...]:
        """Links, then bridges: the order interfaces are named and checked in."""
        return self.links + self.bridges

    @cached_property
    def routers(self) -> frozenset[str]:
        """The names of the hosts that are routers."""
        return frozenset(h.name for h in self.hosts if h.router)

    @cached_property
    def endpoints_by_host(self) -> dict[str, list[tuple[DraftSegment, DraftEndpoint]]]:
        """Each host's endpoints, with their segments, in declaration order."""
        found: dict[str, list[tuple[DraftSegment, DraftEndpoint]]] = {}
        for segment in self.segments:
            for e in segment.endpoints:
                found.setdefault(e.host, []).append((segment, e))
        return found


@dataclass(frozen=True)
class _HostOptions:
    """What a host's mapping holds; its name is the key it sits under."""

    router: bool
    routes: tuple[Route, ...]
    sysctls: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _BridgeOptions:
    """What a bridge's mapping holds; its name is the key it sits under."""

    ports: tuple[DraftEndpoint, ...]
    mtu: int | None


def _route(record: Record, at: At) -> Route:
    """A route; ``default`` takes the family of its gateway."""
    via = record[VIA]
    to = record[TO] or _DEFAULT_ROUTE[via.version]
    if to.version != via.version:
        raise at.key("to").error(
            f"the destination {to} is IPv{to.version} but the gateway {via} is IPv{via.version}",
            "route each family through a gateway of the same family",
        )
    return Route(to=to, via=via)


def _link(record: Record, at: At) -> DraftSegment:
    """A link: exactly two endpoints."""
    endpoints = record[ENDPOINTS]
    if len(endpoints) != 2:
        raise at.key("endpoints").error(
            f"a link joins exactly two endpoints, but this one has {len(endpoints)}",
            "use a bridge (under bridges:) to put three or more hosts on one segment",
        )
    return DraftSegment(at.path, endpoints, record[MTU], at)


def _bridge_options(record: Record, at: At) -> _BridgeOptions:
    """A bridge's ports (two or more) and MTU."""
    ports = record[PORTS]
    if len(ports) < 2:
        raise at.key("ports").error(
            f"a bridge needs at least two ports, but this one has {len(ports)}",
            "add ports, or join two hosts with a link instead",
        )
    return _BridgeOptions(ports, record[MTU])


def _hosts(value: object, at: At) -> tuple[HostSpec, ...]:
    """The hosts: a mapping of host name to options, at least one."""
    hosts = tuple(
        HostSpec(name, router=o.router, routes=o.routes, sysctls=o.sysctls)
        for name, o in _HOST_TABLE(value, at)
    )
    if not hosts:
        raise _NO_HOSTS(at, "empty")
    return hosts


def _bridges(value: object, at: At) -> tuple[DraftSegment, ...]:
    """The bridges: a mapping of bridge name to ports."""
    return tuple(
        DraftSegment(f"bridge {name}", o.ports, o.mtu, at.key(name), bridge=name)
        for name, o in _BRIDGE_TABLE(value, at)
    )


_ADDRESS_FIX: Final = "write e.g. addresses: [192.0.2.1/24, 2001:db8::1/64]"
_ENDPOINT_FIX: Final = "write e.g. {host: client, addresses: [192.0.2.1/24]}"
_HOSTS_FIX: Final = "list each host as a key with its options, e.g. hosts: {client: {}, server: {}}"

# Endpoints (of links) and ports (of bridges).
HOST: Final = Key(
    "host", host_reference, required("name the host that has this interface, e.g. host: client")
)
IFNAME: Final = Key("ifname", interface_name, default(None))
ADDRESSES: Final = Key(
    "addresses",
    list_of(
        located(interface_address),
        "a list of addresses (or one address)",
        _ADDRESS_FIX,
        single=True,
    ),
    default(()),
)
ENDPOINT: Final = Shape(
    "an endpoint: a mapping with host:, ifname: and addresses:",
    (HOST, IFNAME, ADDRESSES),
    lambda r, at: DraftEndpoint(r[HOST], r[IFNAME], r[ADDRESSES], at),
    _ENDPOINT_FIX,
)

# Links.
ENDPOINTS: Final = Key(
    "endpoints",
    list_of(ENDPOINT, "a list of two endpoints", f"write two items like {_ENDPOINT_FIX}"),
    required("give the two ends, e.g. endpoints: [{host: client}, {host: server}]"),
)
MTU: Final = Key("mtu", integer(68, 65535, example=1500), default(None))
LINK: Final = Shape(
    "a link: a mapping with endpoints: and mtu:",
    (ENDPOINTS, MTU),
    _link,
    "write e.g. - endpoints: [{host: client}, {host: server}]",
)

# Bridges.
PORTS: Final = Key(
    "ports",
    list_of(ENDPOINT, "a list of ports", f"write items like {_ENDPOINT_FIX}"),
    required("list the hosts on the bridge, e.g. ports: [{host: a}, {host: b}, {host: c}]"),
)
_BRIDGE: Final = Shape(
    "a bridge: a mapping with ports: and mtu:",
    (PORTS, MTU),
    _bridge_options,
    "write e.g. lan0: {ports: [{host: a}, {host: b}]}",
)
_BRIDGE_TABLE: Final = mapping_of(
    interface_name, _BRIDGE, "a mapping of bridge name to ports", "write e.g. bridges: {lan0: ...}"
)

# Hosts.
TO: Final = Key("to", destination, required("write e.g. to: 203.0.113.0/24, or to: default"))
VIA: Final = Key("via", gateway, required("name the gateway, e.g. via: 192.0.2.254"))
ROUTE: Final = Shape(
    "a route: a mapping with to: and via:",
    (TO, VIA),
    _route,
    "write e.g. {to: default, via: 192.0.2.254}",
)
ROUTER: Final = Key("router", boolean, default(False))
ROUTES: Final = Key(
    "routes",
    list_of(ROUTE, "a list of routes", "write e.g. routes: [{to: default, via: 192.0.2.254}]"),
    default(()),
)
SYSCTLS: Final = Key("sysctls", sysctl_table("write e.g. {net.ipv4.tcp_ecn: 1}"), default(()))
_HOST_OPTIONS: Final = Shape(
    "the host's options: a mapping with router:, routes: and sysctls:",
    (ROUTER, ROUTES, SYSCTLS),
    lambda r, at: _HostOptions(r[ROUTER], r[ROUTES], r[SYSCTLS]),
    "write e.g. client: {} or router: {router: true}",
    null_is_empty=True,
)
_HOST_TABLE: Final = mapping_of(
    host_name, _HOST_OPTIONS, "a mapping of host name to options", _HOSTS_FIX
)
_NO_HOSTS: Final = required(_HOSTS_FIX, problem="the topology has no hosts")

# The top level.
NAME: Final = Key("name", topology_name, default(None))
DESCRIPTION: Final = Key("description", plain_text, default(""))
HOSTS: Final = Key("hosts", _hosts, _NO_HOSTS)
LINKS: Final = Key(
    "links",
    list_of(LINK, "a list of links", "write each link as an item: - endpoints: [...]"),
    default(()),
)
BRIDGES: Final = Key("bridges", _bridges, default(()))
TOPOLOGY: Final = Shape(
    "a mapping with hosts:, links: and bridges:",
    (NAME, DESCRIPTION, HOSTS, LINKS, BRIDGES),
    lambda r, at: Draft(r[NAME], r[DESCRIPTION], r[HOSTS], r[LINKS], r[BRIDGES], at),
    "start from topologies/two-hosts.yaml, which has hosts: and links:",
)
