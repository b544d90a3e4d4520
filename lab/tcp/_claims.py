"""A verdict for every claim a note makes, at the note's own line.

    claims = judge_scenario_claims(record, verdict)      # the diagram's messages and states
    claims += judge_orders(table.orders, records)        # a table's rows of states, in order
    claims += judge_flags(table.flags, records)          # a table's rows of flags
    claims_ok(claims), count_claims(claims)              # no fail; how many of each verdict

`RunRecord` is what one run observed, in pure terms (the runner's
`ScenarioRun.record()` gives it); `ClaimVerdict` is one line's verdict in one
address family, what the report prints and ``--json`` writes. The claims are
judged with the same rules as `judge` (`lab.tcp._verdict`): there is one judge.

The rules, one place for all of them:

* **Messages.** A documented segment is ``ok`` when its step of `judge` is
  (the same pairing, direction and flags) and its seq=/ack= numbers are right
  (`lab.tcp._claim_numbers`). A segment the kernel did not send fails at its own
  line; one the note leaves out fails once, at the line of the next documented
  segment (else the previous one), and the rest stays paired.
* **States: the window.** A state written between segment A (above, in the
  script) and segment B (below) holds at some moment from A's processing to
  B's sending: A's ``after``, every snapshot between them (actions, segments
  the note leaves out) and B's ``before``. Before every segment the window
  starts at the run's `start` (a precondition); after every segment it ends at
  its `ending`. ``ok`` when the state is among those, else ``fail``.
* **States: timers.** A state written after the last segment, outside its
  window, that is what follows when the role's running timer fires (TIME-WAIT
  then CLOSED, `TIMER_ENDS`) is ``timer``: the run did not wait it out. If the
  run waited (`RunRecord.waited`), the role's `final` state decides. A state
  written before the last segment cannot wait for a timer.
* **Time passing** (`TimerPassed`, after the last segment). Later states of its
  role (every role when None) are judged on the end of the run: ``final`` when
  waited; else ``ok`` when the role ended there with no timer to leave it,
  ``timer`` when it is what the running timer leads to, and ``fail`` otherwise
  (a state a timer holds is not the state after it). The line itself is
  ``ok`` when the run waited every timer it names, ``timer`` when one still ran,
  ``unchecked`` when no end had a timer then. Time passing between segments is
  ``unchecked``: the segments around it show what it did.
* **Unchecked** lines (`Unchecked`) are shown with their reason: kind ``state``
  for a Note line, ``message`` for a message line.
* **Tables of states** (`OrderClaim`): each row's state must appear in the
  role's observed sequence (start, every snapshot, ending, final when waited;
  the runs of one family in order) after the previous row's match. A state
  only seen earlier is out of order and fails; one that a running timer leads
  to at the end is ``timer``. A row for every end must hold for each.
* **Tables of flags** (`FlagClaim`): ``ok`` when some segment of the family's
  runs has the flag.
* **State machines' arrows** (kind ``edge``) are judged by
  `lab.tcp._edge_claims.judge_edges`, against the edges of RFC 9293's diagram the
  runs took; its docstring gives those rules.

Claims are judged per address family: records of several families give a
verdict per family. Pure: no kernel access.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from lab.tcp._claim_numbers import SequenceNumbers
from lab.tcp._claim_runs import TIMER_ENDS, RunMoments, segment_text
from lab.tcp._names import Role, TcpFlag, TcpState
from lab.tcp._observed import ObservedSegment
from lab.tcp._record import RunRecord
from lab.tcp._spec import (
    ROLES,
    Action,
    DocumentedSegment,
    FlagClaim,
    OrderClaim,
    ScriptItem,
    Source,
    StateClaim,
    TimerPassed,
)
from lab.tcp._verdict import ScenarioVerdict, StepVerdict

__all__ = [
    "KINDS",
    "TIMER_ENDS",
    "VERDICTS",
    "ClaimKind",
    "ClaimVerdict",
    "RunRecord",
    "Verdict",
    "claims_ok",
    "count_claims",
    "judge_flags",
    "judge_orders",
    "judge_scenario_claims",
    "line_verdicts",
    "worst",
]

ClaimKind = Literal["message", "state", "table-row", "flag", "edge"]
Verdict = Literal["ok", "fail", "timer", "unchecked"]
KINDS: Final[tuple[ClaimKind, ...]] = ("message", "state", "table-row", "flag", "edge")
VERDICTS: Final[tuple[Verdict, ...]] = ("fail", "timer", "ok", "unchecked")
"""The verdicts, worst first: what one line (or a table row for every end) shows when its
claims got several is the first of them in this order."""


@dataclass(frozen=True)
class ClaimVerdict:
    """One claim of the documentation, judged in one address family."""

    line: int
    """1-based line in the file, as editors show it; for a segment missing from the
    documentation, the line where it belongs."""
    text: str
    """The line as written (stripped)."""
    kind: ClaimKind
    verdict: Verdict
    family: str
    """``IPv4`` or ``IPv6``."""
    documented: str
    """What the line claims, in lab's words: ``client → server SYN``, ``client FIN-WAIT-1``."""
    observed: str
    """What the kernel did instead or as well: ``client → server SYN (seq 0)``."""
    detail: str = ""
    """Why it failed, what the timer is, or why it is unchecked; empty for a plain ok."""
    scenario: str = ""
    """The scenario (diagram) it belongs to, ``L12-25``; empty for a table's flag rows."""

    @property
    def ok(self) -> bool:
        """Whether the claim did not fail (``ok``, or a timer not waited out, or unchecked)."""
        return self.verdict != "fail"


