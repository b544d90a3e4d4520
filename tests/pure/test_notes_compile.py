"""Compiling a note: roles by behaviour, actions by rule, claims at their lines, tables."""

from __future__ import annotations

import textwrap

import pytest

from lab.notes import Note, NoteDiagram, read_note
from lab.tcp import Action, DocumentedSegment, Role, TcpFlag, TcpState
from lab.tcp._spec import (
    FlagClaim,
    NumberClaim,
    OrderClaim,
    ScriptItem,
    Source,
    StateClaim,
    TimerPassed,
    Unchecked,
)


def note(body: str) -> Note:
    return read_note(textwrap.dedent(body), "note.md")


def mermaid(body: str) -> Note:
    """A note holding one mermaid block; its first content line is line 2."""
    return read_note("```mermaid\n" + textwrap.dedent(body).strip() + "\n```\n", "note.md")


def only(compiled: Note) -> NoteDiagram:
    [diagram] = compiled.diagrams
    return diagram


def step(item: ScriptItem) -> str:
    """A script item in a few words: ``client closes``, ``client -> server FIN``."""
    if isinstance(item, Action):
        return str(item)
    if isinstance(item, DocumentedSegment):
        data = " data" if item.data else ""
        return f"{item.sender} -> {item.receiver} {item.flags.label}{data}"
    if isinstance(item, StateClaim):
        return f"{item.role} {item.state}"
    if isinstance(item, TimerPassed):
        return f"timer {item.role or 'every end'}"
    assert isinstance(item, Unchecked)
    return f"unchecked L{item.source.line}"


def steps(compiled: Note) -> list[str]:
    return [step(item) for item in only(compiled).scenario.script]


def setup(compiled: Note) -> list[str]:
    return [str(action) for action in only(compiled).scenario.setup]


OPEN_CLOSE = """\
    sequenceDiagram
    participant A
    participant B
    Note over B: LISTEN
    A->>B: SYN
    Note left of A: SYN-SENT
    B->>A: SYN, ACK
    Note right of B: SYN-RECEIVED
    A->>B: ACK
    Note over A,B: ESTABLISHED
    A->>B: data
    B->>A: ACK
    A->>B: FIN
    B->>A: ACK
    B->>A: FIN
    A->>B: ACK
"""


def test_a_whole_connection_gets_its_actions_where_the_runner_needs_them() -> None:
    compiled = mermaid(OPEN_CLOSE)
    assert setup(compiled) == []
    assert steps(compiled) == [
        "server listens",
        "server LISTEN",
        "client connects",
        "client -> server SYN",
        "client SYN-SENT",
        "server -> client SYN+ACK",
        "server SYN-RECEIVED",
        "client -> server ACK",
        "client ESTABLISHED",
        "server ESTABLISHED",
        "client sends data",
        "client -> server none data",
        "server accepts",  # before the server first acts on the connection
        "server reads data",  # so that its close later sends FIN, not RST
        "server -> client ACK",
        "client closes",
        "client -> server FIN",
        "server -> client ACK",
        "server closes",
        "server -> client FIN",
        "client -> server ACK",
    ]
    assert only(compiled).kind == "open, data, close"
    assert only(compiled).label == "L1-18 open, data, close"


def test_each_claim_carries_its_line_as_written() -> None:
    script = only(mermaid(OPEN_CLOSE)).scenario.script
    syn = next(i for i in script if isinstance(i, DocumentedSegment))
    assert syn.source == Source(6, "A->>B: SYN")
    listen = next(i for i in script if isinstance(i, StateClaim))
    assert listen.source == Source(5, "Note over B: LISTEN")
    assert all(i.source for i in script if not isinstance(i, Action))


@pytest.mark.parametrize(
    ("names", "why"),
    [
        (("A", "B"), "A sends the first SYN"),
        (("Alice", "Bob"), "Alice sends the first SYN"),
        (("Server", "Client"), "Server sends the first SYN"),  # names do not decide
        (("클라이언트", "서버"), "클라이언트 sends the first SYN"),
    ],
)
def test_the_first_bare_syn_makes_its_sender_the_client(names: tuple[str, str], why: str) -> None:
    first, second = names
    compiled = mermaid(
        f"""
        sequenceDiagram
        {second}->>{first}: hello
        {first}->>{second}: SYN
        {second}->>{first}: SYN+ACK
        """
    )
    diagram = only(compiled)
    assert diagram.names == {Role.CLIENT: first, Role.SERVER: second}
    assert diagram.because == why


