"""Comparing what the kernel did (a timeline of observations) with a documented scenario.

    verdict = judge(spec.scenarios["open"], run.timeline, family="IPv4", final=run.final)
    verdict.ok                      # every segment, flag, state and timer as documented
    verdict.steps[1].problems       # ("documented SYN+ACK, but ACK is not set ...",)

The rules, one place for all of them:

* **Pairing.** The scenario's documented segments are paired, in order, with
  the observed segments, in order. Actions are not paired; they are shown.
* **Flags.** A documented flag counts as observed when it is set on the
  segment; extra flags (ACK on a FIN) are shown, not failed, unless
  `strict_flags`, which wants exactly the documented flags.
* **Direction.** The observed sender and receiver must be the documented ones.
* **States.** A documented state of the segment's *sender* is compared with
  its state while the segment is in flight (`before`); of the *receiver*, with
  its state once it has processed the segment (`after`).
* **Missing segments.** A documented segment with no observed counterpart
  fails: "not observed: the kernel sent nothing more".
* **Extra segments.** Observed segments beyond the documented ones are shown as
  undocumented steps and fail: the documentation is incomplete, or the kernel
  retransmitted, and either is worth a look.
* **Timers.** `Timer(role, state, then)` is checked on the role's `final`
  snapshot (when the script and its settling ended). Not waited out: the role
  must be in `state` with a timer running. Waited out (the role is a key of
  `waited`): the role must be in `then`.

`lab.tcp.coverage` then sums many verdicts up. Pure: no kernel access.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from lab.tcp._names import Role, TcpFlag, TcpState
from lab.tcp._observed import Observation, ObservedAction, ObservedSegment, StateSnapshot
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
NO_FLAGS: Final = TcpFlag(0)


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

    @classmethod
    def undocumented(cls, n: int, seg: ObservedSegment) -> StepVerdict:
        """A segment the kernel sent after the documented ones: shown, and failed."""
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
                f"not documented: {seg.sender} sent {seg.flags.label} to {seg.receiver} "
                "after the documented segments",
            ),
            documented=False,
            flags_ok=False,
            segment=seg,
        )

    @classmethod
    def missing(cls, n: int, doc: DocumentedSegment) -> StepVerdict:
        """A documented segment the kernel never sent."""
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
            problems=(NOT_OBSERVED,),
            flags_ok=False,
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
    """An application action of the scenario, shown between the steps; never judged."""

    actor: Role
    verb: str
    setup: bool
    """True for setup actions (run and settled before the script; not recorded)."""
    before_step: int
    """The `n` of the first step after it (1 for actions before any segment)."""
    result: str = ""
    """What the call returned or raised, when the runner recorded it."""
    states: dict[str, StateSnapshot] = field(default_factory=dict)
    """Both roles right after the action, when recorded."""

    def __str__(self) -> str:
        return f"{self.actor} {self.verb}"


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

    @property
    def ok(self) -> bool:
        """Whether every step and timer is as documented."""
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
) -> ScenarioVerdict:
    """Compare `timeline` (what the kernel did) with `scenario` (what is documented).

    `final` holds both roles' snapshots when the run ended (default: the last
    ones in the timeline); `waited` maps each role whose timer the run waited
    out to the seconds it took. See the module docstring for every rule.
    """
    documented = scenario.segments
    observed = [item for item in timeline if isinstance(item, ObservedSegment)]
    steps = [
        _step(n, doc, seg, strict_flags=strict_flags)
        for n, (doc, seg) in enumerate(_pairs(documented, observed), start=1)
    ]
    last = final if final is not None else _last_snapshots(timeline)
    timers = [_timer(timer, timeline, last, waited or {}) for timer in scenario.timers]
    seen = _seen_states(steps, timers)
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
        actions=_actions(scenario, timeline),
        seen_states=tuple(s for s in scenario.documented_states if s in seen),
        seen_flags=seen_flags,
        strict_flags=strict_flags,
        settings=dict(scenario.sysctls),
    )


def _pairs(
    documented: Sequence[DocumentedSegment], observed: Sequence[ObservedSegment]
) -> list[tuple[DocumentedSegment | None, ObservedSegment | None]]:
    """Documented and observed segments side by side, the shorter list padded with None."""
    length = max(len(documented), len(observed))
    return [
        (
            documented[i] if i < len(documented) else None,
            observed[i] if i < len(observed) else None,
        )
        for i in range(length)
    ]


def _step(
    n: int,
    doc: DocumentedSegment | None,
    seg: ObservedSegment | None,
    *,
    strict_flags: bool,
) -> StepVerdict:
    """One step: a documented segment, an observed one, or (usually) both."""
    if doc is None:
        assert seg is not None  # _pairs never pairs None with None
        return StepVerdict.undocumented(n, seg)
    if seg is None:
        return StepVerdict.missing(n, doc)
    problems: list[str] = []
    if (seg.sender, seg.receiver) != (doc.sender, doc.receiver):
        problems.append(
            f"documented {doc.sender} → {doc.receiver}, but {seg.sender} sent it to {seg.receiver}"
        )
    flag_problems = _flag_problems(doc.flags, seg.flags, strict=strict_flags)
    problems += flag_problems
    observed_states: dict[str, TcpState | None] = {}
    for role, expected in doc.states.items():
        # The sender has moved before its segment leaves; the receiver moves on processing it.
        in_flight = role == doc.sender
        snapshot = (seg.before if in_flight else seg.after).get(role)
        actual = snapshot.state if snapshot is not None else None
        observed_states[role] = actual
        if actual != expected:
            problems.append(_state_problem(role, expected, actual, in_flight=in_flight))
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
        flags_ok=not flag_problems,
        segment=seg,
    )


def _are(flags: TcpFlag) -> str:
    """``SYN is`` or ``SYN+ACK are``."""
    return f"{flags.label} {'is' if len(flags.names) == 1 else 'are'}"


def _flag_problems(expected: TcpFlag, observed: TcpFlag, *, strict: bool) -> list[str]:
    """Documented flags missing on the wire; with `strict`, undocumented flags on it too."""
    problems = []
    missing = expected & ~observed
    if missing:
        problems.append(
            f"documented {expected.label}, but {_are(missing)} not set "
            f"(on the wire: {observed.label})"
        )
    extra = observed & ~expected
    if strict and extra:
        problems.append(f"{_are(extra)} set but not documented (flags are strict)")
    return problems


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
    return TimerVerdict(
        role=role,
        state=timer.state,
        then=timer.then,
        timer=timer_text,
        waited=seconds is not None,
        observed_state=actual,
        seconds=seconds,
        problems=tuple(problems),
    )


def _snapshots(timeline: Sequence[Observation], role: Role) -> list[StateSnapshot]:
    """Every snapshot of `role` in the timeline, in order."""
    found: list[StateSnapshot] = []
    for item in timeline:
        moments = [item.before, item.after] if isinstance(item, ObservedSegment) else [item.states]
        found += [m[role] for m in moments if role in m]
    return found


def _seen_states(steps: Sequence[StepVerdict], timers: Sequence[TimerVerdict]) -> set[TcpState]:
    """States observed where the documentation puts them."""
    seen = {
        state
        for step in steps
        for role, state in step.expected_states.items()
        if step.observed_states.get(role) == state
    }
    seen |= {(t.then if t.waited else t.state) for t in timers if t.ok}
    return seen


def _actions(scenario: Scenario, timeline: Sequence[Observation]) -> tuple[ActionStep, ...]:
    """The scenario's actions, with what the runner recorded for the script's ones, in order."""
    steps = [ActionStep(a.actor, a.verb, setup=True, before_step=1) for a in scenario.setup]
    recorded = iter([item for item in timeline if isinstance(item, ObservedAction)])
    segments_so_far = 0
    for item in scenario.script:
        if isinstance(item, DocumentedSegment):
            segments_so_far += 1
            continue
        if not isinstance(item, Action):
            continue  # claims between segments are judged elsewhere
        record = next(recorded, None)
        if record is not None and (record.actor, record.verb) != (item.actor, item.verb):
            record = None  # the runner did something else; show the documented action bare
        steps.append(
            ActionStep(
                item.actor,
                item.verb,
                setup=False,
                before_step=segments_so_far + 1,
                result=record.result if record else "",
                states=dict(record.states) if record else {},
            )
        )
    return tuple(steps)
