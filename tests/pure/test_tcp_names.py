"""TCP state and flag names: every alias reads as the RFC 9293 name; unknown ones say what to do."""

from __future__ import annotations

import json

import pytest

import lab.tcp
from lab.tcp import CoverageStatus, Role, TcpFlag, TcpState, UnknownNameError

S, A, F, P, R, U = TcpFlag.SYN, TcpFlag.ACK, TcpFlag.FIN, TcpFlag.PSH, TcpFlag.RST, TcpFlag.URG

# (how people write it, the state it names)
STATE_ALIASES = [
    ("SYN-RECEIVED", TcpState.SYN_RECEIVED),  # RFC 9293
    ("SYN_RCVD", TcpState.SYN_RECEIVED),  # textbooks, BSD netstat
    ("SYN-RECV", TcpState.SYN_RECEIVED),  # ss
    ("SYN_RECV", TcpState.SYN_RECEIVED),  # Linux /proc/net/tcp, netstat
    ("TCP_NEW_SYN_RECV", TcpState.SYN_RECEIVED),  # Linux request sockets
    ("syn-received", TcpState.SYN_RECEIVED),
    ("ESTAB", TcpState.ESTABLISHED),  # ss
    ("ESTABLISHED", TcpState.ESTABLISHED),
    ("TCP_ESTABLISHED", TcpState.ESTABLISHED),
    ("FIN_WAIT1", TcpState.FIN_WAIT_1),  # netstat
    ("FIN-WAIT-1", TcpState.FIN_WAIT_1),
    ("TCP_FIN_WAIT2", TcpState.FIN_WAIT_2),
    ("TCP_TIME_WAIT", TcpState.TIME_WAIT),  # include/net/tcp_states.h
    ("TIME-WAIT", TcpState.TIME_WAIT),
    ("TIME_WAIT", TcpState.TIME_WAIT),
    ("CLOSE_WAIT", TcpState.CLOSE_WAIT),
    ("LAST_ACK", TcpState.LAST_ACK),
    ("UNCONN", TcpState.CLOSED),  # ss
    ("TCP_CLOSE", TcpState.CLOSED),
    ("LISTENING", TcpState.LISTEN),
]

# (notation, the flags it names)
FLAG_NOTATIONS = [
    ("SYN", S),
    ("SYN+ACK", S | A),
    ("SA", S | A),  # scapy
    ("[S.]", S | A),  # tcpdump
    ("S.", S | A),
    ("SYN/ACK", S | A),
    ("syn, ack", S | A),
    (["SYN", "ACK"], S | A),
    (("FIN", "ACK"), F | A),
    ("FA", F | A),
    ("[F.]", F | A),
    ("[P.]", P | A),
    ("R.", R | A),
    ("[R]", R),
    ("RESET", R),
    ("URG+PSH+ACK", U | P | A),
    ("none", TcpFlag(0)),
]


@pytest.mark.parametrize(("alias", "state"), STATE_ALIASES, ids=[a for a, _ in STATE_ALIASES])
def test_every_state_alias_names_the_rfc_state(alias: str, state: TcpState) -> None:
    assert TcpState.parse(alias) is state


@pytest.mark.parametrize("state", list(TcpState), ids=str)
def test_rfc_names_and_ss_names_read_back(state: TcpState) -> None:
    assert TcpState.parse(state.value) is state
    assert TcpState.parse(state.ss_name) is state
    assert TcpState.parse(state) is state
    assert str(state) == state.value


def test_a_state_equals_its_canonical_name_only() -> None:
    states = list(TcpState)
    assert states == [state.value for state in states]  # TcpState.SYN_RECEIVED == "SYN-RECEIVED"
    assert [f"{state}" for state in states][3] == "SYN-RECEIVED"
    assert dict.fromkeys(states, 1)["LISTEN"] == 1  # type: ignore[index]  # string keys find states
    assert TcpState("TIME-WAIT") is TcpState.TIME_WAIT
    assert TcpState.SYN_RECEIVED not in ["SYN_RECV", "SYN-RECV"]  # aliases go through parse
    assert json.dumps(states[:2]) == '["CLOSED", "LISTEN"]'


def test_other_result_enums_equal_their_text() -> None:
    assert list(CoverageStatus) == ["observed", "not observed", "not run", "in no scenario"]
    assert list(lab.Privilege) == ["root", "user namespace"]
    assert list(Role) == ["client", "server"]


@pytest.mark.parametrize(
    ("number", "state"),
    [(1, TcpState.ESTABLISHED), (3, TcpState.SYN_RECEIVED), (12, TcpState.SYN_RECEIVED)],
)
def test_linux_state_numbers(number: int, state: TcpState) -> None:
    assert TcpState.from_kernel(number) is state


