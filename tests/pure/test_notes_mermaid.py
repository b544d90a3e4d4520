"""Mermaid sequence diagrams as people write them; what cannot be read is a problem, no crash."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.notes._markdown import Line
from lab.notes._mermaid import (
    ARROWS,
    SEQUENCE,
    DiagramNote,
    Message,
    Participant,
    SequenceDiagram,
    decode_text,
    read_sequence_diagram,
)

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def diagram(text: str, first: int = 1) -> SequenceDiagram:
    """The diagram in `text`, its first line numbered `first`."""
    return read_sequence_diagram([Line(first + i, t) for i, t in enumerate(text.splitlines())])


def messages(text: str) -> list[Message]:
    return [e for e in diagram(text).events if isinstance(e, Message)]


def notes(text: str) -> list[DiagramNote]:
    return [e for e in diagram(text).events if isinstance(e, DiagramNote)]


@pytest.mark.parametrize("arrow", ARROWS)
def test_every_arrow_is_a_message(arrow: str) -> None:
    [message] = messages(f"sequenceDiagram\nAlice{arrow}Bob: SYN")
    assert (message.sender, message.receiver, message.arrow, message.text) == (
        "Alice",
        "Bob",
        arrow,
        "SYN",
    )


@pytest.mark.parametrize(
    ("line", "sender", "receiver", "text"),
    [
        ("A->>+B: SYN", "A", "B", "SYN"),  # activation
        ("B-->>-A: SYN+ACK", "B", "A", "SYN+ACK"),  # deactivation
        ("A ->> B : ACK", "A", "B", "ACK"),  # spaces
        ("Client App->>Server-1: SYN", "Client App", "Server-1", "SYN"),  # spaces, dashes
        ("s ->> s : listen()", "s", "s", "listen()"),  # to itself
        ("A->>B", "A", "B", ""),  # no text
        ("A->>B: CLOSED -> SYN_SENT: x", "A", "B", "CLOSED -> SYN_SENT: x"),  # arrows in text
        ("Alt->>B: SYN", "Alt", "B", "SYN"),  # a keyword as a name
        ("A-XB: RST", "A", "B", "RST"),
    ],
)
def test_messages_keep_names_and_text(line: str, sender: str, receiver: str, text: str) -> None:
    [message] = messages(f"sequenceDiagram\n{line}")
    assert (message.sender, message.receiver, message.text) == (sender, receiver, text)
    assert message.line == 2


def test_participants_by_declaration_alias_and_use_in_order() -> None:
    read = diagram(
        "sequenceDiagram\n"
        "    participant C as Client<br/>App\n"
        "    actor S\n"
        '    participant DB@{ "type": "database" }\n'
        "    create participant K as Kernel\n"
        "    C->>X: SYN\n"
    )
    assert read.participants == (
        Participant("C", "Client\nApp", 2),
        Participant("S", "S", 3),
        Participant("DB", "DB", 4),
        Participant("K", "Kernel", 5),
        Participant("X", "X", None),  # declared by use
    )
    assert read.participant("C") == read.participants[0]
    assert read.participant("Client") is None  # messages use the id, as mermaid does


@pytest.mark.parametrize(
    ("line", "placement", "over", "text"),
    [
        ("Note left of Alice: SYN-SENT", "left of", ("Alice",), "SYN-SENT"),
        ("Note right of Bob: LISTEN", "right of", ("Bob",), "LISTEN"),
        ("Note over Alice,Bob: ESTABLISHED", "over", ("Alice", "Bob"), "ESTABLISHED"),
        ("note over Alice, Bob : a &gt; b", "over", ("Alice", "Bob"), "a > b"),
        ("NOTE   LEFT   OF A: x<br/>y", "left of", ("A",), "x\ny"),
    ],
)
def test_notes(line: str, placement: str, over: tuple[str, ...], text: str) -> None:
    [note] = notes(f"sequenceDiagram\n{line}")
    assert (note.placement, note.over, note.text) == (placement, over, text)


def test_structure_is_read_and_kept_apart_from_what_is_checked() -> None:
    text = """\
%%{init: {"theme": "dark"}}%%
sequenceDiagram
    title: Opening
    autonumber
    %% a comment
    participant A
    activate A
    rect rgb(200, 220, 255)
    loop every second
    A->>B: SYN
    end
    end
    deactivate A
    opt optional
    par one
    A->>B: ACK
    and two
    B->>A: ACK
    end
    end
    critical
    B->>A: FIN
    end
    break
    A->>B: RST
    end
    box Aqua Group
    participant Z
    end
