"""The `lab` command: a thin edge over the library.

    lab check [--json FILE]      verify the documented TCP tables, segment by segment
    lab show [TOPOLOGY]          hosts, links, addresses (no TOPOLOGY: list them)
    lab demo [TOPOLOGY]          build, one real TCP exchange, both ends' ss, tear down
    lab up TOPOLOGY [--name N]   build and keep it, for interactive exercises (root)
    lab ls                       labs that are up
    lab exec [--lab N] HOST -- CMD ...
    lab down [NAME]              take a lab down
    lab cleanup                  remove whatever a crashed `lab up` left

Bad input prints one line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from lab._addresses import Family
from lab._check import run_check
from lab._errors import LabError
from lab.kernel import _pin
from lab.kernel._lab import Lab
from lab.kernel._mountns import create_mount_namespace
from lab.kernel._netns import NetNamespace
from lab.kernel._privileges import ensure_privileges
from lab.topology import DEFAULT_TOPOLOGY, available, describe, load

EXIT_USAGE = 2
DEMO_PORT = 8080


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{message}; see: {self.prog} --help")


class _UsageError(Exception):
    pass


def _show(args: argparse.Namespace) -> int:
    if args.topology is None:
        for name in available():
            print(name)
        return 0
    print(describe(load(args.topology)), end="")
    return 0


def _demo(args: argparse.Namespace) -> int:
    ensure_privileges()
    topology = load(args.topology)
    for role in (args.client, args.server):
        if role not in topology.host_names:
            raise LabError(
                f"lab demo needs a host named {role!r}, and {topology.name} has only "
                f"{', '.join(topology.host_names)}; choose with --client and --server"
            )
    with Lab(topology) as lab:
        client, server = lab[args.client], lab[args.server]
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


def _check(args: argparse.Namespace) -> int:
    ensure_privileges()
    pcap_dir = Path(args.pcap_dir) if args.pcap_dir else Path(tempfile.mkdtemp(prefix="lab-check-"))
    result = run_check(
        args.topology,
        scenarios=args.scenario,
        families=args.family or tuple(Family),
        spec=Path(args.spec) if args.spec else None,
        pcap_dir=pcap_dir,
        strict_flags=args.strict_flags,
        wait_timers=args.wait_timers,
        stepping=not args.no_stepping,
    )
    print(result.report())
    print(
        f"\n{result.kernel}; {len(result.runs)} runs in {result.seconds:.2f} s; pcaps in {pcap_dir}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_json(), indent=2) + "\n")
        print(f"JSON written to {args.json}")
    return 0 if result.ok else 1


def _up(args: argparse.Namespace) -> int:
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


def _ls(args: argparse.Namespace) -> int:
    labs = _pin.pinned_labs()
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


def _exec(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        raise _UsageError("lab exec needs a command after --, e.g.: lab exec client -- ip addr")
    path = _pin.find(args.lab).netns_path(args.host)
    netns = NetNamespace.open(str(path), args.host)
    mnt_fd = create_mount_namespace(netns)
    os.set_inheritable(mnt_fd, True)
    nsenter = shutil.which("nsenter") or "/usr/bin/nsenter"
    os.execv(nsenter, [nsenter, f"--net={path}", f"--mount=/proc/self/fd/{mnt_fd}", "--", *command])


def _down(args: argparse.Namespace) -> int:
    lab = _pin.unpin(args.name or _pin.find(None).name)
    print(f"lab {lab.name} is down")
    return 0


def _cleanup(args: argparse.Namespace) -> int:
    removed = _pin.cleanup()
    for item in removed:
        print(f"removed {item}")
    print(f"cleanup: {len(removed)} removed")
    return 0


def _parser() -> _Parser:
    parser = _Parser(prog="lab", description="Network-namespace labs for checking TCP behaviour.")
    sub = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)

    def verb(name: str, run: Callable[[argparse.Namespace], int], text: str) -> _Parser:
        p: _Parser = sub.add_parser(name, help=text, description=text)
        p.set_defaults(run=run)
        return p

    p = verb("show", _show, "print a topology's hosts, links and addresses (no name: list them)")
    p.add_argument("topology", nargs="?", help="name in topologies/ or a YAML path")
    p = verb("demo", _demo, "build a topology, run one TCP exchange, print both ends' ss")
    p.add_argument("topology", nargs="?", default=DEFAULT_TOPOLOGY)
    p.add_argument("--client", default="client", help="host that connects (default: client)")
    p.add_argument("--server", default="server", help="host that listens (default: server)")
    p.add_argument("--ipv6", action="store_true", help="use the server's IPv6 address")
    p = verb("check", _check, "verify the documented TCP tables on the kernel, segment by segment")
    p.add_argument(
        "--topology", default=DEFAULT_TOPOLOGY, help=f"where to run (default: {DEFAULT_TOPOLOGY})"
    )
    p.add_argument("--scenario", action="append", help="only this scenario (repeatable)")
    p.add_argument("--family", action="append", choices=("IPv4", "IPv6"), help="only this family")
    p.add_argument("--spec", help="a tables file of your own (default: the packaged one)")
    p.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    p.add_argument("--pcap-dir", metavar="DIR", help="where pcaps go (default: a new temp dir)")
    p.add_argument(
        "--strict-flags", action="store_true", help="extra flags on a segment fail the step"
    )
    p.add_argument("--wait-timers", action="store_true", help="wait TIME-WAIT out for real (60 s)")
    p.add_argument(
        "--no-stepping",
        action="store_true",
        help="plain mode: hold nothing, and report the documented states it could not see",
    )
    p = verb("up", _up, "build a topology and keep it after lab exits (needs root)")
    p.add_argument("topology")
    p.add_argument("--name", help="name of the lab (default: the topology's name)")
    verb("ls", _ls, "list the labs that are up")
    p = verb("exec", _exec, "run a command inside a host of a lab that is up")
    p.add_argument("--lab", help="which lab, when several are up")
    p.add_argument("host")
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD [ARG ...]")
    p = verb("down", _down, "take a lab down (default: the only one up)")
    p.add_argument("name", nargs="?")
    verb("cleanup", _cleanup, "remove every lab namespace that `lab up` left, whole or torn")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    try:
        args = _parser().parse_args(argv)
        status: int = args.run(args)
    except (_UsageError, LabError) as error:
        print(f"lab: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
