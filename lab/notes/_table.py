"""A Markdown table as claims: the order each end enters states, the flags the kernel sets.

    compiled = compile_table(table, "L12-25", names, warnings)    # NoteTable, or Skipped

Columns are told apart by what their cells hold, in any language: a state
column is one where most cells name a TCP state; a flag column, one where most
cells are flag names alone (``SYN``, ``SYN+ACK``, ``FIN (finish)``); a role
column, one whose every cell is a participant of the note's diagrams, a word
for client or server (`ROLE_WORDS`), a word for both, or blank (every end).
Headers are not needed, so ``Side | State | What happens`` and ``구분 | 절차 |
설명`` read alike. A table whose headers are the ends (``Step | Client |
Server``) gives each end's column as its order, and a column headed by both
(``Client / Server``, cells ``FIN_WAIT_1 / ESTABLISHED``) gives each end the
state on its side of the slash. The other cells are the row's description,
kept for display. Pure: no kernel access.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from lab.notes._claims import EVERY_END_WORDS, StateMention, find_states, read_flag_cell, role_word
from lab.notes._markdown import Table
from lab.notes._note import NoteTable, NoteWarning, Skipped, TableRow
from lab.tcp._names import Role, TcpState
from lab.tcp._spec import NO_FLAGS, FlagClaim, OrderClaim, Source

__all__ = ["EVERY_END", "compile_table"]

EVERY_END: Final = "every end"
"""What a blank role cell (or ``both``, ``양쪽``) stands for."""

_MOST: Final = 0.5
"""The share of a column's filled cells that must hold states (or flags) for it to be one."""
_ROLE_CELL_LENGTH: Final = 40
"""Longer cells are descriptions, not the name of an end."""

_BOTH_ENDS: Final = "/"
"""What parts a header naming both ends (``Client / Server``) and its cells."""

Resolved = Role | str | None
"""A role cell read: a Role, `EVERY_END`, or None when it names no end lab knows."""


@dataclass(frozen=True)
class _Columns:
    """Which column holds what; None when there is no such column."""

    state: int | None
    flag: int | None
    role: int | None
    per_role: Mapping[int, tuple[Role, ...]]
    """Columns headed by an end (``Client | Server``), each holding that end's states; or by
    both ends (``Client / Server``), each cell holding their states in that order."""


def compile_table(
    table: Table,
    scenario: str | None,
    names: Mapping[str, Role],
    warnings: list[NoteWarning],
) -> NoteTable | Skipped:
    """The claims of `table`, or why it makes none; `names` maps participants (case-folded)."""

    def resolve(cell: str) -> Resolved:
        return _resolve_role(cell, names)

    grid = [row.cells for row in table.rows]
    states = [[find_states(cell) for cell in cells] for cells in grid]
    columns = _columns(table, grid, states, resolve)
    if columns.state is None and columns.flag is None and not columns.per_role:
        return Skipped(table.first, table.last, "table", _why_skipped(table, grid, states))
    if columns.flag is not None and _packet_list(table.header.cells):
        return Skipped(table.first, table.last, "table", _PACKET_LIST, tcp=True)
    if columns.state is not None and columns.role is None and columns.flag is None:
        return Skipped(
            table.first,
            table.last,
            "table",
            "its rows name states but not which end enters them (no column of participants' "
            "names, of words for client or server, or headed by them), so it is a list, not "
            "an order lab can check",
            tcp=True,
        )
    used = {c for c in (columns.state, columns.flag, columns.role) if c is not None}
    used |= set(columns.per_role)
    reading = _Reading(grid, states, columns, resolve, warnings)
    rows: list[TableRow] = []
    for index, row in enumerate(table.rows):
        source = Source(row.line, row.text)
        description = " | ".join(
            cell for c, cell in enumerate(row.cells) if c not in used and cell.strip()
        )
        rows += reading.rows(index, source, description)
    return NoteTable(
        first=table.first,
        last=table.last,
        header=table.header.cells,
        scenario=scenario,
        orders=_orders(rows),
        flags=tuple(FlagClaim(r.flags, r.source) for r in rows if r.flags),
        rows=tuple(rows),
    )


