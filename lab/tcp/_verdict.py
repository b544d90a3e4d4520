"""Comparing what the kernel did (a timeline of observations) with a documented scenario.

    verdict = judge(spec.scenarios["open"], run.timeline, family="IPv4", final=run.final)
    verdict.ok                      # every segment, flag, state and timer as documented
    verdict.steps[1].problems       # ("documented SYN+ACK, but ACK is not set ...",)

The rules, one place for all of them:

* **Pairing, like a diff.** The documented segments and the observed ones are
  aligned in order. A pair may differ in one of direction, flags, or its place
  among the application actions (documented after "server closes" but sent
  before it; counted when the timeline records the script's actions), at a
  cost; a segment left without a counterpart costs a little less than such a
  pair, and two of them more. The cheapest alignment wins, ties going to the
  pairs whose documented states (tables.yaml's ``states:``) were observed, and
  of two alike observed segments the earlier is paired. So a documented
  segment the kernel did not send is reported once ("not observed: documented
  client → server ACK; the kernel sent nothing of the kind here"), a segment
  the documentation leaves out is reported once where it belongs ("not in the
  documentation: server → client ACK, between steps 2 and 4"), and the rest
  stays paired. Actions are not paired; they are
  shown, and judged when they document states.
* **Direction.** The observed sender and receiver must be the documented ones.
* **Flags** (`lab.tcp._segments`). Every documented flag must be set, a flag
  documented as absent must not be, and a flag on the wire the documentation
  leaves out fails unless it is ACK, or PSH on data (or ECN's ECE/CWR); so an
  omitted SYN, FIN, RST or URG fails. `strict_flags` wants exactly the
  documented flags.
* **Beyond flags and states** (`lab.tcp._segment_checks`). Options documented
  present or absent, a CE mark the runner was to set, and ``after:`` timings
  are judged at the pair's step. A segment documented as injected pairs only
  with one the runner injected, and a kernel's only with one documented as sent.
* **Results.** An action's documented result (``result: EPIPE``) is compared
  with what the call gave (`lab.tcp._actions.result_problem`): ``ok`` takes any
  success, a count, ``EOF`` or an errno name must be exactly what it returned.
* **States.** A documented state of the segment's *sender* is
  compared with its state while the segment is in flight (`before`); the
  *receiver*'s, once it has processed it (`after`). A state documented with
  an application action (``- action: server listens``, ``states: {server:
  LISTEN}``) is compared with the role's state right after the action.
* **Timers** (tables.yaml's ``timers:``). `Timer(role, state, then)` is
  checked on the role's `final` snapshot (when the script and its settling
  ended). Not waited out: the role must be in `state` with a timer running.
  Waited out (the role is a key of `waited`): the role must be in `then`.

`lab.tcp.coverage` then sums many verdicts up. Pure: no kernel access.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from lab.tcp._actions import result_problem
from lab.tcp._align import Cost, Pair, align
from lab.tcp._names import Role, TcpFlag, TcpState
from lab.tcp._observed import Observation, ObservedAction, ObservedSegment, StateSnapshot
from lab.tcp._segment_checks import segment_problems
from lab.tcp._segments import direction_problem, flag_problems
from lab.tcp._spec import Action, DocumentedSegment, Scenario, Timer

__all__ = [
    "NOT_OBSERVED",
    "ActionStep",
    "ScenarioVerdict",
    "StepVerdict",
    "TimerVerdict",
    "judge",
]

NOT_OBSERVED: Final = "not observed: the kernel sent nothing more"
"""A documented segment after everything the kernel sent."""
NO_FLAGS: Final = TcpFlag(0)

# The alignment's prices (see the module docstring): a pair that differs in one
# of direction, flags, or its place among the application actions costs less
# than leaving both out; one that differs in two is never made.
_GAP: Final[Cost] = (2, 0)
_DIFFERS: Final = 3


@dataclass(frozen=True)
class StepVerdict:
    """One documented segment next to the observed one it was paired with."""

    n: int
    """1-based position among the segments."""
    sender: Role
    """The documented sender (for an undocumented step, the observed one)."""
    receiver: Role
    expected_flags: TcpFlag
    """The documented flags; none for an undocumented step."""
    observed_flags: TcpFlag | None
    """The flags on the wire; None when the kernel sent nothing for this step."""
    expected_states: dict[str, TcpState]
    observed_states: dict[str, TcpState | None]
    """Each documented role's state at the documented moment (None: not observed)."""
    observed_before: dict[str, StateSnapshot]
    """Both roles while the segment was in flight."""
    observed_after: dict[str, StateSnapshot]
    """Both roles once the receiver had processed it."""
    problems: tuple[str, ...]
    documented: bool = True
    """False for a segment the kernel sent beyond the documented ones."""
    flags_ok: bool = True
    segment: ObservedSegment | None = field(default=None, compare=False)
    """The observed segment itself (direction, seq, ack, length), if any."""
    documented_segment: DocumentedSegment | None = field(default=None, compare=False)
    """The documented segment (its options, timing, CE mark, injection); None if undocumented."""
    elapsed: float | None = None
    """Seconds from the segment documented before it to this one, when both were observed."""
    checks_ok: bool = True
    """Whether its options, CE mark and timing are as documented (`lab.tcp._segment_checks`)."""

    @classmethod
    def undocumented(cls, n: int, seg: ObservedSegment, where: str) -> StepVerdict:
        """A segment the kernel sent that the documentation leaves out: shown, and failed.

        `where` places it among the documented segments: ``between lines 42 and 47``.
        """
        return cls(
            n=n,
            sender=seg.sender,
            receiver=seg.receiver,
            expected_flags=NO_FLAGS,
            observed_flags=seg.flags,
            expected_states={},
            observed_states={},
            observed_before=dict(seg.before),
            observed_after=dict(seg.after),
            problems=(
                f"not in the documentation: {seg.sender} → {seg.receiver} {seg.flags.label}"
                + (f", {where}" if where else ""),
            ),
            documented=False,
            flags_ok=False,
            segment=seg,
        )

    @classmethod
    def missing(cls, n: int, doc: DocumentedSegment, *, sent_more: bool) -> StepVerdict:
        """A documented segment the kernel never sent (`sent_more`: it sent later ones)."""
        problem = (
            f"not observed: documented {doc.sender} → {doc.receiver} {doc.flags.label}; "
            "the kernel sent nothing of the kind here"
            if sent_more
            else NOT_OBSERVED
        )
        return cls(
            n=n,
            sender=doc.sender,
            receiver=doc.receiver,
            expected_flags=doc.flags,
            observed_flags=None,
            expected_states=dict(doc.states),
            observed_states=dict.fromkeys(doc.states),
            observed_before={},
            observed_after={},
            problems=(problem,),
            flags_ok=False,
            documented_segment=doc,
        )

    @property
    def ok(self) -> bool:
        """Whether the segment, its direction, flags and states are as documented."""
        return not self.problems

    @property
    def observed(self) -> bool:
        """Whether the kernel sent a segment for this step."""
        return self.segment is not None

    @property
    def direction_ok(self) -> bool:
        """Whether the observed segment went the documented way (True when none was seen)."""
        seg = self.segment
        return seg is None or (seg.sender, seg.receiver) == (self.sender, self.receiver)

    def state_ok(self, role: Role) -> bool:
        """Whether `role`'s documented state (if any) was observed."""
        expected = self.expected_states.get(role)
        return expected is None or self.observed_states.get(role) == expected


