"""The verbs about labs: show, demo, and kept labs (up, ls, exec, down, cleanup)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from lab.cli._parser import UsageError, add_verb
from lab.kernel import _pin
from lab.kernel._lab import Lab
from lab.kernel._privileges import ensure_privileges
from lab.topology import DEFAULT_TOPOLOGY, available, describe, load
from lab.topology._ends import choose_ends

DEMO_PORT = 8080


def show(args: argparse.Namespace) -> int:
    if args.topology is None:
        for name in available():
            print(name)
        return 0
    print(describe(load(args.topology)), end="")
    return 0


def demo(args: argparse.Namespace) -> int:
    topology = load(args.topology)
    ends = choose_ends(topology, args.client, args.server)
    ensure_privileges()
    with Lab(topology) as lab:
        client, server = lab[ends.client], lab[ends.server]
        address = server.address(6 if args.ipv6 else 4)
        print(f"lab demo: {topology.name} ({topology.source})")
        print(f"  {client.name} -> {server.name} [{address}]:{DEMO_PORT}")
        listener = server.listen(DEMO_PORT, address)
        conn = client.connect(address, DEMO_PORT)
        accepted, _peer = listener.accept()
        message = f"hello from {client.name}".encode()
        conn.sendall(message)
        accepted.sendall(accepted.recv(len(message)))
        echoed = conn.recv(len(message))
        print(f"  {client.name} sent {message!r}, {server.name} echoed {echoed!r}")
        for host in (client, server):
            print(f"\n$ ss -tanoi   # on {host.name}")
            print(host.ss("-tanoi").rstrip())
        for sock in (conn, accepted, listener):
            sock.close()
        ok = echoed == message
    print(f"\ntorn down {len(topology.hosts)} hosts; exchange {'ok' if ok else 'FAILED'}")
    return 0 if ok else 1


def up(args: argparse.Namespace) -> int:
    topology = load(args.topology)
    name = _pin.check_name(args.name or topology.name)
    with Lab(topology) as lab:
        pinned = _pin.pin(lab, name)
    print(f"lab {name} is up ({topology.name}); namespaces under /run/netns:")
    for label, netns in pinned.namespaces.items():
        print(f"  {label:<16} {netns}")
    first = next(iter(lab.hosts))
    print(f"try: lab exec {first} -- ip -br addr    then: lab down {name}")
    return 0


def ls(args: argparse.Namespace) -> int:
    labs = _pin.pinned_labs()
    if args.json:
        print(json.dumps([lab.to_json() for lab in labs], indent=2))
        return 0
    if not labs:
        print("no lab is up")
        return 0
    print(f"{'NAME':<16} {'TOPOLOGY':<16} {'STATUS':<10} HOSTS")
    for lab in labs:
        missing = lab.missing()
        status = "up" if not missing else f"damaged ({len(missing)} gone)"
        hosts = " ".join(h for h in lab.namespaces if not h.startswith("bridge "))
        print(f"{lab.name:<16} {lab.topology:<16} {status:<10} {hosts}")
    return 0


def exec_(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise UsageError("lab exec needs a command after --, e.g.: lab exec client -- ip addr")
    argv = _pin.exec_argv(_pin.find(args.lab), args.host, command)
    sys.stdout.flush()  # nothing of ours may be left in a buffer that exec throws away
    os.execv(argv[0], argv)


def down(args: argparse.Namespace) -> int:
    lab, stopped = _pin.unpin(args.name or _pin.find(None).name)
    print(f"lab {lab.name} is down; {stopped}")
    return 0


def cleanup(args: argparse.Namespace) -> int:
    removed, stopped = _pin.cleanup()
    for item in removed:
        print(f"removed {item}")
    print(f"cleanup: {len(removed)} removed; {stopped}")
    return 0


def add_show_and_demo(sub: Any) -> None:
    """The `show` and `demo` verbs."""
    p = add_verb(
        sub, "show", show, "print a topology's hosts, links and addresses (no name: list them)"
    )
    p.add_argument("topology", nargs="?", help="name in topologies/ or a YAML path")
    p = add_verb(sub, "demo", demo, "build a topology, run one TCP exchange, print both ends' ss")
    p.add_argument("topology", nargs="?", default=DEFAULT_TOPOLOGY)
    p.add_argument(
        "--client",
        help="host that connects (default: client, else the first host that shares a link)",
    )
    p.add_argument(
        "--server",
        help="host that listens (default: server, else the first host on the client's links)",
    )
    p.add_argument("--ipv6", action="store_true", help="use the server's IPv6 address")


def add_lab_verbs(sub: Any) -> None:
    """The verbs of kept labs: up, ls, exec, down, cleanup."""
    p = add_verb(sub, "up", up, "build a topology and keep it after lab exits (needs root)")
    p.add_argument("topology")
    p.add_argument("--name", help="name of the lab (default: the topology's name)")
    p = add_verb(sub, "ls", ls, "list the labs that are up")
    p.add_argument("--json", action="store_true", help="as JSON: a list of labs")
    p = add_verb(sub, "exec", exec_, "run a command inside a host of a lab that is up")
    p.add_argument("--lab", help="which lab, when several are up")
    p.add_argument("host")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARG ...]")
    p = add_verb(sub, "down", down, "take a lab down (default: the only one up)")
    p.add_argument("name", nargs="?")
    add_verb(
        sub, "cleanup", cleanup, "remove every lab namespace that `lab up` left, whole or torn"
    )
