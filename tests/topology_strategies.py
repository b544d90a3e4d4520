"""Hypothesis strategies for topologies, shared by the pure and the kernel tests.

    valid_topology_dicts()    small topologies (2-5 hosts) that always load
    mutated_topology_dicts()  valid ones with 1-3 random mutations: may or may not load
    topology_texts()          YAML-ish and random text, for `loads`

Valid topologies give every link or bridge its own subnets: segment k gets the
IPv4 /28 number k of 192.0.2.0/24 and the IPv6 subnet 2001:db8:<k+1>::/64, and
host number j on it gets host address j + 1. Explicit routes go to subnets no
segment uses (203.0.113.128/25 and 2001:db8:ff::/48) via a neighbour.
"""

from __future__ import annotations

import copy
import string
from ipaddress import IPv4Network
from typing import Any

import yaml
from hypothesis import strategies as st

Data = dict[str, Any]
Draw = st.DrawFn

_IPV4_SEGMENTS = list(IPv4Network("192.0.2.0/24").subnets(new_prefix=28))
_ROUTED_IPV4 = list(IPv4Network("203.0.113.128/25").subnets(new_prefix=28))
_IFNAMES = ("eth0", "eth1", "eth2", "uplink", "wan0", "lan-1", "veth.a")
_SYSCTLS: tuple[tuple[str, st.SearchStrategy[Any]], ...] = (
    ("net.ipv4.tcp_ecn", st.integers(0, 2)),
    ("net.ipv4.tcp_timestamps", st.booleans()),
    ("net.ipv4.tcp_syncookies", st.sampled_from([0, 1, "1"])),
    ("net.core.somaxconn", st.integers(16, 4096)),
    ("net.ipv4.tcp_rmem", st.just("4096 131072 6291456")),
    ("net.ipv4.conf.all.rp_filter", st.integers(0, 2)),
    ("net.ipv6.conf.default.accept_ra", st.integers(0, 2)),
)

host_names = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)


@st.composite
def valid_topology_dicts(draw: Draw) -> Data:
    """A small topology as plain data (2-5 hosts, 1-4 segments) that `from_dict` accepts."""
    names: list[str] = draw(st.lists(host_names, min_size=2, max_size=5, unique=True))
    routers = set(draw(st.lists(st.sampled_from(names), max_size=2, unique=True)))
    taken: dict[str, set[str]] = {name: set() for name in names}  # explicit ifnames per host
    # (host, version) -> [(neighbour's address, that neighbour's subnet)], for routes
    neighbours: dict[tuple[str, int], list[str]] = {}
    segments = draw(st.lists(_segment_members(names), min_size=1, max_size=4))
    links: list[Data] = []
    bridges: dict[str, Data] = {}
    for k, members in enumerate(segments):
        families: list[int] = draw(st.sampled_from([[4], [6], [4, 6]]))
        endpoints = [
            _endpoint(draw, host, k, j, families=families, taken=taken[host])
            for j, host in enumerate(members)
        ]
        _note_neighbours(endpoints, neighbours)
        segment: Data = {}
        if draw(st.booleans()):
            segment["mtu"] = draw(st.integers(1280 if 6 in families else 68, 9000))
        if len(members) == 2 and draw(st.booleans()):
            links.append({"endpoints": endpoints, **segment})
        else:
            bridges[f"br{k}"] = {"ports": endpoints, **segment}
    hosts = {name: _host_options(draw, name, name in routers, neighbours) for name in names}
    data: Data = {"hosts": hosts}
    if draw(st.booleans()):
        data["name"] = draw(st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True))
    if draw(st.booleans()):
        data["description"] = draw(st.text(max_size=30))
    keep_empty_links: bool = draw(st.booleans())
    if links or keep_empty_links:
        data["links"] = links
    if bridges:
        data["bridges"] = bridges
    return data


def _segment_members(names: list[str]) -> st.SearchStrategy[list[str]]:
    """The hosts on one segment: two for a link or bridge, more for a bridge."""
    return st.lists(st.sampled_from(names), min_size=2, max_size=len(names), unique=True)


def _endpoint(
    draw: Draw, host: str, segment: int, position: int, *, families: list[int], taken: set[str]
) -> Data:
    """Endpoint `position` of segment `segment`, with the addresses the docstring describes."""
    addresses = []
    if 4 in families:
        network = _IPV4_SEGMENTS[segment]
        addresses.append(f"{network.network_address + position + 1}/{network.prefixlen}")
    if 6 in families:
        addresses.append(f"2001:db8:{segment + 1:x}::{position + 1:x}/64")
    endpoint: Data = {"host": host}
    if len(addresses) == 1 and draw(st.booleans()):
        endpoint["addresses"] = addresses[0]  # the one-address shorthand
    else:
        endpoint["addresses"] = addresses
    ifname = draw(st.none() | st.sampled_from(_IFNAMES))
    if ifname is not None and ifname not in taken:
        taken.add(ifname)
        endpoint["ifname"] = ifname
    return endpoint


def _note_neighbours(endpoints: list[Data], neighbours: dict[tuple[str, int], list[str]]) -> None:
    """Record, for each host on a segment, the addresses of the others as possible gateways."""
    for mine in endpoints:
        for other in endpoints:
            if other is mine:
                continue
            addresses = other.get("addresses", [])
            for address in [addresses] if isinstance(addresses, str) else addresses:
                version = 6 if ":" in address else 4
                gateway = address.partition("/")[0]
                neighbours.setdefault((mine["host"], version), []).append(gateway)


