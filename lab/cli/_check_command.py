"""`lab check`: the documented TCP tables verified on this kernel, as a command."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from lab._check import (
    MAX_JOBS,
    CheckInterrupted,
    CheckPlan,
    CheckResult,
    plan_check,
    run_plan,
)
from lab._errors import LabError
from lab.cli._outputs import STDOUT, OutputFile, PcapFolder
from lab.cli._parser import EXIT_INTERRUPTED, UsageError, add_verb, family, jobs
from lab.cli._progress import CheckProgress
from lab.kernel._privileges import ensure_privileges
from lab.tcp._report import render_scenario_list
from lab.tcp._spec_load import load_spec
from lab.topology import DEFAULT_TOPOLOGY


def run(args: argparse.Namespace) -> int:
    if args.kernels is not None:
        from lab.cli._kernels_check import run_on_kernels  # noqa: PLC0415

        return run_on_kernels(args)
    if args.only_differences:
        raise UsageError("--only-differences is for --kernels: name kernels to compare")
    if args.notes:
        from lab.cli._note_command import run_notes  # noqa: PLC0415

        return run_notes(args)
    if args.mermaid or args.explain:
        raise UsageError(
            f"{'--mermaid' if args.mermaid else '--explain'} is for notes: name one, "
            "e.g. lab check docs/tcp.md --explain"
        )
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
        wait_timers=args.wait_timers,
    )
    with ExitStack() as unwritten:  # what the check never got to write is removed again
        outputs = output_files(args, unwritten)
        pcaps = PcapFolder.made(args.pcap_dir, unwritten)
        ensure_privileges()  # after the files and folder are made: they are the user's
        result = _run(plan, pcaps, args)
        failed = any(not v.ok for v in result.verdicts) or not (result.ok or result.interrupted)
        kept = pcaps.finish(failed=failed)
        if not failed and not pcaps.asked:
            result = result.without_pcaps()
        _write(result, outputs, kept)
    if result.interrupted:
        planned = len(result.runs) + len(result.not_run)
        print(
            f"lab: interrupted (Ctrl-C) after {len(result.runs)} of {planned} scenario runs; "
            "the report shows those that finished",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return 0 if result.ok else 1


def _write(result: CheckResult, outputs: list[OutputFile], kept: str) -> None:
    """The files, then the report and its last lines (on stderr if a file took stdout)."""
    renderers = {
        "JSON": lambda: json.dumps(result.to_json(), indent=2) + "\n",
        "JUnit XML": result.to_junit_xml,
    }
    # Files first: a reader of the report that goes away (| head) must not cost them.
    for output in outputs:
        output.write(renderers[output.what]())
    report = sys.stderr if any(o.to_stdout for o in outputs) else sys.stdout
    print(result.report(), file=report)
    runs = f"{len(result.runs)} run{'' if len(result.runs) == 1 else 's'}"
    print(f"\n{result.kernel}; {runs} in {result.seconds:.2f} s; {kept}", file=report)
    for output in outputs:
        print(f"{output.what} written to {output.where}", file=report)


def _run(plan: CheckPlan, pcaps: PcapFolder, args: argparse.Namespace) -> CheckResult:
    """The check, with its progress shown; Ctrl-C gives the runs that finished."""
    try:
        with CheckProgress.on_stderr(quiet=args.quiet, verbose=args.verbose) as progress:
            return run_plan(
                plan,
                pcap_dir=pcaps.path,
                strict_flags=args.strict_flags,
                wait_timers=args.wait_timers,
                stepping=not args.no_stepping,
                progress=progress,
                jobs=args.jobs,
            )
    except CheckInterrupted as interrupted:
        return interrupted.result
    except LabError as error:
        raise LabError(f"{error}; {pcaps.finish(failed=True)}") from error
    except KeyboardInterrupt:
        raise  # before or after the runs: the pcap folder goes (PcapFolder.abandon)
    except BaseException:
        pcaps.finish(failed=True)
        raise


def output_files(args: argparse.Namespace, unwritten: ExitStack) -> list[OutputFile]:
    """The files --json and --junit-xml name, opened now (checked before anything runs).

    Each is discarded again if the check ends before writing it (`unwritten` unwinds).
    """
    if args.json == STDOUT and args.junit_xml == STDOUT:
        raise UsageError(
            "--json - and --junit-xml - both ask for standard output; send one to a file"
        )
    outputs = (
        _output(args.json, "--json", "check.json", "JSON", unwritten),
        _output(args.junit_xml, "--junit-xml", "check.xml", "JUnit XML", unwritten),
    )
    return [output for output in outputs if output is not None]


def _output(
    text: str | None, option: str, example: str, what: str, unwritten: ExitStack
) -> OutputFile | None:
    """The output file `option` names, opened now; discarded if the check ends before it."""
    if text is None:
        return None
    output = OutputFile(text, option, example=example, what=what)
    unwritten.callback(output.discard)
    return output


def add_check(sub: Any) -> None:
    """The `check` verb and its options."""
    p = add_verb(
        sub,
        "check",
        run,
        "verify study notes (Markdown with mermaid diagrams and tables), or lab's own "
        "TCP tables, on the kernel, segment by segment",
    )
    p.add_argument(
        "notes",
        nargs="*",
        metavar="NOTE",
        help="a study note (any Markdown file: .md, .txt...), or a folder of them, whose TCP "
        "diagrams and tables are checked line by line (default: lab's own tables, or --spec)",
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
    p.add_argument(
        "--explain",
        action="store_true",
        help="with a NOTE: print what lab read from it (roles, the script inferred for each "
        "diagram, table claims, what was skipped and why), then exit; runs nothing",
    )
    p.add_argument(
        "--mermaid",
        action="store_true",
        help="with a NOTE: after the report, print each diagram's run as a mermaid "
        "sequenceDiagram in the note's own names and spelling, ready to paste over it",
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
    p.add_argument(
        "--json",
        metavar="FILE",
        help="also write the results as JSON (-: to standard output, and the report to stderr)",
    )
    p.add_argument(
        "--junit-xml",
        metavar="FILE",
        help="also write JUnit XML, one test case per scenario and family, for CI systems "
        "(-: to standard output, and the report to stderr)",
    )
    p.add_argument(
        "--pcap-dir",
        metavar="DIR",
        help="where pcaps go, kept (default: a temporary folder, kept only if something failed)",
    )
    p.add_argument(
        "--strict-flags", action="store_true", help="extra flags on a segment fail the step"
    )
    p.add_argument("--wait-timers", action="store_true", help="wait TIME-WAIT out for real (60 s)")
    p.add_argument(
        "-j",
        "--jobs",
        type=jobs,
        metavar="N",
        help="run up to N scenario runs side by side, each in its own lab (default: "
        f"two per CPU, at most {MAX_JOBS}; one in a guest that qemu emulates; 1: one after "
        "another); with --wait-timers, runs that wait out a timer do not count, so the waits "
        "overlap",
    )
    shown = p.add_mutually_exclusive_group()
    shown.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="no progress on stderr (by default it is drawn when both outputs are terminals)",
    )
    shown.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="a line on stderr per run as it starts and ends, terminal or not (CI logs)",
    )
    p.add_argument(
        "--kernels",
        metavar="LIST",
        help="run the same check on each of these kernels and show the results side by side: "
        "host (this machine's), a version (6.1, 6.12, 5.10), a Debian package or a vmlinuz "
        "path, comma-separated; other kernels are fetched once (lab kernels fetch) and booted "
        "under qemu on this machine's root filesystem",
    )
    p.add_argument(
        "--kernel-timeout",
        type=float,
        metavar="SECONDS",
        default=1800.0,
        help="with --kernels: stop a kernel's VM after this long (default: 1800)",
    )
    p.add_argument(
        "--only-differences",
        action="store_true",
        help="with --kernels: show only the rows where a kernel disagrees with the "
        "documentation or with the first kernel",
    )
    p.add_argument(
        "--no-stepping",
        action="store_true",
        help="plain mode: hold nothing, and report the documented states it could not see",
    )
