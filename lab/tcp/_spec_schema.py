"""How a spec file is read: one table of keys per mapping, then the checks across tables.

The schema is built from `lab._reader`'s pieces, like the topology's. Reading
checks each field on its own (names, roles, notations); then `_cross_check`
checks what needs two tables at once: verbs against ``actions:``, documented
states against ``states:``, ``shown_by`` against ``scenarios:``. Any problem is
one `SpecError` naming the file, the field path and the fix. Pure: no kernel access.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, TypeVar

from lab._errors import SpecError, UnknownNameError, did_you_mean
from lab._reader import (
    At,
    Key,
    Located,
    Record,
    Shape,
    boolean,
    default,
    describe_value,
    list_of,
    located,
    mapping_of,
    plain_text,
    required,
    text,
)
from lab.tcp import _segment_schema as extra
from lab.tcp._actions import placeholders_in, read_result, resolve
from lab.tcp._names import Role, TcpFlag, TcpState
from lab.tcp._segment_claims import Injection
from lab.tcp._spec import (
    REQUIRED_FLAGS,
    ROLES,
    Action,
    Deviation,
    DocumentedSegment,
    FlagDoc,
    Scenario,
    Spec,
    Timer,
)
from lab.topology._names import sysctl_table

__all__ = ["START", "read_spec"]

T = TypeVar("T")

# --- single fields ---------------------------------------------------------------------

START: Final = "start from lab/tcp/tables.yaml, which has states:, flags:, actions: and scenarios:"
_SCENARIO_NAME: Final = re.compile(r"[a-z0-9][a-z0-9-]*")
_SEGMENT: Final = re.compile(r"(?P<sender>\S+)\s*(?:->|→)\s*(?P<receiver>\S+)\s+(?P<flags>\S.*)")
_SEGMENT_FIX: Final = "write SENDER -> RECEIVER FLAGS, e.g. segment: client -> server SYN+ACK"


def _unknown_name(at: At, error: UnknownNameError) -> SpecError:
    """The SpecError for a name the alias tables refused, at the field it came from."""
    return SpecError(at.source, at.path, error.problem, error.fix)


def _state(value: object, at: At) -> TcpState:
    """A state in any spelling TcpState.parse accepts."""
    name = text(value, at, "a TCP state name", "write an RFC 9293 name such as SYN-SENT")
    try:
        return TcpState.parse(name)
    except UnknownNameError as error:
        raise _unknown_name(at, error) from None


def _flag_key(value: object, at: At) -> TcpFlag:
    """A key of the flags table: exactly one flag."""
    name = text(value, at, "a flag name", "write a flag name such as SYN")
    try:
        flags = TcpFlag.parse(name)
    except UnknownNameError as error:
        raise _unknown_name(at, error) from None
    if len(flags.names) != 1:
        raise at.error(
            f"{name!r} is {len(flags.names)} flags, but each entry explains one",
            "write one entry per flag, e.g. SYN: and ACK:",
        )
    return flags


def _role(value: object, at: At) -> Role:
    """``client`` or ``server``."""
    name = text(value, at, "a role", f"write one of {', '.join(ROLES)}")
    if name not in ROLES:
        raise at.error(
            f"{name!r} is not a role", f"{did_you_mean(name, ROLES)}roles are {', '.join(ROLES)}"
        )
    return Role(name)


def _verb(value: object, at: At) -> str:
    """A key of the actions table: a verb phrase such as ``connects to a closed port``, whose
    words in capitals are placeholders (``sets OPTION VALUE``)."""
    verb = text(value, at, "an action (a verb phrase)", "write e.g. closes: what the role does")
    if not verb.strip() or verb != " ".join(verb.split()):
        raise at.error(
            f"{verb!r} is not a usable action name",
            "write words separated by single spaces, e.g. sends data",
        )
    try:
        placeholders_in(verb)
    except UnknownNameError as error:
        raise _unknown_name(at, error) from None
    return verb


def _result(value: object, at: At) -> str:
    """A documented result: ``ok``, ``EOF``, an errno name (``EPIPE``) or a count of bytes."""
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise at.error(
            f"a result is ok, EOF, an errno name or a count, but it is {describe_value(value)}",
            "write e.g. result: EPIPE",
        )
    try:
        return read_result(value)
    except UnknownNameError as error:
        raise _unknown_name(at, error) from None


def _scenario_name(value: object, at: At) -> str:
    """A scenario name: it names pcap files, so lowercase letters, digits and hyphens."""
    name = text(value, at, "a scenario name", "write e.g. open:")
    if not _SCENARIO_NAME.fullmatch(name):
        raise at.error(
            f"{name!r} is not a usable scenario name",
            "use lowercase letters, digits and hyphens (it names pcap files), e.g. half-close",
        )
    return name


def _action(value: object, at: At) -> Action:
    """``ROLE VERB``: the role that acts, then a verb of the actions table (checked later)."""
    line = text(value, at, "an action such as 'client closes'", "write ROLE ACTION")
    actor, _, verb = line.strip().partition(" ")
    if actor not in ROLES:
        raise at.error(
            f"the action {line!r} starts with {actor!r}, which is not a role",
            f"{did_you_mean(actor, ROLES)}start with the role that acts: {' or '.join(ROLES)}",
        )
    if not verb.strip():
        raise at.error(f"{line!r} names no action", f"write what {actor} does, e.g. {actor} closes")
    return Action(Role(actor), " ".join(verb.split()))


def _segment_line(value: object, at: At) -> tuple[Role, Role, TcpFlag]:
    """``client -> server SYN+ACK``: sender, receiver (two different roles) and flags."""
    fix = f"write SENDER -> RECEIVER FLAGS, e.g. {at.last}: client -> server SYN+ACK"
    line = text(value, at, "a segment such as 'client -> server SYN'", fix)
    found = _SEGMENT.fullmatch(line.strip())
    if found is None:
        raise at.error(f"{line!r} is not a segment", fix)
    sender = _role(found["sender"], at)
    receiver = _role(found["receiver"], at)
    if sender == receiver:
        other = sender.peer
        raise at.error(
            f"a segment goes from one role to the other, but this one goes from {sender} "
            f"to {receiver}",
            f"write {sender} -> {other} or {other} -> {sender}",
        )
    try:
        flags = TcpFlag.parse(found["flags"])
    except UnknownNameError as error:
        raise _unknown_name(at, error) from None
    if not flags:
        raise at.error(f"{line!r} documents no flag", "name the flags it carries, e.g. SYN")
    return sender, receiver, flags


def _segment(record: Record, at: At) -> Located[DocumentedSegment]:
    """A documented segment; states are keyed by role, each located for later checks."""
    sender, receiver, flags = record[SEGMENT]
    states: dict[str, TcpState] = dict(record[STATES])
    both = flags & record[extra.WITHOUT]
    if both:
        raise at.key("without").error(
            f"{both.label} is both documented and documented absent",
            f"write {both.label} in segment: or in without:, not both",
        )
    if record[LOST] and record[extra.CE]:
        raise at.key("ce").error(
            "a lost segment never arrives, so it cannot arrive CE-marked",
            "drop ce: true, or lost: true",
        )
    segment = DocumentedSegment(
        sender,
        receiver,
        flags,
        states,
        absent=record[extra.WITHOUT],
        lost=record[LOST],
        overtakes=record[extra.OVERTAKES],
        ce=record[extra.CE],
        after=record[extra.AFTER],
        options=record[extra.OPTIONS],
    )
    return Located(segment, at)


def _injected(record: Record, at: At) -> Located[DocumentedSegment]:
    """A segment the runner injects, as if its sender had sent it."""
    sender, receiver, flags = record[INJECT]
    injection = Injection(record[extra.SEQ], record[extra.ACK], record[extra.DATA])
    states: dict[str, TcpState] = dict(record[STATES])
    segment = DocumentedSegment(
        sender, receiver, flags, states, data=injection.data > 0, inject=injection
    )
    return Located(segment, at)


@dataclass(frozen=True)
class _ActionMapping(Located[Action]):
    """An action written as a mapping (``action:``, ``states:``, ``result:``): its verb is
    at the item's ``action`` key."""