def claims_ok(claims: Iterable[ClaimVerdict]) -> bool:
    """Whether no claim failed (a ``timer`` or ``unchecked`` claim is no failure)."""
    return all(claim.ok for claim in claims)


def worst(verdicts: Iterable[Verdict]) -> Verdict:
    """The worst of `verdicts` (`VERDICTS` order); ``unchecked`` when there are none."""
    return min(verdicts, key=VERDICTS.index, default="unchecked")


def line_verdicts(claims: Iterable[ClaimVerdict]) -> dict[int, Verdict]:
    """Each line's verdict, the worst of its claims (both families), in line order."""
    by_line: dict[int, list[Verdict]] = {}
    for claim in claims:
        by_line.setdefault(claim.line, []).append(claim.verdict)
    return {line: worst(verdicts) for line, verdicts in sorted(by_line.items())}


def count_claims(claims: Iterable[ClaimVerdict]) -> dict[Verdict, int]:
    """How many claims got each verdict, every verdict present, in `VERDICTS` order."""
    counts = dict.fromkeys(VERDICTS, 0)
    for claim in claims:
        counts[claim.verdict] += 1
    return counts


# --- a diagram's messages and states ------------------------------------------------------------


def judge_scenario_claims(record: RunRecord, verdict: ScenarioVerdict) -> tuple[ClaimVerdict, ...]:
    """A verdict for every claim of `record.scenario`'s script, in the order of their lines.

    `verdict` is `judge` of the same scenario on `record.timeline`: its steps
    pair the documented segments with the observed ones. Segments the kernel
    sent that the note leaves out get a verdict at the line where they belong.
    See the module docstring for every rule.
    """
    return _ScenarioClaims(record, verdict).judge()


_Judged = tuple[Verdict, str, str, str]
"""A claim's verdict, what it documents, what was observed, and the detail."""

_BEFORE, _AT, _AFTER = 0, 1, 2
"""How a verdict sorts among those of its line: a segment the note leaves out comes before
the next documented segment's own verdict, or after the previous one's."""


