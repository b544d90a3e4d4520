"""Mermaid state diagrams and flowcharts as people write them: nodes and arrows, by line.

    graph = read_graph(fence.lines)
    graph.kind                      # "stateDiagram-v2", "stateDiagram", "flowchart", "graph"
    graph.arrows[0]                 # Arrow(5, "SYN_SENT", "ESTABLISHED", "recv SYN-ACK / send ACK")
    graph.nodes["3"].label          # "FIN_WAIT_1" (a flowchart's 3[FIN_WAIT_1])
    graph.problems                  # (Problem(line=9, message="..."), ...): never an exception

The syntax read is mermaid's own. For ``stateDiagram`` and ``stateDiagram-v2``:
``A --> B`` and ``A --> B : label``, the markers ``[*]``, ``state "Long name" as
ID``, ``ID : description`` (kept with the state), composite states (``state ID {``
... ``}``), ``<<choice>>``,
``<<fork>>`` and ``<<join>>``, notes (``note right of ID : text`` and the multi-line
``note`` ... ``end note``), ``--`` between concurrent regions, ``direction LR``,
``classDef``, ``class``, ``:::class`` and ``%%`` comments. For ``flowchart`` and
``graph``: nodes with any shape (``A[CLOSED]``, ``B(LISTEN)``, ``C((x))``,
``D{choice}``, ``E>flag]``, ``F[(db)]``, ``G@{ label: "..." }``), labels written
before or after use, links with text in the middle (``A -- passive open --> B``,
``A == text ==> B``, ``A -. text .-> B``, quoted) or between pipes (``A -->|close| B``),
every arrow (``-->``, ``---``, ``-.->``, ``==>``, ``--o``, ``--x``, ``<-->``,
longer ones), chains (``A --> B --> C``) and ``&`` (``A & B --> C``),
``subgraph`` ... ``end``, ``direction``, ``style``, ``linkStyle``, ``click``.
Lines that are neither become a `Problem` with their line. Pure: no kernel access.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

from lab.notes._markdown import Line
from lab.notes._mermaid import Problem, decode_text, split_statements

__all__ = ["FLOWCHARTS", "MARKER", "STATE_DIAGRAMS", "Arrow", "Graph", "Node", "read_graph"]

STATE_DIAGRAMS: Final = frozenset({"statediagram", "statediagram-v2"})
"""Mermaid's state diagrams, by their first word (compared in lower case)."""
FLOWCHARTS: Final = frozenset({"flowchart", "graph", "flowchart-elk"})
"""Mermaid's flowcharts, by their first word (compared in lower case)."""
MARKER: Final = "[*]"
"""A state diagram's start (as a source) or end (as a target)."""


@dataclass(frozen=True)
class Node:
    """A node: the id arrows use, the text it shows, and what kind of node it is."""

    id: str
    label: str
    """The text shown (a flowchart's ``A[CLOSED]``, a state's ``state "CLOSED" as A``); the id
    when none is written."""
    line: int | None = None
    """Where its label is written; None when only used."""
    composite: bool = False
    """A state diagram's state with states inside (``state ID {``)."""
    decision: bool = False
    """A question or a junction, not a state: a flowchart's ``{...}``, ``<<choice>>``."""
    description: str = ""
    """A state diagram's ``ID : text`` lines, joined: what the box shows under its name."""


@dataclass(frozen=True)
class Arrow:
    """An arrow from one node to another, with its label."""

    line: int
    source: str
    """The node it leaves (its id), or `MARKER`."""
    target: str
    label: str
    """The text on it, entities decoded, ``<br/>`` as a line break; "" for none."""
    directed: bool = True
    """False for a link with no one direction (``---``, ``<-->``, ``~~~``)."""


@dataclass(frozen=True)
class Graph:
    """What a state diagram or flowchart block says, in order."""

    kind: str
    """Its first word as written: ``stateDiagram-v2``, ``flowchart``; "" for an empty block."""
    nodes: dict[str, Node]
    arrows: tuple[Arrow, ...]
    structure: tuple[int, ...]
    """Lines read as declarations, notes, comments and the like: nothing to check."""
    problems: tuple[Problem, ...]

    def label(self, ident: str) -> str:
        """The text node `ident` shows (its id when it has no label)."""
        node = self.nodes.get(ident)
        return node.label if node is not None else ident