def _action_item(record: Record, at: At) -> Located[Action]:
    """An action written as a mapping, with the states the roles are in right after it and
    the call's result."""
    action: Action = record[ACTION]
    states: dict[str, TcpState] = dict(record[STATES])
    written = Action(action.actor, action.verb, states=states, result=record[RESULT])
    return _ActionMapping(written, at)


def _script_item(value: object, at: At) -> Located[Action] | Located[DocumentedSegment]:
    """A script line: an action (a string, or a mapping with action: and states:), a
    segment (a mapping with segment:) or an injected one (a mapping with inject:)."""
    if isinstance(value, str):
        return Located(_action(value, at), at)
    if isinstance(value, Mapping):
        if "action" in value:
            return _ACTION_ITEM(value, at)
        return _INJECT_ITEM(value, at) if "inject" in value else _SEGMENT_ITEM(value, at)
    raise at.error(
        f"a script line must be an action or a segment, but it is {describe_value(value)}",
        "write e.g. - client closes, or - segment: client -> server FIN",
    )


@dataclass(frozen=True)
class _ScenarioDraft:
    """A scenario as read, with the places of its actions and segments for cross-checks."""

    title: str
    setup: tuple[Located[Action], ...]
    script: tuple[Located[Action] | Located[DocumentedSegment], ...]
    timers: tuple[Located[Timer], ...]
    sysctls: tuple[tuple[str, str], ...]
    cites: tuple[str, ...]
    slow: str
    at: At

    def scenario(self, name: str) -> Scenario:
        """The scenario called `name`, without the places."""
        return Scenario(
            name,
            self.title,
            tuple(a.value for a in self.setup),
            tuple(item.value for item in self.script),
            tuple(t.value for t in self.timers),
            dict(self.sysctls),
            self.cites,
            self.slow,
        )


