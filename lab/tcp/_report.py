"""Verdicts as people read them (aligned plain text) and as programs read them (JSON).

`render_scenario` puts the documentation and the kernel side by side, one row
per segment (a documented one the kernel did not send, and one it sent that
the documentation leaves out, each in its place), with ``✗`` on every cell
that differs and the problems under the row; no colour is needed to read it.
`render_summary` lists the runs, the coverage of the documented states and
flags, and the edges of RFC 9293's state diagram the runs showed. `to_json`
gives the same facts as plain data. Pure: no kernel access.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Final

from lab._columns import align_columns
from lab.tcp._coverage import Coverage, CoverageRow, DeviationRow, EdgeRow
from lab.tcp._names import Role, TcpFlag, TcpState
from lab.tcp._observed import StateSnapshot
from lab.tcp._segment_checks import documented_extras, observed_extras
from lab.tcp._segment_claims import ECN_CODEPOINTS
from lab.tcp._settings import TcpSettings
from lab.tcp._spec import ROLES, Spec
from lab.tcp._verdict import ActionStep, ScenarioVerdict, StepVerdict, TimerVerdict

__all__ = [
    "MARK",
    "render_header",
    "render_scenario",
    "render_scenario_list",
    "render_summary",
    "to_json",
]

MARK: Final = "✗"
"""Marks a cell whose observation differs from the documentation."""
ARROW: Final = "→"
_GAP: Final = "  "
_LEGEND: Final = (
    f"({MARK} marks what differs. States: the sender's while its segment is in flight, the "
    "receiver's once it has processed it; after an action, each role's right after it. "
    "Flags: {flags}.)"
)
_FLAG_RULES: Final = {
    False: "the documented ones must be set; ACK, and PSH on data, may go unwritten",
    True: "exactly the documented ones (strict)",
}

Pcap = str | os.PathLike[str] | None


@dataclass(frozen=True)
class _Row:
    """One line of the table, then its problem lines.

    A step fills the four middle columns (segment, documented flags, on the
    wire, documented states); an action or a timer writes one text across them.
    """

    n: str
    middle: tuple[str, str, str, str] | str
    roles: tuple[str, ...]
    """One cell per role, in ROLES order."""
    verdict: str
    problems: tuple[str, ...] = ()

    def cells(self) -> tuple[str, ...]:
        """The cells in the table's columns; a spanning text counts in none of them."""
        middle = self.middle if isinstance(self.middle, tuple) else ("",) * 4
        return (self.n, *middle, *self.roles, self.verdict)

    def line(self, widths: Sequence[int]) -> str:
        """The row with its cells padded to `widths` (the table's column widths)."""
        if isinstance(self.middle, tuple):
            return _line(self.cells(), widths)
        span = sum(widths[1:5]) + len(_GAP) * 3
        cells = (self.n, self.middle, *self.roles, self.verdict)
        return _line(cells, [widths[0], span, *widths[5:]])


_HEADER: Final = _Row(
    "n",
    ("segment", "documented flags", "on the wire", "documented states"),
    tuple(f"{role} (in flight {ARROW} after)" for role in ROLES),
    "verdict",
)


def render_header(
    *,
    kernel: str,
    topology: str,
    client: str,
    server: str,
    families: Sequence[str],
    left_out: Mapping[str, str] | None = None,
    settings: TcpSettings | None = None,
) -> str:
    """Under what the verdicts were observed: kernel, hosts, families, TCP settings."""
    lines = [
        f"lab check on {kernel}: topology {topology}, {client} {ARROW} {server}, "
        f"{' and '.join(families) or 'no family'}"
    ]
    lines += [f"{family} left out: {why}" for family, why in (left_out or {}).items()]
    lines += settings.lines() if settings is not None else []
    return "\n".join(lines)