@dataclass(frozen=True)
class ActionStep:
    """An application action of the scenario, shown between the steps.

    Judged only when the documentation gives the roles' states right after it
    (``- action: server listens`` with ``states: {server: LISTEN}``), or the
    call's result (``result: EISCONN``).
    """

    actor: Role
    verb: str
    """The verb as the script writes it, placeholders filled (``sets TCP_NODELAY 1``)."""
    setup: bool
    """True for setup actions (run and settled before the script; not recorded)."""
    before_step: int
    """The `n` of the first step after it (1 for actions before any segment)."""
    result: str = ""
    """What the call returned or raised, when the runner recorded it."""
    states: dict[str, StateSnapshot] = field(default_factory=dict)
    """Both roles right after the action, when recorded."""
    expected_states: dict[str, TcpState] = field(default_factory=dict)
    """The documented states right after the action (none: they are not judged)."""
    problems: tuple[str, ...] = ()
    expected_result: str | None = None
    """The documented result of the call (None: it is not judged)."""

    def __str__(self) -> str:
        return f"{self.actor} {self.verb}"

    @property
    def ok(self) -> bool:
        """Whether every documented state was observed right after the action, and the
        documented result is what the call gave."""
        return not self.problems

    @property
    def judged(self) -> bool:
        """Whether the documentation says anything to check about the action."""
        return bool(self.expected_states) or self.expected_result is not None

    @property
    def result_ok(self) -> bool:
        """Whether the call gave the documented result (True when none is documented)."""
        expected = self.expected_result
        return expected is None or result_problem(expected, self.result) is None

    def state_ok(self, role: str) -> bool:
        """Whether `role`'s documented state (if any) was observed right after the action."""
        expected = self.expected_states.get(role)
        seen = self.states.get(role)
        return expected is None or (seen is not None and seen.state == expected)