"""
    read = diagram(text)
    assert read.kind == SEQUENCE
    assert read.title == "Opening"
    assert read.problems == ()
    assert [m.text for m in messages(text)] == ["SYN", "ACK", "ACK", "FIN", "RST"]
    checked = {e.line for e in read.events}
    assert set(read.structure) | checked == set(range(1, 30))  # every line read as something
    assert not set(read.structure) & checked


def test_front_matter_title_and_statements_split_at_semicolons() -> None:
    read = diagram("---\ntitle: Handshake\n---\nsequenceDiagram\nA->>B: SYN; B->>A: SYN#59;ACK")
    assert read.title == "Handshake"
    assert [(m.line, m.text) for m in messages("sequenceDiagram\nA->>B: SYN; B->>A: x#59;y")] == [
        (2, "SYN"),
        (2, "x;y"),
    ]


def test_later_branches_of_alt_and_critical_are_alternatives() -> None:
    text = """\
sequenceDiagram
alt port open
    B->>A: SYN+ACK
else port closed
    B->>A: RST
end
par
    A->>B: data
and
    B->>A: data
end
"""
    assert [(m.text, m.alternative) for m in messages(text)] == [
        ("SYN+ACK", False),
        ("RST", True),
        ("data", False),
        ("data", False),  # par's branches run beside each other
    ]


@pytest.mark.parametrize(
    ("text", "decoded"),
    [
        ("SYN&#43;ACK", "SYN+ACK"),
        ("a #59; b", "a ; b"),
        ("#gt; &lt;x&gt;", "> <x>"),
        ("a<br/>b<BR>c<br />d", "a\nb\nc\nd"),
        ("#99999999;", "#99999999;"),
        ("&bogus; #bogus;", "&bogus; #bogus;"),
    ],
)
def test_entities_and_line_breaks(text: str, decoded: str) -> None:
    assert decode_text(text) == decoded


def test_what_cannot_be_read_is_a_problem_at_its_line() -> None:
    read = diagram(
        "sequenceDiagram\nA->>B: SYN\nthis is prose\nend\nelse\nloop forever\n", first=10
    )
    assert [(p.line, p.message.split(" ", 3)[:3]) for p in read.problems] == [
        (12, ["mermaid", "statement", "'this"]),
        (13, ["'end'", "closes", "no"]),
        (14, ["'else'", "is", "outside"]),
        (15, ["'loop'", "opened", "here"]),
    ]
    assert "write a message (A->>B: SYN)" in read.problems[0].message
    assert [m.text for m in messages("sequenceDiagram\nA->>B: SYN\nthis is prose")] == ["SYN"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("flowchart LR\nA --> B", "flowchart"),
        ("stateDiagram-v2\n[*] --> CLOSED", "stateDiagram-v2"),
    ],
)
def test_other_diagrams_say_what_they_are(text: str, kind: str) -> None:
    read = diagram(text)
    assert (read.kind, read.events) == (kind, ())


def test_an_empty_block_is_no_diagram() -> None:
    assert diagram("\n%% only a comment\n").kind == ""


MERMAID_WORDS = st.sampled_from(
    [
        "sequenceDiagram",
        "participant",
        "actor",
        " as ",
        "Note",
        " over ",
        "left of",
        ":",
        ",",
        ";",
        "->>",
        "-->>",
        "-x",
        "--)",
        "+",
        "-",
        "alt",
        "else",
        "end",
        "loop",
        "%%",
        "#59;",
        "&gt;",
        "<br/>",
        "SYN",
        "ACK",
        "A",
        "B",
        "---",
        "title",
        "\n",
        " ",
    ]
)


@FAST
@given(st.lists(st.one_of(MERMAID_WORDS, st.text(max_size=5)), max_size=40).map("".join))
def test_any_text_reads_without_an_exception(text: str) -> None:
    read = diagram(text)
    assert all(problem.line >= 1 for problem in read.problems)


@FAST
@given(st.text(max_size=300))
def test_random_text_reads_without_an_exception(text: str) -> None:
    diagram(f"sequenceDiagram\n{text}")
