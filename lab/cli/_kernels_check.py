"""`lab check --kernels host,6.1,6.12`: the same check on each kernel, then side by side.

Each kernel runs the very command the user typed, without ``--kernels`` and
with its JSON sent to a share: ``host`` as a process of this machine, any
other booted under qemu on this machine's own root filesystem (`lab.vm`), so
the same lab, notes, topologies and options are used inside. The results come
back as JSON and are merged by `lab._across` into one report: a row per step
or claim, a column per kernel, what differs marked, and the settings each ran
under. A kernel that cannot boot gets one line with the reason and its console
log's path. The exit status is 0 only when every kernel agrees with the
documentation.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab._across import merge_results
from lab.cli._check_command import output_files
from lab.cli._outputs import STDOUT
from lab.cli._parser import EXIT_INTERRUPTED, UsageError
from lab.vm import GuestRun, KernelImage, guest_share, resolve_kernel, run_in_guest
from lab.vm._command import guest_environment, without_options

__all__ = ["kernel_names", "run_on_kernels", "strip_options"]

HOST = "host"

_DROPPED = {
    "--kernels": True,
    "--json": True,
    "--junit-xml": True,
    "--pcap-dir": True,
    "--kernel-timeout": True,
    "--only-differences": False,
    "-q": False,
    "--quiet": False,
    "-v": False,
    "--verbose": False,
}
"""Options of the outer command that the inner one must not get (True: takes a value)."""


def kernel_names(text: str) -> list[str]:
    """``host,6.1, 6.12`` -> the names in order, each once; an empty list is bad input."""
    names = list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if not names:
        raise UsageError("--kernels needs at least one kernel name, e.g. --kernels host,6.1")
    return names


def strip_options(argv: Sequence[str]) -> list[str]:
    """The command's arguments without the options only the outer command handles."""
    return without_options(argv, _DROPPED)


@dataclass
class KernelResult:
    """What one kernel gave: its JSON, or why there is none."""

    name: str
    result: dict[str, Any] | None
    reason: str | None = None


def run_on_kernels(args: argparse.Namespace) -> int:
    names = kernel_names(args.kernels)
    if args.junit_xml is not None:
        raise UsageError(
            "--junit-xml is for one kernel; with --kernels, --json FILE holds every kernel's "
            "result (or run one lab check --junit-xml per kernel)"
        )
    report = sys.stderr if args.json == STDOUT else sys.stdout
    with ExitStack() as unwritten:  # --json is opened (so checked) now, written at the end
        outputs = output_files(args, unwritten)
        # Every name is resolved (and fetched) before anything runs: a typo costs nothing.
        kernels = {name: resolve_kernel(name) for name in names}
        inner = strip_options(args.argv)
        results: list[KernelResult] = []
        try:
            for n, (name, kernel) in enumerate(kernels.items(), 1):
                say = f"[{n}/{len(kernels)}] {name}"
                results.append(_run_one(name, kernel, inner, args, say))
        except KeyboardInterrupt:
            print(
                f"lab: interrupted (Ctrl-C) after {len(results)} of {len(kernels)} kernels",
                file=sys.stderr,
            )
            return EXIT_INTERRUPTED
        got = [(r.name, r.result) for r in results if r.result is not None]
        merged = merge_results(got) if got else None
        if merged is not None:
            for output in outputs:
                output.write(json.dumps(merged.to_json(), indent=2) + "\n")
    if merged is not None:
        print(
            merged.report(only_differences=args.only_differences, command="lab check"), file=report
        )
    for failed in (r for r in results if r.result is None):
        print(f"lab: {failed.name}: no result: {failed.reason}", file=report)
    for output in outputs if merged is not None else ():
        print(f"JSON written to {output.where}", file=report)
    if merged is None or len(got) < len(results):
        return 1  # a kernel without a verdict is not one that agrees
    return merged.exit_status


