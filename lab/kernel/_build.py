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
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from ipaddress import IPv6Address

from lab._errors import BuildError
from lab.kernel._netns import NetNamespace
from lab.kernel._rtnl import Rtnetlink
from lab.kernel._rtnl_messages import LOOPBACK_INDEX
from lab.kernel._sysctl import write_sysctl
from lab.topology._model import Endpoint, Topology

_ERRNO_HINTS = {
    errno.EPERM: "lab needs root or a user namespace: see lab.ensure_privileges()",
    errno.EEXIST: "the topology declares it twice, or the kernel made it already",
    errno.ENOENT: "this kernel has no such object in a network namespace",
    errno.EOPNOTSUPP: "this kernel lacks the feature (a module not built?)",
}


FIRST_INDEX = 1000
"""The builder gives every interface it makes its own index, counting up from here.

Two reasons: the ends of a veth pair must differ (see Rtnetlink.add_veth),
and an interface whose index is known needs no lookup to be configured.
(``lo`` is index 1 in every namespace.)
"""

_LAB_DEFAULT_SYSCTLS = (
    # Lab addresses are unique by validation, and link-local ones derive from random
    # MACs: duplicate address detection would only hold IPv6 back for a second or two.
    ("net.ipv6.conf.all.accept_dad", "0"),
    ("net.ipv6.conf.default.accept_dad", "0"),
)
"""Set in every host's namespace as it is created, before its interfaces exist;
the host's own sysctls come later."""

READY_TIMEOUT = 5.0
"""Seconds a new lab may take to carry traffic; the kernel usually needs well under 1 ms."""

_READY_POLL = 0.0002
"""Seconds between two readiness checks."""

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
    except OSError as error:
        code = error.errno or 0
        reason = errno.errorcode.get(code, str(code))
        hint = hints.get(code) or _ERRNO_HINTS.get(code, "see the kernel log (dmesg) for details")
        raise BuildError(
            f"building {topology.name} ({topology.source}): {where}: {what} failed: "
            f"{error} [{reason}]; {hint}"
        ) from error


def build(topology: Topology, stack: ExitStack) -> BuiltNamespaces:
    """Create `topology`'s namespaces and links; their release goes on `stack`."""
    with ExitStack() as sockets:  # netlink sockets: needed only while building
        builder = _Builder(topology, stack, sockets)
        builder.namespaces()
        builder.links()
        builder.bridges()
        builder.sysctls()
        builder.addresses()
        builder.routes()
        builder.wait_until_ready()
    return builder.made