def render_scenario(verdict: ScenarioVerdict, *, pcap: Pcap = None) -> str:
    """The scenario as a side-by-side table of documented and observed behaviour."""
    rows = _rows(verdict)
    widths = [len(cell) for cell in _HEADER.cells()]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row.cells(), strict=True)]
    lines = [_HEADER.line(widths)]
    indent = " " * (1 + widths[0] + len(_GAP))
    for row in rows:
        lines.append(row.line(widths))
        lines += [f"{indent}{MARK} {problem}" for problem in row.problems]
    table_width = max(len(line) for line in lines)
    title = f"{verdict.label}: {verdict.title}"
    if pcap is not None:
        where = f"pcap: {os.fspath(pcap)}"
        title = f"{title}{_GAP}{where.rjust(table_width - len(title) - len(_GAP))}"
    legend = _LEGEND.format(flags=_FLAG_RULES[verdict.strict_flags])
    settings = [f"settings beyond the kernel's defaults: {_settings(verdict)}"]
    settings = [*(settings if verdict.settings else []), *(f"cites {c}" for c in verdict.cites)]
    return "\n".join([title, *settings, *lines, legend,
                      _conclusion(verdict)])  # fmt: skip


def render_scenario_list(spec: Spec) -> str:
    """Each scenario of `spec`: its title, the flags of its segments in order, its states."""
    rows = [("scenario", "title", "documented flags", "documented states")]
    for name, scenario in spec.scenarios.items():
        title = scenario.title
        if scenario.sysctls:
            title += f" (sets {', '.join(f'{k}={v}' for k, v in scenario.sysctls.items())})"
        segments = ", ".join(f"{s.flags.label}" for s in scenario.segments)
        states = ", ".join(str(s) for s in scenario.documented_states)
        rows.append((name, title, segments, states))
    return "\n".join(align_columns(rows, gap=_GAP))


def render_summary(
    verdicts: Sequence[ScenarioVerdict],
    coverage: Coverage | None = None,
    *,
    left_out: Mapping[str, str] | None = None,
    not_run: Sequence[str] | None = None,
    slow_left_out: Mapping[str, str] | None = None,
) -> str:
    """One line per run, then which documented states and flags were observed.

    `left_out` names the families that did not run, and why (``{"IPv6": "server has no
    IPv6 address"}``). `not_run`, when given, says the check was interrupted and lists
    the runs that did not finish (``close (IPv6)``).
    """
    failed = sum(not v.ok for v in verdicts)
    agree = len(verdicts) - failed
    head = (
        f"{_count(len(verdicts), 'scenario run')}: {agree} agree{'s' if agree == 1 else ''} "
        "with the documentation"
    )
    if failed:
        head += f", {failed} do{'es' if failed == 1 else ''} not"
    runs = [
        (
            "ok" if v.ok else "FAIL",
            v.label,
            v.title if v.ok else f"{v.title} ({_count(len(v.problems), 'difference')})",
        )
        for v in verdicts
    ]
    lines = [head, *_columns(runs)]
    lines += [f"  {family} left out: {why}" for family, why in (left_out or {}).items()]
    lines += [
        f"  {name} left out: slow ({why}); --wait-timers, or --scenario {name}, runs it"
        for name, why in (slow_left_out or {}).items()
    ]
    if not_run is not None:
        lines.append(
            f"interrupted (Ctrl-C) after {_count(len(verdicts), 'finished run')}; "
            + (f"not run: {', '.join(not_run)}" if not_run else "every planned run had finished")
        )
    lines += ["", _settings_line(verdicts)]
    if coverage is not None:
        lines += ["", "documented states", *_columns([_coverage(r) for r in coverage.states])]
        lines += ["", "documented flags", *_columns([_coverage(r) for r in coverage.flags])]
        if coverage.edges:
            lines += ["", _EDGES_TITLE, *_columns([_EDGES_HEADER, *map(_edge, coverage.edges)])]
        if coverage.deviations:
            lines += ["", "Linux vs RFC 9293", *_deviation_lines(coverage.deviations)]
    return "\n".join(lines)


def _deviation_lines(rows: Sequence[DeviationRow]) -> list[str]:
    """Each deviation: what the RFC says, what Linux does, and the scenarios that show it."""
    lines: list[str] = []
    for row in rows:
        deviation = row.deviation
        lines += [
            f"  {'ok' if row.shown else 'FAIL' if row.disagreed else '-':<4}  {deviation.name}: "
            f"{row.status}",
            f"          RFC 9293: {deviation.rfc}",
            f"          Linux:    {deviation.linux}",
        ]
    return lines


