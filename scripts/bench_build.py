#!/usr/bin/env python3
"""Benchmark: build + teardown of labs, beside an `ip` shell-script baseline run now.

    .venv/bin/python scripts/bench_build.py [--runs N] [--chain-runs N] [--hosts N]

Prints medians over repeated runs for:
  two-hosts   lab in-process (Lab(...).start(); close())   vs   an equivalent `ip` script
  chain       a chain of --hosts hosts (default 100)        vs   the same `ip` script
and the ratio baseline / lab. Targets: two-hosts <= 5 ms, chain of 100 <= 1 s.
Needs root (the baseline uses `ip netns add`). Exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab import Lab, Topology, load
from lab.topology import chain

TARGET_TWO_HOSTS_MS = 5.0
TARGET_CHAIN_MS = 1000.0


def median_ms(action: Callable[[], object], runs: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def lab_cycle(topology: Topology) -> Callable[[], None]:
    def run() -> None:
        Lab(topology).start().close()

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


def script_cycle(topology: Topology, tag: str) -> Callable[[], None]:
    """The baseline: a shell script of `ip` commands, one process per step, as people write."""
    directory = Path(tempfile.mkdtemp(prefix="lab-bench-"))
    script = directory / "build.sh"
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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=200, help="runs of two-hosts (default 200)")
    parser.add_argument(
        "--baseline-runs", type=int, default=30, help="runs of the ip script (default 30)"
    )
    parser.add_argument("--chain-runs", type=int, default=5, help="runs of the chain (default 5)")
    parser.add_argument("--hosts", type=int, default=100, help="hosts in the chain (default 100)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print(
            "bench-build needs root: the ip baseline pins namespaces with `ip netns add`",
            file=sys.stderr,
        )
        return 2

    two = load("two-hosts")
    line = chain(args.hosts)
    tag = str(os.getpid())
    try:
        rows = [
            (
                "two-hosts",
                median_ms(lab_cycle(two), args.runs),
                median_ms(script_cycle(two, tag), args.baseline_runs),
                TARGET_TWO_HOSTS_MS,
            ),
            (
                f"chain of {args.hosts}",
                median_ms(lab_cycle(line), args.chain_runs, warmup=1),
                median_ms(script_cycle(line, tag), args.chain_runs, warmup=1),
                TARGET_CHAIN_MS,
            ),
        ]
    finally:
        remove_leftovers(tag)
    print(f"kernel {os.uname().release}, {os.cpu_count()} cores; medians of build + teardown")
    print("baseline: the same topology as a shell script of `ip` commands, measured now")
    print(f"{'topology':<14} {'lab ms':>9} {'target':>8} {'baseline ms':>12} {'ratio':>7}")
    missed = 0
    for name, lab_ms, base_ms, target in rows:
        flag = "" if lab_ms <= target else "  MISSED"
        missed += bool(flag)
        figures = f"{lab_ms:>9.2f} {target:>8.0f} {base_ms:>12.2f} {base_ms / lab_ms:>6.1f}x"
        print(f"{name:<14} {figures}{flag}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