@dataclass(frozen=True)
class TimerVerdict:
    """A documented timer (`role` leaves `state` for `then` when it fires), as observed."""

    role: Role
    state: TcpState
    then: TcpState
    timer: str
    """The timer text the role showed in `state` (``timewait,59sec,0``); "" if none."""
    waited: bool
    """Whether the run waited the timer out (then `then` is checked, else `state`)."""
    observed_state: TcpState | None = None
    """The role's state at the end (after the wait, if any); None if never observed."""
    seconds: float | None = None
    """How long the role still stayed in `state` after the script, when waited."""
    problems: tuple[str, ...] = ()
    lasts: float | None = None
    """How long the documentation says the timer runs, in seconds (its ``lasts:``)."""
    left: float | None = None
    """The most the kernel's countdown showed left while the role was in `state`."""

    @property
    def ok(self) -> bool:
        """Whether the role was where the documentation puts it."""
        return not self.problems


@dataclass(frozen=True)
class ScenarioVerdict:
    """A scenario, as documented and as observed, step by step."""

    name: str
    title: str
    steps: tuple[StepVerdict, ...]
    timers: tuple[TimerVerdict, ...] = ()
    unseen_states: tuple[TcpState, ...] = ()
    """Documented states never observed where the documentation puts them."""
    family: str = ""
    """``IPv4`` or ``IPv6``, when the run says."""
    actions: tuple[ActionStep, ...] = ()
    seen_states: tuple[TcpState, ...] = ()
    """Documented states observed where the documentation puts them."""
    seen_flags: TcpFlag = NO_FLAGS
    """Documented flags observed on the segment that documents them."""
    strict_flags: bool = False
    settings: dict[str, str] = field(default_factory=dict)
    """Sysctls the scenario ran with beyond the kernel's defaults (its ``sysctls:``)."""
    start: dict[str, StateSnapshot] = field(default_factory=dict)
    """Both roles' states when the script began (after the setup), when the run says."""
    cites: tuple[str, ...] = ()
    """Where the scenario's behaviour is written down elsewhere (its ``cites:``)."""

    @property
    def ok(self) -> bool:
        """Whether every step, documented action state and timer is as documented."""
        return not self.problems

    @property
    def label(self) -> str:
        """``open (IPv4)``; the bare name without a family."""
        return f"{self.name} ({self.family})" if self.family else self.name

    @property
    def id(self) -> str:
        """``open-ipv4``: how pcap files and JSON keys name this run."""
        return f"{self.name}-{self.family.lower()}" if self.family else self.name

    @property
    def problems(self) -> tuple[str, ...]:
        """Every problem, prefixed with its step or timer."""
        found = [f"step {s.n}: {p}" for s in self.steps for p in s.problems]
        found += [f"after '{a}': {p}" for a in self.actions for p in a.problems]
        found += [f"{t.role}'s timer: {p}" for t in self.timers for p in t.problems]
        return tuple(found)