def read_graph(lines: Sequence[Line]) -> Graph:
    """The nodes and arrows of a mermaid state diagram or flowchart; never raises."""
    kind = ""
    reader: _Reader | None = None
    for text, line in _statements(lines):
        if reader is not None:
            for part in reader.split(text):
                reader.statement(part, line)
            continue
        if text.startswith("%%") or text.lower().startswith("title"):
            continue
        kind = text.split()[0].rstrip(";")
        lowered = kind.lower()
        if lowered in STATE_DIAGRAMS:
            reader = _StateReader()
        elif lowered in FLOWCHARTS:
            reader = _FlowchartReader()
        else:
            return Graph(kind, {}, (), (), ())
        reader.structure.append(line)
        for part in reader.split(text)[1:]:  # graph TD; A --> B
            reader.statement(part, line)
    if reader is None:
        return Graph(kind, {}, (), (), ())
    reader.finish()
    return Graph(
        kind,
        dict(reader.nodes),
        tuple(reader.arrows),
        tuple(reader.structure),
        tuple(reader.problems),
    )


def _statements(lines: Iterable[Line]) -> Iterable[tuple[str, int]]:
    """Each non-blank line and its number, stripped; mermaid front matter (``---``) skipped."""
    front = False
    seen = False
    for line in lines:
        stripped = line.text.strip()
        if stripped == "---" and (front or not seen):
            front, seen = not front, True
            continue
        if front or not stripped:
            continue
        seen = True
        yield stripped, line.number


# Statements that carry nothing lab checks, by their first word (lower case).
_STRUCTURE: Final = frozenset(
    {"direction", "classdef", "class", "style", "linkstyle", "click", "acctitle", "accdescr"}
    | {"hide", "scale", "title", "%%"}
)
_CLASS: Final = re.compile(r":::[\w-]+")


@dataclass
class _Reader:
    nodes: dict[str, Node] = field(default_factory=dict)
    arrows: list[Arrow] = field(default_factory=list)
    structure: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def statement(self, text: str, line: int) -> None:
        raise NotImplementedError

    def split(self, text: str) -> list[str]:
        """The statements of one line (a state's label may hold a ``;``: one statement)."""
        return [text]

    def finish(self) -> None:
        """Once every statement is read: what was left open."""

    def use(self, ident: str) -> str:
        """Declare node `ident` by use if it is new; its id."""
        if ident not in self.nodes:
            self.nodes[ident] = Node(ident, ident)
        return ident

    def name(self, ident: str, label: str, line: int, *, decision: bool = False) -> None:
        """Give node `ident` the label `label` (the last one written wins, as mermaid draws)."""
        old = self.nodes.get(ident) or Node(ident, ident)
        self.nodes[ident] = dataclasses.replace(
            old, label=label or ident, line=line, decision=decision
        )

    def describe(self, ident: str, text: str) -> None:
        """Add ``ID : text`` to node `ident`'s description."""
        old = self.nodes.get(ident) or Node(ident, ident)
        joined = f"{old.description}\n{text}" if old.description else text
        self.nodes[ident] = dataclasses.replace(old, description=joined)

    def structural(self, text: str, line: int) -> bool:
        first = text.split(maxsplit=1)[0].lower() if text.strip() else ""
        if text.startswith("%%") or first in _STRUCTURE:
            self.structure.append(line)
            return True
        return False

    def problem(self, text: str, line: int, what: str) -> None:
        self.problems.append(
            Problem(
                line,
                f"mermaid statement {text[:60]!r} is not understood, so nothing on this line "
                f"is checked; write {what}",
            )
        )


# --- state diagrams ---------------------------------------------------------------------------

_STATE_ID: Final = r"(?:\[\*\]|[^\s:\-{}\"]+(?:-(?!->)[^\s:\-{}\"]*)*)"
_TRANSITION: Final = re.compile(
    rf"^(?P<a>{_STATE_ID})\s*-->\s*(?P<b>{_STATE_ID})\s*(?::\s*(?P<label>.*))?$"
)
_STATE: Final = re.compile(
    r"^state\s+(?:\"(?P<quoted>[^\"]*)\"\s+as\s+(?P<alias>\S+)|(?P<id>[^\s{\"]+)"
    r"(?:\s+as\s+\"(?P<after>[^\"]*)\")?)\s*(?P<rest>.*)$",
    re.IGNORECASE,
)
_DESCRIPTION: Final = re.compile(rf"^(?P<id>{_STATE_ID})\s*:\s*(?P<text>.*)$")
_BARE_STATE: Final = re.compile(rf"^{_STATE_ID}$")
_STATE_NOTE: Final = re.compile(r"^note\s+(?:left|right)\s+of\s+\S+\s*(?P<colon>:)?", re.IGNORECASE)
_STEREOTYPE: Final = re.compile(r"<<\s*(?P<kind>\w+)\s*>>")
_JUNCTIONS: Final = frozenset({"choice", "fork", "join"})


