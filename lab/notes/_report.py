"""A note's verdicts as text, line by line in the note's own words.

    print(render_note_report(note, claims, header="kernel: Linux 6.1 ..."))

One row per line of the note that claims something (a diagram's message or
note, a table's row, a state machine's arrow): its number, the verdict
(the worst of its claims over both families), the line as written, what lab
read it as (with the note's participant names) and what the kernel did, once
when both families agree and per family when they differ. A failure, a timer
or an unchecked line gets its reason below it. Then the demonstrations, the
skipped blocks, the warnings and a summary. Pure: no kernel access.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Final

from lab.notes._note import Note, NoteDiagram, NoteStateDiagram, NoteTable
from lab.tcp._claims import VERDICTS, ClaimVerdict, line_verdicts, worst
from lab.tcp._names import Role

__all__ = ["render_note_report"]

_SHOWN: Final = {"fail": "FAIL", "timer": "timer", "ok": "ok", "unchecked": "unchecked"}
_QUOTE: Final = 40
_DOCUMENTED: Final = 36


def render_note_report(
    note: Note,
    claims: Sequence[ClaimVerdict],
    *,
    header: str = "",
    demonstrations: Mapping[str, str] | None = None,
    pcaps: Mapping[str, str] | None = None,
    interrupted: Sequence[str] | None = None,
    only: tuple[int, int] | None = None,
    stopped: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """The report of one note (see the module docstring); `interrupted` lists runs not run.

    `only` (first, last): just the diagrams and tables within those lines, and no
    demonstrations, skips or warnings outside them. `stopped`: for a diagram's
    scenario, why its runs stopped before the end (``IPv4: 'server sends data' could
    not be done: ...``), said under its heading.
    """
    out = [f"{note.source}: {note.title or 'a note'}"]
    if header:
        out.append(header)
    blocks: list[tuple[int, int, str, Mapping[Role, str]]] = [
        (d.first, d.last, _diagram_heading(d, (stopped or {}).get(d.scenario.name, ())), d.names)
        for d in note.diagrams
    ]
    blocks += [(t.first, t.last, _table_heading(t, note), _names_of(t, note)) for t in note.tables]
    blocks += [(m.first, m.last, _machine_heading(m), {}) for m in note.state_diagrams]
    blocks.sort()
    if only is not None:
        blocks = [b for b in blocks if only[0] <= b[0] and b[1] <= only[1]]
        demonstrations = None
        note = dataclasses.replace(
            note,
            skipped=tuple(s for s in note.skipped if only[0] <= s.first <= only[1]),
            warnings=tuple(w for w in note.warnings if only[0] <= w.line <= only[1]),
        )
    placed: set[int] = set()
    for first, last, heading, names in blocks:
        mine = [c for c in claims if first <= c.line <= last]
        placed.update(c.line for c in mine)
        out += ["", heading, *(_rows(mine, names) if mine else ["  (no run judged it)"])]
    rest = [c for c in claims if c.line not in placed]
    if rest:
        out += ["", "elsewhere in the note", *_rows(rest, {})]
    if demonstrations:
        out += ["", "also run, from lab's own tables (no diagram of the note shows it):"]
        out += [f"  {name}: {why}" for name, why in demonstrations.items()]
    if note.skipped:
        out += ["", "skipped:"] + [f"  {skipped}" for skipped in note.skipped]
    if note.warnings:
        out += ["", "warnings:"] + [f"  {warning}" for warning in note.warnings]
    failing = sorted({c.scenario for c in claims if c.verdict == "fail" and c.scenario})
    shown_pcaps = {
        id_: path
        for id_, path in (pcaps or {}).items()
        if any(id_.startswith(f"{name}-") for name in failing)
    }
    if shown_pcaps:
        out += ["", "pcaps of the runs with a failure:"]
        out += [f"  {id_}: {path}" for id_, path in shown_pcaps.items()]
    out += ["", _summary(note, claims, interrupted)]
    return "\n".join(out)


def _diagram_heading(diagram: NoteDiagram, stopped: Sequence[str] = ()) -> str:
    names = ", ".join(f"{name} is the {role}" for role, name in sorted(diagram.names.items()))
    context = f"; shown only: {', '.join(diagram.context)}" if diagram.context else ""
    heading = (
        f"lines {diagram.first}-{diagram.last}, diagram ({diagram.kind}): "
        f"{names} ({diagram.because}){context}"
    )
    reasons = [f"  the script stopped early, {_words(why, diagram.names)}" for why in stopped]
    return "\n".join([heading, *reasons])


def _table_heading(table: NoteTable, note: Note) -> str:
    against = next((d for d in note.diagrams if d.scenario.name == table.scenario), None)
    judged = ""
    if table.orders:
        judged = (
            f", states checked against the run of lines {against.first}-{against.last}"
            if against
            else ", states checked against a whole connection (lab's open and close)"
        )
    if table.flags:
        judged += ", flags checked against every run"
    return f"lines {table.first}-{table.last}, table ({' | '.join(table.header)}){judged}"


def _machine_heading(machine: NoteStateDiagram) -> str:
    return (
        f"lines {machine.first}-{machine.last}, state diagram ({machine.kind}): each arrow "
        "judged against the edges the kernel took in the runs"
    )


def _names_of(table: NoteTable, note: Note) -> Mapping[Role, str]:
    diagram = next((d for d in note.diagrams if d.scenario.name == table.scenario), None)
    return diagram.names if diagram else {}


def _rows(claims: Sequence[ClaimVerdict], names: Mapping[Role, str]) -> list[str]:
    """One row per line: number, verdict, quote, documented, observed; reasons below."""
    by_line: dict[int, list[ClaimVerdict]] = {}
    for claim in claims:
        by_line.setdefault(claim.line, []).append(claim)
    out = [
        f"  {'line':>4}  {'verdict':<9} {_pad('the note says', _QUOTE)}  "
        f"{_pad('read as', _DOCUMENTED)}  the kernel did"
    ]
    for line, mine in sorted(by_line.items()):
        verdict = worst(c.verdict for c in mine)
        quote = _fit(mine[0].text, _QUOTE)
        documented = _fit(
            "; ".join(dict.fromkeys(_words(c.documented, names) for c in mine if c.documented)),
            _DOCUMENTED,
        )
        out.append(
            f"  {line:>4}  {_SHOWN[verdict]:<9} {_pad(quote, _QUOTE)}  "
            f"{_pad(documented, _DOCUMENTED)}  {_observed(mine, names)}".rstrip()
        )
        reasons = dict.fromkeys(
            (
                c.family if _differs(mine, "detail") else "",
                # lab's own sentences about a table row may quote a cell: keep them as written
                _words(c.detail, names) if c.kind in ("message", "state") else c.detail,
            )
            for c in mine
            if c.detail and c.verdict != "ok"
        )
        for family, detail in reasons:
            out.append(f"{'':>18}└ {family + ': ' if family else ''}{detail}")
    return out


def _observed(claims: Sequence[ClaimVerdict], names: Mapping[Role, str]) -> str:
    """What the kernel did: once if every family saw the same, else per family."""
    seen = [c for c in claims if c.observed]
    if not seen:
        return ""
    if not _differs(seen, "observed"):
        return _words(seen[0].observed, names)
    per_family: dict[str, list[str]] = {}
    for claim in seen:
        per_family.setdefault(claim.family, []).append(_words(claim.observed, names))
    return "; ".join(f"{family}: {', '.join(texts)}" for family, texts in per_family.items())


def _differs(claims: Sequence[ClaimVerdict], attribute: str) -> bool:
    """Whether the families disagree on `attribute` for this line."""
    per_family: dict[str, list[str]] = {}
    for claim in claims:
        per_family.setdefault(claim.family, []).append(getattr(claim, attribute))
    return len({tuple(values) for values in per_family.values()}) > 1


def _summary(note: Note, claims: Sequence[ClaimVerdict], interrupted: Sequence[str] | None) -> str:
    verdicts = line_verdicts(claims)
    if not verdicts:
        return (
            f"nothing in {note.source} could be checked on the kernel: each TCP block is "
            "skipped above, with the reason"
        )
    counts = {v: sum(verdict == v for verdict in verdicts.values()) for v in VERDICTS}
    parts = ", ".join(f"{counts[v]} {v}" for v in ("ok", "fail", "timer", "unchecked"))
    judged_in = " and ".join(sorted({c.family for c in claims})) or "no run"
    text = f"{len(verdicts)} lines of {note.source} judged ({judged_in}): {parts}"
    if interrupted:
        text += f"\ninterrupted (Ctrl-C) before: {', '.join(interrupted)}"
    if counts["fail"]:
        failed = ", ".join(str(line) for line, v in verdicts.items() if v == "fail")
        return f"{text}\nFAIL: the note and the kernel disagree at line(s) {failed}"
    if counts["timer"]:
        text += "\na 'timer' line is reached only when a kernel timer fires: --wait-timers waits"
    return f"{text}\nok: the note agrees with the kernel" if not interrupted else text


def _words(text: str, names: Mapping[Role, str]) -> str:
    """Role words replaced by the note's participant names (``client`` → ``Alice``)."""
    if not names or not text:
        return text
    pattern = re.compile(r"\b(" + "|".join(re.escape(str(role)) for role in names) + r")\b")
    return pattern.sub(lambda m: names[Role(m.group(1))], text)


def _width(text: str) -> int:
    """Columns `text` takes in a terminal: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fit(text: str, width: int) -> str:
    """`text` on one line, cut to `width` columns with an ellipsis when cut."""
    text = " ".join(text.split())
    while _width(text) > width:
        text = text[:-2] + "…"
    return text


def _pad(text: str, width: int) -> str:
    """`text` padded with spaces to `width` columns."""
    return text + " " * max(0, width - _width(text))