class _ScenarioClaims:
    """The claims of one scenario's script against one run, judged in script order."""

    def __init__(self, record: RunRecord, verdict: ScenarioVerdict) -> None:
        self.scenario = record.scenario
        self.family = record.family
        self.run = RunMoments(record, self.scenario.timers)
        self.script = self.scenario.script
        self.segments = self.scenario.segments
        # Where each documented segment is in the script, and where its observed one is in the
        # timeline (None: not observed).
        self.segment_at = [k for k, i in enumerate(self.script) if isinstance(i, DocumentedSegment)]
        self.steps = verdict.steps
        self.documented = [step for step in self.steps if step.documented]
        if len(self.documented) != len(self.segments):
            raise ValueError(
                f"the verdict {verdict.name!r} has {len(self.documented)} documented steps, but "
                f"scenario {self.scenario.name!r} has {len(self.segments)} segments: pass "
                "judge(record.scenario, record.timeline) for the same record"
            )
        self.seen_at = [self._timeline_index(step) for step in self.documented]
        self.numbers = SequenceNumbers(self.run.isn)
        self.passed: set[Role] = set()
        self.found: list[tuple[tuple[int, int, int], ClaimVerdict]] = []

    def judge(self) -> tuple[ClaimVerdict, ...]:
        """Every claim's verdict, sorted by line (then script order)."""
        for k, item in enumerate(self.script):
            self._item(k, item)
        self._undocumented()
        return tuple(claim for _, claim in sorted(self.found, key=lambda found: found[0]))

    # --- one script item

    def _item(self, k: int, item: ScriptItem) -> None:
        if isinstance(item, Action) or item.source is None:
            return  # actions are shown, not claimed; tables.yaml's items have no line
        if isinstance(item, DocumentedSegment):
            self._add(k, item.source, "message", self._message(item))
        elif isinstance(item, StateClaim):
            self._add(k, item.source, "state", self._state(k, item))
        elif isinstance(item, TimerPassed):
            self._add(k, item.source, "state", self._timer_passed(k, item))
        else:
            kind: ClaimKind = "state" if item.source.text.lower().startswith("note") else "message"
            self._add(k, item.source, kind, ("unchecked", "", "", item.reason))

    def _message(self, doc: DocumentedSegment) -> _Judged:
        """A documented segment: its step's problems, then its numbers."""
        documented = _documented_segment(doc)
        step = self._step_of(doc)
        seg = step.segment
        if seg is None:
            return "fail", documented, "nothing", "; ".join(step.problems)
        problems = list(step.problems)
        if step.direction_ok:
            problems += self._number_problems(doc, seg)
        observed = segment_text(seg, self.run.isn)
        return ("fail" if problems else "ok"), documented, observed, "; ".join(problems)

    def _number_problems(self, doc: DocumentedSegment, seg: ObservedSegment) -> list[str]:
        problems = []
        # seq counts in the sender's space; ack acknowledges the receiver's.
        fields = (("seq", doc.seq, doc.sender, seg.seq), ("ack", doc.ack, doc.receiver, seg.ack))
        for name, claim, space, value in fields:
            if claim is None:
                continue
            if name == "ack" and TcpFlag.ACK not in seg.flags:
                if claim.symbol is None and claim.offset == 0:
                    continue  # "SYN seq=100 ack=0": the header's field, which Linux leaves 0
                problems.append(
                    f"documented ack={claim.written}, but ACK is not set, so the segment "
                    "acknowledges nothing"
                )
                continue
            problem = self.numbers.check(name, claim, space, value)
            if problem:
                problems.append(problem)
        return problems

    def _state(self, k: int, claim: StateClaim) -> _Judged:
        """A state: in its window, else after a timer (see the module docstring)."""
        role, state = claim.role, claim.state
        documented = f"{role} {state}"
        if role in self.passed:
            verdict, observed, detail = self._after_timer(role, state)
            return verdict, documented, observed, detail
        lo, hi = self._window(k)
        candidates = self.run.window(role, lo, hi)
        observed = " → ".join(candidates) or "not observed"
        if state in candidates:
            return "ok", documented, observed, ""
        if k > self._last_segment:
            waited = self.run.waited(role)
            final = self.run.final(role)
            if waited is not None and final is not None:
                judged: Verdict = "ok" if final.state == state else "fail"
                shown = f"{observed}, then {final.state} after waiting {waited:.1f} s"
                detail = "" if judged == "ok" else f"{role} is {final.state} once its timer fired"
                return judged, documented, shown, detail
            if self.run.fires_into(role) == state:
                return "timer", documented, observed, self._timer_detail(role)
        detail = f"{role} is {observed} {self._where(k)}, documented {state}"
        return "fail", documented, observed, detail

    def _after_timer(self, role: Role, state: TcpState) -> tuple[Verdict, str, str]:
        """A state written after time passed for `role`: the end of the run decides."""
        waited = self.run.waited(role)
        if waited is not None:
            final = self.run.final(role)
            actual = final.state if final is not None else None
            observed = f"{actual or 'not observed'} after waiting {waited:.1f} s"
            if actual == state:
                return "ok", observed, ""
            return "fail", observed, f"{role} is {observed} for its timer, documented {state}"
        end = self.run.ending(role)
        if end is None:
            return "fail", "not observed", f"{role}'s state was not observed when the script ended"
        into = self.run.fires_into(role)
        if into is None:
            if end.state == state:
                return "ok", str(end.state), ""
            detail = (
                f"{role} is {end.state} when the script ends, and no timer runs to change it; "
                f"documented {state}"
            )
            return "fail", str(end.state), detail
        if into == state:
            return "timer", str(end.state), self._timer_detail(role)
        detail = f"{role} is {end.state} until its timer fires, then {into}; documented {state}"
        return "fail", str(end.state), detail

    def _timer_passed(self, k: int, item: TimerPassed) -> _Judged:
        """Time passing: ok when waited out, timer when not, unchecked without a timer."""
        documented = f"time passes until {item.role or 'every end'}'s timer fires"
        if k < self._last_segment:
            return (
                "unchecked",
                documented,
                "",
                (
                    "time passing between segments is not judged on its own: the segments around "
                    "it show what it did"
                ),
            )
        roles = [item.role] if item.role else list(ROLES)
        self.passed.update(roles)
        observed = ", ".join(self._end_text(role) for role in roles)
        timed = [r for r in roles if self.run.waited(r) is not None or self.run.timed(r)]
        if not timed:
            return (
                "unchecked",
                documented,
                observed,
                (
                    f"no timer of {item.role or 'either end'} was running when the script ended, "
                    "so there is nothing to wait for; the states after it are judged as they were"
                ),
            )
        pending = [r for r in timed if self.run.waited(r) is None]
        if pending:
            return "timer", documented, observed, "; ".join(map(self._timer_detail, pending))
        waits = ", ".join(f"{r}'s for {self.run.waited(r):.1f} s" for r in timed)
        return "ok", documented, observed, f"--wait-timers waited out the timers: {waits}"

    # --- segments the note leaves out

    def _undocumented(self) -> None:
        """A verdict for each segment the kernel sent and the note leaves out, where it belongs."""
        documented_so_far = 0
        for step in self.steps:
            if step.documented:
                documented_so_far += 1
                continue
            assert step.segment is not None  # an undocumented step is an observed segment
            before = self._source_of(documented_so_far - 1)
            after = self._source_of(documented_so_far)
            if after is not None:
                anchor, k, order = after, self.segment_at[documented_so_far], _BEFORE
            elif before is not None:
                anchor, k, order = before, self.segment_at[documented_so_far - 1], _AFTER
            else:
                continue  # no line to put it at (tables.yaml)
            seg = step.segment
            where = _between(before, after)
            detail = f"not in the note: {seg.sender} → {seg.receiver} {seg.flags.label}, {where}"
            observed = segment_text(seg, self.run.isn)
            judged: _Judged = ("fail", "nothing", observed, detail)
            self._add(k, anchor, "message", judged, order=order)

    # --- helpers

    def _add(
        self,
        k: int,
        source: Source,
        kind: ClaimKind,
        judged: _Judged,
        *,
        order: int = _AT,
    ) -> None:
        """Keep a verdict (verdict, documented, observed, detail) of the line at `source`."""
        verdict, documented, observed, detail = judged
        claim = ClaimVerdict(
            line=source.line,
            text=source.text.strip(),
            kind=kind,
            verdict=verdict,
            family=self.family,
            documented=documented,
            observed=observed,
            detail=detail,
            scenario=self.scenario.name,
        )
        self.found.append(((source.line, k, order), claim))

    def _timeline_index(self, step: StepVerdict) -> int | None:
        if step.segment is None:
            return None
        for at, item in enumerate(self.run.timeline):
            if item is step.segment:
                return at
        return self.run.timeline.index(step.segment)

    def _step_of(self, doc: DocumentedSegment) -> StepVerdict:
        nth = next(i for i, seg in enumerate(self.segments) if seg is doc)
        return self.documented[nth]

    @property
    def _last_segment(self) -> int:
        """The script index of the last documented segment (-1: none)."""
        return self.segment_at[-1] if self.segment_at else -1

    def _window(self, k: int) -> tuple[int | None, int | None]:
        """The timeline indexes of the observed segments around script item `k` (None: none)."""
        above = [
            at
            for s, at in zip(self.segment_at, self.seen_at, strict=True)
            if s < k and at is not None
        ]
        below = [
            at
            for s, at in zip(self.segment_at, self.seen_at, strict=True)
            if s > k and at is not None
        ]
        return (above[-1] if above else None), (below[0] if below else None)

    def _where(self, k: int) -> str:
        """Where script item `k` sits among the documented segments, by their lines."""
        above = [s for s, at in zip(self.segments, self.segment_at, strict=True) if at < k]
        below = [s for s, at in zip(self.segments, self.segment_at, strict=True) if at > k]
        if not above:
            return "before the first segment (the state once the setup is done)"
        if not below:
            return "after the last segment (until the script ends)"
        return _between(above[-1].source, below[0].source)

    def _source_of(self, nth: int) -> Source | None:
        return self.segments[nth].source if 0 <= nth < len(self.segments) else None

    def _end_text(self, role: Role) -> str:
        end = self.run.ending(role)
        if end is None:
            return f"{role} not observed"
        timer = self.run.timer_text(role)
        return f"{role} {end.state}" + (f" (timer {timer})" if timer else "")

    def _timer_detail(self, role: Role) -> str:
        end = self.run.ending(role)
        state = end.state if end is not None else "not observed"
        timer = self.run.timer_text(role) or "none shown"
        into = self.run.fires_into(role)
        then = f"it is {into} once the timer fires" if into else "the timer moves it on"
        return (
            f"{role} is {state} when the script ends, its timer running (ss -o: {timer}); "
            f"{then}: run with --wait-timers to wait it out and check"
        )


