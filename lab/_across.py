"""The same check on several kernels, side by side: results merged into one report.

Pure: reads the JSON that ``lab check --json`` writes (tables or notes), from
this run or from runs made anywhere else (``lab diff``)::

    across = merge_results([("host", host_json), ("6.1", vm_json)])   # or read_results(paths)
    print(across.report())              # only_differences=True: the rows that differ or fail
    json.dumps(across.to_json())        # the merged JSON, below
    sys.exit(across.exit_status)        # 0: every kernel as documented; 1: one is not

Each kernel is a column, under the label it was given (``host``, ``6.1``).
Each row is one documented thing every result judges: for lab's tables a
segment of a scenario run (the documented flags and states, and each
kernel's observed flags; its states), an action that documents a result or
states, a timer, and a run's problems no row holds; for a note a claim (its
line, the note's text, and each kernel's verdict). A cell that differs from
the first kernel's is marked ``≠``, one that disagrees with the
documentation ``✗``, and under a row that either marks, each kernel's
problems say why. Rows a result lacks (a run left out) read ``not run``.

Kernels that agree with the documentation but not with each other (another
congestion control, a segment with an ACK more where the documentation lets
ACK go unwritten) are shown, and are no failure: `Across.exit_status` is 1
only when a kernel disagrees with the documentation.

The merged JSON (`Across.to_json`), for CI::

    {
      "check": "tables",          # or "notes"
      "ok": false,                # every kernel agrees with the documentation
      "differences": 3,           # rows whose cells differ between kernels
      "failures": 2,              # rows where a kernel disagrees with the documentation
      "kernels": [                # one per column, in order
        {"label": "host", "kernel": "Linux 6.18.44 x86_64", "file": "host.json",
         "ok": true, "agree": 100, "disagree": 0, "seconds": 3.08, "vm": null},
        ...],
      "rows": [
        {"kind": "step",          # action, timer, run; claim for notes
         "where": {"scenario": "open", "family": "IPv4", "n": "1"},   # notes: line, says
         "documented": "SYN; client SYN-SENT",
         "cells": {"host": {"text": "SYN; SYN-SENT", "ok": true, "problems": [], "observed": ""},
                   "6.1": null},  # null: not in that kernel's result
         "ok": true, "differs": true},
        ...],
      "settings": [{"name": "net.ipv4.tcp_congestion_control",   # those that differ
                    "values": {"host": "bbr", "6.1": "cubic"}}],
      "coverage": [{"name": "documented states seen", "values": {"host": "11 of 11", ...}}],
      "results": {"host": {...}, "6.1": {...}}                  # each JSON as lab check wrote it
    }

``agree`` and ``disagree`` count scenario runs (tables) or claims (notes: a
claim over IPv4 and IPv6 is one, its cell ``IPv4 ok, IPv6 fail`` when they differ).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from lab._columns import align_columns
from lab._errors import InputError, LabError

__all__ = [
    "DIFFERS",
    "FAILS",
    "NOT_RUN",
    "Across",
    "Cell",
    "KernelResult",
    "Row",
    "label_for",
    "merge_results",
    "read_results",
]

Check = Literal["tables", "notes"]
"""What a result checked: lab's tables (``scenarios``) or study notes (``claims``)."""

FAILS: Final = "✗"
"""Marks a cell that disagrees with the documentation (as lab check's report does)."""
DIFFERS: Final = "≠"
"""Marks a cell that differs from the first kernel's."""
NOT_RUN: Final = "not run"
"""A row that a kernel's result lacks (its run was left out, or never finished)."""
ABSENT: Final = "(absent)"
"""A setting a kernel's result does not list (a sysctl that kernel lacks)."""
_GAP: Final = "  "
_SAYS_WIDTH: Final = 40
"""How much of a note's line a row shows (the report of lab check shows as much)."""
_FIX: Final = "give the file that lab check --json FILE wrote, unchanged"
_SAME_CHECK: Final = (
    "compare results of the same check: run lab check the same way (the same tables, "
    "or the same note) on each kernel"
)


# --- reading one result ------------------------------------------------------------------------


_JSON_TYPES: Final[dict[type, str]] = {
    dict: "an object",
    list: "a list",
    str: "a string",
    bool: "true or false",
    int: "a number",
    float: "a number",
    type(None): "null",
}