def judge(
    scenario: Scenario,
    timeline: Sequence[Observation],
    *,
    strict_flags: bool = False,
    family: str = "",
    final: Mapping[str, StateSnapshot] | None = None,
    waited: Mapping[str, float] | None = None,
    start: Mapping[str, StateSnapshot] | None = None,
) -> ScenarioVerdict:
    """Compare `timeline` (what the kernel did) with `scenario` (what is documented).

    `final` holds both roles' snapshots when the run ended (default: the last
    ones in the timeline); `waited` maps each role whose timer the run waited
    out to the seconds it took; `start`, both roles' snapshots when the script
    began (kept for `lab.tcp._transitions`). See the module docstring for every rule.
    """
    documented = scenario.segments
    observed = [item for item in timeline if isinstance(item, ObservedSegment)]
    pairs = _pairs(scenario, timeline)
    places = _Places(pairs)
    # Each documented segment's step and observed segment, for timing the one after it.
    step_of = {i: (n, None if j is None else observed[j]) for n, (i, j) in enumerate(pairs, 1)}
    steps: list[StepVerdict] = []
    for n, (i, j) in enumerate(pairs, start=1):
        if i is None:
            assert j is not None  # _pairs never pairs None with None
            steps.append(StepVerdict.undocumented(n, observed[j], places.around(n - 1)))
        elif j is None:
            sent_more = any(later is not None for _, later in pairs[n:])
            steps.append(StepVerdict.missing(n, documented[i], sent_more=sent_more))
        else:
            before = step_of.get(i - 1, (0, None))
            steps.append(
                _paired(
                    n,
                    documented[i],
                    observed[j],
                    strict_flags=strict_flags,
                    family=family,
                    before=before,
                )
            )
    last = final if final is not None else _last_snapshots(timeline)
    timers = [_timer(timer, timeline, last, waited or {}) for timer in scenario.timers]
    actions = _actions(scenario, timeline, pairs)
    seen = _seen_states(steps, timers, actions)
    seen_flags = NO_FLAGS
    for step in steps:
        if step.observed_flags is not None and step.direction_ok:
            seen_flags |= step.expected_flags & step.observed_flags
    return ScenarioVerdict(
        name=scenario.name,
        title=scenario.title,
        steps=tuple(steps),
        timers=tuple(timers),
        unseen_states=tuple(s for s in scenario.documented_states if s not in seen),
        family=family,
        actions=actions,
        seen_states=tuple(s for s in scenario.documented_states if s in seen),
        seen_flags=seen_flags,
        strict_flags=strict_flags,
        settings=dict(scenario.sysctls),
        start=dict(start or {}),
        cites=scenario.cites,
    )