# A capture's packet list (Wireshark's No. | Time | Source | Destination, tcpdump's lines as
# a table): each row is one segment in order between two addresses, not a flag each end sends.
_SOURCE_HEADERS: Final = frozenset({"source", "src"})
_DESTINATION_HEADERS: Final = frozenset({"destination", "dst", "dest"})
_PACKET_LIST: Final = (
    "a packet list (a source, a destination and flags per row): each row is one segment of "
    "one connection in order, which lab checks only as a mermaid sequenceDiagram (a message "
    "per row); draw it as one to have it checked, as a table of flags it would be judged wrongly"
)


def _packet_list(header: Sequence[str]) -> bool:
    """Whether a table's header has a source and a destination column (a capture's rows)."""
    words = {" ".join(cell.split()).strip("*_` .").casefold() for cell in header}
    return bool(words & _SOURCE_HEADERS and words & _DESTINATION_HEADERS)


def _resolve_role(cell: str, names: Mapping[str, Role]) -> Resolved:
    """The end a role cell names: a participant, a role word, both/blank, or None."""
    text = " ".join(cell.split()).strip("*_` ")
    folded = text.casefold()
    if folded in EVERY_END_WORDS:
        return EVERY_END
    if folded in names:
        return names[folded]
    word = role_word(text)
    if word is not None:
        return word
    # "Alice (client)", "Client (A)": a known name among the words of the cell.
    for part in folded.replace("(", " ").replace(")", " ").replace(":", " ").split():
        if part in names:
            return names[part]
        if role_word(part) is not None:
            return role_word(part)
    return None


def _share(cells: Sequence[bool], filled: Sequence[bool]) -> float:
    total = sum(filled)
    return sum(cells) / total if total else 0.0


def _columns(
    table: Table,
    grid: Sequence[Sequence[str]],
    states: Sequence[Sequence[list[StateMention]]],
    resolve: Callable[[str], Resolved],
) -> _Columns:
    """Tell the columns apart by their cells."""
    width = len(table.header.cells)
    filled = [[bool(row[c].strip()) for row in grid] for c in range(width)]
    has_state = [[any(m.state for m in row[c]) for row in states] for c in range(width)]
    has_flag = [[read_flag_cell(row[c]) is not None for row in grid] for c in range(width)]
    state_share = [_share(has_state[c], filled[c]) for c in range(width)]
    flag_share = [_share(has_flag[c], filled[c]) for c in range(width)]
    per_role = {
        c: roles
        for c in range(width)
        if (roles := _header_roles(table.header.cells[c], resolve)) and state_share[c] >= _MOST
    }
    state = _best(state_share, exclude=set(per_role))
    flag = _best(flag_share, exclude={*per_role, *([state] if state is not None else [])})
    role_columns = []
    for c in range(width):
        if c in per_role or c in (state, flag):
            continue
        cells = [row[c] for row in grid]
        resolved = [resolve(cell) for cell in cells]
        named = sum(
            isinstance(r, Role) or (r == EVERY_END and bool(cell.strip()))
            for r, cell in zip(resolved, cells, strict=True)
        )
        if named and all(len(cell) <= _ROLE_CELL_LENGTH for cell in cells):
            role_columns.append((named, -c))
    role_column = -max(role_columns)[1] if role_columns else None
    return _Columns(state, flag, role_column, per_role)


def _header_roles(header: str, resolve: Callable[[str], Resolved]) -> tuple[Role, ...]:
    """The ends a header names: ``Client`` one, ``Client / Server`` both (in that order)."""
    sides = [resolve(side) for side in header.split(_BOTH_ENDS)]
    if len(sides) == 2 and all(isinstance(r, Role) for r in sides) and sides[0] != sides[1]:
        return tuple(r for r in sides if isinstance(r, Role))
    whole = resolve(header)
    return (whole,) if isinstance(whole, Role) else ()


def _best(shares: Sequence[float], exclude: set[int]) -> int | None:
    """The column with the largest share of at least `_MOST` (the leftmost of equals)."""
    ranked = [(share, -c) for c, share in enumerate(shares) if c not in exclude and share >= _MOST]
    return -max(ranked)[1] if ranked else None