def test_in_a_close_only_diagram_the_first_fin_sender_is_the_client() -> None:
    compiled = mermaid(
        """
        sequenceDiagram
        participant Server
        participant Client
        Note over Server,Client: ESTABLISHED
        Server->>Client: FIN
        Client->>Server: ACK
        Client->>Server: FIN
        Server->>Client: ACK
        """
    )
    assert only(compiled).names == {Role.CLIENT: "Server", Role.SERVER: "Client"}
    assert setup(compiled) == ["server listens", "client connects", "server accepts"]
    assert steps(compiled)[:4] == [
        "client ESTABLISHED",
        "server ESTABLISHED",
        "client closes",
        "client -> server FIN",
    ]


def test_more_than_two_participants_and_self_messages_are_context() -> None:
    compiled = mermaid(
        """
        sequenceDiagram
        participant app as Application
        participant c as Client kernel
        participant q as Accept queue
        participant s as Server kernel
        s ->> s : listen()
        app->>c: connect()
        c->>s: SYN
        s->>q: SYN (queued)
        s->>c: SYN+ACK
        c->>s: ACK
        Note over app: connect() returns
        Note over c: ESTABLISHED
        """
    )
    diagram = only(compiled)
    assert diagram.roles == {"c": Role.CLIENT, "s": Role.SERVER}
    assert diagram.context == ("Application", "Accept queue")
    assert steps(compiled) == [
        "server listens",
        "unchecked L7",
        "unchecked L8",
        "client connects",
        "client -> server SYN",
        "unchecked L10",
        "server -> client SYN+ACK",
        "client -> server ACK",
        "unchecked L13",
        "client ESTABLISHED",
    ]
    reasons = [i.reason for i in diagram.scenario.script if isinstance(i, Unchecked)]
    assert reasons[0].startswith("s to itself: an application step")
    assert "is not between the two ends" in reasons[1]
    assert reasons[3] == "it is over app, which is not one of the two ends"


def test_a_syn_answered_by_a_rst_is_a_connection_to_a_closed_port() -> None:
    compiled = mermaid(
        """
        sequenceDiagram
        A->>B: SYN
        Note over A: SYN-SENT
        B->>A: RST, ACK
        Note over A: CLOSED
        """
    )
    assert steps(compiled) == [
        "client connects to a closed port",
        "client -> server SYN",
        "client SYN-SENT",
        "server -> client RST+ACK",
        "client CLOSED",
    ]
    assert only(compiled).kind == "refused"


def test_a_rst_on_an_open_connection_is_an_abort() -> None:
    compiled = mermaid(
        """
        sequenceDiagram
        Note over A,B: ESTABLISHED
        B->>A: RST
        """
    )
    assert setup(compiled) == ["server listens", "client connects", "server accepts"]
    assert steps(compiled)[-2:] == ["client aborts", "client -> server RST"]


def test_two_fins_before_either_ack_are_a_simultaneous_close() -> None:
    compiled = mermaid(
        """
        sequenceDiagram
        Note over A,B: ESTABLISHED
        A->>B: FIN
        B->>A: FIN
        Note over A,B: CLOSING
        A->>B: ACK
        B->>A: ACK
        Note over A,B: TIME-WAIT
        """
    )
    assert steps(compiled) == [
        "client ESTABLISHED",
        "server ESTABLISHED",
        "client closes",
        "server closes",
        "client -> server FIN",
        "server -> client FIN",
        "client CLOSING",
        "server CLOSING",
        "client -> server ACK",
        "server -> client ACK",
        "client TIME-WAIT",
        "server TIME-WAIT",
    ]
    assert only(compiled).kind == "simultaneous close"


def test_data_of_a_documented_length_is_sent_at_that_length() -> None:
    compiled = mermaid(
        """
        sequenceDiagram
        Note over C,S: ESTABLISHED
        C->>S: PSH, ACK len=100 (GET / HTTP/1.1)
        S->>C: ACK
        S->>C: data
        """
    )
    sends = [i for i in only(compiled).scenario.script if isinstance(i, Action)]
    assert Action(Role.CLIENT, "sends data", 100) in sends
    assert Action(Role.SERVER, "sends data") in sends
    assert "client sends data (100 bytes)" in steps(compiled)


