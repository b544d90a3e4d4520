#!/usr/bin/env python3
"""Benchmark: build + teardown of labs, against the kernel's floor and an `ip` script, run now.

    .venv/bin/python scripts/bench_build.py [--runs N] [--baseline-runs N] [--rounds N]
                                            [--chain-runs N] [--hosts N]

For two-hosts and for a chain of --hosts hosts (default 100), medians of:
  lab        Lab(topology).start().close(), in this process;
  floor      as many namespaces, each with one pyroute2 netlink socket (IPRoute
             opened inside it), created and released: what any builder pays
             before it configures anything (the target is against this one);
  bare       as many namespaces, each with one raw netlink socket: the stricter
             floor, since the lab itself no longer opens IPRoute (~0.5 ms each);
  ip script  the same topology as a shell script of `ip` commands, one process
             per step, as people write it;
and the ratios lab / floor, lab / bare and ip script / lab. The three alternate in rounds,
so a load that comes and goes weighs on all alike. Each block starts with
untimed runs of its own kind: the kernel frees a namespace after close returns
(holding the rtnl lock for a while), and a measure should pay for the cleanup
of its own previous runs, not of the measure before it.
Target: two-hosts within 2x the floor; the exit status is 1 when it is missed.
Needs root (the ip script pins its namespaces with `ip netns add`).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pyroute2 import IPRoute

from lab import Lab, Topology, load
from lab.kernel import NetNamespace
from lab.kernel._rawnetlink import NetlinkSocket
from lab.topology import chain

TARGET_TIMES_FLOOR = 2.0
"""two-hosts must build and tear down within this many times the floor."""


@dataclass
class Measure:
    """One thing to time: `runs` samples, taken in blocks across the rounds."""

    action: Callable[[], object]
    runs: int
    warmup: int
    samples: list[float] = field(default_factory=list)

    def block(self, rounds: int, done: int) -> None:
        """This round's share of the runs, after `warmup` untimed ones."""
        count = self.runs * (done + 1) // rounds - self.runs * done // rounds
        if not count:
            return
        for _ in range(self.warmup):
            self.action()
        for _ in range(count):
            start = time.perf_counter()
            self.action()
            self.samples.append((time.perf_counter() - start) * 1000)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


def interleaved(measures: list[Measure], rounds: int) -> None:
    """Run every measure's blocks in turn, `rounds` times."""
    for done in range(rounds):
        for measure in measures:
            measure.block(rounds, done)


def lab_cycle(topology: Topology) -> Callable[[], None]:
    def run() -> None:
        Lab(topology).start().close()

    return run


def floor_cycle(hosts: int) -> Callable[[], None]:
    """`hosts` namespaces, each with an IPRoute opened inside it, then all released."""

    def run() -> None:
        namespaces: list[NetNamespace] = []
        sockets: list[Any] = []  # pyroute2 is untyped
        try:
            for i in range(hosts):
                namespaces.append(NetNamespace.create(f"floor{i}"))
                with namespaces[-1].entered():
                    sockets.append(IPRoute())
        finally:
            for ipr in sockets:
                ipr.close()
            for ns in namespaces:
                ns.close()

    return run


def bare_cycle(hosts: int) -> Callable[[], None]:
    """`hosts` namespaces, each with a raw rtnetlink socket opened inside it, then released."""

    def run() -> None:
        namespaces: list[NetNamespace] = []
        sockets: list[NetlinkSocket] = []
        try:
            for i in range(hosts):
                namespaces.append(NetNamespace.create(f"bare{i}"))
                sockets.append(NetlinkSocket(namespaces[-1], socket.NETLINK_ROUTE))
        finally:
            for sock in sockets:
                sock.close()
            for ns in namespaces:
                ns.close()

    return run


def ip_script(topology: Topology, tag: str) -> list[str]:
    """The `ip` command lines that build `topology` as the lab does, then delete it."""
    ns = {h.name: f"labbench-{tag}-{h.name}" for h in topology.hosts}
    up, down = [], []
    for name in ns.values():
        up.append(f"ip netns add {name}")
        up.append(f"ip -n {name} link set lo up")
        down.append(f"ip netns del {name}")
    for link in topology.links:
        a, b = link.a, link.b
        up.append(
            f"ip link add {a.ifname} netns {ns[a.host]} type veth"
            f" peer name {b.ifname} netns {ns[b.host]}"
        )
        for end in (a, b):
            for address in end.addresses:
                nodad = " nodad" if address.version == 6 else ""  # as the lab: no DAD wait
                up.append(f"ip -n {ns[end.host]} addr add {address} dev {end.ifname}{nodad}")
            up.append(f"ip -n {ns[end.host]} link set {end.ifname} up")
    for host in topology.hosts:
        for route in host.routes:
            up.append(f"ip -n {ns[host.name]} route add {route.to} via {route.via}")
    return up + down


