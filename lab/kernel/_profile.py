"""The stepping profile: what two lab hosts need for stepped TCP to be deterministic.

Holding a segment for a while is not something TCP expects. Left alone, the
kernel fills the pauses with timers and deferred work, and the same scenario
gives different segments from run to run. Per host, inside its namespace
only (never the machine's):

* **route metric quickack 1** (``ip route ... quickack 1``, RTAX_QUICKACK), on
  a host route to the peer: every ACK is sent at once instead of by the
  delayed-ACK timer. The kernel puts a socket in "pingpong" (delayed-ACK) mode
  when it receives a FIN, so without this the ACK of a FIN waits for the timer
  (measured: 1-5 ms on a socket that never received data, icsk_ack.ato still
  0, i.e. the next jiffy at HZ=250; ~42 ms once it has) or is merged into the
  application's FIN if that comes first;
* **route metric rto_min 5 s, locked** (``ip route ... rto_min 5s``; the
  kernel honours RTAX_RTO_MIN only when locked) and **tcp_early_retrans=0**
  (no tail-loss probes): holding segments delays their ACKs. With kernel
  defaults (200 ms RTO floor, TLP on) and 100 ms per snapshot, three small
  segments in flight produced one TLP and one RTO retransmission (TcpExt
  TCPLossProbes=1, TCPTimeouts=1); with these settings, none;
* **tcp_autocorking=0**: a held segment keeps its skb charged to the sender's
  sk_wmem_alloc, which makes autocorking defer the next small write to the
  TX-completion tasklet: three TCP_NODELAY send()s came out as 3 + 6 bytes,
  not 3 + 3 + 3;
* **static (PERMANENT) neighbours** for a peer on the same link: otherwise the
  first segment waits in the neighbour queue for an ARP or NDP round trip,
  which runs asynchronously and adds frames to the capture.

The profile stays when the stepper closes: the namespaces are usually thrown
away next, and every setting is harmless to unstepped traffic.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from typing import Any

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from lab._errors import HostError, SteppingError
from lab.kernel._host import Host
from lab.kernel._sysctl import write_sysctl

STEPPING_SYSCTLS = (
    ("net.ipv4.tcp_autocorking", "0"),
    ("net.ipv4.tcp_early_retrans", "0"),
)
"""Per-namespace sysctls (net.ipv4.tcp_* covers IPv6 TCP too)."""

RTO_MIN_MS = 5000
"""The retransmission timeout floor on the stepped path, in milliseconds."""

RTAX_RTO_MIN = 13
NUD_PERMANENT = 0x80
RT_SCOPE_LINK = 253

IP = IPv4Address | IPv6Address


@dataclass(frozen=True)
class PeerPath:
    """How one host reaches its peer over one address family."""

    me: IP
    peer: IP
    ifindex: int
    ifname: str
    gateway: IP | None
    """The next hop when the peer is not on the same link."""


@contextmanager
def _rtnetlink(host: Host, what: str) -> Iterator[Any]:
    """pyroute2's IPRoute inside `host` (untyped, hence Any); netlink errors become ours."""
    with host.netns.entered():
        ipr = IPRoute()
    try:
        yield ipr
    except NetlinkError as error:
        raise SteppingError(
            f"host {host.name}: {what} failed: {error}; see the kernel log (dmesg)"
        ) from error
    finally:
        ipr.close()


def _peer_path(ipr: Any, me: IP, peer: IP, links: dict[int, tuple[str, str]]) -> PeerPath:
    """The kernel's route from `me` to `peer`; `links` caches interface name and MAC by index."""
    family = socket.AF_INET if peer.version == 4 else socket.AF_INET6
    route = ipr.route("get", dst=str(peer), family=family)[0]
    index = int(route.get_attr("RTA_OIF"))
    gateway = route.get_attr("RTA_GATEWAY")
    if index not in links:
        link = ipr.link("get", index=index)[0]
        links[index] = (str(link.get_attr("IFLA_IFNAME")), str(link.get_attr("IFLA_ADDRESS")))
    ifname = links[index][0]
    return PeerPath(me, peer, index, ifname, None if gateway is None else ip_address(gateway))


def apply_profile(a: Host, b: Host) -> dict[str, list[PeerPath]]:
    """Set the stepping profile on `a` and `b`; returns each host's paths to the other.

    One path per address family both hosts have. Applying it twice is harmless.
    """
    paths: dict[str, list[PeerPath]] = {a.name: [], b.name: []}
    links: dict[str, dict[int, tuple[str, str]]] = {a.name: {}, b.name: {}}
    for host, peer in ((a, b), (b, a)):
        for name, value in STEPPING_SYSCTLS:
            try:
                write_sysctl(host.netns, name, value)
            except OSError as error:
                raise SteppingError(
                    f"host {host.name}: setting sysctl {name}={value} failed: {error.strerror}; "
                    "segment stepping needs it (Linux 3.14 and later have it)"
                ) from error
        with _rtnetlink(host, f"looking up the route to {peer.name}") as ipr:
            for version in (4, 6):
                try:
                    me, there = host.address(version), peer.address(version)
                except HostError:
                    continue  # this family is not on both hosts
                path = _peer_path(ipr, ip_address(me), ip_address(there), links[host.name])
                paths[host.name].append(path)
    for host, peer in ((a, b), (b, a)):
        with _rtnetlink(host, f"setting the stepping routes to {peer.name}") as ipr:
            for path, back in zip(paths[host.name], paths[peer.name], strict=True):
                _add_host_route(ipr, path)
                if path.gateway is None:
                    ipr.neigh(
                        "replace",
                        dst=str(path.peer),
                        lladdr=links[peer.name][back.ifindex][1],
                        ifindex=path.ifindex,
                        state=NUD_PERMANENT,
                        family=socket.AF_INET if path.peer.version == 4 else socket.AF_INET6,
                    )
    return paths


def _add_host_route(ipr: Any, path: PeerPath) -> None:
    """A /32 or /128 route to the peer, as the kernel chose it, plus the stepping metrics."""
    metrics = {"quickack": 1, "rto_min": RTO_MIN_MS, "lock": 1 << RTAX_RTO_MIN}
    route: dict[str, Any] = {
        "dst": f"{path.peer}/{path.peer.max_prefixlen}",
        "oif": path.ifindex,
        "family": socket.AF_INET if path.peer.version == 4 else socket.AF_INET6,
        "metrics": metrics,
    }
    if path.gateway is not None:
        route["gateway"] = str(path.gateway)
    elif path.peer.version == 4:
        route["scope"] = RT_SCOPE_LINK
    ipr.route("replace", **route)
