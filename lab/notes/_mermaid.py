"""Mermaid sequence diagrams as people write them: participants, messages and notes, by line.

    diagram = read_sequence_diagram(fence.lines)
    diagram.participants        # (Participant("A", "Alice", line=13), ...)
    diagram.events[0]           # Message(16, sender="A", receiver="B", arrow="->>", text="SYN")
    diagram.problems            # (Problem(line=20, message="..."), ...): never an exception

The syntax read is mermaid's own: ``sequenceDiagram``; ``participant`` and
``actor`` (``participant C as Client``), or participants declared by use; every
arrow (``->``, ``-->``, ``->>``, ``-->>``, ``-x``, ``--x``, ``-)``, ``--)``,
``<<->>``) with the activation marks ``+``/``-``; ``activate``/``deactivate``;
``Note left of|right of|over A[,B]: text``; ``autonumber``; ``title``; the
blocks ``rect``, ``loop``, ``alt``/``else``, ``opt``, ``par``/``and``,
``critical``/``option``, ``break``, ``box`` and their ``end``; ``%%`` comments
and ``%%{init}%%`` directives; ``;`` between statements; ``<br/>`` and HTML
entities (``&gt;``, mermaid's ``#59;``) in text. A line it cannot read becomes
a `Problem` with its line. Pure: no kernel access.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from lab.notes._markdown import Line

__all__ = [
    "DiagramNote",
    "Message",
    "Participant",
    "Problem",
    "SequenceDiagram",
    "read_sequence_diagram",
]

SEQUENCE: Final = "sequenceDiagram"

# Longest first, so that -->> is not read as --> followed by ">".
ARROWS: Final = ("<<-->>", "<<->>", "-->>", "->>", "-->", "->", "--x", "-x", "--)", "-)")

_ARROW: Final = "|".join(re.escape(a) for a in ARROWS).replace("x", "[xX]")
_MESSAGE: Final = re.compile(
    rf"^(?P<sender>[^:]+?)\s*(?P<arrow>{_ARROW})\s*(?P<activation>[+-]?)\s*"
    r"(?P<receiver>[^:]*?)\s*(?::(?P<text>.*))?$"
)
_NOTE: Final = re.compile(
    r"^note\s+(?P<placement>left\s+of|right\s+of|over)\s+(?P<over>[^:]+?)\s*(?::(?P<text>.*))?$",
    re.IGNORECASE,
)
_DECLARATION: Final = re.compile(
    r"^(?:create\s+)?(?P<kind>participant|actor)\s+(?P<rest>.+)$", re.IGNORECASE
)
_ALIAS: Final = re.compile(r"^(?P<id>.+?)\s+as\s+(?P<label>.+)$")
_METADATA: Final = re.compile(r"@\{.*\}\s*$")  # participant A@{ "type": "database" }
_TITLE: Final = re.compile(r"^title(?:\s*:\s*|\s+)(?P<title>.*)$", re.IGNORECASE)
_WORD: Final = re.compile(r"^(?P<word>[A-Za-z]+)\b\s*(?P<rest>.*)$")

# Statements that open a block closed by ``end``, and those that divide one.
_BLOCKS: Final = frozenset({"loop", "alt", "opt", "par", "critical", "break", "rect", "box"})
_DIVIDERS: Final = frozenset({"else", "and", "option"})
# Dividers that start an alternative to what came before (par's "and" runs beside it).
_BRANCHES: Final = {"else": "alt", "option": "critical"}
# Statements that carry nothing lab checks, read so that they are not problems.
_STRUCTURE: Final = frozenset(
    {"autonumber", "activate", "deactivate", "destroy", "link", "links", "accTitle", "accDescr"}
    | {"properties", "details"}
)
_ACTIVATION: Final = frozenset({"activate", "deactivate", "destroy"})

# <br>, <br/>, <br /> in any case: a line break in the rendered text.
_BREAK: Final = re.compile(r"<br\s*/?>", re.IGNORECASE)
# HTML's entities (&gt;, &#59;) and mermaid's own (#59; for ";", #gt; for ">").
_ENTITY: Final = re.compile(r"&#?[A-Za-z0-9]{1,8};|#(?P<code>[0-9]{1,7}|[A-Za-z]{1,8});")
# Entities are read whole, so that only a bare ";" ends a statement.
_STATEMENT_END: Final = re.compile(r"&#?[A-Za-z0-9]{1,8};|#[A-Za-z0-9]{1,8};|;")


@dataclass(frozen=True)
class Participant:
    """A participant: the id messages use, the label shown, and where it was declared."""

    id: str
    label: str
    line: int | None
    """The line of its ``participant``/``actor`` statement; None when declared by use."""


@dataclass(frozen=True)
class Message:
    """An arrow from one participant to another (or itself), with its text."""

    line: int
    sender: str
    receiver: str
    arrow: str
    text: str
    """The text after the colon, entities decoded, ``<br/>`` as a line break."""
    alternative: bool = False
    """In a later branch of ``alt`` (``else``) or ``critical`` (``option``): not the main line."""


@dataclass(frozen=True)
class DiagramNote:
    """A ``Note`` beside or over participants."""

    line: int
    placement: str
    """``left of``, ``right of`` or ``over``."""
    over: tuple[str, ...]
    """The participants' ids, as written (``over A,B`` gives two)."""
    text: str
    alternative: bool = False
    """In a later branch of ``alt`` or ``critical``, like `Message.alternative`."""