def test_urgent_data_and_data_left_unread() -> None:
    compiled = mermaid(
        """
        sequenceDiagram
        Note over C,S: ESTABLISHED
        C->>S: URG (1 byte)
        S->>C: ACK
        S->>C: data
        Note over C: left unread
        C->>S: ACK
        C->>S: RST
        """
    )
    assert steps(compiled)[2:] == [
        "client sends urgent data",
        "client -> server URG data",
        "server reads data",
        "server -> client ACK",
        "server sends data",
        "server -> client none data",
        "client -> server ACK",
        "client aborts",
        "client -> server RST",
    ]


def test_a_half_closed_precondition_closes_in_the_setup() -> None:
    compiled = mermaid(
        """
        sequenceDiagram
        Note over A: FIN_WAIT_2
        Note over B: CLOSE_WAIT
        B->>A: FIN
        A->>B: ACK
        """
    )
    assert only(compiled).because == "B sends the first FIN, so it closes first"
    # B is the client by its FIN, so A (server, FIN-WAIT-2) closed first in the setup.
    assert setup(compiled) == [
        "server listens",
        "client connects",
        "server accepts",
        "server closes",
    ]
    assert "client closes" in steps(compiled)


def test_a_transition_claims_both_states_around_the_segment_that_makes_it() -> None:
    compiled = mermaid(
        """
        sequenceDiagram
        participant C
        participant S
        Note over S: CLOSED → LISTEN
        C->>S: SYN
        Note over C: CLOSED → SYN_SENT
        S->>C: SYN+ACK
        Note over S: LISTEN -> SYN_RCVD
        C->>S: ACK
        """
    )
    assert steps(compiled) == [
        "server listens",
        "server CLOSED",  # the listen makes this one: both stay before the SYN
        "server LISTEN",
        "client CLOSED",
        "server LISTEN",  # written below the SYN+ACK, made by the SYN the server got
        "client connects",
        "client -> server SYN",
        "client SYN-SENT",
        "server SYN-RECEIVED",
        "server -> client SYN+ACK",
        "client -> server ACK",
    ]


def test_time_passing_is_a_timer_and_a_state_after_it_is_checked_after_it() -> None:
    compiled = mermaid(
        """
        sequenceDiagram
        Note over A,B: ESTABLISHED
        A->>B: FIN
        B->>A: ACK
        B->>A: FIN
        A->>B: ACK
        Note over A: TIME_WAIT (2MSL)
        Note over A: After 2*MSL
        Note over A: CLOSED
        Note over B: TIME_WAIT → CLOSED
        """
    )
    assert steps(compiled)[-6:] == [
        "client TIME-WAIT",  # 2MSL says how long it lasts
        "timer client",
        "client CLOSED",
        "server TIME-WAIT",
        "timer server",  # TIME_WAIT → CLOSED passes a timer
        "server CLOSED",
    ]


def test_misspelt_states_warn_and_count_only_when_unambiguous() -> None:
    compiled = mermaid(
        """
        sequenceDiagram
        A->>B: SYN
        Note over A: SYN_SEND
        B->>A: SYN+ACK
        Note over B: FIN_WAIT
        """
    )
    assert steps(compiled)[-3:] == ["client SYN-SENT", "server -> client SYN+ACK", "unchecked L6"]
    assert [(w.line, w.message.split(";")[0]) for w in compiled.warnings] == [
        (4, "'SYN_SEND' is not a TCP state"),
        (
            6,
            "'FIN_WAIT' is not a TCP state and is as close to FIN-WAIT-1 or FIN-WAIT-2, so it is "
            "not checked",
        ),
    ]


def test_numbers_and_absent_flags_reach_the_segments() -> None:
    compiled = mermaid(
        """
        sequenceDiagram
        C->>S: SYN=1, ACK=0, seq=x
        S->>C: SYN=1, ACK=1, seq=y, ack=x+1
        C->>S: ACK=1, seq=x+1, ack=y+1
        """
    )
    segments = only(compiled).scenario.segments
    assert segments[0].absent == TcpFlag.ACK
    assert segments[1].flags == TcpFlag.SYN | TcpFlag.ACK
    assert (segments[1].seq, segments[1].ack) == (
        NumberClaim("y", 0, "y"),
        NumberClaim("x", 1, "x+1"),
    )


