"""`lab check NOTE.md` on the kernel: the shared note, planted errors, rewrites, the outputs.

The shared English note (tests/pure/notes/tcp-open-close-en.md, a copy of the
study note the issue names) must pass with every line judged; each planted
error must fail at its own line and nowhere else; notes that say the same thing
in other words must pass.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import REPO, lab_cli

from lab._notecheck import NoteCheck, check_note
from lab.notes import read_note
from lab.tcp import ObservedSegment, TcpFlag

NOTES = REPO / "tests" / "pure" / "notes"
SHARED = NOTES / "tcp-open-close-en.md"
REWRITES = sorted((REPO / "tests" / "kernel" / "notes").glob("rewrite-*.md"))
EXAMPLE = REPO / "examples" / "notes" / "tcp-connection.md"


@pytest.fixture(scope="module")
def shared() -> NoteCheck:
    return check_note(SHARED)


def test_the_shared_note_passes_with_every_claim_line_judged(shared: NoteCheck) -> None:
    assert shared.ok, shared.report()
    judged = {claim.line for claim in shared.claims}
    claim_lines = {
        n
        for n, line in enumerate(SHARED.read_text().splitlines(), start=1)
        if ("->>" in line or "Note " in line or line.startswith("| ")) and "Side" not in line
    }
    claim_lines -= {
        n for n in claim_lines if SHARED.read_text().splitlines()[n - 1].startswith("| Flag")
    }
    assert claim_lines <= judged
    assert {claim.family for claim in shared.claims} == {"IPv4", "IPv6"}
    assert {claim.verdict for claim in shared.claims} <= {"ok"}


@dataclass(frozen=True)
class Planted:
    """One error planted in a copy of the shared note: replace `old` at `line` with `new`."""

    what: str
    line: int
    old: str
    new: str
    fails_at: frozenset[int]
    """The lines the report may blame (a removed segment belongs between two lines)."""
    also: tuple[tuple[int, str, str], ...] = ()
    """Other edits that are not errors (numbers added so that a wrong ack= can be planted)."""


PLANTED = [
    Planted("a wrong state", 19, "SYN-SENT", "ESTABLISHED", frozenset({19})),
    Planted("a precondition that is wrong", 17, "LISTEN", "SYN-RECEIVED", frozenset({17})),
    Planted("SYN+ACK written as a bare ACK", 20, "SYN, ACK", "ACK", frozenset({20})),
    Planted(
        "the client's last ACK of the open left out",
        22,
        "    Alice->>Bob: ACK",
        "",
        frozenset({20, 21, 22}),
    ),
    Planted("a wrong state in the close", 45, "CLOSE-WAIT", "FIN-WAIT-2", frozenset({45})),
    Planted(
        "the server's ACK drawn the wrong way", 44, "Bob->>Alice", "Alice->>Bob", frozenset({44})
    ),
    Planted("FIN-WAIT-2 written CLOSING", 46, "FIN-WAIT-2", "CLOSING", frozenset({46})),
    Planted(
        "a table row with a state the open never has",
        30,
        "SYN-RECEIVED",
        "CLOSE-WAIT",
        frozenset({30}),
    ),
    Planted(
        "two table rows swapped",
        56,
        "| Alice | FIN-WAIT-1 | application closed; FIN sent                       |",
        "| Alice | FIN-WAIT-2 | her FIN is acknowledged; waits for Bob's FIN       |",
        frozenset({56, 58}),
        also=(
            (
                58,
                "| Alice | FIN-WAIT-2 | her FIN is acknowledged; waits for Bob's FIN       |",
                "| Alice | FIN-WAIT-1 | application closed; FIN sent                       |",
            ),
        ),
    ),
    Planted(
        "a wrong ack=",
        20,
        "SYN, ACK",
        "SYN, ACK ack=100",
        frozenset({20}),
        also=((18, "Alice->>Bob: SYN", "Alice->>Bob: SYN seq=100"),),
    ),
]


def planted_copy(planted: Planted, folder: Path) -> Path:
    lines = SHARED.read_text().splitlines()
    for line, old, new in ((planted.line, planted.old, planted.new), *planted.also):
        assert old in lines[line - 1], (line, lines[line - 1])
        lines[line - 1] = lines[line - 1].replace(old, new)
    if not planted.new and not lines[planted.line - 1].strip():
        del lines[planted.line - 1]  # a removed line: the lines below move up
    path = folder / f"planted-{planted.line}.md"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("planted", PLANTED, ids=[p.what for p in PLANTED])
def test_a_planted_error_fails_at_its_line_and_nowhere_else(
    planted: Planted, tmp_path: Path
) -> None:
    result = check_note(planted_copy(planted, tmp_path))
    failed = {claim.line for claim in result.claims if claim.verdict == "fail"}
    assert failed, result.report()
    assert failed <= planted.fails_at, result.report()
    assert not result.ok


@pytest.mark.parametrize("note", REWRITES, ids=[p.stem for p in REWRITES])
def test_a_note_that_says_the_same_in_other_words_passes(note: Path) -> None:
    result = check_note(note)
    assert result.ok, result.report()
    assert not [c for c in result.claims if c.verdict == "fail"]


def test_the_example_note_of_the_repository_passes_with_its_timer_said(tmp_path: Path) -> None:
    result = check_note(EXAMPLE)
    assert result.ok, result.report()
    timers = [c for c in result.claims if c.verdict == "timer"]
    assert timers
    assert all("TIME-WAIT" in c.observed or "TIME-WAIT" in c.detail for c in timers)


def test_the_cli_exits_1_at_a_planted_error_and_quotes_its_line(tmp_path: Path) -> None:
    path = planted_copy(PLANTED[0], tmp_path)
    out = tmp_path / "check.json"
    done = lab_cli("check", str(path), "--json", str(out))
    assert done.returncode == 1, done.stderr
    assert "Note left of Alice: ESTABLISHED" in done.stdout
    data = json.loads(out.read_text())
    assert data["ok"] is False
    assert data["note"] == str(path)
    failed = [c for c in data["claims"] if c["verdict"] == "fail"]
    assert {c["line"] for c in failed} == {19}
    assert {c["family"] for c in failed} == {"IPv4", "IPv6"}
    for claim in data["claims"]:
        assert set(claim) >= {"line", "text", "kind", "verdict", "family", "documented", "observed"}
        assert claim["kind"] in {"message", "state", "table-row", "flag"}


def test_the_json_and_the_report_agree(shared: NoteCheck) -> None:
    report = shared.report()
    data = shared.to_json()
    rows: dict[int, str] = {}
    for row in report.splitlines():
        parts = row.split()
        if row.startswith("  ") and len(parts) >= 2 and parts[0].isdigit():
            rows[int(parts[0])] = parts[1]
    verdicts: dict[int, set[str]] = {}
    for claim in data["claims"]:  # type: ignore[attr-defined]
        verdicts.setdefault(claim["line"], set()).add(claim["verdict"])
    assert set(rows) == set(verdicts)
    shown = {"ok": "ok", "fail": "FAIL", "timer": "timer", "unchecked": "unchecked"}
    rank = ["fail", "timer", "ok", "unchecked"]
    for number, found in verdicts.items():
        assert rows[number] == shown[min(found, key=rank.index)], number


def test_the_mermaid_of_a_run_read_back_and_checked_again_passes(
    shared: NoteCheck, tmp_path: Path
) -> None:
    text = shared.mermaid()
    note = tmp_path / "from-the-kernel.md"
    note.write_text(f"# What the kernel did\n\n{text}\n")
    assert len(read_note(note.read_text(), str(note)).diagrams) == 2
    again = check_note(note)
    assert again.ok, again.report()


def test_nothing_tcp_is_exit_2_and_says_what_was_looked_for(tmp_path: Path) -> None:
    note = tmp_path / "http.md"
    note.write_text(
        "# HTTP\n\n```mermaid\nsequenceDiagram\n    Browser->>Server: GET /\n"
        "    Server-->>Browser: 200 OK\n```\n"
    )
    done = lab_cli("check", str(note))
    assert done.returncode == 2
    assert "nothing TCP" in done.stderr
    assert "sequenceDiagram" in done.stderr
    missing = lab_cli("check", str(tmp_path / "absent.md"))
    assert missing.returncode == 2
    assert "absent.md" in missing.stderr


def test_a_script_the_sockets_cannot_follow_is_judged_with_its_reason(tmp_path: Path) -> None:
    note = tmp_path / "reset-first.md"
    note.write_text(
        "```mermaid\nsequenceDiagram\n    A->>B: RST\n    B->>A: SYN\n"
        "    A->>B: SYN, ACK\n    B->>A: ACK\n```\n"
    )
    result = check_note(note)  # no exception: the claims are judged, the reason said
    assert result.lines("fail") == [3, 4, 5, 6]
    (reasons,) = result.stopped.values()
    assert all("aborts' could not be done" in r and "no connection yet" in r for r in reasons)
    assert "the script stopped early, IPv4: 'A aborts' could not be done" in result.report()
    done = lab_cli("check", str(note))
    assert done.returncode == 1, done.stderr


def test_states_after_a_par_block_of_crossing_fins_pass(tmp_path: Path) -> None:
    note = tmp_path / "par.md"
    note.write_text(
        "```mermaid\nsequenceDiagram\n    Note over A,B: ESTABLISHED\n    par both close\n"
        "        A->>B: FIN\n    and\n        B->>A: FIN\n    end\n"
        "    Note over A: FIN_WAIT_1\n    Note over B: FIN_WAIT_1\n"
        "    Note over A,B: CLOSING\n    A->>B: ACK\n    B->>A: ACK\n"
        "    Note over A,B: TIME_WAIT\n```\n"
    )
    result = check_note(note)
    assert result.ok, result.report()
    assert result.lines("ok") == [3, 5, 7, 9, 10, 11, 12, 13, 14]


def test_a_segment_drawn_lost_is_dropped_and_its_retransmission_judged(tmp_path: Path) -> None:
    note = tmp_path / "lost.md"
    note.write_text(
        "```mermaid\nsequenceDiagram\n    participant C\n    participant S\n"
        "    Note over S: LISTEN\n    C-xS: SYN\n    Note left of C: SYN_SENT\n"
        "    C->>S: SYN\n    S->>C: SYN, ACK\n    C->>S: ACK\n    Note over C,S: ESTABLISHED\n```\n"
    )
    result = check_note(note)
    assert result.ok, result.report()
    lost = [c for c in result.claims if c.line == 6]
    assert all("dropped" in c.observed and "lost" in c.documented for c in lost)
    retransmitted = result.records("L1-12")[0].timeline
    syns = [s for s in retransmitted if isinstance(s, ObservedSegment) and s.flags == TcpFlag.SYN]
    assert [s.dropped for s in syns] == [True, False]
    assert syns[0].seq == syns[1].seq  # the same SYN, sent again on TCP's timer