def to_json(
    verdicts: Sequence[ScenarioVerdict],
    *,
    kernel: str,
    pcaps: Mapping[str, Pcap] | None = None,
    coverage: Coverage | None = None,
) -> dict[str, object]:
    """The verdicts as plain data (json.dumps-able); `pcaps` maps ``open-ipv4`` or ``open``."""
    pcaps = pcaps or {}
    data: dict[str, object] = {
        "ok": all(v.ok for v in verdicts),
        "kernel": kernel,
        "scenarios": [_scenario_json(v, _pcap_for(v, pcaps)) for v in verdicts],
    }
    if coverage is not None:
        data["coverage"] = {
            "complete": coverage.complete,
            "states": [_coverage_json(row) for row in coverage.states],
            "flags": [_coverage_json(row) for row in coverage.flags],
            "edges": [_edge_json(row) for row in coverage.edges],
            "deviations": [_deviation_json(row) for row in coverage.deviations],
        }
    return data


# --- the scenario table ---------------------------------------------------------------------


def _rows(verdict: ScenarioVerdict) -> list[_Row]:
    """Setup actions, then each step after the script actions that precede it, then timers."""
    rows = [_action_row(a) for a in verdict.actions if a.setup]
    script = [a for a in verdict.actions if not a.setup]
    for step in verdict.steps:
        rows += [_action_row(a) for a in script if a.before_step == step.n]
        rows.append(_step_row(step))
    last = len(verdict.steps)
    rows += [_action_row(a) for a in script if a.before_step > last]
    rows += [_timer_row(t) for t in verdict.timers]
    return rows


def _step_row(step: StepVerdict) -> _Row:
    """A segment: documented, on the wire, and both roles' states around it.

    What a segment documents beyond its flags (options, timing, a CE mark) follows the
    flags in brackets, documented and observed; an injected segment says so.
    """
    doc, seg = step.documented_segment, step.segment
    route = f"{step.sender} {ARROW} {step.receiver}"
    if (doc is not None and doc.inject is not None) or (seg is not None and seg.injected):
        route += " (injected)"
    if not step.direction_ok:
        route = _marked(route)
    if seg is None or step.observed_flags is None:
        wire = _marked("nothing")
    else:
        wire = _with(step.observed_flags.label, observed_extras(doc, seg, step.elapsed))
        wire = wire if step.flags_ok and step.checks_ok else _marked(wire)
    states = ", ".join(f"{role} {state}" for role, state in step.expected_states.items())
    documented = step.expected_flags.label if step.documented else "(undocumented)"
    if doc is not None:
        documented = _with(documented, documented_extras(doc))
    return _Row(
        str(step.n),
        (route, documented, wire, states),
        tuple(_role_cell(step, role) for role in ROLES),
        "ok" if step.ok else "FAIL",
        step.problems,
    )


def _with(text: str, extras: str) -> str:
    """``SYN (options mss 1460)``: `text` and what follows it, if anything does."""
    return f"{text} ({extras})" if extras else text


def _role_cell(step: StepVerdict, role: Role) -> str:
    """``SYN-SENT → ESTABLISHED``: `role` while the segment flew and once it was processed."""
    if not step.observed:
        return ""
    cell = (
        f"{_state(_snapshot_state(step.observed_before.get(role)))} {ARROW} "
        f"{_state(_snapshot_state(step.observed_after.get(role)))}"
    )
    return cell if step.state_ok(role) else _marked(cell)


def _action_row(action: ActionStep) -> _Row:
    """An application action; its states are both roles' right after it, when recorded.

    When the documentation gives states after it, or the call's result, they are
    written after the action and the row is judged like a step.
    """
    text = str(action)
    if action.setup:
        text += " (setup)"
    elif action.result:
        text += f": {action.result if action.result_ok else _marked(action.result)}"
    documented = [f"returns {action.expected_result}"] if action.expected_result else []
    documented += [f"{role} {state}" for role, state in action.expected_states.items()]
    if documented:
        text += f" (documented: {', '.join(documented)})"
    roles = tuple(_action_cell(action, role) for role in ROLES)
    verdict = ("ok" if action.ok else "FAIL") if action.judged else ""
    return _Row("-", text, roles, verdict, action.problems)


def _action_cell(action: ActionStep, role: Role) -> str:
    """``→ LISTEN``: `role` right after the action, marked when not as documented."""
    snapshot = action.states.get(role)
    if snapshot is None:
        return _marked("?") if not action.state_ok(role) else ""
    cell = f"{ARROW} {snapshot.state}"
    return cell if action.state_ok(role) else _marked(cell)