def test_unknown_state_number_is_refused() -> None:
    with pytest.raises(UnknownNameError, match="99 is not a Linux TCP state number"):
        TcpState.from_kernel(99)


@pytest.mark.parametrize(
    ("name", "guess"),
    [("SYN_RECIEVED", "SYN-RECEIVED"), ("ESTABLISH", "ESTABLISHED"), ("FIN_WAIT_3", "FIN-WAIT-")],
)
def test_unknown_state_guesses_the_nearest(name: str, guess: str) -> None:
    with pytest.raises(UnknownNameError) as caught:
        TcpState.parse(name)
    message = str(caught.value)
    assert message.startswith(f"{name!r} is not a TCP state; did you mean {guess}")
    assert "use one of CLOSED, LISTEN, SYN-SENT" in message


def test_unknown_state_without_a_near_name_lists_them_all() -> None:
    with pytest.raises(UnknownNameError, match=r"'BANANA' is not a TCP state; use one of CLOSED"):
        TcpState.parse("BANANA")


def test_unknown_name_error_is_a_lab_error_and_a_value_error() -> None:
    assert issubclass(UnknownNameError, lab.LabError)
    assert issubclass(UnknownNameError, ValueError)


@pytest.mark.parametrize(
    ("notation", "flags"), FLAG_NOTATIONS, ids=[str(n) for n, _ in FLAG_NOTATIONS]
)
def test_every_flag_notation_names_the_flags(
    notation: str | list[str] | tuple[str, ...], flags: TcpFlag
) -> None:
    assert TcpFlag.parse(notation) == flags


@pytest.mark.parametrize(
    ("flags", "names", "label", "tcpdump"),
    [
        (S | A, ["SYN", "ACK"], "SYN+ACK", "[S.]"),
        (F | A, ["FIN", "ACK"], "FIN+ACK", "[F.]"),
        (P | A, ["PSH", "ACK"], "PSH+ACK", "[P.]"),
        (R, ["RST"], "RST", "[R]"),
        (TcpFlag(0), [], "none", "[none]"),
    ],
)
def test_flags_are_written_the_usual_ways(
    flags: TcpFlag, names: list[str], label: str, tcpdump: str
) -> None:
    assert flags.names == names
    assert flags.label == label
    assert flags.tcpdump == tcpdump
    assert TcpFlag.parse(label) == flags
    assert TcpFlag.parse(tcpdump) == flags


@pytest.mark.parametrize(
    ("notation", "fragment"),
    [
        ("SYN+ACKK", "'SYN+ACKK' is not a set of TCP flags: 'ACKK' is unknown"),
        ("[SX]", "'SX' is unknown"),
        (["SYN", "BOGUS"], "'BOGUS' is unknown"),
    ],
)
def test_unknown_flags_say_how_to_write_them(notation: str | list[str], fragment: str) -> None:
    with pytest.raises(UnknownNameError) as caught:
        TcpFlag.parse(notation)
    assert fragment in str(caught.value)
    assert "joined by + (SYN+ACK), letters (SA), or tcpdump's notation ([S.])" in str(caught.value)


@pytest.mark.parametrize("written", ["SYN+ACK", "SYN/ACK", "[S.]", "SA", "syn, ack"])
def test_flags_equal_the_same_flags_in_any_notation(written: str) -> None:
    synack = TcpFlag.SYN | TcpFlag.ACK
    assert written == synack
    assert synack.__eq__(written)  # from the flag's side too
    assert not synack.__ne__(written)


def test_flags_differ_from_other_flags_and_from_nonsense() -> None:
    assert TcpFlag.SYN != "SYN+ACK"
    assert TcpFlag.SYN != "not a flag"
    assert TcpFlag.SYN == 2  # still the header's bits
    assert {TcpFlag.SYN: "x"}[TcpFlag.parse("S")] == "x"


def test_lookup_reads_every_alias_and_answers_none_for_other_words() -> None:
    for alias, state in STATE_ALIASES:
        assert TcpState.lookup(alias) is state
    assert TcpState.lookup("SYN_SEND") is None
    assert TcpState.lookup("hello") is None


@pytest.mark.parametrize(
    ("misspelt", "closest"),
    [
        ("SYN_SEND", (TcpState.SYN_SENT,)),
        ("TIMED_WAIT", (TcpState.TIME_WAIT,)),
        ("SYN_RECIEVED", (TcpState.SYN_RECEIVED,)),
        ("ESTABLISH", (TcpState.ESTABLISHED,)),
        ("FIN_WAIT", (TcpState.FIN_WAIT_1, TcpState.FIN_WAIT_2)),  # ambiguous
        ("TIMEOUT", ()),
        ("HTTP", ()),
    ],
)
def test_closest_names_the_states_a_misspelling_is_nearest_to(
    misspelt: str, closest: tuple[TcpState, ...]
) -> None:
    assert TcpState.closest(misspelt) == closest
