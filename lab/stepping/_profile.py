"""What stepping needs from two lab hosts: their paths to each other, and declared settings.

Stepping observes the kernel as it is: it changes no TCP setting of its own.
A delayed ACK is simply a segment that comes later, and the stepper waits for
it (see `Stepper.next_segment` and `Stepper.settle`). What a scenario needs
beyond the kernel's defaults (say ``net.ipv4.tcp_autocorking: 0`` for
several small writes to leave as several segments) it declares, and the
report and the JSON show it: `apply_sysctls` sets those per namespace, in the
lab hosts only, never in the machine's own namespace.

`read_tcp_settings` reads, in a lab no scenario has touched, the settings
that shape what scenarios show (`lab.tcp.TCP_SETTINGS`), for the report's header.

`peer_paths` asks each host's kernel how it reaches the other (interface,
next hop) over each address family both have: the queue rules match those
addresses, and the capture listens on the client's interface.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from lab._addresses import IP, Family
from lab._errors import HostError, SteppingError
from lab.kernel._host import Host
from lab.kernel._lab import Lab
from lab.kernel._privileges import in_user_namespace
from lab.kernel._sysctl import read_own_sysctl, read_sysctl, write_sysctl
from lab.tcp._names import Role
from lab.tcp._settings import TCP_SETTINGS, TcpSetting, TcpSettings
from lab.tcp._spec import Scenario


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


def peer_paths(a: Host, b: Host) -> dict[str, list[PeerPath]]:
    """Each host's paths to the other, one per address family both have, by host name."""
    paths: dict[str, list[PeerPath]] = {a.name: [], b.name: []}
    for host, peer in ((a, b), (b, a)):
        with _rtnetlink(host, f"looking up the route to {peer.name}") as ipr:
            for family in Family:
                try:
                    me, there = host.address(family.version), peer.address(family.version)
                except HostError:
                    continue  # this family is not on both hosts
                paths[host.name].append(_peer_path(ipr, ip_address(me), ip_address(there)))
    return paths


def _peer_path(ipr: Any, me: IP, peer: IP) -> PeerPath:
    """The kernel's route from `me` to `peer`."""
    family = socket.AF_INET if peer.version == 4 else socket.AF_INET6
    route = ipr.route("get", dst=str(peer), family=family)[0]
    index = int(route.get_attr("RTA_OIF"))
    gateway = route.get_attr("RTA_GATEWAY")
    ifname = str(ipr.link("get", index=index)[0].get_attr("IFLA_IFNAME"))
    return PeerPath(me, peer, index, ifname, None if gateway is None else ip_address(gateway))


def apply_sysctls(hosts: tuple[Host, ...], sysctls: Mapping[str, str]) -> None:
    """Set each sysctl in every host's namespace (per-namespace ones only, such as net.ipv4.*)."""
    for host in hosts:
        for name, value in sysctls.items():
            try:
                write_sysctl(host.netns, name, value)
            except OSError as error:
                raise SteppingError(
                    f"host {host.name}: setting sysctl {name}={value} failed: "
                    f"{error.strerror}; check the name under /proc/sys/net and the value the "
                    "kernel's ip-sysctl documentation allows"
                ) from error


def read_tcp_settings(
    lab: Lab, hosts: Mapping[Role, str], scenarios: Sequence[Scenario] = ()
) -> TcpSettings:
    """The TCP settings of the hosts that play `hosts`' roles, and who set which.

    Read before any scenario runs: `scenarios` only say which of them set what
    for their own runs. A sysctl this kernel lacks is left out. The machine's
    own value is read in this thread's namespace, which is the machine's
    except inside a user namespace (then it is not known).
    """
    host_sysctls = {role: dict(lab[name].spec.sysctls) for role, name in hosts.items()}
    names = dict.fromkeys(TCP_SETTINGS)
    names.update(dict.fromkeys(n for sysctls in host_sysctls.values() for n in sysctls))
    names.update(dict.fromkeys(n for s in scenarios for n in s.sysctls))
    machine_known = not in_user_namespace()
    settings = []
    for name in names:
        try:
            values = {str(role): read_sysctl(lab[host].netns, name) for role, host in hosts.items()}
        except FileNotFoundError:
            continue  # not on this kernel (or not per namespace)
        settings.append(
            TcpSetting(
                name,
                values,
                machine=read_own_sysctl(name) if machine_known else None,
                set_by_topology=tuple(
                    str(r) for r, sysctls in host_sysctls.items() if name in sysctls
                ),
                scenarios={s.name: str(s.sysctls[name]) for s in scenarios if name in s.sysctls},
            )
        )
    return TcpSettings(tuple(settings))
