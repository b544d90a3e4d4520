"""`lab check NOTE.md ...`: study notes verified line by line, as a command."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from pathlib import Path

from lab._errors import LabError, NothingToCheckError
from lab._notecheck import NoteCheck, NoteInterrupted, NotePlan, plan_note, run_note_plan
from lab.cli._check_command import output_files
from lab.cli._outputs import OutputFile, PcapFolder
from lab.cli._parser import EXIT_INTERRUPTED, EXIT_USAGE, UsageError
from lab.cli._progress import CheckProgress
from lab.kernel._privileges import ensure_privileges
from lab.notes import NOTE_SUFFIXES, explain, load_note

_TABLES_ONLY = {
    "spec": "--spec names a tables file; a NOTE is its own spec: give one or the other",
    "scenario": "--scenario picks scenarios of a tables file; a NOTE's diagrams all run",
    "no_stepping": "--no-stepping is for lab's tables: a NOTE's states are judged at the "
    "moments its diagrams put them, which needs every segment held",
}


def run_notes(args: argparse.Namespace) -> int:
    """Check each NOTE; exit 0 when no claim fails, 1 when one does, 2 when a note is unusable."""
    for option, why in _TABLES_ONLY.items():
        if getattr(args, option):
            raise UsageError(why)
    notes, found_in = _notes(args.notes)
    if args.explain or args.list:
        return _explain(notes, found_in, brief=args.list and not args.explain)
    plans = []
    for note in notes:
        try:
            plans.append(
                plan_note(
                    note,
                    args.topology,
                    families=args.family,
                    client=args.client,
                    server=args.server,
                )
            )
        except NothingToCheckError:
            if note not in found_in:
                raise  # named on the command line: unusable input
            print(f"lab: {note}: nothing about TCP in it; left out", file=sys.stderr)
    if not plans:
        raise _nothing_found(args.notes, found_in)
    with ExitStack() as unwritten:
        outputs = output_files(args, unwritten)
        pcaps = PcapFolder.made(args.pcap_dir, unwritten)
        ensure_privileges()
        checks, interrupted = _run(plans, pcaps, args)
        # As lab check's tables: pcaps are kept when a claim failed, not for Ctrl-C alone.
        failed = any(claim.verdict == "fail" for check in checks for claim in check.claims)
        kept = pcaps.finish(failed=failed)
        if not failed and not pcaps.asked:  # the folder is gone: name no pcap in it
            checks = [check.without_pcaps() for check in checks]
        _write(checks, outputs, kept, mermaid=args.mermaid)
    if interrupted:
        finished = sum(len(check.result.runs) for check in checks)
        planned = sum(len(plan.check.runs) for plan in plans)
        print(
            f"lab: interrupted (Ctrl-C) after {finished} of {planned} runs "
            f"({len(checks) - 1} of {len(plans)} notes finished); "
            "the report shows the runs that finished",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    return 1 if failed else 0


def _notes(given: list[str]) -> tuple[list[str], set[str]]:
    """The notes to check: files as named, and the Markdown files under each folder named.

    Returns them in order, and the set of those found in folders (which may be left
    out when they are not about TCP, where a note named on its own may not).
    """
    notes: list[str] = []
    found_in: set[str] = set()
    for path in given:
        if Path(path).is_dir():
            found = sorted(
                str(f) for f in Path(path).rglob("*") if f.suffix in NOTE_SUFFIXES and f.is_file()
            )
            notes += found
            found_in.update(found)
        else:
            notes.append(path)
    return notes, found_in


def _explain(notes: list[str], found_in: set[str], *, brief: bool) -> int:
    """``--explain`` and ``--list``: what lab read from each note; nothing runs.

    Exit 2 when a note named on its own is not about TCP, or no note is; notes found
    in a folder that are not about TCP are left out, as a check leaves them out.
    """
    shown = 0
    for path in notes:
        note = load_note(path)
        if not note.is_tcp and path in found_in:
            print(f"lab: {path}: nothing about TCP in it; left out", file=sys.stderr)
            continue
        shown += 1
        if brief:
            print(f"{note.source}: {note.title or 'a note'}")
            titles = {d.first: d.scenario.title for d in note.diagrams}
            titles |= {t.first: " | ".join(t.header) for t in note.tables}
            titles |= {m.first: m.title for m in note.state_diagrams}
            for first, _, label in note.blocks:  # in the note's order, as pytest's items
                print(f"  {label}: {titles[first]}")
        else:
            print(explain(note))
        if not note.is_tcp:
            return EXIT_USAGE
    if not shown:
        print(f"lab: error: {_nothing_found(notes, found_in)}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def _nothing_found(given: list[str], found_in: set[str]) -> NothingToCheckError:
    """The error for folders that hold no note about TCP (or no Markdown file at all)."""
    folders = ", ".join(given)
    if not found_in:
        kinds = ", ".join(sorted(NOTE_SUFFIXES))
        return NothingToCheckError(
            folders, "", f"no Markdown file under it ({kinds})", "name a note, or a folder of them"
        )
    return NothingToCheckError(
        folders, "", "no note under it is about TCP", "name a note, or a folder of them"
    )


def _run(
    plans: list[NotePlan], pcaps: PcapFolder, args: argparse.Namespace
) -> tuple[list[NoteCheck], bool]:
    """Each note's check, with progress; Ctrl-C keeps the notes (and runs) that finished."""
    checks: list[NoteCheck] = []
    several = len(plans) > 1
    try:
        with CheckProgress.on_stderr(quiet=args.quiet, verbose=args.verbose) as progress:
            for plan in plans:
                folder = pcaps.path
                if folder is not None and several:
                    folder = folder / Path(plan.note.source).stem
                checks.append(
                    run_note_plan(
                        plan,
                        pcap_dir=folder,
                        strict_flags=args.strict_flags,
                        wait_timers=args.wait_timers,
                        progress=progress,
                        jobs=args.jobs,
                    )
                )
    except NoteInterrupted as interrupted:
        checks.append(interrupted.result)
        return checks, True
    except LabError as error:
        raise LabError(f"{error}; {pcaps.finish(failed=True)}") from error
    except KeyboardInterrupt:
        raise
    except BaseException:
        pcaps.finish(failed=True)
        raise
    return checks, False


def _write(checks: list[NoteCheck], outputs: list[OutputFile], kept: str, *, mermaid: bool) -> None:
    """The files first, then each note's report (and diagrams), then the last lines."""
    renderers = {
        "JSON": lambda: json.dumps(_json(checks), indent=2, ensure_ascii=False) + "\n",
        "JUnit XML": lambda: NoteCheck.junit_xml(checks),
    }
    for output in outputs:
        output.write(renderers[output.what]())
    report = sys.stderr if any(o.to_stdout for o in outputs) else sys.stdout
    for check in checks:
        print(check.report(), file=report)
        if mermaid:
            print("\n" + check.mermaid(), file=report)
        print(file=report)
    runs = sum(len(check.result.runs) for check in checks)
    seconds = sum(check.result.seconds for check in checks)
    kernel = checks[0].result.kernel if checks else ""
    print(f"{kernel}; {runs} run{'' if runs == 1 else 's'} in {seconds:.2f} s; {kept}", file=report)
    for output in outputs:
        print(f"{output.what} written to {output.where}", file=report)


def _json(checks: list[NoteCheck]) -> dict[str, object]:
    """One note's JSON as it is; several notes' under ``notes``."""
    if len(checks) == 1:
        return checks[0].to_json()
    return {"ok": all(check.ok for check in checks), "notes": [c.to_json() for c in checks]}