def test_other_notes_and_messages_are_unchecked_with_a_reason() -> None:
    compiled = mermaid(
        """
        sequenceDiagram
        A->>B: SYN
        Note over A: Connection ready
        A->>B: hello there
        B->>A: SYN+ACK (SYN_RCVD)
        """
    )
    reasons = {
        i.source.line: i.reason for i in only(compiled).scenario.script if isinstance(i, Unchecked)
    }
    assert reasons == {
        4: "it names no TCP state and no time passing",
        5: "it names no TCP flag and no data, so it claims no segment",
        6: "a state written in a message is not checked: write it as a Note beside the "
        "participant whose state it is",
    }


def test_later_branches_of_alt_are_unchecked() -> None:
    compiled = mermaid(
        """
        sequenceDiagram
        A->>B: SYN
        alt listening
        B->>A: SYN+ACK
        else closed
        B->>A: RST
        end
        """
    )
    assert steps(compiled)[-3:] == [
        "client -> server SYN",
        "server -> client SYN+ACK",
        "unchecked L7",
    ]


def test_diagrams_without_tcp_flags_are_skipped_with_the_reason() -> None:
    compiled = note(
        """\
        ```mermaid
        sequenceDiagram
            Browser->>Server: GET /index.html HTTP/1.1
            Server-->>Browser: 200 OK
        ```

        ```mermaid
        flowchart LR
            Build --> Deploy
        ```

        ```c
        int s = socket(AF_INET, SOCK_STREAM, 0);
        ```
        """
    )
    assert compiled.diagrams == ()
    assert not compiled.has_claims
    assert [(s.first, s.last, s.what) for s in compiled.skipped] == [
        (1, 5, "mermaid sequence diagram"),
        (7, 10, "mermaid diagram"),
        (12, 14, "code block (c)"),
    ]
    assert "names a TCP flag" in compiled.skipped[0].reason
    assert "a mermaid flowchart, not a sequenceDiagram" in compiled.skipped[1].reason


def test_titles_come_from_the_diagram_then_the_nearest_heading() -> None:
    compiled = note(
        """\
        # The note

        ## Opening

        ```mermaid
        sequenceDiagram
            A->>B: SYN
        ```

        ```mermaid
        sequenceDiagram
            title Closing, titled
            A->>B: FIN
        ```
        """
    )
    assert [(s.name, s.title) for s in compiled.scenarios] == [
        ("L5-8", "Opening"),
        ("L10-14", "Closing, titled"),
    ]


TABLES = """\
```mermaid
sequenceDiagram
    participant Alice
    participant Bob
    Alice->>Bob: SYN
    Bob->>Alice: SYN+ACK
    Alice->>Bob: ACK
```

| Side  | State        | What happens |
|-------|--------------|--------------|
| Alice | SYN-SENT     | sent a SYN   |
| Bob   | SYN_RCVD     | got the SYN  |
| Alice | ESTABLISHED  | got SYN+ACK  |
| bob   | ESTAB        | got the ACK  |
|       | CLOSED       | both, later  |

| 구분 | 절차 | 설명 |
|---|---|---|
| Client | SYN_SENT | SYN 전송 |
| 서버 | SYN_RCVD | SYN 수신 |
| Router | LISTEN | ? |

| Step | Client | Server |
|------|--------|--------|
| 1 | SYN_SENT | LISTEN |
| 2 | SYN_SENT | SYN_RCVD |
| 3 | ESTABLISHED | ESTABLISHED |

| Flag | Meaning |
|------|---------|
| SYN  | opens |
| FIN (finish) | closes |
| sent a lot | nothing |

| State | Meaning |
|-------|---------|
| LISTEN | waits for a SYN |

| Name | Age |
|------|-----|
| Ann  | 3   |
"""


def states(order: OrderClaim) -> list[tuple[TcpState, int]]:
    return [(state, source.line) for state, source in order.states]


