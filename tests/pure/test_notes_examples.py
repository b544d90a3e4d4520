"""The example notes: the shared English one with every line accounted for, and its translations.

tests/pure/notes/tcp-open-close-en.md is the issue's shared example, copied
as it is; the Korean, Chinese, Japanese and Spanish notes say the same with
their own prose, headers (``구분 | 절차 | 설명``), participants, spellings
(``FIN_WAIT1``, ``SYN_RCVD``) and a last close row whose role cell is empty.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO

from lab import NoteError
from lab.notes import Note, explain, load_note, read_note
from lab.notes._markdown import read_markdown
from lab.notes._mermaid import read_sequence_diagram
from lab.tcp import Action, DocumentedSegment, TcpState
from lab.tcp._spec import ScriptItem, StateClaim, TimerPassed, Unchecked

NOTES = REPO / "tests" / "pure" / "notes"
ENGLISH = NOTES / "tcp-open-close-en.md"
TRANSLATIONS = sorted(p for p in NOTES.glob("tcp-open-close-*.md") if p != ENGLISH)


def claim(item: ScriptItem) -> tuple[object, ...]:
    """What a script item claims, without where it is written."""
    if isinstance(item, Action):
        return ("action", item.actor, item.verb)
    if isinstance(item, DocumentedSegment):
        return ("segment", item.sender, item.receiver, item.flags, item.absent, item.data)
    if isinstance(item, StateClaim):
        return ("state", item.role, item.state)
    if isinstance(item, TimerPassed):
        return ("timer", item.role)
    assert isinstance(item, Unchecked)
    return ("unchecked",)


def diagram_claims(note: Note) -> list[object]:
    return [
        (
            d.kind,
            d.scenario.setup,
            [claim(i) for i in d.scenario.script if not isinstance(i, Unchecked)],
        )
        for d in note.diagrams
    ]


def table_claims(note: Note) -> list[object]:
    return [
        (
            [(o.role, [s for s, _ in o.states]) for o in t.orders],
            [f.flag for f in t.flags],
            [bool(r.description) for r in t.rows],
        )
        for t in note.tables
    ]


def accounted_lines(path: Path, note: Note) -> tuple[set[int], set[int]]:
    """(lines of the note's diagrams and tables, those of them read as something)."""
    markdown = read_markdown(path.read_text(encoding="utf-8"))
    blocks: set[int] = set()
    read: set[int] = set()
    for fence in markdown.fences:
        blocks |= {line.number for line in fence.lines if line.text.strip()}
        read |= set(read_sequence_diagram(fence.lines).structure)
    for table in markdown.tables:
        blocks |= {table.header.line, *(row.line for row in table.rows)}
        read.add(table.header.line)
    for diagram in note.diagrams:
        read |= {line for item in diagram.scenario.script if (line := _line(item))}
    for compiled in note.tables:
        read |= {r.source.line for r in compiled.rows if r.unchecked is None}
    return blocks, read


def _line(item: ScriptItem) -> int | None:
    """The line a script item is written at; None for inferred actions."""
    if isinstance(item, Action) or item.source is None:
        return None
    return item.source.line


def test_the_english_note_compiles_with_every_line_accounted_for() -> None:
    note = load_note(ENGLISH)
    assert note.warnings == ()
    assert note.skipped == ()
    blocks, read = accounted_lines(ENGLISH, note)
    assert blocks - read == set()
    unchecked = [i for d in note.diagrams for i in d.scenario.script if isinstance(i, Unchecked)]
    assert unchecked == []
    assert all(r.unchecked is None for t in note.tables for r in t.rows)


def test_the_english_note_compiles_to_the_documented_open_and_close() -> None:
    note = load_note(ENGLISH)
    opening, closing = note.diagrams
    assert (opening.label, opening.scenario.title) == (
        "L12-25 open",
        "Opening: the three-way handshake",
    )
    assert (closing.label, closing.because) == (
        "L36-52 close",
        "Alice sends the first FIN, so it closes first",
    )
    assert [str(s) for s in closing.scenario.segments] == [
        "client -> server FIN",
        "server -> client ACK",
        "server -> client FIN",
        "client -> server ACK",
    ]
    assert [str(a) for a in closing.scenario.setup] == [
        "server listens",
        "client connects",
        "server accepts",
    ]
    assert [t.scenario for t in note.tables] == ["L12-25", "L36-52", "L36-52"]
    assert [f.flag.label for f in note.tables[2].flags] == [
        "SYN",
        "ACK",
        "FIN",
        "RST",
        "PSH",
        "URG",
    ]
    assert note.spellings[TcpState.SYN_RECEIVED] == "SYN-RECEIVED"


@pytest.mark.parametrize("path", TRANSLATIONS, ids=lambda p: p.stem)
def test_translations_compile_to_the_same_claims(path: Path) -> None:
    english, translated = load_note(ENGLISH), load_note(path)
    assert translated.warnings == ()
    assert diagram_claims(translated) == diagram_claims(english)
    assert len(translated.tables) == 3
    reference = load_note(TRANSLATIONS[0])
    assert table_claims(translated) == table_claims(reference)
    # The empty role cell of the last close row: CLOSED for every end, after its other states.
    close = translated.tables[1]
    assert close.rows[-1].role is None
    assert [(o.role, [s for s, _ in o.states][-1]) for o in close.orders] == [
        ("client", TcpState.CLOSED),
        ("server", TcpState.CLOSED),
    ]
    blocks, read = accounted_lines(path, translated)
    assert blocks - read == set()


def test_the_korean_note_keeps_its_own_spelling() -> None:
    note = load_note(NOTES / "tcp-open-close-ko.md")
    assert note.spellings[TcpState.FIN_WAIT_1] == "FIN_WAIT1"
    assert note.spellings[TcpState.SYN_RECEIVED] == "SYN_RCVD"
    assert next((o.role, o.states[0][1].text) for o in note.tables[1].orders) == (
        "client",
        "| Client | FIN_WAIT1 | 애플리케이션이 close() 호출, FIN 전송 |",
    )


def test_explain_shows_the_roles_the_script_and_the_tables() -> None:
    text = explain(load_note(ENGLISH))
    assert text.splitlines()[0] == f"{ENGLISH}: Opening and closing a TCP connection"
    for line in [
        "diagram L12-25 open (lines 12-25): Opening: the three-way handshake",
        "  roles: Alice = client, Bob = server (Alice sends the first SYN)",
        "  setup: server listens, client connects, server accepts",
        "    -      Bob (server) listens",
        "    L17    server is LISTEN",
        "    L18    client -> server SYN",
        "    -      Alice (client) closes",
        "table (lines 27-32), checked against L12-25: Side | State | What happens",
        "  client enters, in order: SYN-SENT (L29) → ESTABLISHED (L31)",
        "  L72    URG is sent (by some segment of the note's runs)",
    ]:
        assert line in text.splitlines()


def test_explain_says_what_was_skipped_and_warned(tmp_path: Path) -> None:
    path = tmp_path / "odd.md"
    path.write_text(
        "```mermaid\nflowchart LR\n  A-->B\n```\n\n"
        "```mermaid\nsequenceDiagram\nA->>B: SYN\nNote over A: SYN_SEND\nwhat\n```\n"
    )
    text = explain(load_note(path))
    assert "skipped:\n  lines 1-4, mermaid diagram: a mermaid flowchart" in text
    assert "warnings:\n  line 9: 'SYN_SEND' is not a TCP state" in text
    assert "  line 10: mermaid statement 'what' is not understood" in text


@pytest.mark.parametrize("suffix", [".md", ".markdown", ".txt", ""])
def test_a_note_in_a_file_of_any_extension_is_read(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"note{suffix}"
    path.write_text("```mermaid\nsequenceDiagram\nA->>B: SYN\nB->>A: SYN+ACK\n```\n")
    note = load_note(path)
    assert note.source == str(path)
    assert len(note.scenarios) == 1


def test_a_file_that_is_no_note_is_one_note_error(tmp_path: Path) -> None:
    with pytest.raises(NoteError, match="there is no such file; check the path"):
        load_note(tmp_path / "missing.md")


def test_the_benchmark_runs_and_meets_its_target() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "bench_notes.py"),
            "--notes",
            "10",
            "--rounds",
            "1",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "markdown-it" in done.stdout
    assert "target: 100 notes in under 1 s" in done.stdout


def test_explain_of_a_note_with_nothing_tcp_says_so() -> None:
    text = explain(read_note("# Just prose\n\nNo diagrams here.\n", "prose.md"))
    assert text == (
        "prose.md: Just prose\n"
        "  nothing TCP here: no mermaid sequence diagram with TCP flags and no table of states "
        "or flags"
    )
