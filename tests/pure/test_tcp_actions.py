"""Actions with arguments and documented results: the grammar, the schema's errors, the judge."""

from __future__ import annotations

import copy
import dataclasses
from importlib import resources
from typing import Any

import pytest
import yaml
from timelines import act, judged, seg

from lab._errors import SpecError, UnknownNameError
from lab.tcp import (
    Action,
    Observation,
    Role,
    TcpState,
    load_spec,
    render_scenario,
    spec_from_dict,
    to_json,
)
from lab.tcp._actions import (
    OPTIONS,
    PLACEHOLDERS,
    Arguments,
    SocketOption,
    fill,
    placeholders_in,
    read_result,
    resolve,
    result_problem,
)
from lab.tcp._edges import EDGES
from lab.tcp._transitions import edges_shown, transitions

SPEC = load_spec()
PACKAGED_TEXT = (resources.files("lab.tcp") / "tables.yaml").read_text(encoding="utf-8")
SOURCE = "spec.yaml"

# --- the grammar ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "verb", "arguments"),
    [
        ("closes", "closes", Arguments()),
        (
            "sets TCP_USER_TIMEOUT 3000",
            "sets OPTION VALUE",
            Arguments(option=SocketOption.TCP_USER_TIMEOUT, value=3000),
        ),
        ("sets tcp_nodelay 1", "sets OPTION VALUE", Arguments(SocketOption.TCP_NODELAY, 1)),
        ("sets SO_LINGER 0", "sets OPTION VALUE", Arguments(SocketOption.SO_LINGER, 0)),
        ("binds port 40000", "binds port PORT", Arguments(port=40000)),
        ("connects from port 40000", "connects from port PORT", Arguments(port=40000)),
        ("connects", "connects", Arguments()),
        ("connects to a closed port", "connects to a closed port", Arguments()),
    ],
)
def test_a_written_verb_resolves_to_its_table_key_and_typed_arguments(
    written: str, verb: str, arguments: Arguments
) -> None:
    assert resolve(written, SPEC.actions) == (verb, arguments)
    assert fill(verb, arguments) == " ".join(written.split()).replace("tcp_nodelay", "TCP_NODELAY")


@pytest.mark.parametrize(
    ("written", "problem", "fix"),
    [
        (
            "sets TCP_USERTIMEOUT 3000",
            "'TCP_USERTIMEOUT' is not a socket option a script can set",
            "did you mean 'TCP_USER_TIMEOUT'? options are: TCP_NODELAY, TCP_CORK, "
            "TCP_USER_TIMEOUT, TCP_SYNCNT, SO_LINGER",
        ),
        (
            "sets SO_LINGER 5",
            "SO_LINGER takes 0 (a longer linger makes close() wait for the peer's ACK, which "
            "the stepper holds), not 5",
            "write e.g. sets SO_LINGER 0",
        ),
        ("sets TCP_NODELAY 2", "TCP_NODELAY takes 0 to 1, not 2", "sets TCP_NODELAY 0"),
        ("sets TCP_NODELAY on", "'on' is not a whole number", "write a whole number, e.g. 0"),
        ("binds port 70000", "'70000' is not a port number from 1 to 65535", "e.g. 1"),
        (
            "sets TCP_NODELAY",
            "'sets TCP_NODELAY' is not an action of this spec",
            "did you mean 'sets TCP_NODELAY 1'? actions are: listens",
        ),
        ("bind port 4", "'bind port 4' is not an action", "did you mean 'binds port 40000'?"),
    ],
    ids=[
        "unknown-option",
        "linger-not-zero",
        "value-out-of-range",
        "value-not-a-number",
        "port-out-of-range",
        "argument-missing",
        "verb-misspelt",
    ],
)
def test_a_wrong_verb_or_argument_says_what_exists(written: str, problem: str, fix: str) -> None:
    with pytest.raises(UnknownNameError) as caught:
        resolve(written, SPEC.actions)
    assert caught.value.problem == problem or problem in caught.value.problem
    assert fix in caught.value.fix