def test_tables_of_states_give_each_end_its_order() -> None:
    compiled = read_note(TABLES, "note.md")
    first, korean, per_role, flags = compiled.tables
    assert first.scenario == "L1-8"
    assert [(o.role, states(o)) for o in first.orders] == [
        (Role.CLIENT, [(TcpState.SYN_SENT, 12), (TcpState.ESTABLISHED, 14), (TcpState.CLOSED, 16)]),
        (
            Role.SERVER,
            [(TcpState.SYN_RECEIVED, 13), (TcpState.ESTABLISHED, 15), (TcpState.CLOSED, 16)],
        ),
    ]
    assert [r.description for r in first.rows][:2] == ["sent a SYN", "got the SYN"]
    assert first.rows[-1].role is None  # an empty role cell: every end
    assert [(o.role, states(o)) for o in korean.orders] == [
        (Role.CLIENT, [(TcpState.SYN_SENT, 20)]),
        (Role.SERVER, [(TcpState.SYN_RECEIVED, 21)]),
    ]
    assert korean.rows[-1].unchecked is not None
    assert [(o.role, [s for s, _ in o.states]) for o in per_role.orders] == [
        (Role.CLIENT, [TcpState.SYN_SENT, TcpState.ESTABLISHED]),
        (Role.SERVER, [TcpState.LISTEN, TcpState.SYN_RECEIVED, TcpState.ESTABLISHED]),
    ]
    assert flags.flags == (
        FlagClaim(TcpFlag.SYN, Source(32, "| SYN  | opens |")),
        FlagClaim(TcpFlag.FIN, Source(33, "| FIN (finish) | closes |")),
    )
    assert flags.rows[-1].unchecked == "it names no state and no flag"
    assert [w.line for w in compiled.warnings] == [22]
    assert "'Router' is neither a participant" in compiled.warnings[0].message


def test_tables_that_claim_nothing_are_skipped_with_the_reason() -> None:
    compiled = read_note(TABLES, "note.md")
    reasons = {s.first: s.reason for s in compiled.skipped if s.what == "table"}
    assert list(reasons) == [36, 40]
    assert "not which end enters them" in reasons[36]
    assert reasons[40].startswith("no column names TCP states")


def test_a_table_before_any_diagram_is_checked_against_the_first_below() -> None:
    compiled = note(
        """\
        | Side | State |
        |---|---|
        | client | SYN-SENT |

        ```mermaid
        sequenceDiagram
            A->>B: SYN
        ```
        """
    )
    assert compiled.tables[0].scenario == "L5-8"


def test_addresses_and_ports_in_a_note_are_only_names() -> None:
    compiled = mermaid(
        """
        sequenceDiagram
        participant C as 192.0.2.10:43210
        participant S as [2001:db8::1]:80
        C->>S: SYN
        S->>C: SYN+ACK
        """
    )
    diagram = only(compiled)
    assert diagram.names == {Role.CLIENT: "192.0.2.10:43210", Role.SERVER: "[2001:db8::1]:80"}
    assert steps(compiled)[0] == "server listens"


def test_a_quoted_diagram_is_read_and_quoted_as_the_file_has_it() -> None:
    compiled = read_note("> ```mermaid\n> sequenceDiagram\n> A->>B: SYN\n> ```\n", "quoted.md")
    [segment] = only(compiled).scenario.segments
    assert segment.source == Source(3, "> A->>B: SYN")


def test_a_fin_ack_answering_a_fin_is_a_three_segment_close_not_a_simultaneous_one() -> None:
    compiled = mermaid(
        """
        sequenceDiagram
        Note over A,B: ESTABLISHED
        A->>B: FIN
        B->>A: FIN, ACK
        A->>B: ACK
        """
    )
    assert steps(compiled)[2:] == [
        "client closes",
        "client -> server FIN",
        "server closes",
        "server -> client FIN+ACK",
        "client -> server ACK",
    ]
    assert only(compiled).kind == "close"


def test_the_states_a_note_documents_are_the_scenarios_documented_states() -> None:
    scenario = only(mermaid(OPEN_CLOSE)).scenario
    assert scenario.documented_states == (
        TcpState.LISTEN,
        TcpState.SYN_SENT,
        TcpState.SYN_RECEIVED,
        TcpState.ESTABLISHED,
    )


def test_a_simultaneous_open_is_skipped_with_its_reason() -> None:
    compiled = mermaid(
        """
        sequenceDiagram
            A->>B: SYN
            B->>A: SYN
            A->>B: SYN, ACK
            B->>A: SYN, ACK
        """
    )
    assert not compiled.diagrams
    assert "simultaneous open" in compiled.skipped[0].reason


def test_a_fin_whose_sender_is_noted_last_ack_is_a_three_segment_close() -> None:
    compiled = mermaid(
        """
        sequenceDiagram
            C->>S: FIN
            S->>C: FIN
            Note right of S: LAST_ACK
            C->>S: ACK
        """
    )
    assert only(compiled).kind == "close"