def _timer_row(timer: TimerVerdict) -> _Row:
    """A documented timer and what the role showed."""
    text = f"{timer.role}'s timer: {timer.state} until it fires, then {timer.then}"
    text += f" (lasts {timer.lasts:g} s)" if timer.lasts is not None else ""
    seen = _state(timer.observed_state)
    if timer.waited:
        seen += f" after {timer.seconds:.1f} s" if timer.seconds is not None else ""
    elif timer.timer:
        seen += f" ({timer.timer})"
    cell = seen if timer.ok else _marked(seen)
    roles = tuple(cell if role == timer.role else "" for role in ROLES)
    return _Row("-", text, roles, "ok" if timer.ok else "FAIL", timer.problems)


def _conclusion(verdict: ScenarioVerdict) -> str:
    """The last line: the verdict, and documented states never observed."""
    if verdict.ok:
        line = "ok: every segment, state and timer as documented"
    else:
        line = f"FAILED: {_count(len(verdict.problems), 'difference')} from the documentation"
    if verdict.unseen_states:
        unseen = ", ".join(str(s) for s in verdict.unseen_states)
        line += f"; documented but never observed: {unseen}"
    return line


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    """Cells padded to their column widths, after one space."""
    return " " + _GAP.join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()


def _settings(verdict: ScenarioVerdict) -> str:
    """``net.ipv4.tcp_autocorking=0, ...``: what the scenario set beyond the kernel's defaults."""
    return ", ".join(f"{name}={value}" for name, value in verdict.settings.items())


def _settings_line(verdicts: Sequence[ScenarioVerdict]) -> str:
    """Which runs changed TCP settings beyond the kernel's defaults, if any did."""
    changed = {v.name: _settings(v) for v in verdicts if v.settings}
    if not changed:
        return "TCP settings: the kernel's defaults in every run (stepping changes none)"
    listed = "; ".join(f"{name}: {settings}" for name, settings in changed.items())
    return f"TCP settings beyond the kernel's defaults: {listed}"


def _marked(text: str) -> str:
    return f"{MARK} {text}"


def _state(state: TcpState | None) -> str:
    """A state's RFC 9293 name; ``?`` when it was not observed."""
    return "?" if state is None else str(state)


