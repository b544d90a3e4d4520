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
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from ipaddress import ip_address

from lab._addresses import IP, Family
from lab._errors import HostError, SteppingError
from lab.kernel._host import Host
from lab.kernel._lab import Lab
from lab.kernel._privileges import in_user_namespace
from lab.kernel._rawnetlink import NetlinkSocket, attribute
from lab.kernel._rtnl_messages import (
    IFINFOMSG,
    IFLA_IFNAME,
    RTA_GATEWAY,
    RTA_OIF,
    RTM_GETLINK,
    RTM_GETROUTE,
    RTMSG,
    get_link,
    get_route,
)
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


def peer_paths(a: Host, b: Host) -> dict[str, list[PeerPath]]:
    """Each host's paths to the other, one per address family both have, by host name."""
    paths: dict[str, list[PeerPath]] = {a.name: [], b.name: []}
    for host, peer in ((a, b), (b, a)):
        try:
            sock = NetlinkSocket(host.netns, socket.NETLINK_ROUTE)
        except OSError as error:
            raise SteppingError(f"host {host.name}: cannot open rtnetlink: {error}") from error
        try:
            for family in Family:
                try:
                    me, there = host.address(family.version), peer.address(family.version)
                except HostError:
                    continue  # this family is not on both hosts
                paths[host.name].append(_peer_path(sock, ip_address(me), ip_address(there)))
        except OSError as error:
            raise SteppingError(
                f"host {host.name}: looking up the route to {peer.name} failed: "
                f"{error.strerror}; see the kernel log (dmesg)"
            ) from error
        finally:
            sock.close()
    return paths


def _peer_path(sock: NetlinkSocket, me: IP, peer: IP) -> PeerPath:
    """The kernel's route from `me` to `peer` (as ``ip route get PEER`` resolves it)."""
    route = sock.request_one(RTM_GETROUTE, get_route(peer, fib_match=False)).payload
    oif = attribute(route, RTMSG.size, RTA_OIF)
    if oif is None:
        raise SteppingError(f"the kernel's route to {peer} names no interface; this is a bug")
    index = struct.unpack("=I", oif)[0]
    gateway = attribute(route, RTMSG.size, RTA_GATEWAY)
    link = sock.request_one(RTM_GETLINK, get_link(index)).payload
    name = attribute(link, IFINFOMSG.size, IFLA_IFNAME) or b"?"
    return PeerPath(
        me,
        peer,
        index,
        name.rstrip(b"\0").decode(),
        None if gateway is None else ip_address(gateway),
    )


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