def _draft(record: Record, at: At) -> _ScenarioDraft:
    """A scenario whose script documents something: a segment, or a state after an action."""
    script = record[SCRIPT]
    _check_timings(script, at.key("script"))
    if not any(
        isinstance(item.value, DocumentedSegment)
        or (isinstance(item.value, Action) and (item.value.states or item.value.result))
        for item in script
    ):
        raise at.key("script").error(
            "the script documents no segment, and no state or result after an action, so "
            "there is nothing to compare",
            "add a line such as - segment: client -> server SYN, with its states:, or give "
            "an action its states (- action: server listens, states: {server: LISTEN}) or "
            "its result (result: EISCONN)",
        )
    return _ScenarioDraft(
        record[TITLE],
        record[SETUP],
        script,
        record[TIMERS],
        record[SYSCTLS],
        record[CITES],
        record[SLOW],
        at,
    )


def _check_timings(
    script: tuple[Located[Action] | Located[DocumentedSegment], ...], at: At
) -> None:
    """``after:`` times a segment from the one documented before it, so that one must exist."""
    for item in script:
        if isinstance(item.value, DocumentedSegment):
            if item.value.after is not None:
                raise item.at.key("after").error(
                    "after: times a segment from the segment documented before it, but this "
                    "is the script's first segment",
                    "drop after: here, or document the segment it follows",
                )
            return


def _unique_keys(pairs: tuple[tuple[Located[T], str], ...], what: str) -> dict[T, str]:
    """Keys that name the same thing in two spellings (ESTAB, ESTABLISHED) are refused."""
    table: dict[T, str] = {}
    first: dict[T, At] = {}
    for key, value in pairs:
        if key.value in table:
            raise key.at.error(
                f"this {what} is already listed (at {first[key.value].path})",
                "keep one entry; aliases such as ESTAB and ESTABLISHED name the same thing",
            )
        table[key.value] = value
        first[key.value] = key.at
    return table


# --- the schema, as tables of keys ---------------------------------------------------------

SEGMENT: Final = Key(
    "segment",
    _segment_line,
    required(_SEGMENT_FIX),
)
STATES: Final = Key(
    "states",
    mapping_of(
        _role,
        _state,
        "a mapping of role to state",
        "write e.g. states: {client: SYN-SENT}",
    ),
    default(()),
)
LOST: Final = Key("lost", boolean, default(False))
"""``lost: true``: the runner drops the segment, and the sender's retransmission is the
segment documented next."""
_SEGMENT_ITEM: Final = Shape(
    "a segment: a mapping with segment:, states:, without:, lost:, overtakes:, ce:, after: and "
    "options:",
    (
        SEGMENT,
        STATES,
        extra.WITHOUT,
        LOST,
        extra.OVERTAKES,
        extra.CE,
        extra.AFTER,
        extra.OPTIONS,
    ),
    _segment,
    "write e.g. - segment: client -> server SYN\n  states: {client: SYN-SENT}",
)
_INJECT_FIX: Final = "write SENDER -> RECEIVER FLAGS, e.g. inject: server -> client RST"
INJECT: Final = Key("inject", _segment_line, required(_INJECT_FIX))
"""``inject: server -> client RST``: the runner crafts the segment, as if the sender sent it."""
_INJECT_ITEM: Final = Shape(
    "an injected segment: a mapping with inject:, states:, seq:, ack: and data:",
    (INJECT, STATES, extra.SEQ, extra.ACK, extra.DATA),
    _injected,
    "write e.g. - inject: server -> client RST\n  seq: next\n  states: {client: CLOSED}",
)
ACTION: Final = Key("action", _action, required("write the action: action: server listens"))
RESULT: Final = Key("result", _result, default(None))
"""``result:``: what the call returns, judged against what the runner recorded."""
_ACTION_ITEM: Final = Shape(
    "an action with its states and result: a mapping with action:, states: and result:",
    (ACTION, STATES, RESULT),
    _action_item,
    "write e.g. - action: server listens\n  states: {server: LISTEN}\n  result: ok",
)