def test_every_option_and_placeholder_is_documented() -> None:
    assert set(OPTIONS) == set(SocketOption)
    for doc in OPTIONS.values():
        assert doc.meaning
        assert doc.low <= doc.high
    for name, place in PLACEHOLDERS.items():
        assert name.isupper()
        assert place.field in Arguments.__dataclass_fields__
        assert place.read(place.example) is not None


def test_capitals_in_a_verb_must_be_placeholders() -> None:
    assert placeholders_in("sets OPTION VALUE") == ("OPTION", "VALUE")
    assert placeholders_in("reads") == ()
    with pytest.raises(UnknownNameError, match="'OPTON' is not a placeholder") as caught:
        placeholders_in("sets OPTON VALUE")
    assert "did you mean 'OPTION'? placeholders are: OPTION, VALUE, PORT" in caught.value.fix


@pytest.mark.parametrize(
    ("written", "result"),
    [
        ("ok", "ok"),
        ("OK", "ok"),
        ("EOF", "EOF"),
        ("eof", "EOF"),
        ("EPIPE", "EPIPE"),
        ("econnrefused", "ECONNREFUSED"),
        ("EWOULDBLOCK", "EAGAIN"),
        (5, "5"),
        ("1000", "1000"),
    ],
)
def test_a_documented_result_has_one_spelling(written: str | int, result: str) -> None:
    assert read_result(written) == result


@pytest.mark.parametrize(
    ("written", "fix"),
    [("ECONREFUSED", "did you mean 'ECONNREFUSED'?"), ("closed", "write ok, EOF"), (-1, "ok")],
)
def test_an_unknown_result_says_what_may_be_written(written: str | int, fix: str) -> None:
    with pytest.raises(UnknownNameError, match="is not a result") as caught:
        read_result(written)
    assert fix in caught.value.fix


@pytest.mark.parametrize(
    ("documented", "observed", "problem"),
    [
        ("ok", "ok", None),
        ("ok", "5", None),
        ("5", "5", None),
        ("EOF", "EOF", None),
        ("EPIPE", "EPIPE", None),
        ("EPIPE", "5", "the call returned 5, documented EPIPE"),
        ("ok", "EPIPE", "the call returned EPIPE, documented ok"),
        ("5", "ok", "the call succeeded, documented 5"),
        ("ECONNREFUSED", "ETIMEDOUT", "the call returned ETIMEDOUT, documented ECONNREFUSED"),
        ("EOF", "could not: x", "the call was not made (could not: x); documented EOF"),
        ("EOF", "", "the call's result was not recorded; documented EOF"),
    ],
)
def test_a_result_is_judged_exactly_except_ok(
    documented: str, observed: str, problem: str | None
) -> None:
    assert result_problem(documented, observed) == problem


# --- the schema -----------------------------------------------------------------------------


def packaged() -> dict[str, Any]:
    data = yaml.safe_load(PACKAGED_TEXT)
    assert isinstance(data, dict)
    return copy.deepcopy(data)


def script_of(data: dict[str, Any], name: str) -> list[Any]:
    script: list[Any] = data["scenarios"][name]["script"]
    return script


def test_the_packaged_tables_read_arguments_and_results() -> None:
    connect = SPEC.scenarios["listen-connect"].script[1]
    assert isinstance(connect, Action)
    assert (connect.verb, connect.result) == ("connects its listener", "EISCONN")
    timeout = SPEC.scenarios["user-timeout"].script[0]
    assert isinstance(timeout, Action)
    assert timeout.verb == "sets OPTION VALUE"
    assert timeout.arguments == Arguments(SocketOption.TCP_USER_TIMEOUT, 1000)
    assert str(timeout) == "client sets TCP_USER_TIMEOUT 1000"
    bind = SPEC.scenarios["simultaneous-open"].script[0]
    assert isinstance(bind, Action)
    assert (bind.verb, bind.arguments.port, bind.said) == (
        "binds port PORT",
        40000,
        "binds port 40000",
    )


