"""The documented tables: the packaged spec has every row; a bad spec gets one SpecError."""

from __future__ import annotations

import copy
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from lab._errors import InputError, LabError, SpecError, TopologyError
from lab.tcp import (
    Action,
    DocumentedSegment,
    Role,
    Scenario,
    Spec,
    TcpFlag,
    TcpState,
    Timer,
    load_spec,
    loads_spec,
    spec_from_dict,
)

PACKAGED_TEXT = (resources.files("lab.tcp") / "tables.yaml").read_text(encoding="utf-8")
SOURCE = "spec.yaml"


@pytest.fixture(scope="module")
def spec() -> Spec:
    """The packaged spec, read once for the module."""
    return load_spec()


def segment(line: str, **states: str) -> DocumentedSegment:
    """``segment("client -> server SYN", client="SYN-SENT")``."""
    sender, _, receiver, flags = line.split()
    return DocumentedSegment(
        Role(sender),
        Role(receiver),
        TcpFlag.parse(flags),
        {Role(r): TcpState.parse(s) for r, s in states.items()},
    )


# The tables, row by row: (scenario, script index, the documented line).
DOCUMENTED_ROWS = [
    ("open", 0, Action(Role.SERVER, "listens", states={Role.SERVER: TcpState.LISTEN})),
    ("open", 1, Action(Role.CLIENT, "connects")),
    ("open", 2, segment("client -> server SYN", client="SYN-SENT")),
    ("open", 3, segment("server -> client SYN+ACK", server="SYN-RECEIVED")),
    ("open", 4, segment("client -> server ACK", client="ESTABLISHED", server="ESTABLISHED")),
    ("close", 0, Action(Role.CLIENT, "closes")),
    ("close", 1, segment("client -> server FIN", client="FIN-WAIT-1")),
    ("close", 2, segment("server -> client ACK", server="CLOSE-WAIT", client="FIN-WAIT-2")),
    ("close", 3, Action(Role.SERVER, "closes")),
    ("close", 4, segment("server -> client FIN", server="LAST-ACK")),
    ("close", 5, segment("client -> server ACK", client="TIME-WAIT", server="CLOSED")),
]

FLAG_MEANINGS = [
    (TcpFlag.URG, "urgent", "urgent-data"),
    (TcpFlag.ACK, "acknowledgement number is valid", "open"),
    (TcpFlag.PSH, "deliver", "data"),
    (TcpFlag.RST, "reset", "refused"),
    (TcpFlag.SYN, "synchronise sequence numbers", "open"),
    (TcpFlag.FIN, "done sending", "close"),
]


def test_packaged_spec_loads_from_the_package(spec: Spec) -> None:
    assert spec.source.endswith("tables.yaml")
    assert list(spec.scenarios)[:2] == ["open", "close"]
    assert spec.scenarios["open"].title == "Three-way open, server in LISTEN first"


@pytest.mark.parametrize(
    ("name", "index", "line"),
    DOCUMENTED_ROWS,
    ids=[f"{name}[{index}]" for name, index, _ in DOCUMENTED_ROWS],
)
def test_packaged_spec_has_every_documented_row(
    spec: Spec, name: str, index: int, line: Action | DocumentedSegment
) -> None:
    packaged = spec.scenarios[name].script[index]
    assert packaged == line
    if isinstance(line, DocumentedSegment):
        assert isinstance(packaged, DocumentedSegment)
        assert packaged.states == line.states


def test_scripts_have_nothing_else(spec: Spec) -> None:
    assert len(spec.scenarios["open"].script) == 5
    assert spec.scenarios["open"].setup == ()
    assert len(spec.scenarios["close"].script) == 6
    assert spec.scenarios["close"].setup == (
        Action(Role.SERVER, "listens"),
        Action(Role.CLIENT, "connects"),
        Action(Role.SERVER, "accepts"),
    )


def test_client_is_closed_when_time_wait_ends(spec: Spec) -> None:
    assert spec.scenarios["close"].timers == (
        Timer(Role.CLIENT, TcpState.TIME_WAIT, TcpState.CLOSED, lasts=60),
    )


@pytest.mark.parametrize(("flag", "meaning", "scenario"), FLAG_MEANINGS, ids=str)
def test_the_six_flags_have_meanings_and_scenarios(
    spec: Spec, flag: TcpFlag, meaning: str, scenario: str
) -> None:
    assert meaning in spec.flags[flag].meaning
    assert scenario in spec.flags[flag].shown_by
    for name in spec.flags[flag].shown_by:
        assert flag in spec.scenarios[name].documented_flags


