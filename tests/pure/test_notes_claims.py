"""What a line claims: flags however written, seq/ack, states, transitions, timers, roles."""

from __future__ import annotations

import pytest

from lab.notes._claims import (
    EVERY_END_WORDS,
    find_states,
    read_flag_cell,
    read_message,
    read_note_text,
    role_word,
)
from lab.tcp import Role, TcpFlag, TcpState
from lab.tcp._spec import NO_FLAGS, NumberClaim

S, A, F, P, R, U = TcpFlag.SYN, TcpFlag.ACK, TcpFlag.FIN, TcpFlag.PSH, TcpFlag.RST, TcpFlag.URG

# (a message's text, the flags it documents)
FLAGS = [
    ("SYN", S),
    ("SYN+ACK", S | A),
    ("SYN + ACK", S | A),
    ("SYN/ACK", S | A),
    ("SYN, ACK", S | A),
    ("SYN ACK", S | A),
    ("SYN-ACK", S | A),
    ("SYNACK", S | A),
    ("[S.]", S | A),
    ("[F.]", F | A),
    ("Flags [S], seq 1000", S),
    ("[SYN, ACK] Seq=0 Ack=1", S | A),  # Wireshark
    ("1. SYN", S),
    ("2) SYN+ACK", S | A),
    ("FIN 전송", F),
    ("FIN전송", F),
    ("发送 SYN", S),
    ("SYN送信", S),
    ("syn", S),
    ("RST", R),
    ("connection reset", R),
    ("FIN, ACK", F | A),
    ("ACK (for the FIN)", A),  # the answered segment is not sent
    ("ACK for FIN", A),
    ("ACK of SYN+ACK", A),
    ("ACK del FIN", A),
    ("FIN에 대한 ACK", A),
    ("FINに対するACK", A),
    ("对FIN的ACK", A),
    ("연결 요청 (SYN)", S),  # flags only in parentheses count
    ("SYN (SYN_SENT)", S),  # a state is not a flag
    ("ACK (ESTABLISHED)", A),
    ("SACK_PERM=1", NO_FLAGS),
    ("connect()", NO_FLAGS),
]


@pytest.mark.parametrize(("text", "flags"), FLAGS, ids=[t for t, _ in FLAGS])
def test_flags_however_written(text: str, flags: TcpFlag) -> None:
    assert read_message(text).flags == flags


@pytest.mark.parametrize(
    ("text", "flags", "absent"),
    [
        ("SYN=1, ACK=1, seq=x, ack=x+1", S | A, NO_FLAGS),
        ("SYN: 0, ACK=1", A, S),
        ("ACK=0", NO_FLAGS, A),
        ("SYN=1 ACK=0 seq=x", S, A),
        ("FIN=1, ACK=1", F | A, NO_FLAGS),
    ],
)
def test_the_textbook_style_sets_and_clears_flags(
    text: str, flags: TcpFlag, absent: TcpFlag
) -> None:
    reading = read_message(text)
    assert (reading.flags, reading.absent) == (flags, absent)


@pytest.mark.parametrize(
    ("text", "seq", "ack"),
    [
        ("SYN=1, ACK=1, seq=y, ack=x+1", NumberClaim("y", 0, "y"), NumberClaim("x", 1, "x+1")),
        ("seq=x", NumberClaim("x", 0, "x"), None),
        ("Seq# = x", NumberClaim("x", 0, "x"), None),
        ("SEQ=100", NumberClaim(None, 100, "100"), None),
        ("ack=client_isn+1", None, NumberClaim("client_isn", 1, "client_isn+1")),
        ("ack = x + 1", None, NumberClaim("x", 1, "x + 1")),
        ("seq=1000", NumberClaim(None, 1000, "1000"), None),
        ("ACK Seq=1 Ack=1 Len=0", NumberClaim(None, 1, "1"), NumberClaim(None, 1, "1")),
        ("ACK=1, ack=1", None, NumberClaim(None, 1, "1")),  # the flag, then the number
        ("ACK = y + 1", None, NumberClaim("y", 1, "y + 1")),  # upper case, not 0/1: a number
        ("seq 1000, ack 1001", NumberClaim(None, 1000, "1000"), NumberClaim(None, 1001, "1001")),
        ("Sequence number = x - 1", NumberClaim("x", -1, "x - 1"), None),
        ("ack=1+x", None, NumberClaim("x", 1, "1+x")),
    ],
)
def test_sequence_and_acknowledgement_numbers(
    text: str, seq: NumberClaim | None, ack: NumberClaim | None
) -> None:
    reading = read_message(text)
    assert (reading.seq, reading.ack) == (seq, ack)