def _documented_segment(doc: DocumentedSegment) -> str:
    """``client → server SYN+ACK (seq=y, ack=x+1)``: a documented segment in lab's words."""
    flags = doc.flags.label if doc.flags or not doc.data else "data"
    extras = [
        *([f"without {doc.absent.label}"] if doc.absent else []),
        *([f"seq={doc.seq.written}"] if doc.seq else []),
        *([f"ack={doc.ack.written}"] if doc.ack else []),
        *(["data"] if doc.data and doc.flags else []),
        *(["lost"] if doc.lost else []),
    ]
    text = f"{doc.sender} → {doc.receiver} {flags}"
    return f"{text} ({', '.join(extras)})" if extras else text


def _between(before: Source | None, after: Source | None) -> str:
    """``between lines 44 and 47``, ``after line 49``, ``before line 42``."""
    if before is not None and after is not None:
        return f"between lines {before.line} and {after.line}"
    if before is not None:
        return f"after line {before.line}"
    if after is not None:
        return f"before line {after.line}"
    return "where the note has no segment"


# --- tables ----------------------------------------------------------------------------------


def judge_orders(
    claims: Sequence[OrderClaim], records: Sequence[RunRecord], *, family: str = ""
) -> tuple[ClaimVerdict, ...]:
    """A verdict for each row of a table of states: the role enters them in the table's order.

    `records` are the runs of the diagram the table is checked against (its
    `NoteTable.scenario`), in order; each address family is judged on its own
    runs. With no records, every row is ``unchecked``, in `family` (the family the caller
    judges). See the module docstring.
    """
    families = _by_family(records)
    if not families:
        return tuple(
            _unrun(source, "table-row", _enters(order.role, state), "no run of its diagram", family)
            for order in claims
            for state, source in order.states
        )
    found = []
    for judged_in, runs in families.items():
        moments = [RunMoments(run, run.scenario.timers) for run in runs]
        scenario = ", ".join(dict.fromkeys(run.scenario.name for run in runs))
        for order in claims:
            found += _order_rows(order, moments, judged_in, scenario)
    return tuple(found)