@dataclass(frozen=True)
class _Reading:
    """A table being read: its cells, the states in them, and which column holds what."""

    grid: Sequence[Sequence[str]]
    states: Sequence[Sequence[list[StateMention]]]
    columns: _Columns
    resolve: Callable[[str], Resolved]
    warnings: list[NoteWarning]

    def rows(self, index: int, source: Source, description: str) -> list[TableRow]:
        """What row `index` reads as (one row per end for a table headed by the ends)."""
        if self.columns.per_role:
            return [
                TableRow(source, role, states, NO_FLAGS, description)
                for c, roles in self.columns.per_role.items()
                for role, states in zip(roles, self._sides(index, c, roles, source), strict=True)
            ]
        cells = self.grid[index]
        flag_column, state_column = self.columns.flag, self.columns.state
        flags = read_flag_cell(cells[flag_column]) if flag_column is not None else None
        states = self._states(index, state_column, source) if state_column is not None else ()
        role: Role | None = None
        unchecked: str | None = None
        if states and self.columns.role is None:
            states = ()  # a flag table that mentions states in passing
        elif states and self.columns.role is not None:
            cell = cells[self.columns.role].strip()
            resolved = self.resolve(cell)
            role = resolved if isinstance(resolved, Role) else None
            if resolved is None:
                states = ()
                unchecked = (
                    f"{cell!r} is neither a participant of the note's diagrams nor a word for "
                    "client or server"
                )
                self.warnings.append(
                    NoteWarning(
                        source.line,
                        f"{unchecked}, so this row's state is not checked; write a participant's "
                        "name, client or server (in any language), or leave it empty for both",
                    )
                )
        if not states and not flags and unchecked is None:
            unchecked = "it names no state and no flag"
        return [TableRow(source, role, states, flags or NO_FLAGS, description, unchecked)]

    def _sides(
        self, index: int, column: int, roles: tuple[Role, ...], source: Source
    ) -> list[tuple[TcpState, ...]]:
        """Each of `roles`' states in a cell: the whole cell for one, a side of the slash each."""
        if len(roles) == 1:
            return [self._states(index, column, source)]
        sides = self.grid[index][column].split(_BOTH_ENDS)
        if len(sides) != len(roles):
            return [() for _ in roles]
        found = [find_states(side) for side in sides]
        for mentions in found:
            self.warnings.extend(NoteWarning(source.line, m.warning) for m in mentions if m.warning)
        return [tuple(m.state for m in mentions if m.state) for mentions in found]

    def _states(self, index: int, column: int, source: Source) -> tuple[TcpState, ...]:
        mentions = self.states[index][column]
        self.warnings.extend(NoteWarning(source.line, m.warning) for m in mentions if m.warning)
        return tuple(m.state for m in mentions if m.state)


def _orders(rows: Sequence[TableRow]) -> tuple[OrderClaim, ...]:
    """Per end, the states its rows name, in row order; a row for every end adds to each.

    Only when no row names an end is there one claim for every end (role None).
    """
    stated = [r for r in rows if r.states and r.unchecked is None]
    if not stated:
        return ()
    if all(r.role is None for r in stated):
        return (OrderClaim(None, tuple((s, r.source) for r in stated for s in r.states)),)
    claims = []
    for role in Role:
        entered: list[tuple[TcpState, Source]] = []
        for row in stated:
            if row.role in (role, None):
                for state in row.states:
                    if not entered or entered[-1][0] is not state:  # a column repeats a state
                        entered.append((state, row.source))
        if entered:
            claims.append(OrderClaim(role, tuple(entered)))
    return tuple(claims)


def _why_skipped(
    table: Table, grid: Sequence[Sequence[str]], states: Sequence[Sequence[list[StateMention]]]
) -> str:
    mentioned = sum(any(m.state for m in cell) for row in states for cell in row)
    if mentioned:
        return (
            f"it mentions states in {mentioned} cells, but no column names one in most of its "
            "rows, so it reads as prose; nothing to check"
        )
    return "no column names TCP states (SYN-SENT...) or flags (SYN, ACK...); nothing to check"
