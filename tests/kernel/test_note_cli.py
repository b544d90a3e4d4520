"""`lab check NOTE...` as a command: its outputs, several notes, options, pcaps, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support import REPO, lab_cli

SHARED = REPO / "tests" / "pure" / "notes" / "tcp-open-close-en.md"
RIGHT = "Note left of Alice: SYN-SENT"
WRONG = "Note left of Alice: ESTABLISHED"  # line 19: Alice is SYN-SENT there
BLOCKS = ["L12-25 open", "L27-32 table", "L36-52 close", "L54-61 table", "L65-72 table"]
CLAIM_KEYS = {"line", "text", "kind", "verdict", "family", "documented", "observed"}


@pytest.fixture
def notes(tmp_path: Path) -> dict[str, Path]:
    """The shared note, a wrong copy, and a note with nothing TCP, in `tmp_path`; a TMPDIR."""
    text = SHARED.read_text()
    right, wrong, prose = tmp_path / "tcp.md", tmp_path / "wrong.md", tmp_path / "prose.md"
    right.write_text(text)
    wrong.write_text(text.replace(RIGHT, WRONG))
    prose.write_text("# HTTP\n\nA browser asks, a server answers.\n")
    (tmp_path / "tmp").mkdir()
    return {"right": right, "wrong": wrong, "prose": prose, "tmp": tmp_path / "tmp"}


def check(notes: dict[str, Path], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return lab_cli("check", *map(str, args), env={"TMPDIR": str(notes["tmp"])})


def test_json_to_stdout_has_the_issues_shape_and_the_report_goes_to_stderr(
    notes: dict[str, Path],
) -> None:
    done = check(notes, notes["right"], "--json", "-")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)  # nothing else on standard output
    assert (data["ok"], data["note"]) == (True, str(notes["right"]))
    assert data["claims"]
    for claim in data["claims"]:
        assert set(claim) >= CLAIM_KEYS
        assert isinstance(claim["line"], int)
        assert claim["verdict"] in {"ok", "fail", "timer", "unchecked"}
        assert claim["family"] in {"IPv4", "IPv6"}
    state = next(c for c in data["claims"] if c["line"] == 19 and c["family"] == "IPv6")
    assert (state["text"], state["kind"], state["observed"]) == (RIGHT, "state", "SYN-SENT")
    assert "lines 12-25, diagram (open)" in done.stderr
    assert done.stderr.rstrip().endswith("JSON written to standard output")
    assert list(notes["tmp"].iterdir()) == []  # nothing failed: no pcaps kept


def test_several_notes_exit_1_if_one_fails_and_the_json_lists_each(
    notes: dict[str, Path],
) -> None:
    done = check(notes, notes["right"], notes["wrong"], "--json", "-")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"ok", "notes"}
    assert data["ok"] is False
    assert [(n["note"], n["ok"]) for n in data["notes"]] == [
        (str(notes["right"]), True),
        (str(notes["wrong"]), False),
    ]
    failed = {
        (c["line"], c["family"]) for c in data["notes"][1]["claims"] if c["verdict"] == "fail"
    }
    assert failed == {(19, "IPv4"), (19, "IPv6")}
    assert done.stderr.count("judged (IPv4 and IPv6)") == 2  # both reports


def test_junit_has_a_case_per_block_and_family_and_failures_carry_the_report(
    notes: dict[str, Path],
) -> None:
    junit = notes["tmp"].parent / "check.xml"
    done = check(notes, notes["wrong"], "--junit-xml", junit)
    assert done.returncode == 1, done.stderr
    cases = {c.get("name", ""): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert sorted(cases) == sorted(f"{b} ({f})" for b in BLOCKS for f in ("IPv4", "IPv6"))
    for name, case in cases.items():
        failure = case.find("failure")
        assert (failure is not None) == name.startswith("L12-25 open"), name
        assert case.get("classname") == f"lab check.{notes['wrong']}"
        if failure is not None:
            assert failure.get("message") == "the kernel disagrees at line(s) 19"
            assert WRONG in (failure.text or "")
            assert "lines 36-52" not in (failure.text or "")  # only its own block


def test_mermaid_prints_diagrams_that_pass_when_checked_again(
    notes: dict[str, Path], tmp_path: Path
) -> None:
    done = check(notes, notes["right"], "--mermaid")
    assert done.returncode == 0, done.stderr
    fenced = done.stdout.count("```mermaid\nsequenceDiagram\n")
    assert fenced == 2
    blocks = done.stdout[done.stdout.index("What the kernel did") :]
    again = tmp_path / "again.md"
    again.write_text(f"# What the kernel did\n\n{blocks.rsplit('```', 1)[0]}```\n")
    done = check(notes, again)
    assert done.returncode == 0, done.stdout + done.stderr


def test_explain_and_list_run_nothing_and_say_what_was_read(notes: dict[str, Path]) -> None:
    done = check(notes, notes["right"], "--explain")
    assert done.returncode == 0, done.stderr
    assert "lab check on Linux" not in done.stdout
    assert "12" in done.stdout
    assert check(notes, notes["prose"], "--explain").returncode == 2
    done = check(notes, notes["right"], "--list")
    assert done.returncode == 0, done.stderr
    listed = [line.split(":")[0].strip() for line in done.stdout.splitlines()[1:]]
    assert listed == BLOCKS  # in the note's order, as pytest names its items
    assert check(notes, notes["prose"], "--list").returncode == 2
    assert list(notes["tmp"].iterdir()) == []  # no pcap folder: nothing ran


@pytest.mark.parametrize(
    ("option", "says"),
    [
        (("--spec", "tables.yaml"), "--spec names a tables file"),
        (("--scenario", "open"), "--scenario picks scenarios of a tables file"),
    ],
)
def test_tables_options_with_a_note_are_a_one_line_error(
    notes: dict[str, Path], option: tuple[str, str], says: str
) -> None:
    done = check(notes, notes["right"], *option)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith(f"lab: error: {says}")
    assert len(done.stderr.splitlines()) == 1


def test_a_missing_note_is_exit_2_naming_it(notes: dict[str, Path]) -> None:
    absent = notes["right"].with_name("absent.md")
    done = check(notes, notes["right"], absent)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        f"lab: error: {absent}: there is no such file; check the path (any Markdown file will do)"
    ]


def test_family_ipv6_runs_only_ipv6(notes: dict[str, Path]) -> None:
    done = check(notes, notes["right"], "--family", "IPv6", "--json", "-")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["families"] == ["IPv6"]
    assert {c["family"] for c in data["claims"]} == {"IPv6"}


def test_pcap_dir_keeps_the_pcaps(notes: dict[str, Path], tmp_path: Path) -> None:
    pcaps = tmp_path / "pcaps"
    done = check(notes, notes["right"], "--family", "IPv4", "--pcap-dir", pcaps)
    assert done.returncode == 0, done.stderr
    names = {p.name for p in pcaps.iterdir()}
    assert {"L12-25-ipv4.pcap", "L36-52-ipv4.pcap"} <= names
    assert done.stdout.rstrip().endswith(f"pcaps in {pcaps}")


def test_a_failing_note_keeps_its_pcaps_in_a_temporary_folder_and_names_them(
    notes: dict[str, Path],
) -> None:
    done = check(notes, notes["wrong"], "--family", "IPv4")
    assert done.returncode == 1, done.stderr
    (kept,) = notes["tmp"].iterdir()
    assert kept.name.startswith("lab-check-")
    assert f"L12-25-ipv4: {kept}/L12-25-ipv4.pcap" in done.stdout
    assert (kept / "L12-25-ipv4.pcap").stat().st_size > 0
    assert f"pcaps kept in {kept} (something failed)" in done.stdout


def test_ctrl_c_during_a_note_exits_130_and_reports_the_finished_runs(
    notes: dict[str, Path],
) -> None:
    out = notes["tmp"].parent / "check.json"
    # One run at a time, so that which runs finished is known (the open's) when the close
    # waits out TIME-WAIT; test_check_cli interrupts runs side by side.
    argv = [str(notes["right"]), "--family", "IPv4", "--wait-timers", "--verbose", "--jobs", "1"]
    with subprocess.Popen(
        [sys.executable, "-m", "lab", "check", *argv, "--json", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(notes["tmp"])},
    ) as lab:
        assert lab.stdout is not None
        assert lab.stderr is not None
        for line in lab.stderr:  # the open has finished; the close waits out TIME-WAIT (60 s)
            if "to end TIME-WAIT" in line:
                break
        lab.send_signal(signal.SIGINT)
        report, error = lab.stdout.read(), lab.stderr.read()
    assert lab.returncode == 130, error
    assert error.splitlines()[-1] == (
        "lab: interrupted (Ctrl-C) after 1 of 5 runs (0 of 1 notes finished); "
        "the report shows the runs that finished"
    )
    assert "lines 12-25, diagram (open)" in report  # the finished run, judged
    assert "19  ok        Note left of Alice: SYN-SENT" in report
    assert "interrupted (Ctrl-C) before: L36-52 (IPv4), refused (IPv4)" in report, report
    data = json.loads(out.read_text())
    assert data["interrupted"] is True
    assert "L36-52 (IPv4)" in data["not_run"]
    assert {c["line"] for c in data["claims"]} >= {17, 18, 19}
    # A flag only an unfinished run would have sent is unchecked, not failed; every row
    # belongs to the family that ran.
    assert "FAIL" not in report
    assert {c["verdict"] for c in data["claims"] if c["line"] in {69, 70, 71, 72}} == {"unchecked"}
    assert {c["family"] for c in data["claims"]} == {"IPv4"}
    assert "judged (IPv4)" in report
    assert list(notes["tmp"].iterdir()) == []  # nothing failed: the pcaps went


def test_a_folder_checks_the_notes_under_it_and_leaves_out_those_not_about_tcp(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "docs"
    (docs / "deeper").mkdir(parents=True)
    (docs / "deeper" / "tcp.md").write_text(SHARED.read_text())
    (docs / "http.md").write_text("# HTTP\n\nA browser asks; a server answers.\n")
    (docs / "data.json").write_text("{}\n")
    done = lab_cli("check", "-q", str(docs))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"lab: {docs / 'http.md'}: nothing about TCP in it; left out" in done.stderr
    assert "35 lines of" in done.stdout
    (docs / "deeper" / "tcp.md").unlink()
    nothing = lab_cli("check", "-q", str(docs))
    assert nothing.returncode == 2
    assert "no note under it is about TCP" in nothing.stderr