def _order_rows(
    order: OrderClaim, runs: Sequence[RunMoments], family: str, scenario: str
) -> list[ClaimVerdict]:
    """Each row of `order`, matched in turn against each of its roles' observed sequence."""
    roles = [order.role] if order.role else list(ROLES)
    sequences = {role: _merged(s for run in runs for s in run.sequence(role)) for role in roles}
    matched = dict.fromkeys(roles, -1)  # where each role's previous row was found
    rows = []
    previous: TcpState | None = None
    for state, source in order.states:
        results = [
            _order_row(role, state, previous, sequence=sequences[role], matched=matched, runs=runs)
            for role in roles
        ]
        verdict = worst(verdict for verdict, _, _ in results)
        rows.append(
            ClaimVerdict(
                line=source.line,
                text=source.text.strip(),
                kind="table-row",
                verdict=verdict,
                family=family,
                documented=_enters(order.role, state) + (f" after {previous}" if previous else ""),
                observed="; ".join(observed for _, observed, _ in results),
                detail="; ".join(detail for _, _, detail in results if detail),
                scenario=scenario,
            )
        )
        previous = state
    return rows


def _order_row(
    role: Role,
    state: TcpState,
    previous: TcpState | None,
    *,
    sequence: Sequence[TcpState],
    matched: dict[Role, int],
    runs: Sequence[RunMoments],
) -> tuple[Verdict, str, str]:
    """One row for one role: found after the previous row's match, or why not."""
    observed = f"{role}: {' → '.join(sequence) or 'not observed'}"
    at = next((i for i in range(matched[role] + 1, len(sequence)) if sequence[i] == state), None)
    if at is not None:
        matched[role] = at
        return "ok", observed, ""
    timed = [run for run in runs if run.waited(role) is None and run.fires_into(role) == state]
    if timed:
        end = timed[-1].ending(role)
        detail = (
            f"{role} is {end.state if end else 'not observed'} when the script ends, its timer "
            f"running (ss -o: {timed[-1].timer_text(role) or 'none shown'}); it is {state} once "
            "the timer fires: run with --wait-timers to wait it out and check"
        )
        return "timer", observed, detail
    if state in sequence:
        return "fail", observed, f"{role} enters {state} only before {previous}, not after it"
    return "fail", observed, f"{role} never enters {state}"