def test_a_column_headed_by_both_ends_gives_each_the_state_on_its_side() -> None:
    compiled = note(
        """
        | Step | Client / Server |
        |------|-----------------|
        | 1 | SYN_SENT / LISTEN |
        | 2 | ESTABLISHED / SYN_RCVD |
        """
    )
    orders = {o.role: [s for s, _ in o.states] for o in compiled.tables[0].orders}
    assert orders == {
        Role.CLIENT: [TcpState.SYN_SENT, TcpState.ESTABLISHED],
        Role.SERVER: [TcpState.LISTEN, TcpState.SYN_RECEIVED],
    }


def test_a_summary_table_below_a_diagram_of_one_part_is_checked_on_a_whole_connection() -> None:
    compiled = note(
        """
        ```mermaid
        sequenceDiagram
            Note over C,S: ESTABLISHED
            C->>S: RST
        ```

        | Side | State |
        |------|-------|
        | client | SYN_SENT |
        | client | ESTABLISHED |
        """
    )
    assert compiled.tables[0].scenario is None


@pytest.mark.parametrize(
    ("language", "body", "why"),
    [
        ("plantuml", "Client -> Server : SYN", "PlantUML"),
        ("dot", "digraph { LISTEN -> SYN_RCVD }", "Graphviz"),
        ("", "1.  CLOSED    LISTEN\n2.  SYN-SENT --> <CTL=SYN> --> SYN-RECEIVED", "RFC 793"),
    ],
)
def test_a_diagram_in_another_language_naming_tcp_is_skipped_as_tcp(
    language: str, body: str, why: str
) -> None:
    compiled = read_note(f"```{language}\n{body}\n```\n", "note.md")
    assert compiled.is_tcp
    assert not compiled.has_claims
    assert why in compiled.skipped[0].reason


def test_a_code_block_naming_no_tcp_is_not_tcp() -> None:
    assert not read_note("```plantuml\nAlice -> Bob : hello\n```\n", "note.md").is_tcp


def test_a_mermaid_state_diagram_of_tcp_states_is_a_state_machine_of_edges() -> None:
    compiled = mermaid("""
        stateDiagram-v2
            ESTABLISHED --> FIN_WAIT_1 : close / FIN
    """)
    assert compiled.has_claims
    assert not compiled.skipped
    [machine] = compiled.state_diagrams
    [edge] = machine.edges
    assert (edge.before, edge.after) == (TcpState.ESTABLISHED, TcpState.FIN_WAIT_1)
    assert edge.documented == "ESTABLISHED → FIN-WAIT-1 on closes, sends FIN"
    assert compiled.blocks == [(1, 4, "L1-4 state diagram")]


def test_a_mermaid_state_diagram_naming_tcp_without_two_states_is_skipped_as_tcp() -> None:
    compiled = mermaid("""
        stateDiagram-v2
            Idle --> Connecting : send SYN
    """)
    assert compiled.is_tcp
    assert not compiled.has_claims
    assert "no arrow from one TCP state to another" in compiled.skipped[0].reason


def test_an_http_keep_alive_header_is_no_keep_alive_probe() -> None:
    compiled = mermaid("""
        sequenceDiagram
            C->>S: SYN
            S->>C: SYN, ACK
            C->>S: ACK
            C->>S: PSH, ACK len=40 (GET / HTTP/1.1, Connection: keep-alive)
    """)
    assert len(compiled.diagrams) == 1


@pytest.mark.parametrize(
    ("messages", "why"),
    [
        ("C->>S: ACK seq=1 len=10\n    S->>C: ACK ack=11 win=0", "zero window"),
        ("C->>S: ACK seq=1 len=10\n    S->>C: ACK ack=11 (zero-window probe)", "zero window"),
    ],
)
def test_what_the_runner_cannot_make_happen_skips_the_diagram(messages: str, why: str) -> None:
    compiled = read_note(f"```mermaid\nsequenceDiagram\n    {messages}\n```\n", "note.md")
    assert not compiled.diagrams
    assert compiled.is_tcp
    assert why in compiled.skipped[0].reason


def test_a_packet_list_table_is_skipped_not_read_as_flags() -> None:
    compiled = note("""
        | No. | Source | Destination | Flags |
        |-----|--------|-------------|-------|
        | 1 | 192.0.2.1 | 192.0.2.2 | SYN |
        | 2 | 192.0.2.2 | 192.0.2.1 | SYN, ACK |
    """)
    assert not compiled.tables
    assert compiled.is_tcp
    assert "packet list" in compiled.skipped[0].reason