def test_every_state_has_a_meaning(spec: Spec) -> None:
    assert list(spec.states) == list(TcpState)
    assert all(spec.states.values())


def test_every_verb_of_every_script_is_an_action(spec: Spec) -> None:
    for scenario in spec.scenarios.values():
        for item in (*scenario.setup, *scenario.script):
            if isinstance(item, Action):
                assert item.verb in spec.actions


def test_documented_states_of_a_scenario_in_order(spec: Spec) -> None:
    assert spec.scenarios["close"].documented_states == (
        TcpState.FIN_WAIT_1,
        TcpState.CLOSE_WAIT,
        TcpState.FIN_WAIT_2,
        TcpState.LAST_ACK,
        TcpState.TIME_WAIT,
        TcpState.CLOSED,
    )


def test_a_segment_documented_lost_is_read_as_lost(spec: Spec) -> None:
    lost, again, *_ = spec.scenarios["syn-retransmit"].segments
    assert (lost.lost, again.lost) == (True, False)
    assert str(lost) == "client -> server SYN (lost)"
    assert not any(s.lost for s in spec.scenarios["open"].segments)  # false unless written


def test_a_scenario_cites_where_its_behaviour_is_written(spec: Spec) -> None:
    data = spoiled(lambda d: d["scenarios"]["close"].update(cites="linux close.pkt:3-9"))
    cited = spec_from_dict(data, source=SOURCE).scenarios["close"]
    assert cited.cites == ("linux close.pkt:3-9",)  # one bare place is a list of one
    assert spec.scenarios["open"].cites == ()  # none unless written


@pytest.mark.parametrize(
    ("written", "seconds"), [(60, 60.0), ("60 s", 60.0), ("1min", 60.0), ("200ms", 0.2)]
)
def test_a_timer_length_reads_in_any_unit(written: object, seconds: float) -> None:
    data = spoiled(lambda d: d["scenarios"]["close"]["timers"][0].update(lasts=written))
    (timer,) = spec_from_dict(data, source=SOURCE).scenarios["close"].timers
    assert timer.lasts == pytest.approx(seconds)
    assert timer.tolerance == pytest.approx(max(1.0, seconds / 10))


def test_the_packaged_deviations_each_name_their_scenarios(spec: Spec) -> None:
    assert {"time-wait-length", "unread-data-reset", "listen-connect"} <= set(spec.deviations)
    for deviation in spec.deviations.values():
        assert deviation.rfc
        assert deviation.linux
        assert set(deviation.shown_by) <= set(spec.scenarios)
    (timer,) = spec.scenarios["close"].timers
    assert timer.lasts == 60


def test_any_notation_and_alias_reads_as_the_canonical_one() -> None:
    text = PACKAGED_TEXT.replace("server -> client SYN+ACK", "server → client [S.]").replace(
        "states: {server: SYN-RECEIVED}", "states: {server: SYN_RECV}"
    )
    assert text != PACKAGED_TEXT
    assert loads_spec(text).scenarios["open"].script[3] == segment(
        "server -> client SYN+ACK", server="SYN-RECEIVED"
    )


def test_a_spec_file_is_read_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(PACKAGED_TEXT, encoding="utf-8")
    assert load_spec(path).scenarios == load_spec().scenarios
    assert load_spec(path).source == str(path)


def test_spec_error_shares_the_input_error_shape() -> None:
    assert issubclass(SpecError, InputError)
    assert issubclass(TopologyError, InputError)
    assert issubclass(InputError, LabError)


# --- bad specs -------------------------------------------------------------------------------

Data = dict[str, Any]


def packaged() -> Data:
    """The packaged spec as plain data, a fresh copy to spoil."""
    data = yaml.safe_load(PACKAGED_TEXT)
    assert isinstance(data, dict)
    return copy.deepcopy(data)


def spoiled(change: Callable[[Data], object]) -> Data:
    data = packaged()
    change(data)
    return data


def open_script(data: Data) -> list[Any]:
    script: list[Any] = data["scenarios"]["open"]["script"]
    return script


def close_script(data: Data) -> list[Any]:
    script: list[Any] = data["scenarios"]["close"]["script"]
    return script


def set_item(items: list[Any], index: int, value: object) -> None:
    items[index] = value