def test_upper_case_ack_with_0_or_1_is_the_flag_lower_case_ack_is_the_number() -> None:
    assert read_message("ACK=1").flags == A
    assert read_message("ACK=1").ack is None
    assert read_message("ack=1").flags == NO_FLAGS
    assert read_message("ack=1").ack == NumberClaim(None, 1, "1")


@pytest.mark.parametrize(
    ("text", "data", "urgent"),
    [
        ("data", True, False),
        ("payload", True, False),
        ("PSH, ACK", True, False),
        ("[P.] seq 1:6, ack 1", True, False),
        ("ACK Len=100", True, False),
        ("len=100", True, False),
        ("GET /index.html HTTP/1.1", True, False),
        ("데이터 전송", True, False),
        ("数据", True, False),
        ("データ", True, False),
        ("datos", True, False),
        ("URG", False, True),
        ("urgent data", False, True),
        ("send(MSG_OOB)", False, True),
        ("ACK (data received)", False, False),  # acknowledges data
        ("FIN (no more data)", False, False),
        ("ACK Len=0", False, False),
        ("SYN", False, False),
    ],
)
def test_data_and_urgent_data(text: str, data: bool, urgent: bool) -> None:
    reading = read_message(text)
    assert (reading.data, reading.urgent) == (data, urgent)
    assert reading.is_segment == bool(data or urgent or reading.flags)


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("PSH, ACK len=100", 100),
        ("ACK Len=100", 100),
        ("Flags [P.], seq 1001:1101, ack 5001, length 100", 100),
        ("Flags [P.], seq 1:513, ack 1", 512),  # tcpdump's range alone
        ("data", None),  # no length given: the runner's few bytes
        ("ACK Len=0", None),
        ("URG len=1", None),  # urgent data is one byte, whatever is written
    ],
)
def test_the_length_of_data_as_written(text: str, length: int | None) -> None:
    assert read_message(text).length == length


def test_data_left_unread() -> None:
    assert read_message("data (unread)").unread
    assert read_note_text("읽지 않음", []).unread
    assert read_note_text("the application never reads it", []).unread
    assert not read_note_text("the application reads it", []).unread
    assert read_note_text("data is not read", []).unread


# (a note's text, the states it names in order)
STATES = [
    ("LISTEN", [TcpState.LISTEN]),
    ("FIN_WAIT1", [TcpState.FIN_WAIT_1]),
    ("FIN-WAIT-1", [TcpState.FIN_WAIT_1]),
    ("FIN WAIT 1", [TcpState.FIN_WAIT_1]),
    ("SYN_RCVD", [TcpState.SYN_RECEIVED]),
    ("SYN-RECV", [TcpState.SYN_RECEIVED]),
    ("ESTAB", [TcpState.ESTABLISHED]),
    ("TCP_TIME_WAIT", [TcpState.TIME_WAIT]),
    ("Established", [TcpState.ESTABLISHED]),  # alone, in any case
    ("Alice: SYN-SENT", [TcpState.SYN_SENT]),
    ("SYN-SENT (waits)", [TcpState.SYN_SENT]),
    ("SYN_SENT상태", [TcpState.SYN_SENT]),
    ("LAST_ACK 상태로 전이", [TcpState.LAST_ACK]),
    ("syn_rcvd", [TcpState.SYN_RECEIVED]),
    ("Client: Established", [TcpState.ESTABLISHED]),
    ("connection established", []),  # prose
    ("the last ACK", []),
    ("close()", []),  # a call
    ("listen()", []),
    ("la connexion est établie", []),
    ("Connection ready", []),
]


@pytest.mark.parametrize(("text", "states"), STATES, ids=[t for t, _ in STATES])
def test_states_in_any_spelling_with_words_around(text: str, states: list[TcpState]) -> None:
    assert [m.state for m in find_states(text)] == states


@pytest.mark.parametrize(
    ("text", "states"),
    [
        ("CLOSED → SYN_SENT", [TcpState.CLOSED, TcpState.SYN_SENT]),
        ("LISTEN -> SYN_RCVD", [TcpState.LISTEN, TcpState.SYN_RECEIVED]),
        ("ESTABLISHED ⇒ FIN-WAIT-1", [TcpState.ESTABLISHED, TcpState.FIN_WAIT_1]),
        ("CLOSED에서 SYN_SENT로", [TcpState.CLOSED, TcpState.SYN_SENT]),
        ("de CLOSED a SYN_SENT", [TcpState.CLOSED, TcpState.SYN_SENT]),
    ],
)
def test_transitions(text: str, states: list[TcpState]) -> None:
    reading = read_note_text(text, [])
    assert reading.transition
    assert [s for _, s in reading.states] == states