@dataclass
class _StateReader(_Reader):
    in_note: int | None = None
    """The line of an open multi-line note (None: none open)."""
    open_states: list[int] = field(default_factory=list)

    def statement(self, text: str, line: int) -> None:
        text = _CLASS.sub("", text).strip()
        if self.in_note is not None:
            self.structure.append(line)
            if text.lower() == "end note":
                self.in_note = None
            return
        if self.structural(text, line) or text == "--":
            self.structure.append(line)
            return
        note = _STATE_NOTE.match(text)
        if note:
            self.structure.append(line)
            if not note["colon"]:
                self.in_note = line
            return
        if text == "}":
            self.structure.append(line)
            if self.open_states:
                self.open_states.pop()
            else:
                self.problems.append(Problem(line, "'}' closes no composite state; remove it"))
            return
        found = _TRANSITION.match(text)
        if found:
            a, b = found["a"], found["b"]
            label = decode_text(found["label"] or "")
            self.arrows.append(Arrow(line, self._use(a), self._use(b), label))
            return
        state = _STATE.match(text)
        if state:
            self._state(state, line)
            return
        description = _DESCRIPTION.match(text)
        if description:
            self.describe(description["id"], decode_text(description["text"]))
            self.structure.append(line)
            return
        if _BARE_STATE.match(text):
            self.use(text)
            self.structure.append(line)
            return
        self.problem(text, line, "a transition (SYN_SENT --> ESTABLISHED : rcv SYN+ACK)")

    def _use(self, ident: str) -> str:
        return ident if ident == "[*]" else self.use(ident)

    def _state(self, state: re.Match[str], line: int) -> None:
        ident = state["alias"] or state["id"]
        label = state["quoted"] if state["quoted"] is not None else state["after"]
        rest = state["rest"].strip()
        stereotype = _STEREOTYPE.search(rest)
        decision = bool(stereotype and stereotype["kind"].lower() in _JUNCTIONS)
        self.name(ident, decode_text(label) if label else ident, line, decision=decision)
        if rest.endswith("{"):
            self.nodes[ident] = dataclasses.replace(self.nodes[ident], composite=True)
            self.open_states.append(line)
        self.structure.append(line)

    def finish(self) -> None:
        for line in self.open_states:
            self.problems.append(Problem(line, "a composite state opened here is never closed"))
        if self.in_note is not None:
            self.problems.append(Problem(self.in_note, "a note opened here has no 'end note'"))


# --- flowcharts -------------------------------------------------------------------------------

_NODE_ID: Final = re.compile(r"[\w$]+(?:[-.](?![-.>=])[\w$]+)*")
# Shapes, longest opening first: (opening, closing, is a decision).
_SHAPES: Final = (
    ("(((", ")))", False),
    ("([", "])", False),
    ("[[", "]]", False),
    ("[(", ")]", False),
    ("((", "))", False),
    ("{{", "}}", False),
    ("[/", "/]", False),
    ("[/", "\\]", False),
    ("[\\", "\\]", False),
    ("[\\", "/]", False),
    ("[", "]", False),
    ("(", ")", False),
    ("{", "}", True),
    (">", "]", False),
)
_NEW_SHAPE: Final = re.compile(r"@\{(?P<body>[^}]*)\}")
_NEW_LABEL: Final = re.compile(r"label\s*:\s*(?:\"(?P<quoted>[^\"]*)\"|(?P<plain>[^,]*))")
# A link: an arrow with its text between pipes, or text between the two halves of the arrow.
_ARROW: Final = (
    r"<-{2,}>|<={2,}>|<-\.+->|o-{2,}o|x-{2,}x"  # both ways
    r"|-{2,}>|={2,}>|-\.+->"  # one way
    r"|-{3,}|={3,}|-\.+-|~{3,}"  # no way
    r"|-{2,}[ox](?=[\s\w])|={2,}[ox](?=[\s\w])"  # a circle or cross head: one way
)
_PIPED: Final = re.compile(rf"\s*(?P<arrow>{_ARROW})\s*(?:\|(?P<text>[^|]*)\|)?")
_MIDDLE: Final = re.compile(
    r"\s*(?P<open><?(?:--|==|-\.))(?![->=.])\s*(?P<text>\"[^\"]*\"|.+?)\s*"
    r"(?P<close>-{2,}>|={2,}>|\.-+>|-{3,}|={3,}|\.-+(?![->])|-{2,}[ox](?=\s)|={2,}[ox](?=\s))"
)
_TWO_WAY: Final = ("<", "o-", "x-")
_NO_WAY: Final = re.compile(r"^(?:-{3,}|={3,}|-\.+-|~{3,}|\.-+)$")