@dataclass(frozen=True)
class Problem:
    """A line the reader could not understand, and what to write instead."""

    line: int
    message: str


@dataclass(frozen=True)
class SequenceDiagram:
    """What a mermaid block says, in order; `kind` is not `SEQUENCE` for other diagrams."""

    kind: str
    """``sequenceDiagram``, or the first word of another diagram (``flowchart``)."""
    title: str | None
    participants: tuple[Participant, ...]
    events: tuple[Message | DiagramNote, ...]
    structure: tuple[int, ...]
    """Lines read as declarations, blocks, comments and the like: nothing to check."""
    problems: tuple[Problem, ...]

    def participant(self, name: str) -> Participant | None:
        """The participant with id `name`, or None."""
        return next((p for p in self.participants if p.id == name), None)


def decode_text(text: str) -> str:
    """Mermaid text as shown: ``<br/>`` a line break, ``&gt;`` and ``#59;`` decoded."""
    return _ENTITY.sub(_entity, _BREAK.sub("\n", text)).strip()


def _entity(found: re.Match[str]) -> str:
    """The character an entity stands for; the entity itself when it stands for none."""
    code = found["code"]
    if code is None:
        return html.unescape(found[0])
    if code.isdigit():
        number = int(code)
        return chr(number) if 0 < number < 0x110000 else found[0]
    decoded = html.unescape(f"&{code};")
    return found[0] if decoded.startswith("&") else decoded


@dataclass
class _Block:
    """A block being read (``alt``, ``loop``...), and whether a later branch has begun."""

    keyword: str
    line: int
    alternative: bool = False


