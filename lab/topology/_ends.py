"""The two ends of a TCP check: which hosts play client and server, over which families.

    ends = choose_ends(load("lan"))                 # Ends(client='alice', server='bob')
    ends = choose_ends(load("lan"), server="carol") # alice (the first host on carol's links)
    families, left_out = shared_families(load("routed"), ends)
    # (IPv4,), {IPv6: 'neither client nor server has an IPv6 address'}

A topology with hosts called ``client`` and ``server`` uses them; otherwise
the first two hosts, in the order the topology declares them, that share a
veth link or a bridge. Pure: reads the topology only.
"""

from __future__ import annotations

from dataclasses import dataclass

from lab._addresses import Family
from lab._errors import LabError
from lab.topology._model import Topology

__all__ = ["Ends", "choose_ends", "neighbours", "shared_families"]

CLIENT, SERVER = "client", "server"


@dataclass(frozen=True)
class Ends:
    """The host that connects (client) and the one that listens (server)."""

    client: str
    server: str


def neighbours(topology: Topology, host: str) -> tuple[str, ...]:
    """The hosts that share a veth link or a bridge with `host`, in declaration order."""
    segments = [tuple(e.host for e in link.endpoints) for link in topology.links]
    segments += [tuple(p.host for p in bridge.ports) for bridge in topology.bridges]
    near = {h for segment in segments if host in segment for h in segment} - {host}
    return tuple(h for h in topology.host_names if h in near)


def choose_ends(topology: Topology, client: str | None = None, server: str | None = None) -> Ends:
    """The ends asked for, the missing one(s) chosen as the module docstring says."""
    for role, name in ((CLIENT, client), (SERVER, server)):
        if name is not None and name not in topology.host_names:
            raise LabError(
                f"{_where(topology)} has no host {name!r} to be the {role}; "
                f"choose the {role} among its hosts: {', '.join(topology.host_names)}"
            )
    match client, server:
        case str(), str():
            ends = Ends(client, server)
        case str(), None:
            ends = Ends(client, _first_neighbour(topology, client, SERVER))
        case None, str():
            ends = Ends(_first_neighbour(topology, server, CLIENT), server)
        case _:
            ends = Ends(*_default_ends(topology))
    if ends.client == ends.server:
        raise LabError(f"the client and the server are both {ends.client!r}; choose two hosts")
    return ends


def shared_families(topology: Topology, ends: Ends) -> tuple[tuple[Family, ...], dict[Family, str]]:
    """The families both ends have addresses of, and why each other family is left out."""
    shared: list[Family] = []
    left_out: dict[Family, str] = {}
    for family in Family:
        lacking = [
            host
            for host in (ends.client, ends.server)
            if not any(a.version == family.version for a in topology.addresses(host))
        ]
        if not lacking:
            shared.append(family)
        elif len(lacking) == 2:
            left_out[family] = f"neither {lacking[0]} nor {lacking[1]} has an {family} address"
        else:
            left_out[family] = f"{lacking[0]} has no {family} address"
    return tuple(shared), left_out


def _default_ends(topology: Topology) -> tuple[str, str]:
    """``client`` and ``server`` if the topology has both, else the first two neighbours."""
    if {CLIENT, SERVER} <= set(topology.host_names):
        return CLIENT, SERVER
    for host in topology.host_names:
        near = neighbours(topology, host)
        if near:
            return host, near[0]
    raise LabError(
        f"{_where(topology)} has no two hosts on a shared link or bridge; "
        "name the client and the server"
    )


def _first_neighbour(topology: Topology, host: str, role: str) -> str:
    """The first host that shares a link with `host`, to play `role` opposite it."""
    near = neighbours(topology, host)
    if not near:
        raise LabError(
            f"{_where(topology)}: no host shares a link or bridge with {host!r}, so no {role} "
            f"can be chosen for it; name the {role} too"
        )
    return near[0]


def _where(topology: Topology) -> str:
    """``topology lan (topologies/lan.yaml)``: which topology, and where it came from."""
    return f"topology {topology.name} ({topology.source})"