def _run_one(
    name: str, kernel: KernelImage | None, inner: list[str], args: argparse.Namespace, say: str
) -> KernelResult:
    """One kernel's check: on this machine for host, else in a VM; its JSON read back."""
    with guest_share() as share:
        out = share.path / "result.json"
        pcaps = share.path / "pcaps"
        argv = [sys.executable, "-m", "lab", *inner, "--json", str(out), "--pcap-dir", str(pcaps)]
        argv.append("--verbose" if args.verbose else "--quiet")  # lines, for `_echo`
        started = time.monotonic()
        if kernel is None:
            print(f"{say}: checking on this machine's kernel", file=sys.stderr, flush=True)
            # It dies with this process, as a VM's qemu does: a killed run leaves nothing.
            dies_with_us = [shutil.which("setpriv") or "setpriv", "--pdeathsig", "KILL", "--"]
            status: int | None = subprocess.run(
                [*dies_with_us, *argv], check=False, stdout=subprocess.DEVNULL
            ).returncode
            facts: dict[str, Any] = {"seconds": time.monotonic() - started}  # for the summary
            run: GuestRun | None = None
        else:
            print(f"{say}: booting {kernel.release} under qemu", file=sys.stderr, flush=True)
            run = run_in_guest(
                kernel,
                argv,
                cwd=Path.cwd(),
                env=guest_environment(),
                share=share.path,
                timeout=args.kernel_timeout,
                on_console=_echo if args.verbose else None,
            )
            status = run.status
            facts = {
                "accel": run.accel,
                "boot_seconds": round(run.boot_seconds, 2),
                "check_seconds": round(run.run_seconds, 2),
            }
        if status is None or status not in (0, 1) or not out.exists():
            share.keep = True
            reason = (
                run.reason
                if run is not None and run.reason
                else f"lab check ended with status {status} and no result"
                + (f" (console log: {run.console_log})" if run is not None else "")
            )
            print(f"{say}: no result: {reason}", file=sys.stderr, flush=True)
            return KernelResult(name, None, reason)
        result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        result = _keep_pcaps(result, pcaps, name, args.pcap_dir)
        result["kernel_name"] = name
        if kernel is not None and kernel.package:
            result["kernel_package"] = f"{kernel.package} {kernel.version or ''}".strip()
        result["vm"] = facts if run is not None else None  # the host's check has its seconds
        print(f"{say}: {_summary(result, facts)}", file=sys.stderr, flush=True)
        return KernelResult(name, result)


def _keep_pcaps(
    result: dict[str, Any], pcaps: Path, name: str, pcap_dir: str | None
) -> dict[str, Any]:
    """Move a kernel's pcaps out of its share when asked (--pcap-dir) or when it failed.

    They go to ``PCAP_DIR/NAME`` or a new ``lab-check-NAME-*`` temporary folder, and
    the paths in the result are rewritten to match; passing runs' pcaps go with the share.
    """
    if not pcaps.is_dir() or (pcap_dir is None and result.get("ok")):
        return result
    if pcap_dir is not None:
        kept = Path(pcap_dir) / name
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(kept, ignore_errors=True)
    else:
        kept = Path(tempfile.mkdtemp(prefix=f"lab-check-{name}-"))
        kept.rmdir()
    shutil.move(pcaps, kept)
    moved: dict[str, Any] = _moved(result, str(pcaps), str(kept))
    return moved


def _moved(value: Any, old: str, new: str) -> Any:
    """`value` with every string under the folder `old` pointed under `new` instead."""
    if isinstance(value, dict):
        return {key: _moved(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [_moved(item, old, new) for item in value]
    if isinstance(value, str) and (value == old or value.startswith(old + "/")):
        return new + value[len(old) :]
    return value


def _summary(result: dict[str, Any], facts: dict[str, Any]) -> str:
    agree = "agrees with the documentation" if result.get("ok") else "DISAGREES"
    if "boot_seconds" in facts:
        timing = (
            f"booted in {facts['boot_seconds']:.1f} s ({facts['accel']}), "
            f"checked in {facts['check_seconds']:.1f} s"
        )
    else:
        timing = f"checked in {facts['seconds']:.1f} s"
    return f"{agree}; {timing}"


def _echo(line: str) -> None:
    print(f"  | {line}", file=sys.stderr, flush=True)