def _host_options(
    draw: Draw, name: str, router: bool, neighbours: dict[tuple[str, int], list[str]]
) -> Data | None:
    """Options of one host: router flag, routes via its neighbours, sysctls."""
    options: Data = {}
    if router:
        options["router"] = True
    elif draw(st.booleans()):
        options["router"] = False
    routes = []
    for version, destinations in ((4, _ROUTED_IPV4), (6, None)):
        gateways = neighbours.get((name, version))
        if not gateways:
            continue
        count = draw(st.integers(0, 2))
        for i in range(count):
            to = str(destinations[i]) if destinations is not None else f"2001:db8:ff:{i:x}::/64"
            routes.append({"to": to, "via": draw(st.sampled_from(gateways))})
        if draw(st.booleans()):
            routes.append({"to": "default", "via": draw(st.sampled_from(gateways))})
    if routes:
        options["routes"] = draw(st.permutations(routes))
    sysctls = draw(st.lists(st.sampled_from(_SYSCTLS), max_size=3, unique_by=lambda s: s[0]))
    if sysctls:
        options["sysctls"] = {key: draw(value) for key, value in sysctls}
    if not options:
        return draw(st.sampled_from([None, {}]))
    return options


# Values that are wrong somewhere in a topology: wrong types, bad or foreign addresses,
# names the kernel refuses.
junk_values: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.lists(st.integers() | st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers() | st.none(), max_size=2),
    st.sampled_from(
        [
            "10.0.0.1/24",
            "192.0.2.300/24",
            "192.0.2.1/33",
            "192.0.2.1",
            "192.0.2.0/24",
            "192.0.2.255/24",
            "2001:db9::1/64",
            "2001:db8::/64",
            "fe80::1%eth0/64",
            "::/0",
            "0.0.0.0/0",
            "default",
            "abc",
            "192.0.2.1/0x18",
            "192.0.2.1/-1",
            "",
            " ",
            "lo",
            "x" * 40,
            "net.ipv4.conf.eth9.rp_filter",
            "kernel.panic",
        ]
    ),
    st.builds(
        "{}/{}".format,
        st.ip_addresses(),
        st.integers(-1, 130),
    ),
)


def _typo(key: str, draw: Draw) -> str:
    """`key` with one letter changed, added or dropped."""
    i = draw(st.integers(0, max(len(key) - 1, 0)))
    letter = draw(st.sampled_from(string.ascii_lowercase))
    variants = [key[:i] + letter + key[i + 1 :], key[:i] + letter + key[i:], key[:i] + key[i + 1 :]]
    return str(draw(st.sampled_from(variants)))


def _places(data: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) in nested `data`, outermost first."""
    found: list[tuple[Any, Any]] = []
    items = data.items() if isinstance(data, dict) else enumerate(data)
    for key, value in list(items):
        found.append((data, key))
        if isinstance(value, dict | list):
            found += _places(value)
    return found


def _drop(draw: Draw, container: Any, key: Any) -> None:
    """Remove the entry."""
    del container[key]


def _rename(draw: Draw, container: Any, key: Any) -> None:
    """Misspell a mapping key."""
    if isinstance(container, dict) and isinstance(key, str):
        container[_typo(key, draw)] = container.pop(key)


def _replace(draw: Draw, container: Any, key: Any) -> None:
    """Put a wrong value in its place."""
    container[key] = draw(junk_values)


def _repeat(draw: Draw, container: Any, key: Any) -> None:
    """Repeat a list item (a host twice on a bridge, a third endpoint, ...)."""
    if isinstance(container, list):
        container.append(copy.deepcopy(container[key]))


def _self_link(draw: Draw, container: Any, key: Any) -> None:
    """Make a link join a host to itself."""
    value = container[key]
    if isinstance(value, dict) and isinstance(value.get("endpoints"), list):
        ends = value["endpoints"]
        if len(ends) == 2 and isinstance(ends[0], dict) and isinstance(ends[1], dict):
            ends[1]["host"] = ends[0].get("host")


_MUTATIONS = (_drop, _rename, _replace, _repeat, _self_link)


@st.composite
def mutated_topology_dicts(draw: Draw) -> Data:
    """A valid topology with one to three random mutations (drop, typo, junk, repeat, self link)."""
    data: Data = copy.deepcopy(draw(valid_topology_dicts()))
    for _ in range(draw(st.integers(1, 3))):
        places = _places(data)
        if not places:
            break
        container, key = draw(st.sampled_from(places))
        draw(st.sampled_from(_MUTATIONS))(draw, container, key)
    return data


def topology_texts() -> st.SearchStrategy[str]:
    """Text for `loads`: random text and bytes, YAML fragments, dumped mutated topologies."""
    fragments = st.sampled_from(
        [
            "hosts:",
            "  a: {}",
            "links:",
            "- endpoints:",
            "  - {host: a}",
            "{",
            "]",
            "\t",
            ": :",
            "&x",
            "*x",
            "!!int x",
            "---",
            "<<: *x",
            "? [a]",
        ]
    )
    return st.one_of(
        st.text(max_size=80),
        st.binary(max_size=80).map(lambda b: b.decode("latin-1")),
        st.lists(fragments, max_size=8).map("\n".join),
        mutated_topology_dicts().map(lambda d: yaml.safe_dump(d, sort_keys=False)),
    )