@dataclass
class _Reader:
    """The diagram being read: what has been found so far."""

    title: str | None = None
    participants: dict[str, Participant] = field(default_factory=dict)
    events: list[Message | DiagramNote] = field(default_factory=list)
    structure: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    blocks: list[_Block] = field(default_factory=list)

    @property
    def alternative(self) -> bool:
        """Whether what is read now lies in a later branch of some alt or critical."""
        return any(block.alternative for block in self.blocks)

    def use(self, name: str) -> str:
        """Declare participant `name` by use if it is new; its id."""
        name = name.strip()
        if name not in self.participants:
            self.participants[name] = Participant(name, name, None)
        return name

    def declare(self, rest: str, line: int) -> None:
        rest = _METADATA.sub("", rest).strip()
        alias = _ALIAS.match(rest)
        ident, label = (alias["id"].strip(), decode_text(alias["label"])) if alias else (rest, rest)
        if not ident:
            self.problems.append(Problem(line, "a participant without a name; write participant A"))
            return
        self.participants[ident] = Participant(ident, label or ident, line)
        self.structure.append(line)

    def statement(self, text: str, line: int) -> None:
        """Read one statement (a line, or part of one between ``;``)."""
        if text.startswith("%%"):
            self.structure.append(line)
            return
        declared = _DECLARATION.match(text)
        if declared:
            self.declare(declared["rest"], line)
            return
        note = _NOTE.match(text)
        if note:
            over = tuple(self.use(n) for n in note["over"].split(",") if n.strip())
            placement = " ".join(note["placement"].lower().split())
            text = decode_text(note["text"] or "")
            self.events.append(DiagramNote(line, placement, over, text, self.alternative))
            return
        titled = _TITLE.match(text)
        if titled:
            self.title = decode_text(titled["title"]) or self.title
            self.structure.append(line)
            return
        word = _WORD.match(text)
        # A keyword followed by an arrow is a participant's name: Alt->>B.
        keyword = word["word"] if word and not word["rest"].startswith(("-", "<", "+")) else ""
        if keyword.lower() in _BLOCKS or keyword.lower() in _DIVIDERS or keyword == "end":
            self.block(keyword.lower(), line)
            return
        if keyword in _STRUCTURE or keyword.lower() in _STRUCTURE:
            if word and keyword.lower() in _ACTIVATION and word["rest"].strip():
                self.use(word["rest"])
            self.structure.append(line)
            return
        message = _MESSAGE.match(text)
        if message and message["sender"].strip() and message["receiver"].strip():
            self.events.append(
                Message(
                    line,
                    self.use(message["sender"]),
                    self.use(message["receiver"]),
                    message["arrow"].lower(),
                    decode_text(message["text"] or ""),
                    self.alternative,
                )
            )
            return
        self.problems.append(
            Problem(
                line,
                f"mermaid statement {text[:60]!r} is not understood, so nothing on this line "
                "is checked; write a message (A->>B: SYN), a note (Note over A: LISTEN) or "
                "a participant (participant A as Alice)",
            )
        )

    def block(self, keyword: str, line: int) -> None:
        self.structure.append(line)
        if keyword in _BLOCKS:
            self.blocks.append(_Block(keyword, line))
        elif keyword == "end":
            if not self.blocks:
                self.problems.append(
                    Problem(line, "'end' closes no block (loop, alt, opt, par, rect...); remove it")
                )
            else:
                self.blocks.pop()
        elif not self.blocks:
            self.problems.append(
                Problem(
                    line, f"'{keyword}' is outside any block; put it inside alt, par or critical"
                )
            )
        elif keyword in _BRANCHES and self.blocks[-1].keyword == _BRANCHES[keyword]:
            self.blocks[-1].alternative = True


def read_sequence_diagram(lines: Sequence[Line]) -> SequenceDiagram:
    """The participants, messages and notes of a mermaid block's `lines`; never raises."""
    statements = list(_statements(lines))
    reader = _Reader()
    kind = ""
    body: Iterator[tuple[str, int]] = iter(statements)
    for text, line in body:
        titled = _TITLE.match(text)
        if text.startswith("%%") or titled:
            reader.title = decode_text(titled["title"]) if titled else reader.title
            reader.structure.append(line)
            continue
        kind = text.split()[0]
        if kind.lower() != SEQUENCE.lower():
            return SequenceDiagram(kind, None, (), (), (), ())
        kind = SEQUENCE
        reader.structure.append(line)
        rest = text[len(SEQUENCE) :].strip()
        if rest:
            reader.statement(rest, line)
        break
    for text, line in body:
        reader.statement(text, line)
    for block in reader.blocks:
        reader.problems.append(
            Problem(
                block.line, f"'{block.keyword}' opened here is never closed; add 'end' after it"
            )
        )
    return SequenceDiagram(
        kind,
        reader.title,
        tuple(reader.participants.values()),
        tuple(reader.events),
        tuple(reader.structure),
        tuple(reader.problems),
    )


def _statements(lines: Iterable[Line]) -> Iterator[tuple[str, int]]:
    """Each non-blank statement and its line; mermaid front matter (``---``) read for nothing."""
    in_front_matter = False
    seen_any = False
    for line in lines:
        stripped = line.text.strip()
        if stripped == "---" and (in_front_matter or not seen_any):
            in_front_matter = not in_front_matter
            seen_any = True
            yield "%% front matter", line.number
            continue
        if in_front_matter:
            titled = _TITLE.match(stripped)
            yield (f"title {titled['title']}" if titled else "%% front matter"), line.number
            continue
        if not stripped:
            continue
        if stripped.startswith("%%"):
            yield stripped, line.number
            continue
        seen_any = True
        for part in split_statements(stripped):
            if part.strip():
                yield part.strip(), line.number


def split_statements(text: str) -> list[str]:
    """`text` cut at each bare ``;`` (not the one ending ``&gt;`` or ``#59;``)."""
    parts: list[str] = []
    start = 0
    for found in _STATEMENT_END.finditer(text):
        if found[0] == ";":
            parts.append(text[start : found.start()])
            start = found.end()
    parts.append(text[start:])
    return parts