def _pairs(scenario: Scenario, timeline: Sequence[Observation]) -> list[Pair]:
    """The documented and observed segments aligned like a diff (see the module docstring)."""
    documented = scenario.segments
    observed = [item for item in timeline if isinstance(item, ObservedSegment)]
    doc_actions = _actions_before(scenario.script, Action, DocumentedSegment)
    seen_actions = _actions_before(timeline, ObservedAction, ObservedSegment)
    # Actions place segments only when the timeline records the script's own (the
    # runner stops early when a segment never comes; a timeline built by hand may
    # have none).
    script_actions = [(a.actor, a.verb) for a in scenario.script if isinstance(a, Action)]
    recorded_actions = [(a.actor, a.verb) for a in timeline if isinstance(a, ObservedAction)]
    recorded = (
        bool(recorded_actions) and recorded_actions == script_actions[: len(recorded_actions)]
    )

    def cost(i: int, j: int) -> Cost | None:
        doc, seg = documented[i], observed[j]
        if (doc.inject is not None) != seg.injected:
            return None  # what the runner injected is never what a kernel sent
        differs = (
            (direction_problem(doc, seg) is not None)
            + bool(flag_problems(doc, seg, strict=False))
            + (recorded and doc_actions[i] != seen_actions[j])
        )
        if differs > 1:
            return None
        ties = sum(_observed_state(doc, seg, role) != state for role, state in doc.states.items())
        return (differs * _DIFFERS, ties)

    # Observed segments pair in the order they came: of two alike, the later is the extra one.
    return align(range(len(documented)), range(len(observed)), cost, gap=_GAP, keep="second")


def _actions_before(items: Sequence[object], action: type, segment: type) -> list[int]:
    """For each `segment` among `items`, how many `action`s come before it."""
    counts, actions = [], 0
    for item in items:
        if isinstance(item, action):
            actions += 1
        elif isinstance(item, segment):
            counts.append(actions)
    return counts


class _Places:
    """How the report names each documented segment's place: ``step 3``."""

    def __init__(self, pairs: Sequence[Pair]) -> None:
        self._pairs = pairs
        self._steps = {i: n for n, (i, _) in enumerate(pairs, start=1) if i is not None}

    def around(self, row: int) -> str:
        """Where row `row` (an undocumented segment) sits: ``between steps 2 and 4``."""
        before = next((i for i, _ in reversed(self._pairs[:row]) if i is not None), None)
        after = next((i for i, _ in self._pairs[row + 1 :] if i is not None), None)
        if before is not None and after is not None:
            return f"between steps {self._steps[before]} and {self._steps[after]}"
        if before is not None:
            return f"after step {self._steps[before]}"
        if after is not None:
            return f"before step {self._steps[after]}"
        return ""


def _observed_state(doc: DocumentedSegment, seg: ObservedSegment, role: str) -> TcpState | None:
    """`role`'s state at the moment `doc.states` documents it: in flight, or once processed."""
    # The sender has moved before its segment leaves; the receiver moves on processing it.
    snapshot = (seg.before if role == doc.sender else seg.after).get(role)
    return None if snapshot is None else snapshot.state


def _paired(
    n: int,
    doc: DocumentedSegment,
    seg: ObservedSegment,
    *,
    strict_flags: bool,
    family: str = "",
    before: tuple[int, ObservedSegment | None] = (0, None),
) -> StepVerdict:
    """A documented segment and the observed one paired with it.

    `before` is the step of the segment documented before it, and what was observed
    there (None: nothing), for its ``after:`` timing.
    """
    direction = direction_problem(doc, seg)
    flags = flag_problems(doc, seg, strict=strict_flags)
    problems = [*([direction] if direction else []), *flags]
    since, previous = before
    elapsed = None if previous is None else _elapsed(previous, seg)
    checks = segment_problems(
        doc, seg, family=family, elapsed=elapsed, since=f"step {since}" if since else ""
    )
    problems += checks
    observed_states: dict[str, TcpState | None] = {}
    for role, expected in doc.states.items():
        actual = observed_states[role] = _observed_state(doc, seg, role)
        if actual != expected:
            problems.append(_state_problem(role, expected, actual, in_flight=role == doc.sender))
    return StepVerdict(
        n=n,
        sender=doc.sender,
        receiver=doc.receiver,
        expected_flags=doc.flags,
        observed_flags=seg.flags,
        expected_states=dict(doc.states),
        observed_states=observed_states,
        observed_before=dict(seg.before),
        observed_after=dict(seg.after),
        problems=tuple(problems),
        flags_ok=not flags,
        segment=seg,
        documented_segment=doc,
        elapsed=elapsed,
        checks_ok=not checks,
    )