# (id, how to spoil the packaged data, field path, problem fragment, fix fragment)
BAD_SPECS = [
    pytest.param(
        lambda d: d.update(scenario=d.pop("scenarios")),
        "scenario",
        "unknown key 'scenario'",
        "did you mean 'scenarios'?",
        id="unknown-top-level-key",
    ),
    pytest.param(
        lambda d: d["scenarios"]["open"].update(scrip=[]),
        "scenarios.open.scrip",
        "unknown key 'scrip'",
        "did you mean 'script'? allowed keys here: title, setup, script, timers",
        id="unknown-scenario-key",
    ),
    pytest.param(
        lambda d: open_script(d)[2].update(state={"client": "SYN-SENT"}),
        "scenarios.open.script[2].state",
        "unknown key 'state'",
        "did you mean 'states'?",
        id="unknown-segment-key",
    ),
    pytest.param(
        lambda d: open_script(d)[2].update(lost="yes"),
        "scenarios.open.script[2].lost",
        "must be true or false, but it is",
        "write true or false",
        id="lost-not-a-boolean",
    ),
    pytest.param(
        lambda d: close_script(d)[2]["states"].update(client="FIN_WAIT_3"),
        "scenarios.close.script[2].states.client",
        "'FIN_WAIT_3' is not a TCP state",
        "did you mean FIN-WAIT-",
        id="unknown-state",
    ),
    pytest.param(
        lambda d: open_script(d)[2].update(segment="client -> server SYNN"),
        "scenarios.open.script[2].segment",
        "'SYNN' is not a set of TCP flags: 'SYNN' is unknown",
        "write names joined by + (SYN+ACK)",
        id="unknown-flag",
    ),
    pytest.param(
        lambda d: open_script(d)[2].update(segment="clinet -> server SYN"),
        "scenarios.open.script[2].segment",
        "'clinet' is not a role",
        "did you mean 'client'? roles are client, server",
        id="unknown-sender",
    ),
    pytest.param(
        lambda d: open_script(d)[2].update(segment="client -> client SYN"),
        "scenarios.open.script[2].segment",
        "this one goes from client to client",
        "write client -> server or server -> client",
        id="sender-is-receiver",
    ),
    pytest.param(
        lambda d: open_script(d)[2].update(segment="client server SYN"),
        "scenarios.open.script[2].segment",
        "'client server SYN' is not a segment",
        "write SENDER -> RECEIVER FLAGS",
        id="segment-without-arrow",
    ),
    pytest.param(
        lambda d: open_script(d)[2].update(segment="client -> server none"),
        "scenarios.open.script[2].segment",
        "documents no flag",
        "name the flags it carries",
        id="segment-without-flags",
    ),
    pytest.param(
        lambda d: open_script(d)[2].update(states={"serverr": "LISTEN"}),
        "scenarios.open.script[2].states.serverr",
        "'serverr' is not a role",
        "did you mean 'server'?",
        id="unknown-role-in-states",
    ),
    pytest.param(
        lambda d: open_script(d)[0].update(states={"server": "LISTN"}),
        "scenarios.open.script[0].states.server",
        "'LISTN' is not a TCP state",
        "did you mean LISTEN?",
        id="unknown-state-after-an-action",
    ),
    pytest.param(
        lambda d: open_script(d)[0].update(action="sever listens"),
        "scenarios.open.script[0].action",
        "starts with 'sever', which is not a role",
        "did you mean 'server'?",
        id="unknown-actor-of-an-action-with-states",
    ),
    pytest.param(
        lambda d: open_script(d)[0].update(state={"server": "LISTEN"}),
        "scenarios.open.script[0].state",
        "'state'",
        "states",
        id="typo-in-an-action-with-states",
    ),
    pytest.param(
        lambda d: set_item(open_script(d), 0, "sever listens"),
        "scenarios.open.script[0]",
        "starts with 'sever', which is not a role",
        "did you mean 'server'? start with the role that acts: client or server",
        id="unknown-actor",
    ),
    pytest.param(
        lambda d: set_item(open_script(d), 1, "client conects"),
        "scenarios.open.script[1]",
        "'conects' is not an action of this spec",
        "did you mean 'connects'? actions are: listens, connects",
        id="unknown-verb",
    ),
    pytest.param(
        lambda d: d["scenarios"]["close"].update(setup=["server listens", "client shuts"]),
        "scenarios.close.setup[1]",
        "'shuts' is not an action of this spec",
        "actions are: listens",
        id="unknown-verb-in-setup",
    ),
    pytest.param(
        lambda d: set_item(open_script(d), 1, "client"),
        "scenarios.open.script[1]",
        "'client' names no action",
        "write what client does, e.g. client closes",
        id="action-without-verb",
    ),
    pytest.param(
        lambda d: set_item(open_script(d), 1, 42),
        "scenarios.open.script[1]",
        "must be an action or a segment, but it is a whole number (42)",
        "- client closes",
        id="script-line-number",
    ),
    pytest.param(
        lambda d: d["scenarios"]["open"].update(script=["server listens", "client connects"]),
        "scenarios.open.script",
        "the script documents no segment",
        "add a line such as - segment: client -> server SYN",
        id="script-without-segments",
    ),
    pytest.param(
        lambda d: d["scenarios"]["open"].pop("title"),
        "scenarios.open.title",
        "'title' is missing",
        "write a one-line title",
        id="missing-title",
    ),
    pytest.param(
        lambda d: d["scenarios"].update({"Open Twice": d["scenarios"]["open"]}),
        "scenarios['Open Twice']",
        "'Open Twice' is not a usable scenario name",
        "lowercase letters, digits and hyphens (it names pcap files)",
        id="bad-scenario-name",
    ),
    pytest.param(
        lambda d: d["flags"]["URG"].update(shown_by=["urgent"]),
        "flags.URG.shown_by[0]",
        "there is no scenario 'urgent'",
        "did you mean 'urgent-data'? scenarios are: open, close",
        id="shown-by-unknown-scenario",
    ),
    pytest.param(
        lambda d: d["flags"]["PSH"].update(shown_by=["data", "open"]),
        "flags.PSH.shown_by[1]",
        "scenario 'open' documents no segment with PSH",
        "name a scenario that sends PSH",
        id="shown-by-scenario-without-the-flag",
    ),
    pytest.param(
        lambda d: d["flags"].pop("URG"),
        "flags",
        "the flags table has no entry for URG",
        "the six flags URG ACK PSH RST SYN FIN must all be explained",
        id="missing-flag",
    ),
    pytest.param(
        lambda d: [d["flags"].pop(f) for f in ("PSH", "FIN")],
        "flags",
        "no entry for PSH, FIN",
        "add PSH: {meaning: ..., shown_by: [...]}",
        id="missing-flags",
    ),
    pytest.param(
        lambda d: d["flags"].update({"SYN+ACK": {"meaning": "both"}}),
        "flags['SYN+ACK']",
        "'SYN+ACK' is 2 flags, but each entry explains one",
        "one entry per flag",
        id="two-flags-in-one-entry",
    ),
    pytest.param(
        lambda d: d["flags"].update({"SYNN": {"meaning": "?"}}),
        "flags.SYNN",
        "'SYNN' is not a set of TCP flags",
        "tcpdump's notation",
        id="unknown-flag-key",
    ),
    pytest.param(
        lambda d: d["flags"].update({"S": {"meaning": "again"}}),
        "flags.S",
        "SYN is already listed",
        "keep one entry per flag",
        id="flag-listed-twice",
    ),
    pytest.param(
        lambda d: d["flags"]["FIN"].pop("meaning"),
        "flags.FIN.meaning",
        "'meaning' is missing",
        "say what the flag means",
        id="flag-without-meaning",
    ),
    pytest.param(
        lambda d: d["states"].update(ESTAB="again"),
        "states.ESTAB",
        "this state is already listed (at states.ESTABLISHED)",
        "aliases such as ESTAB and ESTABLISHED name the same thing",
        id="state-listed-twice",
    ),
    pytest.param(
        lambda d: d["states"].update(ESTABLISH="typo"),
        "states.ESTABLISH",
        "'ESTABLISH' is not a TCP state",
        "did you mean ESTABLISHED?",
        id="unknown-state-key",
    ),
    pytest.param(
        lambda d: d["states"].pop("CLOSE-WAIT"),
        "scenarios.close.script[2].states.server",
        "CLOSE-WAIT is not in the states table",
        "add CLOSE-WAIT: with its meaning under states:",
        id="state-missing-from-table",
    ),
    pytest.param(
        lambda d: d["scenarios"]["close"]["timers"][0].update(state="TIME_WAITT"),
        "scenarios.close.timers[0].state",
        "'TIME_WAITT' is not a TCP state",
        "did you mean TIME-WAIT?",
        id="timer-unknown-state",
    ),
    pytest.param(
        lambda d: d["scenarios"]["close"]["timers"][0].update(after="CLOSED"),
        "scenarios.close.timers[0].after",
        "unknown key 'after'",
        "allowed keys here: role, state, then",
        id="timer-unknown-key",
    ),
    pytest.param(
        lambda d: d["scenarios"]["close"]["timers"][0].update(role="peer"),
        "scenarios.close.timers[0].role",
        "'peer' is not a role",
        "roles are client, server",
        id="timer-unknown-role",
    ),
    pytest.param(
        lambda d: d.update(actions=["listens"]),
        "actions",
        "must be a mapping of action to what it does, but it is a list",
        "actions: {closes:",
        id="actions-list",
    ),
    pytest.param(
        lambda d: d["scenarios"]["close"].update(cites=[{"file": "x.pkt"}]),
        "scenarios.close.cites[0]",
        "must be a string",
        "write cites:",
        id="cites-not-text",
    ),
    pytest.param(
        lambda d: d["scenarios"]["close"]["timers"][0].update(lasts="soon"),
        "scenarios.close.timers[0].lasts",
        "must be a duration, but it is",
        "write a number of seconds, e.g. lasts: 60",
        id="timer-lasts-not-a-duration",
    ),
    pytest.param(
        lambda d: d["scenarios"]["close"]["timers"][0].update(lasts=0),
        "scenarios.close.timers[0].lasts",
        "must be more than 0 s",
        "lasts: 60",
        id="timer-lasts-zero",
    ),
    pytest.param(
        lambda d: d["deviations"]["listen-connect"].update(shown_by=["listen-conect"]),
        "deviations.listen-connect.shown_by[0]",
        "there is no scenario 'listen-conect'",
        "did you mean 'listen-connect'?",
        id="deviation-unknown-scenario",
    ),
    pytest.param(
        lambda d: d["deviations"]["listen-connect"].update(shown_by=[]),
        "deviations.listen-connect.shown_by",
        "a deviation must be shown by a scenario, but it names none",
        "write shown_by:",
        id="deviation-shown-by-none",
    ),
    pytest.param(
        lambda d: d["deviations"]["listen-connect"].pop("linux"),
        "deviations.listen-connect.linux",
        "'linux' is missing",
        "say what Linux does instead",
        id="deviation-without-linux",
    ),
    pytest.param(
        lambda d: d.pop("states"),
        "states",
        "'states' is missing",
        "list the documented states under states:",
        id="missing-states",
    ),
]


