"""The topology model: what a lab is made of, fully resolved and validated.

Pure data, no kernel access. Objects of these classes come out of the loader
(`load`, `from_dict`), which checks everything first, so code that receives a
`Topology` can trust it: every interface has a name, every address is parsed
and inside the documentation ranges, every host named by a link exists, and
hosts next to exactly one router carry their default route.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Interface, IPv4Network, IPv6Interface, IPv6Network
from typing import TypeAlias

from lab._addresses import IP

Address: TypeAlias = IPv4Interface | IPv6Interface
"""An interface address with its prefix, such as ``192.0.2.1/24``."""
Network: TypeAlias = IPv4Network | IPv6Network


@dataclass(frozen=True)
class Endpoint:
    """One end of a link or one port of a bridge: an interface on a host."""

    host: str
    ifname: str
    addresses: tuple[Address, ...] = ()


@dataclass(frozen=True)
class Link:
    """A veth pair joining two hosts."""

    a: Endpoint
    b: Endpoint
    mtu: int | None = None

    @property
    def endpoints(self) -> tuple[Endpoint, Endpoint]:
        return (self.a, self.b)


@dataclass(frozen=True)
class Bridge:
    """One Ethernet segment shared by several hosts (a Linux bridge)."""

    name: str
    ports: tuple[Endpoint, ...]
    mtu: int | None = None


@dataclass(frozen=True)
class Route:
    """A static route; `to` is ``0.0.0.0/0`` or ``::/0`` for a default route."""

    to: Network
    via: IP
    automatic: bool = False
    """True for the default route the loader added towards the only neighbouring router."""

    @property
    def is_default(self) -> bool:
        return self.to.prefixlen == 0


@dataclass(frozen=True)
class HostSpec:
    """A host of the topology: one network namespace."""

    name: str
    router: bool = False
    """A router forwards IPv4 and IPv6 between its interfaces."""
    routes: tuple[Route, ...] = ()
    sysctls: tuple[tuple[str, str], ...] = ()
    """Per-namespace sysctls to set, as (dotted name, value) pairs, in file order."""


@dataclass(frozen=True)
class Topology:
    """A whole lab: hosts, veth links and bridges."""

    name: str
    hosts: tuple[HostSpec, ...]
    links: tuple[Link, ...] = ()
    bridges: tuple[Bridge, ...] = ()
    description: str = ""
    source: str = "<python>"
    """Where it came from: a file path, or ``<python>`` for `from_dict`."""
    _by_name: dict[str, HostSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {h.name: h for h in self.hosts})

    def host(self, name: str) -> HostSpec:
        """The host called `name`; KeyError names the hosts there are."""
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(self._by_name) or "none"
            raise KeyError(f"topology {self.name!r} has no host {name!r}; hosts: {known}") from None

    @property
    def host_names(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.hosts)

    def endpoints(self, host: str | None = None) -> tuple[Endpoint, ...]:
        """Every interface of the topology, or only those of `host`, links first."""
        all_endpoints = [e for link in self.links for e in link.endpoints]
        all_endpoints += [p for bridge in self.bridges for p in bridge.ports]
        return tuple(e for e in all_endpoints if host is None or e.host == host)

    def addresses(self, host: str) -> tuple[Address, ...]:
        """All addresses of `host`, in interface order."""
        return tuple(a for e in self.endpoints(host) for a in e.addresses)