TITLE: Final = Key("title", plain_text, required("write a one-line title:"))
SETUP: Final = Key(
    "setup",
    list_of(
        located(_action),
        "a list of actions",
        "write e.g. setup: [server listens, client connects, server accepts]",
    ),
    default(()),
)
SCRIPT: Final = Key(
    "script",
    list_of(_script_item, "a list of actions and segments", "write each line as an item: - ..."),
    required("write the script: its actions and segments, in order"),
)
ROLE: Final = Key("role", _role, required("name the role whose state a timer ends: role: client"))
STATE: Final = Key("state", _state, required("name the state the timer ends: state: TIME-WAIT"))
THEN: Final = Key("then", _state, required("name the state after the timer: then: CLOSED"))
_SECONDS: Final = re.compile(rf"\s*{extra.DURATION}?\s*")


def _seconds(value: object, at: At) -> float:
    """A duration: a number of seconds, or text such as ``60 s``, ``1min``, ``200ms``."""
    fix = f"write a number of seconds, e.g. {at.last}: 60 (or 60 s, 1min, 200ms)"
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        found = _SECONDS.fullmatch(text(value, at, "a duration", fix))
        if found is None:
            raise at.error(f"must be a duration, but it is {describe_value(value)}", fix)
        number = float(found["number"]) * extra.UNITS[found["unit"] or "s"]
    if number <= 0:
        raise at.error(f"must be more than 0 s, but it is {describe_value(value)}", fix)
    return number


LASTS: Final = Key("lasts", _seconds, default(None))
"""``lasts: 60``: how long the timer runs, judged against the kernel's countdown."""
WITHIN: Final = Key("within", _seconds, default(None))
_TIMER: Final = Shape(
    "a timer: a mapping with role:, state:, then:, lasts: and within:",
    (ROLE, STATE, THEN, LASTS, WITHIN),
    lambda r, at: Located(Timer(r[ROLE], r[STATE], r[THEN], r[LASTS], r[WITHIN]), at),
    "write e.g. - {role: client, state: TIME-WAIT, then: CLOSED, lasts: 60}",
)
TIMERS: Final = Key(
    "timers",
    list_of(_TIMER, "a list of timers", "write e.g. timers: [{role: client, ...}]"),
    default(()),
)
SYSCTLS: Final = Key(
    "sysctls", sysctl_table("write e.g. sysctls: {net.ipv4.tcp_autocorking: 0}"), default(())
)
_CITE_FIX: Final = (
    "write cites: [google/packetdrill gtests/net/tcp/close/close-on-syn-sent.pkt:1-20]"
)


def _citation(value: object, at: At) -> str:
    return text(value, at, "a string: a repository, a path and lines", _CITE_FIX).strip()


CITES: Final = Key(
    "cites",
    list_of(
        _citation,
        "a list of places, each 'repository path:lines'",
        _CITE_FIX,
        single=True,
    ),
    default(()),
)
"""``cites:``: where the behaviour is also written down (a packetdrill script and its lines)."""
SLOW: Final = Key("slow", plain_text, default(""))
"""``slow: why``: the scenario waits seconds for a kernel timer; run under --wait-timers."""
_SCENARIO: Final = Shape(
    "a scenario: a mapping with title:, setup:, script:, timers:, sysctls:, cites: and slow:",
    (TITLE, SETUP, SCRIPT, TIMERS, SYSCTLS, CITES, SLOW),
    _draft,
    "write e.g. open: {title: ..., script: [...]}",
)