def script_cycle(topology: Topology, tag: str, directory: Path) -> Callable[[], None]:
    """The baseline: a shell script of `ip` commands, one process per step, as people write."""
    script = directory / f"{topology.name}.sh"
    script.write_text("set -e\n" + "\n".join(ip_script(topology, tag)) + "\n")

    def run() -> None:
        subprocess.run(["sh", str(script)], check=True)

    return run


def remove_leftovers(tag: str) -> None:
    """Delete baseline namespaces a failed script run left pinned."""
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    for line in listed.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith(f"labbench-{tag}-"):
            subprocess.run(["ip", "netns", "del", name], check=False)


@dataclass
class Row:
    """One topology: the lab beside its floor and its ip script."""

    name: str
    lab: Measure
    floor: Measure
    bare: Measure
    script: Measure
    target: float | None
    """The most lab / floor may be, or None when the row is for information."""

    @property
    def times_floor(self) -> float:
        return self.lab.median / self.floor.median

    @property
    def missed(self) -> bool:
        return self.target is not None and self.times_floor > self.target


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--runs", type=int, default=200, help="runs of two-hosts and of its floor (default 200)"
    )
    parser.add_argument(
        "--baseline-runs", type=int, default=30, help="runs of the ip script (default 30)"
    )
    parser.add_argument(
        "--rounds", type=int, default=10, help="rounds the two-hosts runs alternate in (default 10)"
    )
    parser.add_argument(
        "--chain-runs", type=int, default=5, help="runs of each chain measure (default 5)"
    )
    parser.add_argument("--hosts", type=int, default=100, help="hosts in the chain (default 100)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print(
            "bench-build needs root: the ip baseline pins namespaces with `ip netns add`",
            file=sys.stderr,
        )
        return 2

    with tempfile.TemporaryDirectory(prefix="lab-bench-") as scripts:
        return measure_and_report(args, Path(scripts))


def measure_and_report(args: argparse.Namespace, scripts: Path) -> int:
    """Measure, print the table, and answer the exit status."""
    two, line = load("two-hosts"), chain(args.hosts)
    tag = str(os.getpid())
    rows = [
        Row(
            "two-hosts",
            Measure(lab_cycle(two), args.runs, warmup=3),
            Measure(floor_cycle(len(two.hosts)), args.runs, warmup=3),
            Measure(bare_cycle(len(two.hosts)), args.runs, warmup=3),
            Measure(script_cycle(two, tag, scripts), args.baseline_runs, warmup=1),
            TARGET_TIMES_FLOOR,
        ),
        Row(
            f"chain of {args.hosts}",
            Measure(lab_cycle(line), args.chain_runs, warmup=1),
            Measure(floor_cycle(args.hosts), args.chain_runs, warmup=1),
            Measure(bare_cycle(args.hosts), args.chain_runs, warmup=1),
            # Seconds long, and deleting its namespaces as it goes: no warm-up needed.
            Measure(script_cycle(line, tag, scripts), args.chain_runs, warmup=0),
            None,
        ),
    ]
    try:
        for row, rounds in zip(rows, (args.rounds, args.chain_runs), strict=True):
            interleaved([row.lab, row.floor, row.bare, row.script], rounds)
    finally:
        remove_leftovers(tag)

    print(f"kernel {os.uname().release}, {os.cpu_count()} cores; medians of build + teardown")
    print(
        "floor: the same number of namespaces, each with one IPRoute opened inside, "
        "created and released"
    )
    print("bare: the same number of namespaces, each with one raw netlink socket")
    print("ip script: the same topology as a shell script of `ip` commands")
    print(
        f"{'topology':<14} {'lab ms':>9} {'floor ms':>9} {'x floor':>8} {'bare ms':>8} "
        f"{'x bare':>7} {'ip script ms':>13} {'x faster than ip':>17}"
    )
    for row in rows:
        ratio = f"{row.times_floor:.2f}x"
        bare = f"{row.lab.median / row.bare.median:.2f}x"
        faster = f"{row.script.median / row.lab.median:.1f}x"
        target = "" if row.target is None else f"  (target <= {row.target:g}x floor)"
        print(
            f"{row.name:<14} {row.lab.median:>9.2f} {row.floor.median:>9.2f} {ratio:>8} "
            f"{row.bare.median:>8.2f} {bare:>7} {row.script.median:>13.2f} {faster:>17}"
            f"{target}{'  MISSED' if row.missed else ''}"
        )
    return 1 if any(row.missed for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