def _json_type(value: object) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class _At:
    """A JSON value and where it is (file and field path), read with errors that name both."""

    source: str
    path: str
    value: Any

    def _error(self, key: str, problem: str) -> InputError:
        path = f"{self.path}.{key}" if self.path else key
        return InputError(self.source, path, problem, _FIX)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        """Field `key`, of JSON type `kind`; `default` if it is missing (no default: an error)."""
        if key not in self.value:
            if default is ...:
                raise self._error(key, "is missing")
            return default
        found = self.value[key]
        if not isinstance(found, kind) or (isinstance(found, bool) and bool not in _kinds(kind)):
            wanted = " or ".join(sorted({_JSON_TYPES[k] for k in _kinds(kind)}))
            raise self._error(key, f"is {_json_type(found)}, not {wanted}")
        return found

    def text(self, key: str, default: Any = ...) -> str:
        """Field `key` as text: a string, or a number written as JSON writes it."""
        found = self.get(key, (str, int, float, type(None)), default)
        return "" if found is None else str(found)

    def objects(self, key: str) -> list[_At]:
        """Field `key`, a list of objects (missing: none), each with its place."""
        items = self.get(key, list, [])
        at = f"{self.path}.{key}" if self.path else key
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise InputError(
                    self.source, f"{at}[{i}]", f"is {_json_type(item)}, not an object", _FIX
                )
        return [_At(self.source, f"{at}[{i}]", item) for i, item in enumerate(items)]

    def texts(self, key: str, default: Any = ...) -> list[str]:
        """Field `key`, a list of strings (null: an empty list)."""
        found = self.get(key, (list, type(None)), default)
        return [str(item) for item in found or ()]

    def mapping(self, key: str) -> dict[str, Any]:
        """Field `key`, an object (missing or null: empty)."""
        found: dict[str, Any] = self.get(key, (dict, type(None)), {}) or {}
        return found


