"""State machines in notes, judged on the kernel arrow by arrow, at their lines (IPv4 and IPv6).

A mermaid stateDiagram (or a flowchart of TCP states) claims the transitions it draws;
`lab check` runs lab's own scenarios that take them and judges each arrow against the
edges the kernel took: ok, fail with what the kernel does instead, timer, or unchecked.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from support import REPO, lab_cli

from lab._notecheck import NoteCheck, check_note

VARIETY = REPO / "tests" / "kernel" / "notes" / "variety4"


def written(folder: Path, text: str, name: str = "note.md") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def line_of(path: Path, text: str) -> int:
    """The 1-based line of `path` that holds `text`."""
    lines = path.read_text().splitlines()
    return next(n for n, line in enumerate(lines, start=1) if text in line)


def verdicts(check: NoteCheck) -> dict[int, set[str]]:
    """Each line's verdicts, over both families."""
    found: dict[int, set[str]] = {}
    for claim in check.claims:
        found.setdefault(claim.line, set()).add(claim.verdict)
    return found


WHOLE_CLOSE = """
    # The close, as a state machine

    ```mermaid
    stateDiagram-v2
        direction LR
        ESTABLISHED --> FIN_WAIT_1 : close() / snd FIN
        ESTABLISHED --> CLOSE_WAIT : rcv FIN / snd ACK
        FIN_WAIT_1 --> FIN_WAIT_2 : rcv ACK of FIN
        FIN_WAIT_1 --> CLOSING : rcv FIN / snd ACK
        FIN_WAIT_1 --> TIME_WAIT : rcv FIN+ACK / snd ACK
        FIN_WAIT_2 --> TIME_WAIT : rcv FIN / snd ACK
        CLOSING --> TIME_WAIT : rcv ACK of FIN
        CLOSE_WAIT --> LAST_ACK : close() / snd FIN
        LAST_ACK --> CLOSED : rcv ACK of FIN
        TIME_WAIT --> CLOSED : 2MSL (60 s on Linux)
        CLOSED --> [*]
    ```
"""


def test_a_right_state_diagram_of_the_whole_close_passes_arrow_by_arrow(tmp_path: Path) -> None:
    note = written(tmp_path, WHOLE_CLOSE)
    check = check_note(note)
    report = check.report()
    assert check.ok, report
    timer = line_of(note, "TIME_WAIT --> CLOSED")
    found = verdicts(check)
    assert sorted(found) == list(range(6, 17)), report
    # Every arrow is ok; TIME-WAIT's end waits for its timer (--wait-timers waits 60 s).
    assert {line: v for line, v in found.items() if v != {"ok"}} == {timer: {"timer"}}, report
    assert {c.family for c in check.claims} == {"IPv4", "IPv6"}
    assert {c.kind for c in check.claims} == {"edge"}
    assert "simultaneous-close" in check.plan.why  # CLOSING is taken by lab's own scenario


BASE = """
    # One arrow planted wrong

    ```mermaid
    stateDiagram-v2
        ESTABLISHED --> FIN_WAIT_1 : close / FIN
        {planted}
        FIN_WAIT_2 --> TIME_WAIT : rcv FIN / snd ACK
    ```
"""


@pytest.mark.parametrize(
    ("planted", "reason"),
    [
        pytest.param(
            "ESTABLISHED --> LISTEN : close",
            "RFC 9293 has no edge ESTABLISHED → LISTEN, and the kernel takes none; "
            "from ESTABLISHED it goes to FIN-WAIT-1",
            id="no-such-edge",
        ),
        pytest.param(
            "ESTABLISHED --> CLOSE_WAIT : send FIN",
            "the label says sends FIN, but the kernel goes ESTABLISHED → CLOSE-WAIT when it "
            "receives FIN, and sends ACK (scenarios close",
            id="wrong-event",
        ),
        pytest.param(
            "TIME_WAIT --> CLOSED : 30s",
            "Linux holds TIME-WAIT for 60 s (TCP_TIMEWAIT_LEN; ss -o showed timewait,",
            id="time-wait-30s",
        ),
        pytest.param(
            "LISTEN --> SYN_SENT : send SYN",
            "Linux cannot take LISTEN → SYN-SENT: connect() on a listening socket fails with "
            "EISCONN",
            id="listen-send",
        ),
    ],
)
def test_a_wrong_arrow_fails_at_its_line_alone_saying_what_the_kernel_does(
    tmp_path: Path, planted: str, reason: str
) -> None:
    note = written(tmp_path, BASE.replace("{planted}", planted))
    check = check_note(note)
    report = check.report()
    assert check.lines("fail") == [line_of(note, planted)], report
    failed = [c for c in check.claims if c.verdict == "fail"]
    assert {c.family for c in failed} == {"IPv4", "IPv6"}
    assert all(c.detail.startswith(reason) for c in failed), report
    assert reason.split(",", maxsplit=1)[0] in report