def _elapsed(previous: ObservedSegment, seg: ObservedSegment) -> float | None:
    """Seconds from `previous` reaching its receiver (or, dropped, leaving its sender) to `seg`
    leaving its sender: what a receiver's timer (a delayed ACK) or a sender's (a
    retransmission) counts, without the time the stepper held `previous`."""
    start = previous.arrived if previous.arrived is not None else previous.time
    return None if start is None or seg.time is None else seg.time - start


def _state_problem(
    role: str, expected: TcpState, actual: TcpState | None, *, in_flight: bool
) -> str:
    """Why `role`'s state is not the documented one."""
    moment = "while the segment is in flight" if in_flight else "once it has processed the segment"
    if actual is None:
        return f"{role}'s state was not observed {moment}; documented {expected}"
    return f"{role} is {actual} {moment}, documented {expected}"


def _last_snapshots(timeline: Sequence[Observation]) -> dict[str, StateSnapshot]:
    """Each role's latest snapshot in the timeline."""
    last: dict[str, StateSnapshot] = {}
    for item in timeline:
        if isinstance(item, ObservedSegment):
            last.update(item.before)
            last.update(item.after)
        else:
            last.update(item.states)
    return last


def _timer(
    timer: Timer,
    timeline: Sequence[Observation],
    final: Mapping[str, StateSnapshot],
    waited: Mapping[str, float],
) -> TimerVerdict:
    """A timer, checked on the role's final snapshot (see the module docstring)."""
    role = timer.role
    snapshot = final.get(role)
    actual = snapshot.state if snapshot is not None else None
    # The timer text seen while the role was in the timed state, even if it has left it since.
    shown = [*_snapshots(timeline, role), *([snapshot] if snapshot else [])]
    timer_text = next((s.timer for s in reversed(shown) if s.state == timer.state and s.timer), "")
    seconds = waited.get(role)
    problems: list[str] = []
    if actual is None:
        problems.append(f"{role}'s state was not observed when the script ended")
    elif seconds is not None:
        if actual == timer.state:
            problems.append(
                f"{role} is still {actual} after waiting {seconds:.1f} s; documented {timer.then} "
                "once its timer fires"
            )
        elif actual != timer.then:
            problems.append(f"{role} is {actual} after its timer, documented {timer.then}")
    elif actual != timer.state:
        problems.append(
            f"{role} is {actual} when the script ends, documented {timer.state} "
            f"(until a timer moves it to {timer.then})"
        )
    elif snapshot is not None and not snapshot.timer:
        problems.append(f"{role} is {actual}, but no timer runs to end it")
    lefts = [s.timer_left for s in shown if s.state == timer.state and s.timer_left is not None]
    left = max(lefts, default=None)
    if timer.lasts is not None and actual is not None:
        ended = None if actual == timer.state else seconds  # still in it: said above
        problems += _duration_problems(timer, left, ended)
    return TimerVerdict(
        role=role,
        state=timer.state,
        then=timer.then,
        timer=timer_text,
        waited=seconds is not None,
        observed_state=actual,
        seconds=seconds,
        problems=tuple(problems),
        lasts=timer.lasts,
        left=left,
    )


def _duration_problems(timer: Timer, left: float | None, seconds: float | None) -> list[str]:
    """What is wrong with a documented timer length, against the kernel's own countdown.

    The countdown (``ss -o``) is read within a second of the role entering the state, so
    it shows nearly the whole length; a wait (--wait-timers) must also end within it.
    """
    assert timer.lasts is not None
    lasts, within = timer.lasts, timer.tolerance
    said = f"documented to last {lasts:g} s (within {within:g} s)"
    if left is None:
        return [f"{timer.role}'s {timer.state} showed no timer countdown to compare; {said}"]
    if not lasts - within <= left <= lasts + within:
        return [
            f"the kernel's {timer.state} timer had {left:g} s left as the script ended, so it "
            f"runs about {left:g} s; {said}"
        ]
    if seconds is not None and seconds > lasts + within:
        return [f"{timer.role} stayed {timer.state} {seconds:.1f} s after the script; {said}"]
    return []