MEANING: Final = Key("meaning", plain_text, required("say what the flag means: meaning: ..."))
SHOWN_BY: Final = Key(
    "shown_by",
    list_of(
        located(_scenario_name),
        "a list of scenario names",
        "write e.g. shown_by: [open, close]",
        single=True,
    ),
    default(()),
)
_FLAG_DOC: Final = Shape(
    "a flag's entry: a mapping with meaning: and shown_by:",
    (MEANING, SHOWN_BY),
    lambda r, at: (r[MEANING], r[SHOWN_BY]),
    "write e.g. SYN: {meaning: ..., shown_by: [open]}",
)

SPEC_STATES: Final = Key(
    "states",
    mapping_of(
        located(_state),
        plain_text,
        "a mapping of state name to meaning",
        "write e.g. states: {LISTEN: waiting for a connection request}",
    ),
    required("list the documented states under states:, each with its meaning"),
)
SPEC_FLAGS: Final = Key(
    "flags",
    mapping_of(
        located(_flag_key),
        _FLAG_DOC,
        "a mapping of flag name to its entry",
        "write e.g. flags: {SYN: {meaning: ..., shown_by: [open]}}",
    ),
    required("list the six flags URG ACK PSH RST SYN FIN under flags:"),
)
SPEC_ACTIONS: Final = Key(
    "actions",
    mapping_of(
        _verb,
        plain_text,
        "a mapping of action to what it does",
        "write e.g. actions: {closes: the role's application closes the socket}",
    ),
    required("list the actions scripts may use under actions:"),
)
RFC: Final = Key("rfc", plain_text, required("say what RFC 9293 says, with its section: rfc: ..."))
LINUX: Final = Key("linux", plain_text, required("say what Linux does instead: linux: ..."))
_DEVIATION: Final = Shape(
    "a deviation: a mapping with rfc:, linux: and shown_by:",
    (RFC, LINUX, SHOWN_BY),
    lambda r, at: (r[RFC], r[LINUX], r[SHOWN_BY], at),
    "write e.g. unread-data-reset: {rfc: ..., linux: ..., shown_by: [unread-data-reset]}",
)
SPEC_DEVIATIONS: Final = Key(
    "deviations",
    mapping_of(
        _scenario_name,
        _DEVIATION,
        "a mapping of deviation name to its entry",
        "write e.g. deviations: {unread-data-reset: {rfc: ..., linux: ..., shown_by: [...]}}",
    ),
    default(()),
)
SPEC_SCENARIOS: Final = Key(
    "scenarios",
    mapping_of(
        _scenario_name,
        _SCENARIO,
        "a mapping of scenario name to scenario",
        "write e.g. scenarios: {open: {title: ..., script: [...]}}",
    ),
    required("write at least one scenario under scenarios:"),
)


@dataclass(frozen=True)
class _SpecDraft:
    """The top level as read, before the cross-checks."""

    states: tuple[tuple[Located[TcpState], str], ...]
    flags: tuple[tuple[Located[TcpFlag], tuple[str, tuple[Located[str], ...]]], ...]
    actions: dict[str, str]
    scenarios: tuple[tuple[str, _ScenarioDraft], ...]
    deviations: tuple[tuple[str, tuple[str, str, tuple[Located[str], ...], At]], ...]
    at: At


SPEC: Final = Shape(
    "a mapping with states:, flags:, actions:, scenarios: and deviations:",
    (SPEC_STATES, SPEC_FLAGS, SPEC_ACTIONS, SPEC_SCENARIOS, SPEC_DEVIATIONS),
    lambda r, at: _SpecDraft(
        r[SPEC_STATES],
        r[SPEC_FLAGS],
        dict(r[SPEC_ACTIONS]),
        r[SPEC_SCENARIOS],
        r[SPEC_DEVIATIONS],
        at,
    ),
    START,
)


# --- what needs two tables at once ------------------------------------------------------------


def _cross_check(read: _SpecDraft, source: str) -> Spec:
    """The spec, once verbs, states, flags and shown_by agree across the tables."""
    states = _unique_keys(read.states, "state")
    drafts = {name: _resolved(draft, read.actions) for name, draft in read.scenarios}
    for draft in drafts.values():
        _check_states(draft, states)
    flags = _check_flags(read, drafts)
    return Spec(
        states=states,
        flags=flags,
        actions=read.actions,
        scenarios={name: draft.scenario(name) for name, draft in drafts.items()},
        source=source,
        deviations=_check_deviations(read, drafts),
    )