def test_every_planted_error_of_one_note_fails_there_and_only_there(tmp_path: Path) -> None:
    note = written(
        tmp_path,
        """
        # Planted errors

        ```mermaid
        stateDiagram-v2
            [*] --> CLOSED
            ESTABLISHED --> LISTEN : close
            ESTABLISHED --> CLOSE_WAIT : send FIN
            TIME_WAIT --> CLOSED : 30s
            LISTEN --> SYN_SENT : send SYN
            SYN_SENT --> SYN_RCVD : rcv SYN / snd SYN+ACK
            LAST_ACK --> CLOSED : rcv ACK
        ```
        """,
    )
    check = check_note(note)
    found = verdicts(check)
    assert check.lines("fail") == [6, 7, 8, 9], check.report()
    assert found[5] == found[10] == found[11] == {"ok"}
    # Simultaneous open, RFC 9293's snd SYN,ACK: shown by lab's own scenario of it.
    assert all("simultaneous-open" in c.scenario for c in check.claims if c.line == 10)


def test_a_chinese_flowchart_with_numbered_nodes_fails_at_its_30_seconds() -> None:
    note = VARIETY / "zh-flowchart-timewait-30s.md"
    check = check_note(note)
    line = line_of(note, '5 -- "等待 30s" --> 1')
    assert check.lines("fail") == [line], check.report()
    assert check.lines("ok") == [n for n in range(15, 22) if n != line]
    [reason] = {c.detail for c in check.claims if c.line == line}
    assert reason.startswith("Linux holds TIME-WAIT for 60 s")
    assert reason.endswith("not 30s")


MIXED = """
    # The open, then its states

    ```mermaid
    sequenceDiagram
        participant C as Client
        participant S as Server
        Note over S: LISTEN
        C->>S: SYN
        Note over C: SYN_SENT
        S->>C: SYN+ACK
        C->>S: ACK
        Note over C,S: ESTABLISHED
    ```

    The same, as the states each end goes through:

    ```mermaid
    stateDiagram-v2
        CLOSED --> SYN_SENT : connect / SYN
        SYN_SENT --> ESTABLISHED : rcv SYN+ACK / snd ACK
        LISTEN --> SYN_RCVD : rcv SYN / snd SYN+ACK
        SYN_RCVD --> ESTABLISHED : rcv ACK
        ESTABLISHED --> CLOSED : rcv FIN
    ```
"""


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, NoteCheck]:
    """A note with a sequence diagram and a state diagram (one arrow wrong), checked once."""
    note = written(tmp_path_factory.mktemp("mixed"), MIXED)
    return note, check_note(note)


def test_a_note_mixing_a_sequence_and_a_state_diagram_judges_both(
    mixed: tuple[Path, NoteCheck],
) -> None:
    note, check = mixed
    report = check.report()
    wrong = line_of(note, "ESTABLISHED --> CLOSED : rcv FIN")
    assert check.lines("fail") == [wrong], report
    kinds = {c.line: c.kind for c in check.claims}
    assert {kinds[n] for n in range(7, 13)} == {"message", "state"}
    assert {kinds[n] for n in range(19, 24)} == {"edge"}
    assert next(c.scenario for c in check.claims if c.line == 8) == "L3-13"
    # The kernel's own edges out of ESTABLISHED to CLOSED: a RST received, an abort.
    [reason] = {c.detail for c in check.claims if c.line == wrong}
    assert reason.startswith("the label says receives FIN, but the kernel goes ESTABLISHED → ")
    assert "when it receives RST" in reason
    assert "lines 17-24, state diagram (stateDiagram-v2)" in report
    assert "lines 3-13, diagram (open)" in report


def test_the_json_and_explain_carry_each_arrow(mixed: tuple[Path, NoteCheck]) -> None:
    note, check = mixed
    data = json.loads(json.dumps(check.to_json()))
    assert data["state_diagrams"] == [{"lines": [17, 24], "kind": "stateDiagram-v2", "edges": 5}]
    edges = [c for c in data["claims"] if c["kind"] == "edge"]
    assert sorted({c["line"] for c in edges}) == [19, 20, 21, 22, 23]
    assert {(c["line"], c["verdict"]) for c in edges if c["family"] == "IPv6"} == {
        (19, "ok"),
        (20, "ok"),
        (21, "ok"),
        (22, "ok"),
        (23, "fail"),
    }
    first = next(c for c in edges if c["line"] == 19)
    assert first["documented"] == "CLOSED → SYN-SENT on connects, sends SYN"
    assert first["text"] == "CLOSED --> SYN_SENT : connect / SYN"
    done = lab_cli("check", str(note), "--explain")
    assert done.returncode == 0, done.stderr
    assert "L23    ESTABLISHED → CLOSED: 'rcv FIN' = FIN received" in done.stdout
    listed = lab_cli("check", str(note), "--list")
    assert listed.stdout.splitlines()[1:] == [
        "  L3-13 open: The open, then its states",
        "  L17-24 state diagram: a stateDiagram-v2 of 5 arrows",
    ]


def test_the_pytest_plugin_makes_an_item_of_a_state_diagram(
    pytester: pytest.Pytester, mixed: tuple[Path, NoteCheck]
) -> None:
    note, _ = mixed
    docs = pytester.path / "docs"
    docs.mkdir()
    (docs / "mixed.md").write_text(note.read_text())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--lab-notes", "docs", "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["docs/mixed.md::L3-13 open PASSED*", "docs/mixed.md::L17-24 state diagram FAILED*"],
        consecutive=False,
    )
    output = result.stdout.str()
    assert "FAIL: the note and the kernel disagree at line(s) 23" in output
    assert "Traceback" not in output
