"""`chain`: generated topologies of many hosts in a line, for benchmarks and scale tests.

Addressing, for link i (0-based) between h{i} and h{i+1}:

* IPv6 on every link: ``2001:db8:<i in hex>::1/64`` on h{i} and ``::2/64`` on
  h{i+1}, which lasts for 65,536 links;
* IPv4 on the first 384 links: consecutive /31s (RFC 3021 point-to-point
  subnets, two addresses and no broadcast) carved out of 192.0.2.0/24, then
  198.51.100.0/24, then 203.0.113.0/24. Later links are IPv6-only, because
  the IPv4 documentation ranges hold only 768 addresses.

So chains of up to 385 hosts are dual-stack throughout. No host is a router and
there are no routes: each host reaches only its neighbours.
"""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Final

from lab._errors import TopologyError
from lab._reader import At
from lab.topology._load import from_dict
from lab.topology._model import Topology

_IPV4_POOL: Final = (
    IPv4Network("192.0.2.0/24"),
    IPv4Network("198.51.100.0/24"),
    IPv4Network("203.0.113.0/24"),
)
_LINKS_PER_POOL: Final = 128  # /31s in a /24
MAX_IPV4_LINKS: Final = _LINKS_PER_POOL * len(_IPV4_POOL)
MAX_HOSTS: Final = 0x10000 + 1  # one link per value of the third IPv6 group


def chain(n: int, *, name: str | None = None) -> Topology:
    """`n` hosts h0 ... h{n-1} in a line, each joined to the next by a veth link."""
    if not 1 <= n <= MAX_HOSTS:
        raise At("<python>", "chain(n)", raises=TopologyError).error(
            f"a chain has from 1 to {MAX_HOSTS} hosts, not {n}", f"pass n from 1 to {MAX_HOSTS}"
        )
    links = [
        {
            "endpoints": [
                {"host": f"h{i}", "addresses": _addresses(i, end=0)},
                {"host": f"h{i + 1}", "addresses": _addresses(i, end=1)},
            ]
        }
        for i in range(n - 1)
    ]
    return from_dict(
        {
            "name": name or f"chain-{n}",
            "description": f"{n} hosts in a line, h0 to h{n - 1}, each linked to the next.",
            "hosts": {f"h{i}": None for i in range(n)},
            "links": links,
        }
    )


def _addresses(link: int, end: int) -> list[str]:
    """The addresses of end `end` (0 or 1) of link number `link`."""
    addresses = [f"2001:db8:{link:x}::{end + 1}/64"]
    if link < MAX_IPV4_LINKS:
        pool, offset = divmod(link, _LINKS_PER_POOL)
        ip = _IPV4_POOL[pool].network_address + 2 * offset + end
        addresses.insert(0, f"{ip}/31")
    return addresses