def judge_flags(
    claims: Sequence[FlagClaim], records: Sequence[RunRecord], *, family: str = ""
) -> tuple[ClaimVerdict, ...]:
    """A verdict for each row naming a flag: some segment of the runs sets it.

    `records` are every run of the note; each address family is judged on its
    own runs. With no records, every row is ``unchecked``, in `family`.
    """
    families = _by_family(records)
    if not families:
        return tuple(
            _unrun(c.source, "flag", f"{c.flag.label} is sent", "no run of the note", family)
            for c in claims
        )
    found = []
    for judged_in, runs in families.items():
        for claim in claims:
            found.append(_flag_row(claim, runs, judged_in))
    return tuple(found)


def _flag_row(claim: FlagClaim, runs: Sequence[RunRecord], family: str) -> ClaimVerdict:
    documented = f"{claim.flag.label} is sent"
    sent = [
        (run, item) for run in runs for item in run.timeline if isinstance(item, ObservedSegment)
    ]
    hit = next(((run, seg) for run, seg in sent if claim.flag in seg.flags), None)
    if hit is not None:
        run, seg = hit
        observed = f"{segment_text(seg, RunMoments(run).isn)} in {run.scenario.name}"
        verdict: Verdict = "ok"
        detail = ""
    else:
        names = ", ".join(dict.fromkeys(run.scenario.name for run in runs))
        observed = f"no segment with {claim.flag.label}"
        verdict = "fail"
        detail = (
            f"no run sent a segment with {claim.flag.label} ({len(sent)} segments in {names}); "
            "add a diagram that shows it, or remove the row"
        )
    return ClaimVerdict(
        line=claim.source.line,
        text=claim.source.text.strip(),
        kind="flag",
        verdict=verdict,
        family=family,
        documented=documented,
        observed=observed,
        detail=detail,
    )


def _by_family(records: Sequence[RunRecord]) -> dict[str, list[RunRecord]]:
    """The records of each address family, in the order they come."""
    families: dict[str, list[RunRecord]] = {}
    for record in records:
        families.setdefault(record.family, []).append(record)
    return families


def _merged(states: Iterable[TcpState]) -> list[TcpState]:
    """`states` with runs of one state merged."""
    merged: list[TcpState] = []
    for state in states:
        if not merged or merged[-1] != state:
            merged.append(state)
    return merged


def _enters(role: Role | None, state: TcpState) -> str:
    return f"{role or 'every end'} enters {state}"


def _unrun(
    source: Source, kind: ClaimKind, documented: str, what: str, family: str
) -> ClaimVerdict:
    """A table row with nothing to judge it against."""
    return ClaimVerdict(
        line=source.line,
        text=source.text.strip(),
        kind=kind,
        verdict="unchecked",
        family=family,
        documented=documented,
        observed="",
        detail=f"{what} to judge it against",
    )