def _check_deviations(
    read: _SpecDraft, drafts: Mapping[str, _ScenarioDraft]
) -> dict[str, Deviation]:
    """Each deviation names scenarios that exist, at least one: a deviation is shown, not said."""
    deviations: dict[str, Deviation] = {}
    for name, (rfc, linux, shown_by, at) in read.deviations:
        if not shown_by:
            raise at.key("shown_by").error(
                "a deviation must be shown by a scenario, but it names none",
                "write shown_by: [a scenario that documents what Linux does]",
            )
        for scenario in shown_by:
            if scenario.value not in drafts:
                raise scenario.at.error(
                    f"there is no scenario {scenario.value!r}",
                    f"{did_you_mean(scenario.value, drafts)}scenarios are: {', '.join(drafts)}",
                )
        deviations[name] = Deviation(name, rfc, linux, tuple(s.value for s in shown_by))
    return deviations


def _resolved(draft: _ScenarioDraft, actions: Mapping[str, str]) -> _ScenarioDraft:
    """The draft with each action's verb a key of the actions table, placeholders read.

    ``client sets TCP_NODELAY 1`` becomes the verb ``sets OPTION VALUE`` with its
    arguments; a verb no key fits, or a value its place refuses, is an error there.
    """

    def action(located: Located[Action]) -> Located[Action]:
        written = located.value
        at = located.at.key("action") if isinstance(located, _ActionMapping) else located.at
        try:
            verb, arguments = resolve(written.verb, actions)
        except UnknownNameError as error:
            raise _unknown_name(at, error) from None
        return Located(dataclasses.replace(written, verb=verb, arguments=arguments), located.at)

    script = tuple(
        action(item) if isinstance(item.value, Action) else item for item in draft.script
    )
    setup = tuple(action(a) for a in draft.setup)
    return dataclasses.replace(draft, setup=setup, script=script)


def _check_states(draft: _ScenarioDraft, states: Mapping[TcpState, str]) -> None:
    """Every state a scenario documents is in the states table."""
    places: list[tuple[TcpState, At]] = []
    for item in draft.script:
        if isinstance(item.value, DocumentedSegment | Action):
            at = item.at.key("states")
            places += [(state, at.key(role)) for role, state in item.value.states.items()]
    for timer in draft.timers:
        places += [(timer.value.state, timer.at.key("state"))]
        places += [(timer.value.then, timer.at.key("then"))]
    for state, at in places:
        if state not in states:
            raise at.error(
                f"{state} is not in the states table",
                f"add {state}: with its meaning under states:",
            )


def _check_flags(read: _SpecDraft, drafts: Mapping[str, _ScenarioDraft]) -> dict[TcpFlag, FlagDoc]:
    """One entry per flag, the six of RFC 9293 included, shown by scenarios that exist."""
    flags: dict[TcpFlag, FlagDoc] = {}
    for key, (meaning, shown_by) in read.flags:
        flag = key.value
        if flag in flags:
            raise key.at.error(
                f"{flag.label} is already listed", "keep one entry per flag (S and SYN are one)"
            )
        for name in shown_by:
            draft = drafts.get(name.value)
            if draft is None:
                raise name.at.error(
                    f"there is no scenario {name.value!r}",
                    f"{did_you_mean(name.value, drafts)}scenarios are: {', '.join(drafts)}",
                )
            if flag not in draft.scenario(name.value).documented_flags:
                raise name.at.error(
                    f"scenario {name.value!r} documents no segment with {flag.label}",
                    f"name a scenario that sends {flag.label}, or document it in that one",
                )
        flags[flag] = FlagDoc(meaning, tuple(n.value for n in shown_by))
    missing = [f.label for f in REQUIRED_FLAGS if f not in flags]
    if missing:
        raise read.at.key("flags").error(
            f"the flags table has no entry for {', '.join(missing)}",
            f"add {missing[0]}: {{meaning: ..., shown_by: [...]}}; the six flags URG ACK PSH "
            "RST SYN FIN must all be explained",
        )
    return flags


def read_spec(data: object, root: At) -> Spec:
    """The spec in plain data (as YAML gives it), checked field by field and across tables."""
    if data is None:
        raise root.error("the spec is empty", START)
    return _cross_check(SPEC(data, root), root.source)