@pytest.mark.parametrize(
    ("place", "change", "path", "problem", "fix"),
    [
        pytest.param(
            ("user-timeout", 0),
            "client sets TCP_USERTIMEOUT 1000",
            "scenarios.user-timeout.script[0]",
            "'TCP_USERTIMEOUT' is not a socket option",
            "did you mean 'TCP_USER_TIMEOUT'?",
            id="unknown-option",
        ),
        pytest.param(
            ("listen-connect", 1),
            {"action": "server connects its listener", "result": "EISCON"},
            "scenarios.listen-connect.script[1].result",
            "'EISCON' is not a result",
            "did you mean 'EISCONN'?",
            id="unknown-errno",
        ),
        pytest.param(
            ("listen-connect", 1),
            {"action": "server connects its listner", "result": "EISCONN"},
            "scenarios.listen-connect.script[1].action",
            "'connects its listner' is not an action of this spec",
            "did you mean 'connects its listener'?",
            id="unknown-verb-with-a-result",
        ),
        pytest.param(
            ("listen-connect", 1),
            {"action": "server connects its listener", "result": True},
            "scenarios.listen-connect.script[1].result",
            "a result is ok, EOF, an errno name or a count, but it is a boolean",
            "write e.g. result: EPIPE",
            id="result-boolean",
        ),
        pytest.param(
            ("listen-connect", 1),
            {"action": "server connects its listener", "reslt": "EISCONN"},
            "scenarios.listen-connect.script[1].reslt",
            "unknown key 'reslt'",
            "did you mean 'result'?",
            id="result-misspelt",
        ),
    ],
)
def test_a_wrong_action_item_gets_one_precise_error(
    place: tuple[str, int], change: object, path: str, problem: str, fix: str
) -> None:
    """`place`: the scenario and the index of the script line that `change` replaces."""
    data = packaged()
    name, index = place
    script_of(data, name)[index] = change
    with pytest.raises(SpecError) as caught:
        spec_from_dict(data, source=SOURCE)
    assert caught.value.path == path
    assert problem in caught.value.problem
    assert fix in caught.value.fix


def test_an_actions_table_key_with_unknown_capitals_is_refused() -> None:
    data = packaged()
    data["actions"]["sets OPTON VALUE"] = "a typo"
    with pytest.raises(SpecError) as caught:
        spec_from_dict(data, source=SOURCE)
    assert caught.value.path == "actions['sets OPTON VALUE']"
    assert "'OPTON' is not a placeholder" in caught.value.problem


def test_a_script_that_documents_only_a_result_has_something_to_compare() -> None:
    data = packaged()
    data["scenarios"]["refusal-only"] = {
        "title": "connect() on a listener",
        "script": [
            "server listens",
            {"action": "server connects its listener", "result": "EISCONN"},
        ],
    }
    spec = spec_from_dict(data, source=SOURCE)
    assert spec.scenarios["refusal-only"].script[1] == Action(
        Role.SERVER, "connects its listener", result="EISCONN"
    )


# --- the judge ------------------------------------------------------------------------------

LISTEN_CONNECT = [
    act("server listens", "CLOSED LISTEN", "ok"),
    act("server connects its listener", "CLOSED LISTEN", "EISCONN"),
]


def test_the_documented_result_is_judged_at_its_action() -> None:
    verdict = judged("listen-connect", LISTEN_CONNECT)
    assert verdict.ok, verdict.problems
    refused = verdict.actions[1]
    assert (refused.expected_result, refused.result, refused.ok) == ("EISCONN", "EISCONN", True)


def test_a_wrong_result_fails_at_that_action_in_the_report_and_the_json() -> None:
    timeline = [LISTEN_CONNECT[0], act("server connects its listener", "CLOSED LISTEN", "ok")]
    verdict = judged("listen-connect", timeline)
    assert verdict.problems == (
        "after 'server connects its listener': the call succeeded, documented EISCONN",
    )
    table = render_scenario(verdict)
    assert "server connects its listener: ✗ ok (documented: returns EISCONN, server LISTEN)" in (
        table
    )
    assert "✗ the call succeeded, documented EISCONN" in table
    scenarios = to_json([verdict], kernel="k")["scenarios"]
    assert isinstance(scenarios, list)
    action = scenarios[0]["actions"][1]
    assert (action["expected_result"], action["result"], action["ok"]) == ("EISCONN", "ok", False)


