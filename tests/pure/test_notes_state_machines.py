"""State machines in notes: stateDiagrams and flowcharts read, labels read, arrows claimed."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lab.notes import explain, read_note, render_note_report
from lab.notes._edge_labels import read_edge_label
from lab.notes._markdown import Line
from lab.notes._mermaid_graph import Graph, read_graph
from lab.tcp import ClaimVerdict, EdgeClaim, PartKind, TcpFlag, TcpState

S = TcpState
A, F, R = TcpFlag.ACK, TcpFlag.FIN, TcpFlag.RST
SYN = TcpFlag.SYN
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def graph(text: str) -> Graph:
    """The graph of `text`, its first line numbered 1."""
    lines = textwrap.dedent(text).strip("\n").splitlines()
    return read_graph([Line(n, t) for n, t in enumerate(lines, start=1)])


def arrows(text: str) -> list[tuple[int, str, str, str]]:
    """Each arrow as (line, the source's label, the target's label, its label)."""
    read = graph(text)
    return [(a.line, read.label(a.source), read.label(a.target), a.label) for a in read.arrows]


def edges(body: str) -> tuple[EdgeClaim, ...]:
    note = read_note("```mermaid\n" + textwrap.dedent(body).strip() + "\n```\n", "note.md")
    return note.edges


# --- mermaid's syntax --------------------------------------------------------------------------


def test_a_state_diagram_s_transitions_markers_and_names() -> None:
    read = graph("""
        stateDiagram-v2
            direction LR
            [*] --> CLOSED
            state "SYN-RECEIVED" as SYN_RCVD
            state SYN_SENT as "SYN SENT"
            CLOSED --> LISTEN : listen
            LISTEN --> SYN_RCVD : rcv SYN / snd SYN,ACK
            FIN-WAIT-1-->FIN-WAIT-2
            ESTABLISHED:::hot --> CLOSE_WAIT : rcv FIN; snd ACK
            TIME_WAIT --> [*]
            CLOSED : the start
            classDef hot fill:#f00
    """)
    assert read.kind == "stateDiagram-v2"
    assert [(a.line, read.label(a.source), read.label(a.target), a.label) for a in read.arrows] == [
        (3, "[*]", "CLOSED", ""),
        (6, "CLOSED", "LISTEN", "listen"),
        (7, "LISTEN", "SYN-RECEIVED", "rcv SYN / snd SYN,ACK"),
        (8, "FIN-WAIT-1", "FIN-WAIT-2", ""),
        (9, "ESTABLISHED", "CLOSE_WAIT", "rcv FIN; snd ACK"),
        (10, "TIME_WAIT", "[*]", ""),
    ]
    assert read.label("SYN_SENT") == "SYN SENT"
    assert set(read.structure) == {1, 2, 4, 5, 11, 12}
    assert read.problems == ()


def test_a_state_diagram_s_composites_notes_choices_and_regions() -> None:
    read = graph("""
        stateDiagram
            state Closing {
                [*] --> FIN_WAIT_1
                FIN_WAIT_1 --> FIN_WAIT_2 : ACK
                --
                CLOSE_WAIT --> LAST_ACK
            }
            state check <<choice>>
            ESTABLISHED --> check
            note right of ESTABLISHED : data flows
            note left of CLOSED
                nothing yet
            end note
            %% a comment
    """)
    assert [a.line for a in read.arrows] == [3, 4, 6, 9]
    assert read.nodes["Closing"].composite
    assert read.nodes["check"].decision
    assert read.problems == ()


def test_what_a_state_diagram_cannot_read_is_a_problem_at_its_line() -> None:
    read = graph("""
        stateDiagram-v2
            CLOSED ->> LISTEN
            state Open {
    """)
    assert [p.line for p in read.problems] == [2, 3]
    assert "is not understood" in read.problems[0].message


def test_a_flowchart_s_nodes_links_and_labels_written_anywhere() -> None:
    assert arrows("""
        flowchart LR
            A[CLOSED] -- passive open --> B(LISTEN)
            3 -- 발송 FIN --> 4
            3[FIN_WAIT_1]
            4(("FIN_WAIT_2"))
            6 -- "等待 30s" --> 1
            A -->|close| B --> C{ok?}
            A & B --> C
            M -.-> N
            M -. dotted .-> N
            M == thick ==> N
            SYN-SENT-->ESTABLISHED
            P-->Q;Q-->R
            G@{ shape: rect, label: "CLOSE_WAIT" } --> H
            E -->|"2MSL (60s)"| F
    """) == [
        (2, "CLOSED", "LISTEN", "passive open"),
        (3, "FIN_WAIT_1", "FIN_WAIT_2", "발송 FIN"),
        (6, "6", "1", "等待 30s"),
        (7, "CLOSED", "LISTEN", "close"),
        (7, "LISTEN", "ok?", ""),
        (8, "CLOSED", "ok?", ""),
        (8, "LISTEN", "ok?", ""),
        (9, "M", "N", ""),
        (10, "M", "N", "dotted"),
        (11, "M", "N", "thick"),
        (12, "SYN-SENT", "ESTABLISHED", ""),
        (13, "P", "Q", ""),
        (13, "Q", "R", ""),
        (14, "CLOSE_WAIT", "H", ""),
        (15, "E", "F", "2MSL (60s)"),
    ]


@pytest.mark.parametrize(
    ("link", "directed"),
    [
        *[("-->", True), ("==>", True), ("-.->", True), ("--->", True), ("--x", True)],
        *[("---", False), ("<-->", False), ("~~~", False), ("-.-", False)],
    ],
)
def test_a_link_without_one_direction_is_read_as_such(link: str, directed: bool) -> None:
    [arrow] = graph(f"graph TD\n    A {link} B").arrows
    assert arrow.directed is directed


def test_a_flowchart_s_subgraphs_styles_and_problems() -> None:
    read = graph("""
        graph TD
            subgraph closing [The close]
                A --> B
            end
            style A fill:#fff
            linkStyle 0 stroke:red
            click A callback
            end
            A ->> B
    """)
    assert [a.line for a in read.arrows] == [3]
    assert set(read.structure) >= {1, 2, 4, 5, 6, 7}
    assert [p.line for p in read.problems] == [8, 9]


@pytest.mark.parametrize("kind", ["sequenceDiagram", "pie", "", "classDiagram"])
def test_other_diagrams_hold_no_graph(kind: str) -> None:
    read = graph(f"{kind}\n    A --> B")
    assert read.arrows == ()


@FAST
@given(st.lists(st.text(max_size=40), max_size=8), st.sampled_from(["stateDiagram-v2", "graph LR"]))
def test_any_text_reads_without_an_exception(lines: list[str], kind: str) -> None:
    read = read_graph([Line(n, t) for n, t in enumerate([kind, *lines], start=1)])
    for arrow in read.arrows:
        assert 2 <= arrow.line <= len(lines) + 1


# --- labels ----------------------------------------------------------------------------------

R_, S_, SEG, ACT, TIMER = (
    PartKind.RECEIVED,
    PartKind.SENT,
    PartKind.SEGMENT,
    PartKind.ACTION,
    PartKind.TIMER,
)


@pytest.mark.parametrize(
    ("label", "read"),
    [
        # RFC 793 and RFC 9293 as drawn
        ("rcv SYN / snd SYN,ACK", [(R_, SYN), (S_, SYN | A)]),
        ("rcv ACK of SYN / x", [(R_, A)]),
        ("CLOSE / snd FIN", [(ACT, "closes"), (S_, F)]),
        ("passive OPEN / create TCB", [(ACT, "listens")]),
        ("active OPEN / create TCB, snd SYN", [(ACT, "connects"), (S_, SYN)]),
        ("Timeout=2MSL / delete TCB", [(TIMER, None)]),
        ("SYN received, SYN+ACK sent", [(R_, SYN), (S_, SYN | A)]),
        # event / action without verbs
        ("SYN / SYN+ACK", [(SEG, SYN), (S_, SYN | A)]),
        ("FIN / ACK", [(SEG, F), (S_, A)]),
        ("ACK", [(SEG, A)]),
        ("FIN/ACK", [(SEG, F | A)]),
        ("close / FIN", [(ACT, "closes"), (S_, F)]),
        ("connect / SYN", [(ACT, "connects"), (S_, SYN)]),
        ("recv SYN-ACK / send ACK", [(R_, SYN | A), (S_, A)]),
        ("recv FIN send ACK", [(R_, F), (S_, A)]),
        ("recv FIN<br>send ACK".replace("<br>", "\n"), [(R_, F), (S_, A)]),
        ("app calls close()", [(ACT, "closes")]),
        ("server calls listen()", [(ACT, "listens")]),
        ("abort (SO_LINGER 0) / RST", [(ACT, "aborts"), (S_, R)]),
        ("rcv RST", [(R_, R)]),
        # Chinese, Korean, Japanese: the verb before or after the flags
        ("收到 FIN / 发送 ACK", [(R_, F), (S_, A)]),
        ("接收FIN\N{FULLWIDTH COMMA}发送ACK", [(R_, F), (S_, A)]),
        ("收到SYN+ACK后发送ACK", [(R_, SYN | A), (S_, A)]),
        ("调用 close()\N{FULLWIDTH COMMA}发送 FIN", [(ACT, "closes"), (S_, F)]),
        ("FIN 수신", [(R_, F)]),
        ("발송 FIN", [(S_, F)]),
        ("SYN 수신 SYN+ACK 발송", [(R_, SYN), (S_, SYN | A)]),
        ("FIN을 수신하면 ACK 전송", [(R_, F), (S_, A)]),
        ("close() 호출 / FIN 발송", [(ACT, "closes"), (S_, F)]),
        ("FIN受信\nACK送信", [(R_, F), (S_, A)]),
        # Spanish, German, French
        ("recibir FIN / enviar ACK", [(R_, F), (S_, A)]),
        ("FIN empfangen / ACK senden", [(R_, F), (S_, A)]),
        ("recevoir FIN, envoyer ACK", [(R_, F), (S_, A)]),
        ("ouverture passive", [(ACT, "listens")]),
        # timers
        ("2MSL timeout", [(TIMER, None)]),
        ("等待 30s", [(TIMER, 30.0)]),
        ("30초 대기", [(TIMER, 30.0)]),
        ("timeout 30秒", [(TIMER, 30.0)]),
        ("2 minutes", [(TIMER, 120.0)]),
        ("wait 1 min", [(TIMER, 60.0)]),
        ("60000 ms", [(TIMER, 60.0)]),
        ("timeout (2MSL = 4 min)", [(TIMER, 240.0)]),
        # nothing lab reads, a whole way of closing, a state name
        ("data transfer", []),
        ("passive close", []),
        ("LISTEN", []),
        ("SYN_SENT to ESTABLISHED", []),
    ],
)
def test_a_label_is_read_into_calls_segments_and_timers(
    label: str, read: list[tuple[PartKind, object]]
) -> None:
    found: list[tuple[PartKind, object]] = []
    for part in read_edge_label(label):
        if part.kind is PartKind.ACTION:
            found.append((part.kind, part.verb))
        elif part.kind is PartKind.TIMER:
            found.append((part.kind, part.seconds))
        else:
            found.append((part.kind, part.flags))
    assert found == read


def test_a_part_keeps_its_words_and_whether_it_answers() -> None:
    ack = read_edge_label("recv SYN-ACK / send ACK")[1]
    assert (ack.written, ack.answer, str(ack)) == ("send ACK", True, "sends ACK")
    assert str(read_edge_label("30s")[0]) == "timer (30s)"


# --- arrows as claims ---------------------------------------------------------------------------


def test_each_arrow_between_two_states_is_a_claim_at_its_line() -> None:
    found = edges("""
        stateDiagram-v2
            [*] --> CLOSED
            state "SYN-RECEIVED" as S3
            LISTEN --> S3 : rcv SYN / snd SYN+ACK
            ESTAB --> FIN_WAIT1 : close / FIN
            CLOSED --> [*]
    """)
    assert [(e.source.line, e.before, e.after, e.unchecked) for e in found] == [
        (3, None, S.CLOSED, None),
        (5, S.LISTEN, S.SYN_RECEIVED, None),
        (6, S.ESTABLISHED, S.FIN_WAIT_1, None),
        (7, S.CLOSED, None, None),
    ]
    assert found[1].source.text == "LISTEN --> S3 : rcv SYN / snd SYN+ACK"
    assert found[1].documented == "LISTEN → SYN-RECEIVED on receives SYN, sends SYN+ACK"


def test_a_state_named_only_by_its_description_is_that_state() -> None:
    found = edges("""
        stateDiagram-v2
            s1 : CLOSED
            s2 : LISTEN (waiting)
            s1 --> s2 : listen
    """)
    assert [(e.before, e.after) for e in found] == [(S.CLOSED, S.LISTEN)]


def test_a_flowchart_with_numbered_nodes_is_read_by_their_labels() -> None:
    found = edges("""
        flowchart LR
            1((CLOSED))
            6((FIN_WAIT_1))
            7((FIN_WAIT_2))
            6 -->|ACK 수신| 7
            7 --> 8[TIME_WAIT<br/>2MSL]
            8 -- "等待 30s" --> 1
    """)
    assert [(e.before, e.after) for e in found] == [
        (S.FIN_WAIT_1, S.FIN_WAIT_2),
        (S.FIN_WAIT_2, S.TIME_WAIT),
        (S.TIME_WAIT, S.CLOSED),
    ]
    assert found[2].parts[0].seconds == 30.0


def test_arrows_to_what_is_not_one_state_are_unchecked_with_why() -> None:
    found = edges("""
        stateDiagram-v2
            state Closing {
                FIN_WAIT_1 --> FIN_WAIT_2
            }
            state check <<choice>>
            ESTABLISHED --> Closing
            ESTABLISHED --> check
            Idle --> CLOSED
    """)
    reasons = [e.unchecked for e in found]
    assert reasons[0] is None
    assert "composite state" in (reasons[1] or "")
    assert "a choice or a junction" in (reasons[2] or "")
    assert reasons[3] == "'Idle' is not a TCP state, so the arrow is not judged"


def test_a_link_with_no_direction_is_unchecked() -> None:
    found = edges("graph LR\n    A[CLOSED] --- B[LISTEN]\n    A --> B")
    assert "no one direction" in (found[0].unchecked or "")
    assert found[1].unchecked is None


def test_a_misspelt_state_is_read_as_the_nearest_with_a_warning_at_each_use() -> None:
    note = read_note(
        "```mermaid\nstateDiagram-v2\n    LISTEN --> SYN_RECIEVED : SYN\n"
        "    SYN_RECIEVED --> ESTABLISHED : ACK\n```\n",
        "note.md",
    )
    assert [(e.before, e.after) for e in note.edges] == [
        (S.LISTEN, S.SYN_RECEIVED),
        (S.SYN_RECEIVED, S.ESTABLISHED),
    ]
    assert [w.line for w in note.warnings] == [3, 4]
    assert "SYN_RECIEVED" in note.warnings[0].message


def test_a_flowchart_of_no_states_is_skipped_as_before() -> None:
    note = read_note("```mermaid\nflowchart LR\n    Build --> Deploy\n```\n", "note.md")
    assert not note.has_claims
    assert "a mermaid flowchart, not a sequenceDiagram" in note.skipped[0].reason


def test_a_state_machine_is_a_block_an_item_and_explained_arrow_by_arrow() -> None:
    note = read_note(
        "# States\n\n```mermaid\nstateDiagram-v2\n    CLOSED --> LISTEN : passive open\n"
        "    TIME_WAIT --> CLOSED : 等待 30s\n    Foo --> CLOSED\n"
        "    LAST_ACK --> CLOSED : the end\n```\n",
        "note.md",
    )
    assert note.blocks == [(3, 9, "L3-9 state diagram")]
    assert note.state_diagrams[0].title == "a stateDiagram-v2 of 4 arrows"
    text = explain(note)
    assert "state machine (lines 3-9): a stateDiagram-v2 of 4 arrows" in text
    assert "L5     CLOSED → LISTEN: 'passive open' = the application listens" in text
    assert "L6     TIME-WAIT → CLOSED: '30s' = a timer of 30 s" in text
    assert "L7     unchecked: 'Foo --> CLOSED': 'Foo' is not a TCP state" in text
    assert "L8     LAST-ACK → CLOSED: label 'the end' names nothing lab reads" in text
    assert "how a state machine's arrows are judged:" in text


def test_the_report_shows_a_state_machine_s_arrows_under_its_heading() -> None:
    note = read_note(
        "```mermaid\nstateDiagram-v2\n    ESTABLISHED --> CLOSE_WAIT : send FIN\n```\n", "n.md"
    )
    claims = [
        ClaimVerdict(
            3,
            "ESTABLISHED --> CLOSE_WAIT : send FIN",
            "edge",
            "fail",
            family,
            "ESTABLISHED → CLOSE-WAIT on sends FIN",
            "server: ESTABLISHED → CLOSE-WAIT on received FIN+ACK (close)",
            "the label says sends FIN, but the kernel goes ESTABLISHED → CLOSE-WAIT when it "
            "receives FIN, and sends ACK (scenario close)",
            "close",
        )
        for family in ("IPv4", "IPv6")
    ]
    report = render_note_report(note, claims)
    assert "lines 1-4, state diagram (stateDiagram-v2): each arrow judged" in report
    # Both families' reasons are the same: said once.
    assert report.count("when it receives FIN, and sends ACK (scenario close)") == 1
    assert "FAIL: the note and the kernel disagree at line(s) 3" in report


TOKENS = st.sampled_from(
    [
        *("CLOSED", "LISTEN", "SYN_SENT", "ESTAB", "TIME_WAIT", "[*]", "-->", "---", "==>"),
        *(":", "/", "|", "&", ";", "{", "}", "[", "]", "(", ")", '"', "state", "as", "note"),
        *("SYN", "ACK", "FIN", "RST", "rcv", "send", "发送", "수신", "30s", "2MSL", "x", "1"),
    ]
)


@FAST
@given(st.text(max_size=60))
def test_any_label_reads_without_an_exception(label: str) -> None:
    for part in read_edge_label(label):
        assert part.written


@FAST
@given(
    st.sampled_from(["stateDiagram-v2", "flowchart LR", "graph TD"]),
    st.lists(st.lists(TOKENS, max_size=8).map(" ".join), max_size=8),
)
def test_any_state_machine_note_reads_without_an_exception(kind: str, lines: list[str]) -> None:
    text = "\n".join(["```mermaid", kind, *lines, "```", ""])
    note = read_note(text, "note.md")
    for edge in note.edges:
        assert 3 <= edge.source.line <= len(lines) + 2
        assert edge.source.text.strip() == lines[edge.source.line - 3].strip()
