"""`lab check`: the documented TCP tables verified on this kernel, as a command."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from lab._check import plan_check, run_plan
from lab.cli._parser import add_verb, family
from lab.kernel._privileges import ensure_privileges
from lab.tcp._report import render_scenario_list
from lab.tcp._spec_load import load_spec
from lab.topology import DEFAULT_TOPOLOGY


def run(args: argparse.Namespace) -> int:
    if args.list:
        print(render_scenario_list(load_spec(Path(args.spec) if args.spec else None)))
        return 0
    plan = plan_check(
        args.topology,
        scenarios=args.scenario,
        families=args.family,
        client=args.client,
        server=args.server,
        spec=Path(args.spec) if args.spec else None,
    )
    ensure_privileges()
    pcap_dir = Path(args.pcap_dir) if args.pcap_dir else Path(tempfile.mkdtemp(prefix="lab-check-"))
    result = run_plan(
        plan,
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


def add_check(sub: Any) -> None:
    """The `check` verb and its options."""
    p = add_verb(
        sub, "check", run, "verify the documented TCP tables on the kernel, segment by segment"
    )
    p.add_argument(
        "--topology", default=DEFAULT_TOPOLOGY, help=f"where to run (default: {DEFAULT_TOPOLOGY})"
    )
    p.add_argument(
        "--client",
        help="host that connects (default: client, else the first host that shares a link)",
    )
    p.add_argument(
        "--server",
        help="host that listens (default: server, else the first host on the client's links)",
    )
    p.add_argument(
        "--list", action="store_true", help="list the scenarios and what they show, then exit"
    )
    p.add_argument("--scenario", action="append", help="only this scenario (repeatable)")
    p.add_argument(
        "--family",
        action="append",
        type=family,
        metavar="IPv4|IPv6",
        help="only this family (default: every family both ends have)",
    )
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