def _snapshot_state(snapshot: StateSnapshot | None) -> TcpState | None:
    return None if snapshot is None else snapshot.state


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells, aligned, indented by two spaces."""
    return align_columns(rows, indent="  ", gap=_GAP)


def _coverage(row: CoverageRow) -> tuple[str, str, str]:
    """A coverage row: name, status, where it was observed (or where it is documented)."""
    if row.observed_in:
        where = ", ".join(dict.fromkeys(row.observed_in))
    elif row.documented_in:
        where = f"documented in {', '.join(row.documented_in)}"
    else:
        where = ""
    return row.name, row.status.value, where


_EDGES_TITLE: Final = (
    "RFC 9293 state diagram edges (section 3.3.2, and the resets and timeouts of 3.10) the "
    "kernel took; an edge not shown is reported, not failed"
)
_EDGES_HEADER: Final = ("from", "event", "to", "shown in / why not")


def _edge(row: EdgeRow) -> tuple[str, str, str, str]:
    """An edge: from, event, to, and the runs that show it or why none does."""
    edge = row.edge
    where = ", ".join(row.shown_in) if row.shown_in else row.why_not
    return str(edge.source), edge.event, str(edge.target), where


# --- JSON ---------------------------------------------------------------------------------------


def _pcap_for(verdict: ScenarioVerdict, pcaps: Mapping[str, Pcap]) -> str | None:
    found = pcaps.get(verdict.id, pcaps.get(verdict.name))
    return None if found is None else os.fspath(found)


def _names(flags: TcpFlag | None) -> list[str] | None:
    return None if flags is None else flags.names


def _snapshots_json(snapshots: Mapping[str, StateSnapshot]) -> dict[str, dict[str, str]]:
    return {str(role): {"state": str(s.state), "timer": s.timer} for role, s in snapshots.items()}


def _step_json(step: StepVerdict) -> dict[str, object]:
    segment = step.segment
    return {
        "n": step.n,
        "from": step.sender,
        "to": step.receiver,
        "documented": step.documented,
        "expected_flags": step.expected_flags.names,
        "observed_flags": _names(step.observed_flags),
        "expected_states": {role: str(s) for role, s in step.expected_states.items()},
        "observed_states": {
            role: None if s is None else str(s) for role, s in step.observed_states.items()
        },
        "observed_from": None if segment is None else segment.sender,
        "observed_to": None if segment is None else segment.receiver,
        "observed_before": _snapshots_json(step.observed_before),
        "observed_after": _snapshots_json(step.observed_after),
        "seq": None if segment is None else segment.seq,
        "ack": None if segment is None else segment.ack,
        "length": None if segment is None else segment.length,
        **_segment_json(step),
        "problems": list(step.problems),
        "ok": step.ok,
    }


def _segment_json(step: StepVerdict) -> dict[str, object]:
    """What a step documents and shows beyond flags and states: injection, timing, CE, options."""
    doc, segment = step.documented_segment, step.segment
    after = None if doc is None else doc.after
    return {
        "injected": segment.injected if segment else doc is not None and doc.inject is not None,
        "overtakes": 0 if doc is None else doc.overtakes,
        "expected_absent_flags": [] if doc is None else doc.absent.names,
        "expected_ce": doc is not None and doc.ce,
        "ecn": None if segment is None or segment.ecn is None else ECN_CODEPOINTS[segment.ecn],
        "expected_after": None if after is None else asdict(after),
        "elapsed": step.elapsed,
        "expected_options": [] if doc is None else [str(o) for o in doc.options],
        "options": None if segment is None else [str(o) for o in segment.options],
    }


def _timer_json(timer: TimerVerdict) -> dict[str, object]:
    return {
        "role": timer.role,
        "state": str(timer.state),
        "then": str(timer.then),
        "observed": timer.timer,
        "observed_state": None if timer.observed_state is None else str(timer.observed_state),
        "waited": timer.waited,
        "seconds": timer.seconds,
        "lasts": timer.lasts,
        "left": timer.left,
        "problems": list(timer.problems),
        "ok": timer.ok,
    }


def _action_json(action: ActionStep) -> dict[str, object]:
    return {
        "actor": action.actor,
        "verb": action.verb,
        "setup": action.setup,
        "before_step": action.before_step,
        "result": action.result,
        "states": _snapshots_json(action.states),
        "expected_states": {role: str(s) for role, s in action.expected_states.items()},
        "expected_result": action.expected_result,
        "problems": list(action.problems),
        "ok": action.ok,
    }


def _scenario_json(verdict: ScenarioVerdict, pcap: str | None) -> dict[str, object]:
    return {
        "name": verdict.name,
        "family": verdict.family,
        "title": verdict.title,
        "ok": verdict.ok,
        "pcap": pcap,
        "strict_flags": verdict.strict_flags,
        "settings": dict(verdict.settings),
        "cites": list(verdict.cites),
        "actions": [_action_json(a) for a in verdict.actions],
        "steps": [_step_json(s) for s in verdict.steps],
        "timers": [_timer_json(t) for t in verdict.timers],
        "seen_states": [str(s) for s in verdict.seen_states],
        "unseen_states": [str(s) for s in verdict.unseen_states],
        "problems": list(verdict.problems),
    }


def _deviation_json(row: DeviationRow) -> dict[str, object]:
    return {
        "name": row.deviation.name,
        "rfc": row.deviation.rfc,
        "linux": row.deviation.linux,
        "shown_by": list(row.deviation.shown_by),
        "agreed": list(row.agreed),
        "disagreed": list(row.disagreed),
        "shown": row.shown,
    }


def _edge_json(row: EdgeRow) -> dict[str, object]:
    return {
        "id": row.edge.id,
        "from": str(row.edge.source),
        "event": row.edge.event,
        "to": str(row.edge.target),
        "rfc": row.edge.rfc,
        "shown_in": list(row.shown_in),
        "unreachable": row.unreachable,
    }


def _coverage_json(row: CoverageRow) -> dict[str, object]:
    return {
        "name": row.name,
        "meaning": row.meaning,
        "status": row.status.value,
        "documented_in": list(row.documented_in),
        "observed_in": list(row.observed_in),
    }