@dataclass
class _FlowchartReader(_Reader):
    subgraphs: list[int] = field(default_factory=list)

    def split(self, text: str) -> list[str]:
        """A flowchart's statements end at a bare ``;`` too."""
        if text.startswith("%%"):
            return [text]
        return [part.strip() for part in split_statements(text) if part.strip()]

    def statement(self, text: str, line: int) -> None:
        if self.structural(text, line):
            return
        first = text.split(maxsplit=1)[0].lower()
        if first == "subgraph":
            self.subgraphs.append(line)
            self.structure.append(line)
            return
        if text.lower() == "end":
            self.structure.append(line)
            if self.subgraphs:
                self.subgraphs.pop()
            else:
                self.problems.append(Problem(line, "'end' closes no subgraph; remove it"))
            return
        if not self._chain(text, line):
            self.problem(text, line, "a link (A[CLOSED] -- passive open --> B[LISTEN])")

    def _chain(self, text: str, line: int) -> bool:
        """Read ``A & B -- text --> C --> D``; False when it is not one."""
        at, group = self._group(text, 0, line)
        if not group:
            return False
        arrows: list[Arrow] = []
        while text[at:].strip():
            link = _PIPED.match(text, at) or _MIDDLE.match(text, at)
            if link is None:
                return False
            label, directed, at = self._link(link)
            at, following = self._group(text, at, line)
            if not following:
                return False
            arrows += [Arrow(line, a, b, label, directed) for a in group for b in following]
            group = following
        self.arrows += arrows
        if not arrows:
            self.structure.append(line)  # nodes declared with their labels
        return True

    @staticmethod
    def _link(link: re.Match[str]) -> tuple[str, bool, int]:
        """A link's label, whether it goes one way, and where the text after it starts."""
        groups = link.groupdict()
        arrow = groups.get("arrow") or f"{groups['open']}{groups['close']}"
        text = (link["text"] or "").strip()
        if len(text) >= 2 and text[0] == text[-1] == '"':
            text = text[1:-1]
        two_way = arrow.startswith(_TWO_WAY)
        no_way = bool(_NO_WAY.match(groups.get("arrow") or groups["close"]))
        return decode_text(text.strip("`")), not (two_way or no_way), link.end()

    def _group(self, text: str, at: int, line: int) -> tuple[int, list[str]]:
        """The nodes joined by ``&`` at `at`, and where the text after them starts."""
        idents: list[str] = []
        while True:
            at, ident = self._node(text, at, line)
            if ident is None:
                return at, []
            idents.append(ident)
            rest = text[at:]
            joined = re.match(r"\s*&\s*", rest)
            if not joined:
                return at, idents
            at += joined.end()

    def _node(self, text: str, at: int, line: int) -> tuple[int, str | None]:
        """The node written at `at` (declaring its label if it has one), and where it ends."""
        while at < len(text) and text[at].isspace():
            at += 1
        found = _NODE_ID.match(text, at)
        if not found:
            return at, None
        ident, at = found[0], found.end()
        self.use(ident)
        shaped = _NEW_SHAPE.match(text, at)
        if shaped:
            label = _NEW_LABEL.search(shaped["body"])
            if label:
                written = label["quoted"] if label["quoted"] is not None else label["plain"]
                self.name(ident, decode_text(written.strip()), line)
            at = shaped.end()
        else:
            for opening, closing, decision in _SHAPES:
                if text.startswith(opening, at):
                    end = _closing(text, at + len(opening), closing)
                    if end is None:
                        continue
                    inner = text[at + len(opening) : end].strip()
                    if len(inner) >= 2 and inner[0] == inner[-1] == '"':
                        inner = inner[1:-1]
                    self.name(ident, decode_text(inner.strip("`")), line, decision=decision)
                    at = end + len(closing)
                    break
        classed = _CLASS.match(text, at)
        return (classed.end() if classed else at), ident

    def finish(self) -> None:
        for line in self.subgraphs:
            self.problems.append(Problem(line, "a subgraph opened here is never closed"))


def _closing(text: str, start: int, closing: str) -> int | None:
    """Where `closing` ends a shape's text that starts at `start` (a quoted text whole)."""
    at = start
    while at < len(text) and text[at].isspace():
        at += 1
    if at < len(text) and text[at] == '"':
        quote = text.find('"', at + 1)
        if quote < 0:
            return None
        found = text.find(closing, quote + 1)
    else:
        found = text.find(closing, start)
    return found if found >= 0 else None