def _snapshots(timeline: Sequence[Observation], role: Role) -> list[StateSnapshot]:
    """Every snapshot of `role` in the timeline, in order."""
    found: list[StateSnapshot] = []
    for item in timeline:
        moments = [item.before, item.after] if isinstance(item, ObservedSegment) else [item.states]
        found += [m[role] for m in moments if role in m]
    return found


def _seen_states(
    steps: Sequence[StepVerdict], timers: Sequence[TimerVerdict], actions: Sequence[ActionStep]
) -> set[TcpState]:
    """States observed where the documentation puts them."""
    seen = {
        state
        for step in steps
        for role, state in step.expected_states.items()
        if step.observed_states.get(role) == state
    }
    seen |= {
        state for a in actions for role, state in a.expected_states.items() if a.state_ok(role)
    }
    seen |= {(t.then if t.waited else t.state) for t in timers if t.ok}
    return seen


def _actions(
    scenario: Scenario, timeline: Sequence[Observation], pairs: Sequence[Pair]
) -> tuple[ActionStep, ...]:
    """The scenario's actions, with what the runner recorded for the script's ones, in order.

    An action comes before the step of the documented segment that follows it
    in the script, and before the undocumented segments the kernel sent after it.
    """
    steps = [ActionStep(a.actor, a.said, setup=True, before_step=1) for a in scenario.setup]
    recorded = iter(
        [(at, item) for at, item in enumerate(timeline) if isinstance(item, ObservedAction)]
    )
    sent_at = [at for at, item in enumerate(timeline) if isinstance(item, ObservedSegment)]
    row_of = {i: row for row, (i, _) in enumerate(pairs) if i is not None}
    segments_so_far = 0
    for item in scenario.script:
        if isinstance(item, DocumentedSegment):
            segments_so_far += 1
            continue
        if not isinstance(item, Action):
            continue  # claims between segments are judged elsewhere
        found = next(recorded, None)
        if found is not None and (found[1].actor, found[1].verb) != (item.actor, item.verb):
            found = None  # the runner did something else; show the documented action bare
        row = row_of.get(segments_so_far, len(pairs))
        while found is not None and row > 0 and _sent_after(pairs[row - 1], sent_at, found[0]):
            row -= 1
        record = None if found is None else found[1]
        states = dict(record.states) if record else {}
        result = record.result if record else ""
        steps.append(
            ActionStep(
                item.actor,
                item.said,
                setup=False,
                before_step=row + 1,
                result=result,
                states=states,
                expected_states=dict(item.states),
                problems=_action_problems(item, states, result, recorded=record is not None),
                expected_result=item.result,
            )
        )
    return tuple(steps)


def _action_problems(
    action: Action, states: Mapping[str, StateSnapshot], result: str, *, recorded: bool
) -> tuple[str, ...]:
    """Why the call's result, or the roles' states right after `action`, are not the
    documented ones."""
    problems = []
    why = "" if recorded else " (the run did not get as far as the action)"
    if action.result is not None:
        if not recorded:
            problems.append(f"the call's result was not observed{why}; documented {action.result}")
        elif (problem := result_problem(action.result, result)) is not None:
            problems.append(problem)
    for role, expected in action.states.items():
        seen = states.get(role)
        if seen is None:
            problems.append(
                f"{role}'s state was not observed right after the action{why}; "
                f"documented {expected}"
            )
        elif seen.state != expected:
            problems.append(f"{role} is {seen.state} right after the action, documented {expected}")
    return tuple(problems)


def _sent_after(pair: Pair, sent_at: Sequence[int], at: int) -> bool:
    """Whether `pair` is an undocumented segment that the kernel sent after timeline item `at`."""
    i, j = pair
    return i is None and j is not None and sent_at[j] > at