def _kinds(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


@dataclass(frozen=True)
class KernelResult:
    """One kernel's ``lab check --json``, checked, under the label its column shows."""

    label: str
    source: str
    """Where it came from, for messages: the file, or ``the result of kernel 6.1``."""
    file: str | None
    data: Mapping[str, Any]
    check: Check
    notes: tuple[Mapping[str, Any], ...] = ()
    """For a note check: each note's result (one, or the several of ``notes``)."""

    @classmethod
    def checked(cls, label: str, data: object, source: str = "") -> KernelResult:
        """`data` read as a lab check result; InputError naming `source` when it is not one."""
        file = source or None
        source = source or f"the result of kernel {label}"
        if not isinstance(data, dict):
            raise InputError(
                source, "", f"is {_json_type(data)} in JSON, not a lab check result", _FIX
            )
        top = _At(source, "", data)
        if "kernels" in data and "results" in data:
            raise InputError(
                source,
                "",
                "is a merged result of several kernels (lab diff --json), not one kernel's",
                "give the files lab check --json wrote; this one holds them under 'results'",
            )
        if "scenarios" in data:
            check: Check = "tables"
            notes: tuple[Mapping[str, Any], ...] = ()
        elif "claims" in data:
            check, notes = "notes", (data,)
        elif "notes" in data:
            check, notes = "notes", tuple(n.value for n in top.objects("notes"))
        else:
            raise InputError(
                source,
                "",
                "is not a lab check result: it has no 'scenarios' (lab's tables), "
                "'claims' (a note) or 'notes' (several notes)",
                _FIX,
            )
        top.get("ok", bool)
        if check == "tables":
            top.text("kernel")
        return cls(label, source, file, data, check, notes)

    @property
    def kernel(self) -> str:
        """``Linux 6.18.44 x86_64``: the kernel the result names (a note's: its first note's)."""
        kernel = self.data.get("kernel") or next((n.get("kernel") for n in self.notes), "")
        return str(kernel or "")

    @property
    def ok(self) -> bool:
        """The result agrees with its documentation (as lab check judged it)."""
        return bool(self.data["ok"])

    @property
    def note_names(self) -> tuple[str, ...]:
        """The file names of the notes checked (their folders may differ between machines)."""
        return tuple(Path(str(n.get("note", ""))).name for n in self.notes)

    @property
    def what(self) -> str:
        """What was checked, for messages: ``lab's tables``, ``note tcp.md``."""
        if self.check == "tables":
            return "lab's tables"
        return f"note{'s' if len(self.notes) > 1 else ''} {', '.join(self.note_names)}"


def label_for(data: object, source: str | Path) -> str:
    """The column label of a result read from file `source`.

    Its ``kernel_name`` (the name the kernel was asked for, as in
    ``lab check --kernels 6.1``), else the release in its ``kernel`` string
    (``6.18.44-fc-v1098`` of ``Linux 6.18.44-fc-v1098 x86_64``), else the file's stem.
    """
    if not isinstance(data, dict):
        return Path(source).stem
    name = data.get("kernel_name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    kernel = data.get("kernel")
    words = kernel.split() if isinstance(kernel, str) else []
    if len(words) >= 2 and words[0] == "Linux":
        return words[1]
    return Path(source).stem


def _unique(labels: Sequence[str], files: Sequence[str]) -> list[str]:
    """`labels` made unique: a repeated one gets its file's stem, else ``#3`` for the third."""
    taken: set[str] = set()
    given: Counter[str] = Counter()
    unique = []
    for label, file in zip(labels, files, strict=True):
        given[label] += 1
        choice = label
        if choice in taken and Path(file).stem != label:
            choice = f"{label} ({Path(file).stem})"
        if choice in taken:
            choice = f"{label}#{given[label]}"
        taken.add(choice)
        unique.append(choice)
    return unique


def read_results(paths: Sequence[str | Path]) -> Across:
    """The results in the JSON files `paths`, merged; InputError naming the file that is wrong.

    A file is one kernel's result (``lab check --json``), or several kernels' merged
    (``lab check --kernels ... --json``, ``lab diff --json``): those are unpacked, a
    column per kernel, in their order. Each column's label comes from its result
    (`label_for`), made unique.
    """
    entries: list[tuple[Any, str, str, str]] = []  # (a kernel's result, source, label, file)
    for path in paths:
        data = _load(Path(path))
        if isinstance(data, dict) and isinstance(data.get("results"), dict) and "kernels" in data:
            if not data["results"]:
                raise InputError(str(path), "results", "holds no kernel's result", _FIX)
            for label, result in data["results"].items():
                entries.append((result, f"{path} (kernel {label})", str(label), str(path)))
        else:
            entries.append((data, str(path), label_for(data, path), str(path)))
    labels = _unique([e[2] for e in entries], [e[3] for e in entries])
    return _merge(
        [
            KernelResult.checked(label, data, source)
            for label, (data, source, _, _) in zip(labels, entries, strict=True)
        ]
    )


def _load(path: Path) -> Any:
    """The JSON in `path`; InputError saying what is wrong with the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(
            str(path), "", "no such file", "name a file that lab check --json wrote"
        ) from None
    except IsADirectoryError:
        raise InputError(str(path), "", "is a folder", "name a JSON file in it") from None
    except UnicodeDecodeError:
        raise InputError(str(path), "", "is not UTF-8 text", _FIX) from None
    except OSError as error:
        raise InputError(str(path), "", f"cannot be read: {error.strerror}", _FIX) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            str(path),
            f"line {error.lineno}, column {error.colno}",
            f"is not JSON ({error.msg})",
            _FIX,
        ) from None


def merge_results(results: Sequence[tuple[str, object]]) -> Across:
    """One kernel's result (parsed lab check JSON) per ``(label, result)``, merged in that order.

    Labels must be unique (they name the columns); InputError when a result is not a
    lab check result, or the results are not of the same check.
    """
    labels = [label for label, _ in results]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise LabError(
            f"kernel label {repeated[0]!r} is given to more than one result; "
            "give each kernel its own label"
        )
    return _merge([KernelResult.checked(label, data) for label, data in results])


def _merge(kernels: Sequence[KernelResult]) -> Across:
    if not kernels:
        raise LabError("no result to merge; give one lab check JSON per kernel")
    first = kernels[0]
    for other in kernels[1:]:
        if (other.check, other.note_names) != (first.check, first.note_names):
            raise InputError(
                other.source, "", f"is a result of {other.what}, where {first.source} "
                f"is of {first.what}", _SAME_CHECK,
            )  # fmt: skip
    shape = _SHAPES[first.check]
    per_kernel = [{row.key: row for row in shape.rows(kernel)} for kernel in kernels]
    rows = []
    for key in _merged_order([list(rows) for rows in per_kernel]):
        some = next(rows[key] for rows in per_kernel if key in rows)
        cells = tuple(rows[key].cell if key in rows else None for rows in per_kernel)
        row = Row(some.kind, some.where, some.documented, cells)
        if not (some.kind in shape.quiet_kinds and row.ok and not row.differs):
            rows.append(row)
    return Across(first.check, tuple(kernels), tuple(rows))


def _merged_order(orders: Sequence[Sequence[tuple[str, ...]]]) -> list[tuple[str, ...]]:
    """Every key of `orders`, each list's keys in its order, a key new to the merge placed
    after the key it follows in its own list."""
    merged: list[tuple[str, ...]] = []
    placed: set[tuple[str, ...]] = set()
    for order in orders:
        after = -1
        for key in order:
            if key in placed:
                after = merged.index(key)
                continue
            after += 1
            merged.insert(after, key)
            placed.add(key)
    return merged


# --- rows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One kernel's observation in a row: what it shows, and whether it is as documented."""

    text: str
    ok: bool = True
    problems: tuple[str, ...] = ()
    """Why it is not as documented (lab check's own words)."""
    observed: str = ""
    """What the kernel did, when `text` is only a verdict (a note's claim)."""

    def same_as(self, other: Cell | None) -> bool:
        """It shows the same as `other` (a kernel whose result lacks the row: never)."""
        return other is not None and (self.text, self.observed) == (other.text, other.observed)

    def to_json(self) -> dict[str, object]:
        return {
            "text": self.text,
            "ok": self.ok,
            "problems": list(self.problems),
            "observed": self.observed,
        }


@dataclass(frozen=True)
class Row:
    """One documented thing (a segment, an action, a claim), and each kernel's cell for it."""

    kind: str
    """``step``, ``action``, ``timer``, ``run`` (lab's tables); ``claim`` (notes)."""
    where: tuple[tuple[str, str], ...]
    """The row's place as (column, value): ``(("scenario", "open"), ("family", "IPv4"), ...)``."""
    documented: str
    cells: tuple[Cell | None, ...]
    """One per kernel, in column order; None where that kernel's result lacks the row."""

    @property
    def differs(self) -> bool:
        """Some kernel shows something else than the first (or lacks the row)."""
        first = self.cells[0]
        return any(
            not (cell.same_as(first) if cell is not None else first is None)
            for cell in self.cells[1:]
        )

    @property
    def ok(self) -> bool:
        """No kernel disagrees with the documentation here."""
        return all(cell.ok for cell in self.cells if cell is not None)

    def marked(self, i: int) -> str:
        """Kernel `i`'s cell as the report shows it, with its marks."""
        cell = self.cells[i]
        text = NOT_RUN if cell is None else cell.text
        marks = ("" if cell is None or cell.ok else FAILS) + (
            DIFFERS if i and not _alike(cell, self.cells[0]) else ""
        )
        return f"{text} {marks}" if marks else text

    def to_json(self, labels: Sequence[str]) -> dict[str, object]:
        return {
            "kind": self.kind,
            "where": dict(self.where),
            "documented": self.documented,
            "cells": {
                label: None if cell is None else cell.to_json()
                for label, cell in zip(labels, self.cells, strict=True)
            },
            "ok": self.ok,
            "differs": self.differs,
        }


def _alike(cell: Cell | None, first: Cell | None) -> bool:
    return cell.same_as(first) if cell is not None else first is None


@dataclass(frozen=True)
class _KernelRow:
    """A row as one kernel's result gives it, before the merge."""

    key: tuple[str, ...]
    kind: str
    where: tuple[tuple[str, str], ...]
    documented: str
    cell: Cell


def _flags(flags: Iterable[str] | None) -> str:
    return "nothing" if flags is None else "+".join(flags) or "no flag"


def _table_rows(kernel: KernelResult) -> list[_KernelRow]:
    """Each scenario run's judged actions, segments and timers, and its other problems."""
    rows: list[_KernelRow] = []
    for run in _At(kernel.source, "", kernel.data).objects("scenarios"):
        name, family = run.text("name"), run.text("family")
        run.get("ok", bool)
        actions = enumerate(run.objects("actions"))
        found = [
            *(("action", "-", str(i), *_action(a)) for i, a in actions if _judged(a)),
            *(("step", s.text("n"), s.text("n"), *_step(s)) for s in run.objects("steps")),
            *(("timer", "-", str(i), *_timer(t)) for i, t in enumerate(run.objects("timers"))),
        ]
        held = {problem for *_, cell in found for problem in cell.problems}
        rest = tuple(p for p in run.texts("problems", []) if p not in held)
        found.append(
            ("run", "-", "", _RUN_PROBLEMS, Cell("FAIL" if rest else "none", not rest, rest))
        )
        place = (("scenario", name), ("family", family))
        rows += [
            _KernelRow((name, family, kind, index), kind, (*place, ("n", n)), documented, cell)
            for kind, n, index, documented, cell in found
        ]
    return rows


_RUN_PROBLEMS: Final = "the run's other problems"
"""The row of a run's problems that no segment, action or timer holds (shown only if any)."""


def _judged(action: _At) -> bool:
    """An action that documents a result or states, or that failed: a row of its own."""
    return bool(
        action.text("expected_result", None)
        or action.mapping("expected_states")
        or not action.get("ok", bool, True)
    )


def _step(step: _At) -> tuple[str, Cell]:
    """``SYN; client SYN-SENT`` documented, and ``SYN; SYN-SENT`` observed."""
    expected = step.mapping("expected_states")
    observed = step.mapping("observed_states")
    documented = _flags(step.texts("expected_flags", []))
    if not step.get("documented", bool, True):
        documented = "(undocumented)"
    states = ", ".join(f"{role} {state}" for role, state in expected.items())
    route = f"{step.text('from', '')} → {step.text('to', '')}"
    seen_route = f"{step.text('observed_from', '')} → {step.text('observed_to', '')}"
    text = _flags(step.get("observed_flags", (list, type(None)), None))
    if seen_route not in (route, " → "):
        text = f"{seen_route} {text}"
    if expected:
        text += "; " + ", ".join(str(observed.get(role) or "?") for role in expected)
    ok = step.get("ok", bool)
    return f"{documented}; {states}" if states else documented, Cell(
        text, ok, tuple(step.texts("problems", []))
    )


def _action(action: _At) -> tuple[str, Cell]:
    """``client connects: returns ECONNREFUSED, client CLOSED``, and ``ECONNREFUSED; CLOSED``."""
    expected = action.mapping("expected_states")
    states = action.mapping("states")
    documented = [f"returns {r}"] if (r := action.text("expected_result", None)) else []
    documented += [f"{role} {state}" for role, state in expected.items()]
    what = f"{action.text('actor', '')} {action.text('verb', '')}".strip()
    text = action.text("result", "") or "no result"
    if expected:
        seen = [str((states.get(role) or {}).get("state") or "?") for role in expected]
        text += "; " + ", ".join(seen)
    cell = Cell(text, action.get("ok", bool), tuple(action.texts("problems", [])))
    return f"{what}: {', '.join(documented)}" if documented else what, cell


def _timer(timer: _At) -> tuple[str, Cell]:
    """``client's timer: TIME-WAIT, then CLOSED``, and the state seen."""
    role = timer.text("role", "")
    documented = f"{role}'s timer: {timer.text('state', '')}, then {timer.text('then', '')}"
    seen = timer.text("observed_state", "") or "?"
    if timer.get("waited", bool, False):
        seen = f"{seen}, waited"
    return documented, Cell(seen, timer.get("ok", bool), tuple(timer.texts("problems", [])))


def _note_rows(kernel: KernelResult) -> list[_KernelRow]:
    """Each claim of each note, its families in one row (as lab check's report has it)."""
    rows: list[_KernelRow] = []
    several = len(kernel.notes) > 1
    for i, note in enumerate(kernel.notes):
        at = _At(kernel.source, f"notes[{i}]" if several else "", note)
        name = Path(at.text("note", "")).name
        claims: dict[tuple[str, ...], list[_At]] = {}
        seen: Counter[tuple[str, ...]] = Counter()
        for claim in at.objects("claims"):
            # A line may claim the same twice (client and server ESTABLISHED read alike):
            # the first of a family goes with the first of the others.
            base = (name, claim.text("line"), claim.text("documented", ""))
            family = (*base, claim.text("family", ""))
            seen[family] += 1
            claims.setdefault((*base, str(seen[family])), []).append(claim)
        for key, same in claims.items():
            line = f"{name}:{key[1]}" if several else key[1]
            says = _shortened(same[0].text("text", ""), _SAYS_WIDTH)
            where = (("line", line), ("says", says))
            rows.append(_KernelRow(key, "claim", where, key[2], _claim_cell(same)))
    return rows


def _claim_cell(claims: Sequence[_At]) -> Cell:
    """One claim's verdict over its families: ``ok``, or ``IPv4 ok, IPv6 fail`` when they differ."""
    by_family = {c.text("family", ""): c for c in claims}

    def each(field: str) -> str:
        texts = {family: c.text(field, "") for family, c in by_family.items()}
        if len(set(texts.values())) == 1:
            return next(iter(texts.values()))
        return ", ".join(f"{family} {text}" for family, text in texts.items() if text)

    details = tuple(
        f"{family}: {detail}" if len(by_family) > 1 else detail
        for family, c in by_family.items()
        if (detail := c.text("detail", "")) and c.text("verdict") == "fail"
    )
    ok = all(c.text("verdict") != "fail" for c in claims)
    return Cell(each("verdict"), ok, details, _TIMER_LEFT.sub(r"\1)", each("observed")))


_TIMER_LEFT: Final = re.compile(r"(\(timer [a-z-]+),[^)]*\)")
"""``(timer timewait,59sec,0)``: what is left of a timer changes from run to run, not its kind."""


def _shortened(text: str, width: int) -> str:
    """`text` on one line, cut to `width` with ``…`` (as lab check's note report cuts it)."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(frozen=True)
class _Shape:
    """How one kind of check becomes rows and what its report says of each kernel."""

    rows: Callable[[KernelResult], list[_KernelRow]]
    columns: tuple[str, ...]
    """The headers of the row's place and documented columns."""
    grouped: int = 0
    """How many of the first columns name a group of rows: written once for the group."""
    quiet_kinds: frozenset[str] = frozenset()
    """Rows kept only when they differ or fail (a run's problems no other row holds)."""


_SHAPES: Final[dict[str, _Shape]] = {
    "tables": _Shape(
        _table_rows,
        ("scenario", "family", "n", "documented"),
        grouped=2,
        quiet_kinds=frozenset({"run"}),
    ),
    "notes": _Shape(_note_rows, ("line", "the note says", "read as")),
}


# --- the merge -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Across:
    """Several kernels' results of one check, row by row: `report`, `to_json`, `exit_status`."""

    check: Check
    kernels: tuple[KernelResult, ...]
    rows: tuple[Row, ...]
    _labels: tuple[str, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_labels", tuple(k.label for k in self.kernels))

    @property
    def labels(self) -> tuple[str, ...]:
        """The kernels' labels, in column order."""
        return self._labels

    @property
    def ok(self) -> bool:
        """Every kernel agrees with the documentation (differences between them aside)."""
        return all(k.ok for k in self.kernels) and all(row.ok for row in self.rows)

    @property
    def exit_status(self) -> int:
        """0 when every kernel agrees with the documentation, 1 when one does not."""
        return 0 if self.ok else 1

    @property
    def differences(self) -> int:
        """How many rows differ between kernels."""
        return sum(row.differs for row in self.rows)

    @property
    def failures(self) -> int:
        """How many rows some kernel disagrees with the documentation in."""
        return sum(not row.ok for row in self.rows)

    def agreement(self, i: int) -> tuple[int, int]:
        """(agree, disagree): kernel `i`'s scenario runs (tables) or claims (notes, a claim's
        families together)."""
        kernel = self.kernels[i]
        if self.check == "tables":
            runs = [bool(s.get("ok")) for s in kernel.data.get("scenarios", ())]
        else:
            runs = self.judged(i)
        return sum(runs), len(runs) - sum(runs)

    def judged(self, i: int) -> list[bool]:
        """Whether kernel `i` agrees with the documentation, in each row its result has."""
        return [cell.ok for row in self.rows if (cell := row.cells[i]) is not None]

    def settings(self) -> list[tuple[str, tuple[str | None, ...]]]:
        """The TCP settings (sysctls) whose values differ between kernels, each kernel's value."""
        per_kernel = [_settings(k.data) for k in self.kernels]
        names = _merged_order([[(n,) for n in values] for values in per_kernel])
        differ = []
        for (name,) in names:
            values = tuple(values.get(name) for values in per_kernel)
            if len(set(values)) > 1:
                differ.append((name, values))
        return differ

    def coverage(self) -> list[tuple[str, tuple[str | None, ...]]]:
        """Per kernel: documented states and flags seen, RFC 9293 edges shown, and each
        deviation of Linux from RFC 9293 (lab's tables; a note's result has none)."""
        per_kernel = [_coverage(k.data) for k in self.kernels]
        names = _merged_order([[(n,) for n in values] for values in per_kernel])
        return [(name, tuple(values.get(name) for values in per_kernel)) for (name,) in names]

    def report(self, *, only_differences: bool = False, command: str = "lab diff") -> str:
        """The kernels, what differs between them, and every row (or those that differ or fail).

        `command` heads the report: ``lab diff``, or ``lab check`` when it ran the kernels.
        """
        return "\n".join(_report(self, only_differences=only_differences, command=command))

    def to_json(self) -> dict[str, object]:
        """The merged result as plain data (json.dumps-able); its shape is in the module's doc."""
        labels = self.labels
        return {
            "check": self.check,
            "ok": self.ok,
            "differences": self.differences,
            "failures": self.failures,
            "kernels": [self._kernel_json(i) for i in range(len(self.kernels))],
            "rows": [row.to_json(labels) for row in self.rows],
            "settings": [
                {"name": name, "values": dict(zip(labels, values, strict=True))}
                for name, values in self.settings()
            ],
            "coverage": [
                {"name": name, "values": dict(zip(labels, values, strict=True))}
                for name, values in self.coverage()
            ],
            "results": {k.label: k.data for k in self.kernels},
        }

    def _kernel_json(self, i: int) -> dict[str, object]:
        kernel = self.kernels[i]
        agree, disagree = self.agreement(i)
        return {
            "label": kernel.label,
            "kernel": kernel.kernel,
            "file": kernel.file,
            "ok": kernel.ok,
            "agree": agree,
            "disagree": disagree,
            "seconds": _seconds(kernel),
            "vm": kernel.data.get("vm"),
        }


def _seconds(kernel: KernelResult) -> float | None:
    found = kernel.data.get("seconds")
    if isinstance(found, int | float) and not isinstance(found, bool):
        return float(found)
    times = [n.get("seconds") for n in kernel.notes]
    numbers = [t for t in times if isinstance(t, int | float) and not isinstance(t, bool)]
    return float(sum(numbers)) if numbers else None


_SYSCTL_PREFIX: Final = "net.ipv4.tcp_"


def _settings(data: Mapping[str, Any]) -> dict[str, str]:
    """Each sysctl of the result's ``tcp_settings``: the client's value (and the server's if
    it differs), with the scenarios that set their own; and the ``queue`` path it stepped with."""
    found = data.get("tcp_settings")
    values: dict[str, str] = {}
    for name, setting in (found if isinstance(found, dict) else {}).items():
        if not isinstance(setting, dict):
            continue
        client, server = setting.get("client"), setting.get("server")
        value = str(client) if client == server else f"client {client}, server {server}"
        scenarios = setting.get("scenarios") or {}
        if isinstance(scenarios, dict) and scenarios:
            value += " (" + ", ".join(f"{s} {v}" for s, v in scenarios.items()) + ")"
        values[name] = value
    queue = data.get("queue")  # how the stepper queued segments: nft_queue or nft_compat
    if isinstance(queue, str):
        values["queue path"] = queue
    return values


_COVERED: Final = {
    "documented states seen": ("states", lambda row: row.get("status") == "observed"),
    "documented flags seen": ("flags", lambda row: row.get("status") == "observed"),
    "RFC 9293 edges shown": ("edges", lambda row: bool(row.get("shown_in"))),
}
"""The coverage counts per kernel: a list of ``coverage`` and which of its rows count."""
_DEVIATION: Final = {(True, False): "shown", (True, True): "shown", (False, True): "FAIL"}
"""A deviation's cell by (shown, disagreed); neither: no run showed it."""


def _coverage(data: Mapping[str, Any]) -> dict[str, str]:
    """What a tables result's ``coverage`` says, as name → short text."""
    coverage = data.get("coverage")
    if not isinstance(coverage, dict):
        return {}
    texts: dict[str, str] = {}
    for name, (key, counts) in _COVERED.items():
        rows = [row for row in coverage.get(key) or () if isinstance(row, dict)]
        if rows:
            texts[name] = f"{sum(map(counts, rows))} of {len(rows)}"
    for row in coverage.get("deviations") or ():
        if isinstance(row, dict):
            seen = (bool(row.get("shown")), bool(row.get("disagreed")))
            texts[f"deviation {row.get('name')}"] = _DEVIATION.get(seen, "not shown")
    return texts


# --- the report ------------------------------------------------------------------------------


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


def _s(n: int) -> str:
    """The verb's ending for `n` things: ``1 row differs``, ``2 rows differ``."""
    return "s" if n == 1 else ""


def _report(across: Across, *, only_differences: bool, command: str) -> list[str]:
    first = across.kernels[0]
    what = first.what if across.check == "tables" else _notes_title(first)
    lines = [f"{command}: {what}, on {_count(len(across.kernels), 'kernel')}"]
    lines += _kernel_lines(across)
    lines += ["", _summary(across)]
    lines += _settings_lines(across)
    lines += ["", *_row_lines(across, only_differences=only_differences)]
    lines += _coverage_lines(across, only_differences=only_differences)
    lines += ["", *_legend(across), _conclusion(across)]
    return lines


def _notes_title(kernel: KernelResult) -> str:
    titles = [
        f"{n.get('note')} ({n.get('title')})" if n.get("title") else str(n.get("note"))
        for n in kernel.notes
    ]
    return f"note{'s' if len(titles) > 1 else ''} {', '.join(titles)}"


def _kernel_lines(across: Across) -> list[str]:
    """One line per kernel: its label, the kernel it names, its verdict, its time."""
    unit = "run" if across.check == "tables" else "claim"
    files = "file" if any(k.file for k in across.kernels) else ""
    rows = [("", "kernel", "agrees with the documentation", "seconds", files)]
    for i, kernel in enumerate(across.kernels):
        agree, disagree = across.agreement(i)
        verdict = "ok" if kernel.ok else "FAIL"
        said = f"{verdict}: {agree} of {_count(agree + disagree, unit)}"
        if kernel.data.get("interrupted"):
            said += " (interrupted)"
        seconds = _seconds(kernel)
        name = kernel.kernel or "(no kernel named)"
        vm = kernel.data.get("vm")
        if isinstance(vm, dict) and vm:
            name += f" (VM: {_vm_text(vm)})"
        rows.append(
            (
                kernel.label,
                name,
                said,
                "" if seconds is None else f"{seconds:.2f}",
                kernel.file or "",
            )
        )
    return align_columns(rows, indent="  ", gap=_GAP)


def _vm_text(vm: Mapping[str, Any]) -> str:
    """``tcg, boot 12.3 s, check 40.1 s``: a VM run's facts, numbers of seconds in s."""
    parts = []
    for key, value in vm.items():
        name = key.removesuffix("_seconds").replace("_", " ")
        if key == "accel":
            parts.append(str(value))
        elif key.endswith("_seconds") and isinstance(value, int | float):
            parts.append(f"{name} {value:.1f} s")
        else:
            parts.append(f"{name} {value}")
    return ", ".join(parts)


def _summary(across: Across) -> str:
    """``517 rows: 3 differ between kernels, 2 disagree with the documentation on 6.1``."""
    failing = [label for i, label in enumerate(across.labels) if not all(across.judged(i))]
    differ = across.differences
    said = f"{_count(len(across.rows), 'row')}: {differ} differ{_s(differ)} between kernels"
    if across.failures:
        verb = "disagrees" if across.failures == 1 else "disagree"
        said += f", {across.failures} {verb} with the documentation (on {', '.join(failing)})"
    else:
        said += ", none disagrees with the documentation"
    return said


def _settings_lines(across: Across) -> list[str]:
    """The TCP settings that differ between kernels (the lab hosts' values)."""
    differ = across.settings()
    if not any(_settings(k.data) for k in across.kernels):
        return []
    if not differ:
        return ["TCP settings: the same on every kernel"]
    rows = [("setting", *across.labels)]
    for name, values in differ:
        rows.append((name.removeprefix(_SYSCTL_PREFIX), *_marked(values, ABSENT)))
    title = "TCP settings that differ (in the lab hosts; the others are the same on every kernel)"
    return ["", title, *align_columns(rows, indent="  ", gap=_GAP)]


def _marked(values: Sequence[str | None], absent: str) -> list[str]:
    """`values` as cells, `absent` for None, each that differs from the first marked."""
    return [
        f"{absent if v is None else v}{f' {DIFFERS}' if i and v != values[0] else ''}"
        for i, v in enumerate(values)
    ]


def _row_lines(across: Across, *, only_differences: bool) -> list[str]:
    """The rows (or those that differ or fail), each followed by why, for the kernels marked."""
    shape = _SHAPES[across.check]
    shown = [row for row in across.rows if not only_differences or row.differs or not row.ok]
    if not shown:
        alike = _count(len(across.rows), "row")
        return [f"(no row differs between kernels or from the documentation; {alike} not shown)"]
    header = (*shape.columns, *across.labels)
    table: list[tuple[str, ...]] = [header]
    last: tuple[str, ...] | None = None
    for row in shown:
        place = tuple(value for _, value in row.where)
        group = place[: shape.grouped]
        lead = (*("" for _ in group), *place[shape.grouped :]) if group == last else place
        last = group
        marks = tuple(row.marked(i) for i in range(len(across.kernels)))
        table.append((*lead, row.documented, *marks))
    aligned = align_columns(table, gap=_GAP)
    lines = [aligned[0]]
    for row, line in zip(shown, aligned[1:], strict=True):
        lines.append(line)
        lines += _why(row, across.labels)
    hidden = len(across.rows) - len(shown)
    if hidden:
        lines.append(f"({_count(hidden, 'row')} alike on every kernel and as documented not shown)")
    return lines


def _why(row: Row, labels: Sequence[str]) -> list[str]:
    """Under a row that differs or fails: each kernel's problems, and what it did (notes)."""
    if row.ok and not row.differs:
        return []
    lines = []
    width = max(map(len, labels))
    for label, cell in zip(labels, row.cells, strict=True):
        if cell is None:
            continue
        said = f"    {label.ljust(width)}  "
        if cell.observed and row.differs:
            lines.append(f"{said}did {cell.observed}")
        if not cell.ok:
            lines += [f"{said}{FAILS} {problem}" for problem in cell.problems]
    return lines


def _coverage_lines(across: Across, *, only_differences: bool) -> list[str]:
    """Coverage and deviations per kernel (those that differ, with `only_differences`)."""
    found = across.coverage()
    if not found:
        return []
    rows = [("coverage and Linux vs RFC 9293", *across.labels)]
    for name, values in found:
        if only_differences and len(set(values)) == 1:
            continue
        rows.append((name, *_marked(values, NOT_RUN)))
    if len(rows) == 1:
        return ["", "coverage and Linux vs RFC 9293: the same on every kernel"]
    return ["", *align_columns(rows, gap=_GAP)]


def _legend(across: Across) -> list[str]:
    """What the marks and a kernel's cell mean."""
    first = across.labels[0]
    return [
        f"({FAILS}: disagrees with the documentation; {DIFFERS}: differs from {first}, the "
        f"first column; {NOT_RUN}: not in that kernel's result.)",
        _CELLS[across.check],
    ]


_CELLS: Final = {
    "tables": "(A kernel's cell: the flags on the wire; the states of the roles documented, the "
    "sender's while its segment is in flight, the receiver's once it has processed it.)",
    "notes": "(A kernel's cell: lab check's verdict on the claim, for each family if they differ.)",
}


def _conclusion(across: Across) -> str:
    n = across.differences
    differ = _count(n, "row")
    if across.ok:
        if not across.differences:
            return "ok: every kernel agrees with the documentation, and with each other"
        return (
            f"ok: every kernel agrees with the documentation; {differ} differ{_s(n)} between "
            "them, "
            "as the documentation allows"
        )
    failing = [k.label for k in across.kernels if not k.ok]
    return (
        f"FAIL: {', '.join(failing) or 'a kernel'} disagree{'s' if len(failing) == 1 else ''} "
        f"with the documentation; {differ} differ{_s(n)} between kernels"
    )