@pytest.mark.parametrize(("change", "path", "problem", "fix"), BAD_SPECS)
def test_bad_spec_gets_one_precise_error(
    change: Callable[[Data], object], path: str, problem: str, fix: str
) -> None:
    with pytest.raises(SpecError) as caught:
        spec_from_dict(spoiled(change), source=SOURCE)
    error = caught.value
    assert (error.source, error.path) == (SOURCE, path)
    assert problem in error.problem
    assert fix in error.fix
    assert str(error) == f"{SOURCE}: {path}: {error.problem}; {error.fix}"


def test_unknown_state_keeps_the_name_error_message_whole() -> None:
    data = spoiled(lambda d: close_script(d)[2]["states"].update(client="FIN_WAIT_3"))
    with pytest.raises(SpecError) as caught:
        spec_from_dict(data, source=SOURCE)
    assert str(caught.value).startswith(
        f"{SOURCE}: scenarios.close.script[2].states.client: 'FIN_WAIT_3' is not a TCP state; "
        "did you mean FIN-WAIT-"
    )


@pytest.mark.parametrize(
    ("text", "path", "problem"),
    [
        ("", "", "the spec is empty"),
        ("states: [\n", "line 2, column 1", "this is not valid YAML"),
        ("- a list\n", "", "must be a mapping with states:, flags:, actions:, scenarios: and"),
        (
            "- a list\n",
            "",
            "must be a mapping with states:, flags:, actions:, scenarios: and deviations:",
        ),
    ],
    ids=["empty", "syntax", "duplicate-key", "list"],
)
def test_bad_yaml_is_a_spec_error_with_its_line(text: str, path: str, problem: str) -> None:
    with pytest.raises(SpecError) as caught:
        loads_spec(text, source=SOURCE)
    assert (caught.value.path, caught.value.source) == (path, SOURCE)
    assert problem in caught.value.problem


def test_missing_file_is_a_spec_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(SpecError) as caught:
        load_spec(missing)
    assert str(caught.value) == (
        f"{missing}: there is no such file; check the path, "
        "or leave it out to use the packaged tables.yaml"
    )


def test_scenario_properties_split_the_script() -> None:
    scenario = Scenario(
        "x",
        "X",
        setup=(),
        script=(
            Action(Role.CLIENT, "closes"),
            segment("client -> server FIN", client="FIN-WAIT-1"),
        ),
    )
    assert scenario.segments == (segment("client -> server FIN", client="FIN-WAIT-1"),)
    assert scenario.documented_flags == TcpFlag.FIN
    assert str(scenario.script[0]) == "client closes"
    assert str(scenario.script[1]) == "client -> server FIN"
