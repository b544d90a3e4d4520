"""The line-numbered report of a note: each line once, its worst verdict, in the note's words."""

from __future__ import annotations

from pathlib import Path

from lab.notes import read_note, render_note_report
from lab.tcp._claims import ClaimVerdict, line_verdicts, worst

SHARED = Path(__file__).parent / "notes" / "tcp-open-close-en.md"


def claim(line: int, verdict: str, family: str = "IPv4", **kw: str) -> ClaimVerdict:
    text = SHARED.read_text().splitlines()[line - 1].strip()
    fields = {"documented": "client → server SYN", "observed": "client → server SYN"} | kw
    return ClaimVerdict(
        line=line,
        text=text,
        kind="message",
        verdict=verdict,  # type: ignore[arg-type]
        family=family,
        scenario="L12-25",
        **fields,
    )


def test_a_line_gets_the_worst_verdict_of_its_claims() -> None:
    claims = [claim(18, "ok"), claim(18, "fail", "IPv6"), claim(19, "ok"), claim(19, "timer")]
    claims += [claim(20, "unchecked"), claim(20, "ok"), claim(21, "unchecked")]
    assert line_verdicts(claims) == {18: "fail", 19: "timer", 20: "ok", 21: "unchecked"}
    assert worst([]) == "unchecked"


def test_each_line_is_quoted_once_with_names_of_the_note() -> None:
    note = read_note(SHARED.read_text(), str(SHARED))
    report = render_note_report(note, [claim(18, "ok"), claim(18, "ok", "IPv6")])
    (row,) = [line for line in report.splitlines() if line.strip().startswith("18 ")]
    assert "Alice->>Bob: SYN" in row
    assert "Alice → Bob SYN" in row  # role words in the note's participant names
    assert "IPv4" not in row  # both families saw the same: said once
    assert "1 lines" in report or "1 line" in report


def test_a_failure_says_why_per_family_when_they_differ() -> None:
    note = read_note(SHARED.read_text(), str(SHARED))
    claims = [
        claim(
            20,
            "fail",
            documented="server → client SYN+ACK",
            observed="server → client ACK",
            detail="documented SYN+ACK, but SYN is not set",
        ),
        claim(
            20,
            "ok",
            "IPv6",
            documented="server → client SYN+ACK",
            observed="server → client SYN+ACK",
        ),
    ]
    report = render_note_report(note, claims)
    lines = report.splitlines()
    (at,) = [n for n, line in enumerate(lines) if line.strip().startswith("20 ")]
    assert "FAIL" in lines[at]
    assert "IPv4: Bob → Alice ACK" in lines[at]
    assert "IPv6: Bob → Alice SYN+ACK" in lines[at]
    assert "SYN is not set" in lines[at + 1]
    assert "FAIL: the note and the kernel disagree at line(s) 20" in report


def test_a_report_of_some_lines_keeps_only_their_blocks() -> None:
    note = read_note(SHARED.read_text(), str(SHARED))
    report = render_note_report(note, [claim(18, "ok")], only=(12, 25))
    assert "lines 12-25" in report
    assert "lines 36-52" not in report
    assert "lines 54-61" not in report