def test_an_action_the_run_never_reached_has_no_result() -> None:
    verdict = judged("listen-connect", LISTEN_CONNECT[:1])
    assert verdict.actions[1].problems[0] == (
        "the call's result was not observed (the run did not get as far as the action); "
        "documented EISCONN"
    )


def test_an_action_shows_its_arguments_filled_in() -> None:
    verdict = judged("linger-zero-close", [])
    assert str(verdict.actions[-2]) == "server sets SO_LINGER 0"


# --- the edges they show ----------------------------------------------------------------------


def test_a_state_change_while_waiting_is_a_timers() -> None:
    timeline: list[Observation] = [
        act("client connects", "SYN-SENT LISTEN", "EINPROGRESS"),
        dataclasses.replace(
            seg(1, "client -> server S", "SYN-SENT LISTEN", "SYN-SENT LISTEN"), dropped=True
        ),
        act("client waits for the connection", "CLOSED LISTEN", "ETIMEDOUT"),
    ]
    verdict = judged("syn-retries-exhausted", timeline)
    waited = [t for t in transitions(verdict) if t.source is TcpState.SYN_SENT]
    assert [(str(t.event), t.edge and t.edge.id) for t in waited] == [("timer", "syn-sent-close")]


def test_crossing_syns_credit_the_simultaneous_open_on_both_ends() -> None:
    # The server's SYN was emitted (its states read) before the client's reached it.
    timeline: list[Observation] = [
        act("client binds port PORT", "CLOSED CLOSED", "ok"),  # the runner records the key
        act("server binds port PORT", "CLOSED CLOSED", "ok"),
        act("client connects", "SYN-SENT CLOSED", "EINPROGRESS"),
        act("server connects", "SYN-SENT SYN-SENT", "EINPROGRESS"),
        seg(1, "client -> server S", "SYN-SENT CLOSED", "SYN-SENT SYN-RECEIVED"),
        seg(2, "server -> client S", "SYN-SENT SYN-SENT", "SYN-RECEIVED SYN-RECEIVED"),
        seg(3, "server -> client SA", "SYN-SENT SYN-RECEIVED", "ESTABLISHED SYN-RECEIVED"),
        seg(4, "client -> server SA", "SYN-RECEIVED SYN-RECEIVED", "ESTABLISHED ESTABLISHED"),
    ]
    verdict = judged("simultaneous-open", timeline)
    found = [(t.role, t.source, t.target, t.edge and t.edge.id) for t in transitions(verdict)]
    s = TcpState
    assert found == [
        (Role.CLIENT, s.CLOSED, s.SYN_SENT, "active-open"),
        (Role.SERVER, s.CLOSED, s.SYN_SENT, "active-open"),
        (Role.SERVER, s.SYN_SENT, s.SYN_RECEIVED, "simultaneous-open"),
        (Role.CLIENT, s.SYN_SENT, s.SYN_RECEIVED, "simultaneous-open"),
        (Role.CLIENT, s.SYN_RECEIVED, s.ESTABLISHED, "syn-received-ack"),
        (Role.SERVER, s.SYN_RECEIVED, s.ESTABLISHED, "syn-received-ack"),
    ]
    assert "syn-sent-synack" not in {e.id for e in edges_shown(verdict)}


def test_every_edge_id_a_new_scenario_is_for_exists() -> None:
    ids = {edge.id for edge in EDGES}
    wanted = {"simultaneous-open", "syn-received-close", "user-timeout"}
    wanted |= {f"{s}-rst" for s in ("fin-wait-1", "fin-wait-2", "close-wait", "last-ack")}
    assert wanted <= ids
