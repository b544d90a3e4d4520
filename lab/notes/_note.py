"""A compiled note: a scenario per TCP diagram, the claims of its tables, what was skipped and why.

    note = read_note(text, "docs/tcp.md")
    note.scenarios              # (Scenario("L12-25", ...), Scenario("L36-52", ...))
    note.diagrams[0].names      # {Role.CLIENT: "Alice", Role.SERVER: "Bob"}
    note.tables[0].orders       # (OrderClaim(Role.CLIENT, ((SYN-SENT, Source(29, ...)), ...)), ...)
    note.state_diagrams[0].edges  # (EdgeClaim(Source(40, ...), CLOSED, LISTEN, ...), ...)
    note.warnings               # (NoteWarning(19, "'SYN_SEND' is not a TCP state; ..."), ...)

Every claim carries the `Source` of its line; nothing here runs anything.
Pure: no kernel access.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lab.tcp._edge_claims import EdgeClaim
from lab.tcp._names import Role, TcpFlag, TcpState
from lab.tcp._spec import NO_FLAGS, FlagClaim, OrderClaim, Scenario, Source

__all__ = [
    "Note",
    "NoteDiagram",
    "NoteStateDiagram",
    "NoteTable",
    "NoteWarning",
    "Skipped",
    "TableRow",
]


@dataclass(frozen=True)
class NoteWarning:
    """Something at a line of the note that lab read with doubt or could not read, and the fix."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class Skipped:
    """A block of the note that claims nothing lab checks (a flowchart, HTTP), and why."""

    first: int
    last: int
    what: str
    """``mermaid diagram``, ``table``, ``code block (python)``."""
    reason: str
    tcp: bool = False
    """It is about TCP, but nothing in it can be checked (a list of states, a simultaneous
    open): the note then has something TCP, and its check says why this is unchecked."""

    def __str__(self) -> str:
        return f"lines {self.first}-{self.last}, {self.what}: {self.reason}"


@dataclass(frozen=True)
class NoteDiagram:
    """A TCP sequence diagram and the scenario it compiles to."""

    scenario: Scenario
    """Named after its lines (``L12-25``); its script carries every line's claim."""
    first: int
    last: int
    kind: str
    """What the content shows, in words: ``open``, ``close``, ``open, data, close``."""
    roles: Mapping[str, Role]
    """The two ends: participant id → role (``{"A": Role.CLIENT, "B": Role.SERVER}``)."""
    names: Mapping[Role, str]
    """Each role's participant as the note shows it (its alias), for reports in its words."""
    because: str
    """Why the client is the client: ``Alice sends the first SYN``."""
    context: tuple[str, ...] = ()
    """Participants that are not one of the two ends (an application, a kernel), shown only."""

    @property
    def label(self) -> str:
        """``L12-25 open``: the scenario's name and what it shows, as a test id."""
        return f"{self.scenario.name} {self.kind}"


@dataclass(frozen=True)
class TableRow:
    """One row of a table as read: its line, what it claims, and its description."""

    source: Source
    role: Role | None
    """The end the row names; None for every end (an empty role cell) or none."""
    states: tuple[TcpState, ...] = ()
    flags: TcpFlag = NO_FLAGS
    description: str = ""
    """The cells that are neither role, state nor flag, for display beside the verdict."""
    unchecked: str | None = None
    """Why the row claims nothing (None when it claims something)."""


@dataclass(frozen=True)
class NoteTable:
    """A table of states or flags: the claims its rows make, in row order."""

    first: int
    last: int
    header: tuple[str, ...]
    scenario: str | None
    """The diagram (scenario name) whose run its order claims are checked against: the
    nearest TCP diagram above it (else below); None when the note has none."""
    orders: tuple[OrderClaim, ...]
    flags: tuple[FlagClaim, ...]
    rows: tuple[TableRow, ...]


@dataclass(frozen=True)
class NoteStateDiagram:
    """A state machine of TCP states (a mermaid stateDiagram, or a flowchart of states): the
    transitions it draws, each a claim at its line."""

    first: int
    last: int
    kind: str
    """The diagram as mermaid names it: ``stateDiagram-v2``, ``flowchart``, ``graph``."""
    edges: tuple[EdgeClaim, ...]
    """Every arrow, in line order (an arrow between two TCP states, or why it is unchecked)."""

    @property
    def label(self) -> str:
        """``L12-25 state diagram``: its lines and what it is, as a test id."""
        return f"L{self.first}-{self.last} state diagram"

    @property
    def title(self) -> str:
        """``a stateDiagram-v2 of 12 arrows``: what it is, in words."""
        arrows = len(self.edges)
        return f"a {self.kind} of {arrows} arrow{'' if arrows == 1 else 's'}"


@dataclass(frozen=True)
class Note:
    """Everything lab read from a note, in file order."""

    source: str
    title: str | None
    diagrams: tuple[NoteDiagram, ...]
    tables: tuple[NoteTable, ...]
    skipped: tuple[Skipped, ...]
    warnings: tuple[NoteWarning, ...]
    spellings: Mapping[TcpState, str] = field(default_factory=dict, hash=False)
    """Each state as the note first writes it (``FIN_WAIT1``), for output in its own spelling."""
    state_diagrams: tuple[NoteStateDiagram, ...] = ()
    """Its state machines (mermaid stateDiagram, flowcharts of states), edge by edge."""

    @property
    def scenarios(self) -> tuple[Scenario, ...]:
        """The scenario of every TCP diagram, in file order."""
        return tuple(diagram.scenario for diagram in self.diagrams)

    @property
    def blocks(self) -> list[tuple[int, int, str]]:
        """Each diagram, table and state machine as (first line, last line, label), in file
        order: ``(12, 25, "L12-25 open")``, ``(27, 32, "L27-32 table")``,
        ``(40, 58, "L40-58 state diagram")``; pytest's items."""
        blocks = [(d.first, d.last, d.label) for d in self.diagrams]
        blocks += [(t.first, t.last, f"L{t.first}-{t.last} table") for t in self.tables]
        blocks += [(s.first, s.last, s.label) for s in self.state_diagrams]
        return sorted(blocks)

    @property
    def is_tcp(self) -> bool:
        """Whether anything in the note is about TCP: claims, or a TCP block lab cannot check."""
        return self.has_claims or any(skipped.tcp for skipped in self.skipped)

    @property
    def has_claims(self) -> bool:
        """Whether the note claims something lab can check: a diagram, a table of states or
        flags, or a state machine (`is_tcp` also counts TCP blocks lab cannot check)."""
        return bool(self.diagrams or self.tables or self.state_diagrams)

    @property
    def edges(self) -> tuple[EdgeClaim, ...]:
        """Every transition its state machines draw, in line order."""
        return tuple(edge for machine in self.state_diagrams for edge in machine.edges)