def test_two_states_without_an_arrow_are_no_transition() -> None:
    reading = read_note_text("Alice: FIN-WAIT-1, Bob: CLOSE-WAIT", ["Alice", "Bob"])
    assert not reading.transition
    assert reading.states == (("Alice", TcpState.FIN_WAIT_1), ("Bob", TcpState.CLOSE_WAIT))


@pytest.mark.parametrize(
    "text",
    ["2MSL", "60s", "After 2*MSL", "timeout", "2MSL 대기", "30 秒", "RTO expires", "タイムアウト"],
)
def test_time_passing(text: str) -> None:
    assert read_note_text(text, []).timer


@pytest.mark.parametrize("text", ["Connection ready", "남은 데이터 전송...", "ESTABLISHED"])
def test_no_time_passing(text: str) -> None:
    assert not read_note_text(text, []).timer


def test_misspellings_are_judged_as_the_nearest_only_when_unambiguous() -> None:
    [send] = find_states("SYN_SEND")
    assert send.state is TcpState.SYN_SENT
    assert send.warning is not None
    assert "'SYN_SEND' is not a TCP state; did you mean SYN-SENT?" in send.warning
    [timed] = find_states("TIMED_WAIT")
    assert timed.state is TcpState.TIME_WAIT
    [fin_wait] = find_states("FIN_WAIT")
    assert fin_wait.state is None
    assert fin_wait.warning is not None
    assert "as close to FIN-WAIT-1 or FIN-WAIT-2" in fin_wait.warning
    assert find_states("TIMEOUT HTTP DATA MSG_OOB SYN-ACK") == []


def test_an_accented_word_is_one_word_and_cjk_around_a_state_is_not() -> None:
    [received] = find_states("SYN_REÇU")  # French: the whole word, not SYN_RE
    assert received.written == "SYN_REÇU"
    assert received.state is TcpState.SYN_RECEIVED
    assert received.warning is not None
    assert "did you mean SYN-RECEIVED?" in received.warning
    assert [m.state for m in find_states("进入SYN_SENT状态")] == [TcpState.SYN_SENT]


def test_a_note_without_state_or_timer_says_why() -> None:
    assert read_note_text("Connection ready", []).reason == (
        "it names no TCP state and no time passing"
    )


@pytest.mark.parametrize(
    ("word", "role"),
    [
        ("client", Role.CLIENT),
        ("Client", Role.CLIENT),
        ("클라이언트", Role.CLIENT),
        ("客户端", Role.CLIENT),
        ("クライアント", Role.CLIENT),
        ("cliente", Role.CLIENT),
        ("Server", Role.SERVER),
        ("서버", Role.SERVER),
        ("服务器", Role.SERVER),
        ("服务端", Role.SERVER),
        ("サーバ", Role.SERVER),
        ("サーバー", Role.SERVER),
        ("servidor", Role.SERVER),
        ("serveur", Role.SERVER),
        ("Alice", None),
    ],
)
def test_role_words_in_common_languages(word: str, role: Role | None) -> None:
    assert role_word(word) is role


def test_words_for_every_end() -> None:
    assert {"", "both", "양쪽", "双方", "両方", "ambos"} <= EVERY_END_WORDS


@pytest.mark.parametrize(
    ("cell", "flags"),
    [
        ("SYN", S),
        ("SYN+ACK", S | A),
        ("SYN (synchronize)", S),
        ("SYN - synchronize", S),
        ("FIN: finish", F),
        ("SYN flag", S),
        ("[S.]", S | A),
        ("SYN-SENT", None),  # a state
        ("FIN-WAIT-1", None),
        ("sent a SYN", None),  # prose
        ("A", None),  # a letter is not a flag alone in a cell
    ],
)
def test_flag_cells(cell: str, flags: TcpFlag | None) -> None:
    assert read_flag_cell(cell) == flags


@pytest.mark.parametrize(
    ("text", "flags", "absent"),
    [
        ("TCP 51000 → 80 [SYN] Seq=0 Win=64240", TcpFlag.SYN, TcpFlag.ACK),
        ("TCP 80 → 51000 [SYN, ACK] Seq=0 Ack=1", TcpFlag.SYN | TcpFlag.ACK, TcpFlag.FIN),
        ("Flags [S], seq 12345", TcpFlag.SYN, TcpFlag.ACK),
        ("Flags [.], ack 1", TcpFlag.ACK, TcpFlag.SYN | TcpFlag.FIN),
    ],
)
def test_wireshark_and_tcpdump_list_every_flag_so_the_rest_are_absent(
    text: str, flags: TcpFlag, absent: TcpFlag
) -> None:
    reading = read_message(text)
    assert reading.flags == flags
    assert reading.absent & absent == absent


def test_flag_names_outside_brackets_leave_the_others_unsaid() -> None:
    assert read_message("SYN (seq=client_isn)").absent == NO_FLAGS
