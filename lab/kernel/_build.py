"""Building a topology in the kernel, over netlink only.

Every resource is handed to the caller's ExitStack the moment it exists, so
a failure half-way tears down exactly what was made. The order matters:
namespaces, then interfaces, then sysctls (per-interface ones need the
interface), then addresses, then routes (a gateway must be reachable).
"""

from __future__ import annotations

import errno
import itertools
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from ipaddress import IPv6Address

from lab._errors import BuildError
from lab.kernel._netns import NetNamespace
from lab.kernel._rtnl import NetlinkError, Rtnetlink
from lab.kernel._sysctl import write_sysctl
from lab.topology._model import Topology

_ERRNO_HINTS = {
    errno.EPERM: "lab needs root or a user namespace: see lab.ensure_privileges()",
    errno.EEXIST: "the topology declares it twice, or the kernel made it already",
    errno.ENOENT: "this kernel has no such object in a network namespace",
    errno.EOPNOTSUPP: "this kernel lacks the feature (a module not built?)",
}


FIRST_VETH_INDEX = 1000
"""Interface indexes given to the first end of each veth pair (see Rtnetlink.add_veth)."""

_LAB_DEFAULT_SYSCTLS = (
    # Lab addresses are unique by validation, and link-local ones derive from random
    # MACs: duplicate address detection would only hold IPv6 back for a second or two.
    ("net.ipv6.conf.all.accept_dad", "0"),
    ("net.ipv6.conf.default.accept_dad", "0"),
)
"""Set in every lab namespace before its interfaces exist; a host's own sysctls come later."""

READY_TIMEOUT = 5.0
"""Seconds a new lab may take to carry traffic; the kernel usually needs well under 1 ms."""

_SYSCTL_HINTS = {
    errno.ENOENT: "no network namespace of this kernel has that sysctl: check its name under "
    "/proc/sys/net, or remove it from hosts.{host}.sysctls",
    errno.EINVAL: "the kernel refused that value: see the kernel's ip-sysctl documentation "
    "for what it accepts, and fix hosts.{host}.sysctls",
}


@dataclass
class BuiltNamespaces:
    """What `build` made: one namespace per host, and one per bridge (holding the bridge)."""

    hosts: dict[str, NetNamespace]
    bridges: dict[str, NetNamespace]
    """By bridge name."""


@contextmanager
def _step(
    topology: Topology, where: str, what: str, hints: Mapping[int, str] = _ERRNO_HINTS
) -> Iterator[None]:
    try:
        yield
    except (NetlinkError, OSError) as error:
        code = getattr(error, "code", None) or getattr(error, "errno", None) or 0
        reason = errno.errorcode.get(code, str(code))
        hint = hints.get(code) or _ERRNO_HINTS.get(code, "see the kernel log (dmesg) for details")
        raise BuildError(
            f"building {topology.name} ({topology.source}): {where}: {what} failed: "
            f"{error} [{reason}]; {hint}"
        ) from error


def build(topology: Topology, stack: ExitStack) -> BuiltNamespaces:
    """Create `topology`'s namespaces and links; their release goes on `stack`."""
    made = BuiltNamespaces(hosts={}, bridges={})
    netlink: dict[str, Rtnetlink] = {}

    def step(
        where: str, what: str, hints: Mapping[int, str] = _ERRNO_HINTS
    ) -> AbstractContextManager[None]:
        return _step(topology, where, what, hints)

    with ExitStack() as local:  # netlink sockets: needed only while building

        def namespace(label: str, into: dict[str, NetNamespace], key: str) -> None:
            with step(label, "creating its network namespace"):
                ns = NetNamespace.create(label)
            stack.callback(ns.close)
            into[key] = ns
            with step(label, "opening netlink"):
                netlink[label] = Rtnetlink(ns)
            local.callback(netlink[label].close)

        for host in topology.hosts:
            namespace(host.name, made.hosts, host.name)
        for bridge in topology.bridges:
            namespace(bridge_label(bridge.name), made.bridges, bridge.name)

        for host in topology.hosts:
            with step(host.name, "bringing lo up"):
                netlink[host.name].set_up("lo")
            ns = made.hosts[host.name]
            for name, value in _LAB_DEFAULT_SYSCTLS:
                with step(host.name, f"setting sysctl {name}={value}"):
                    write_sysctl(ns, name, value, missing_ok=True)

        indexes = itertools.count(FIRST_VETH_INDEX)
        for link in topology.links:
            a, b = link.a, link.b
            with step(f"{a.host} {a.ifname}", f"creating the veth pair to {b.host} {b.ifname}"):
                netlink[a.host].add_veth(
                    a.ifname, b.ifname, made.hosts[b.host], link.mtu, next(indexes)
                )
            with step(f"{b.host} {b.ifname}", "bringing it up"):
                netlink[b.host].set_up(b.ifname)

        for bridge in topology.bridges:
            label = bridge_label(bridge.name)
            with step(label, "creating the bridge"):
                netlink[label].add_bridge(bridge.name, bridge.mtu)
            for i, port in enumerate(bridge.ports):
                peer = f"port{i}"
                with step(f"{port.host} {port.ifname}", f"creating the veth pair to {label}"):
                    netlink[port.host].add_veth(
                        port.ifname, peer, made.bridges[bridge.name], bridge.mtu, next(indexes)
                    )
                with step(label, f"adding {peer} to the bridge"):
                    netlink[label].set_up(peer, master=bridge.name)

        for host in topology.hosts:
            hints = {code: hint.format(host=host.name) for code, hint in _SYSCTL_HINTS.items()}
            for name, value in host.sysctls:
                with step(host.name, f"setting sysctl {name}={value}", hints):
                    write_sysctl(made.hosts[host.name], name, value)

        for endpoint in topology.endpoints():
            for address in endpoint.addresses:
                with step(f"{endpoint.host} {endpoint.ifname}", f"adding address {address}"):
                    netlink[endpoint.host].add_address(endpoint.ifname, address)

        for host in topology.hosts:
            for route in host.routes:
                with step(host.name, f"adding route to {route.to} via {route.via}"):
                    netlink[host.name].add_route(route.to, route.via)

        _wait_until_ready(topology, netlink)
    return made


def _wait_until_ready(topology: Topology, netlink: Mapping[str, Rtnetlink]) -> None:
    """Return once every interface and address can carry traffic (see _rtnl_reader)."""
    ipv6 = {
        label: {a.ip for a in topology.addresses(label) if isinstance(a.ip, IPv6Address)}
        for label in netlink
    }
    ignore = frozenset({"lo", *(bridge.name for bridge in topology.bridges)})
    pending = set(netlink)
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        waiting = {
            label: netlink[label].reader.waiting_for(ipv6[label], ignore) for label in pending
        }
        pending = {label for label, what in waiting.items() if what}
        if not pending:
            return
        if time.monotonic() > deadline:
            detail = "; ".join(f"{label}: {', '.join(waiting[label])}" for label in sorted(pending))
            raise BuildError(
                f"building {topology.name} ({topology.source}): not ready after "
                f"{READY_TIMEOUT} s: {detail}; the kernel's deferred work is stuck (see dmesg)"
            )
        time.sleep(0.0002)


def bridge_label(bridge: str) -> str:
    """The label of the namespace that holds bridge `bridge`."""
    return f"bridge {bridge}"