class _Builder:
    """One build in progress: what it made, and what it must remember for later steps."""

    def __init__(self, topology: Topology, stack: ExitStack, sockets: ExitStack) -> None:
        self.topology = topology
        self.made = BuiltNamespaces(hosts={}, bridges={})
        self._stack = stack
        self._sockets = sockets
        self._netlink: dict[str, Rtnetlink] = {}
        """By namespace label: a host name, or `bridge_label`."""
        self._indexes = itertools.count(FIRST_INDEX)
        self._index: dict[tuple[str, str], int] = {}
        """(label, interface name) -> the index it was given."""
        self._must_come_up: dict[str, dict[int, str]] = {}
        """By label: the interfaces that must be operationally up, index -> name."""
        self._ipv6: dict[str, set[IPv6Address]] = {}
        """By label: the IPv6 addresses that must be usable."""

    def _step(
        self, where: str, what: str, hints: Mapping[int, str] = _ERRNO_HINTS
    ) -> AbstractContextManager[None]:
        return _step(self.topology, where, what, hints)

    def namespaces(self) -> None:
        """One namespace per host (lo up) and per bridge, each with its netlink socket."""
        for host in self.topology.hosts:
            self._namespace(host.name, self.made.hosts, host.name, _LAB_DEFAULT_SYSCTLS)
            with self._step(host.name, "bringing lo up"):
                self._netlink[host.name].set_up(LOOPBACK_INDEX)
        for bridge in self.topology.bridges:
            self._namespace(bridge_label(bridge.name), self.made.bridges, bridge.name, ())

    def _namespace(
        self,
        label: str,
        into: dict[str, NetNamespace],
        key: str,
        sysctls: Sequence[tuple[str, str]],
    ) -> None:
        with ExitStack() as inside:
            with self._step(label, "creating its network namespace"):
                ns = inside.enter_context(NetNamespace.created(label))
            self._stack.callback(ns.close)
            into[key] = ns
            # The thread is inside the new namespace until this block ends: opening
            # the socket and writing the sysctls need no setns(2) of their own.
            with self._step(label, "opening netlink"):
                self._netlink[label] = Rtnetlink(ns)
            self._sockets.callback(self._netlink[label].close)
            for name, value in sysctls:
                with self._step(label, f"setting sysctl {name}={value}"):
                    write_sysctl(ns, name, value, missing_ok=True)
        self._must_come_up[label], self._ipv6[label] = {}, set()

    def links(self) -> None:
        for link in self.topology.links:
            a, b = link.a, link.b
            self._veth(a, b, self.made.hosts[b.host], link.mtu)
            with self._step(f"{b.host} {b.ifname}", "bringing it up"):
                self._netlink[b.host].set_up(self._index[b.host, b.ifname])

    def bridges(self) -> None:
        """Each bridge in its namespace, with one veth pair per port (`portN` on its side)."""
        for bridge in self.topology.bridges:
            label = bridge_label(bridge.name)
            bridge_index = next(self._indexes)
            with self._step(label, "creating the bridge"):
                self._netlink[label].add_bridge(bridge.name, bridge_index, bridge.mtu)
            for i, port in enumerate(bridge.ports):
                peer = Endpoint(label, f"port{i}")
                self._veth(port, peer, self.made.bridges[bridge.name], bridge.mtu)
                with self._step(label, f"adding {peer.ifname} to the bridge"):
                    self._netlink[label].set_up(self._index[label, peer.ifname], bridge_index)

    def _veth(self, a: Endpoint, b: Endpoint, b_netns: NetNamespace, mtu: int | None) -> None:
        """The veth pair from `a` (up) to `b` (down), made from `a`'s namespace."""
        a_index, b_index = next(self._indexes), next(self._indexes)
        with self._step(f"{a.host} {a.ifname}", f"creating the veth pair to {b.host} {b.ifname}"):
            self._netlink[a.host].add_veth(
                a.ifname, a_index, peer=b.ifname, peer_index=b_index, peer_netns=b_netns, mtu=mtu
            )
        for end, index in ((a, a_index), (b, b_index)):
            self._index[end.host, end.ifname] = index
            self._must_come_up[end.host][index] = end.ifname

    def sysctls(self) -> None:
        """Each host's own sysctls, once its interfaces exist (some are per interface)."""
        for host in self.topology.hosts:
            hints = {code: hint.format(host=host.name) for code, hint in _SYSCTL_HINTS.items()}
            for name, value in host.sysctls:
                with self._step(host.name, f"setting sysctl {name}={value}", hints):
                    write_sysctl(self.made.hosts[host.name], name, value)

    def addresses(self) -> None:
        for endpoint in self.topology.endpoints():
            index = self._index[endpoint.host, endpoint.ifname]
            for address in endpoint.addresses:
                with self._step(f"{endpoint.host} {endpoint.ifname}", f"adding address {address}"):
                    self._netlink[endpoint.host].add_address(index, address)
                if isinstance(address.ip, IPv6Address):
                    self._ipv6[endpoint.host].add(address.ip)

    def routes(self) -> None:
        for host in self.topology.hosts:
            for route in host.routes:
                with self._step(host.name, f"adding route to {route.to} via {route.via}"):
                    self._netlink[host.name].add_route(route.to, route.via)

    def wait_until_ready(self) -> None:
        """Return once every interface and address can carry traffic (see _rtnl_reader)."""
        pending = set(self._netlink)
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            waiting = {
                label: self._netlink[label].waiting_for(
                    self._must_come_up[label], self._ipv6[label]
                )
                for label in pending
            }
            pending = {label for label, what in waiting.items() if what}
            if not pending:
                return
            if time.monotonic() > deadline:
                detail = "; ".join(
                    f"{label}: {', '.join(waiting[label])}" for label in sorted(pending)
                )
                raise BuildError(
                    f"building {self.topology.name} ({self.topology.source}): not ready after "
                    f"{READY_TIMEOUT} s: {detail}; the kernel's deferred work is stuck "
                    "(see dmesg)"
                )
            time.sleep(_READY_POLL)


def bridge_label(bridge: str) -> str:
    """The label of the namespace that holds bridge `bridge`."""
    return f"bridge {bridge}"
