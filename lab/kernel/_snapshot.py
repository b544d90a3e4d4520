"""What the machine's own network namespace looks like, to prove labs never touch it.

A `MachineSnapshot` records the host namespace's interfaces, addresses,
routes, writable net.* sysctls and nftables ruleset, plus the pinned
namespaces under /run/netns and the mount points of PID 1. Two snapshots
compare with `diff`, which lists every difference in words. The test suite
takes one before and after itself; `scripts/chaos.py` after every killed run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, fields
from pathlib import Path

from lab.kernel._netns import NetNamespace
from lab.kernel._rtnl_views import RtnlViews

# Counters and clocks that move on their own, whatever anybody does.
_VOLATILE_SYSCTLS = frozenset({"net/ipv4/tcp_fastopen_key", "net/ipv6/route/flush"})


@dataclass(frozen=True)
class MachineSnapshot:
    """The observable network state of the machine's own namespace."""

    links: tuple[str, ...]
    addresses: tuple[str, ...]
    routes: tuple[str, ...]
    sysctls: tuple[str, ...]
    nftables: str
    pinned_netns: tuple[str, ...]
    mounts: tuple[str, ...]

    def diff(self, later: MachineSnapshot) -> list[str]:
        """Every difference from this snapshot to `later`, as sentences."""
        changes = []
        for f in fields(self):
            before, after = getattr(self, f.name), getattr(later, f.name)
            if before == after:
                continue
            if isinstance(before, str):
                changes.append(f"{f.name} changed:\n--- before\n{before}\n--- after\n{after}")
                continue
            changes += [f"{f.name}: gone: {x}" for x in sorted(set(before) - set(after))]
            changes += [f"{f.name}: new: {x}" for x in sorted(set(after) - set(before))]
        return changes


def _host_netns() -> NetNamespace:
    try:
        return NetNamespace.open("/proc/1/ns/net", "machine")
    except PermissionError:  # inside a user namespace: our own namespace is the "machine"
        return NetNamespace.open("/proc/thread-self/ns/net", "machine")


def _sysctls(root: Path) -> list[str]:
    values = []
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root.parent))
        if rel in _VOLATILE_SYSCTLS or not path.is_file() or not os.access(path, os.W_OK):
            continue
        try:
            values.append(f"{rel} = {path.read_text().strip()}")
        except OSError:  # write-only or refusing reads: not state we can compare
            continue
    return values


def _nft_ruleset() -> str:
    nft = shutil.which("nft") or shutil.which("nft", path="/usr/sbin:/sbin")
    if nft is None:
        return "(nft not installed)"
    done = subprocess.run([nft, "list", "ruleset"], capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else f"(nft failed: {done.stderr.strip()})"


def _mounts() -> list[str]:
    try:
        text = Path("/proc/1/mountinfo").read_text()
    except PermissionError:
        text = Path("/proc/self/mountinfo").read_text()
    return sorted(
        " ".join((line.split()[4], line.split(" - ")[1].split()[0])) for line in text.splitlines()
    )


def take_snapshot() -> MachineSnapshot:
    """Snapshot the machine's namespace (as root; inside a user namespace, our own)."""
    ns = _host_netns()
    try:
        netlink = RtnlViews(ns)
        try:
            links, addresses, routes = (
                netlink.describe_links(),
                netlink.describe_addresses(),
                netlink.describe_routes(),
            )
        finally:
            netlink.close()
        with ns.entered():
            sysctls = _sysctls(Path("/proc/sys/net"))
            nftables = _nft_ruleset()
    finally:
        ns.close()
    netns_dir = Path("/run/netns")
    pinned = sorted(p.name for p in netns_dir.iterdir()) if netns_dir.is_dir() else []
    return MachineSnapshot(
        links=tuple(links),
        addresses=tuple(addresses),
        routes=tuple(routes),
        sysctls=tuple(sysctls),
        nftables=nftables,
        pinned_netns=tuple(pinned),
        mounts=tuple(_mounts()),
    )
