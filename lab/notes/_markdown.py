"""A Markdown note's blocks: fenced code, tables and headings, each with its 1-based lines.

    doc = read_markdown(text)
    doc.fences[0].language          # "mermaid"
    doc.fences[0].lines[0]          # Line(number=12, text="sequenceDiagram")
    doc.tables[0].header.cells      # ("Side", "State", "What happens")
    doc.tables[0].rows[0].line      # 28

markdown-it-py parses the text (CommonMark with GitHub's tables), so fences
inside lists and block quotes, escaped pipes and inline code in cells read the
way a Markdown viewer shows them. YAML front matter is blanked before parsing,
keeping every line number the file's own; lines are 1-based, as editors show
them. Pure: no kernel access.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["Fence", "Heading", "Line", "Markdown", "Table", "TableRow", "read_markdown"]

_PARSER: Final = MarkdownIt("commonmark").enable("table")

_FRONT_MATTER_OPEN: Final = "---"
_FRONT_MATTER_CLOSE: Final = ("---", "...")
_FRONT_MATTER_TITLE: Final = re.compile(r"^title:\s*(?P<title>.*?)\s*$")

# Inline tokens whose text a reader sees in a table cell or heading; markup (**, `) is dropped.
_TEXT_TOKENS: Final = {"text", "code_inline"}
_BREAK_TOKENS: Final = {"softbreak", "hardbreak", "html_inline"}


@dataclass(frozen=True)
class Line:
    """One line of the file: its 1-based number and its text (without the line break)."""

    number: int
    text: str


@dataclass(frozen=True)
class Fence:
    """A fenced code block: its language, content lines, and the lines of its fences."""

    language: str
    """The info string's first word, lower-case (``mermaid``); "" when there is none."""
    first: int
    """The line of the opening fence."""
    last: int
    """The line of the closing fence (the block's last line when it is never closed)."""
    lines: tuple[Line, ...]
    """The content, one `Line` each, with the indentation a list or quote adds removed."""


@dataclass(frozen=True)
class TableRow:
    """One row of a table: its line, the text of each cell, and the line as written."""

    line: int
    cells: tuple[str, ...]
    """Each cell as a reader sees it (``**SYN**`` is ``SYN``); as many as the header has."""
    text: str


@dataclass(frozen=True)
class Table:
    """A table: its header row and body rows."""

    first: int
    last: int
    header: TableRow
    rows: tuple[TableRow, ...]


@dataclass(frozen=True)
class Heading:
    """A heading: its line, level (1 for ``#``) and text."""

    line: int
    level: int
    text: str


@dataclass(frozen=True)
class Markdown:
    """What a note's Markdown holds, in file order."""

    lines: tuple[str, ...]
    """Every line of the file, for quoting (`line` reads them by number)."""
    title: str | None
    """The front matter's ``title:``, or the first level-1 heading; None without either."""
    fences: tuple[Fence, ...]
    tables: tuple[Table, ...]
    headings: tuple[Heading, ...]

    def line(self, number: int) -> str:
        """The text of 1-based line `number`, stripped; "" outside the file."""
        if 1 <= number <= len(self.lines):
            return self.lines[number - 1].strip()
        return ""

    def heading_above(self, line: int) -> Heading | None:
        """The nearest heading above `line`, or None."""
        above = [h for h in self.headings if h.line < line]
        return above[-1] if above else None


def read_markdown(text: str) -> Markdown:
    """The fences, tables and headings of Markdown `text`, with the file's line numbers."""
    lines = tuple(text.splitlines())
    body, front_title = _without_front_matter(lines)
    tokens = _PARSER.parse("\n".join(body))
    fences: list[Fence] = []
    tables: list[Table] = []
    headings: list[Heading] = []
    for index, token in enumerate(tokens):
        if token.type == "fence" and token.map:
            fences.append(_fence(token))
        elif token.type == "table_open" and token.map:
            tables.append(_table(tokens, index, lines))
        elif token.type == "heading_open" and token.map:
            inline = tokens[index + 1]
            headings.append(Heading(token.map[0] + 1, int(token.tag[1:]), _plain(inline)))
    first_heading = next((h.text for h in headings if h.level == 1), None)
    return Markdown(
        lines=lines,
        title=front_title or first_heading,
        fences=tuple(fences),
        tables=tuple(tables),
        headings=tuple(headings),
    )


_YAML_LINE: Final = re.compile(r"^(?:\s*$|\s*#|[\w.-][\w .-]*:(?:\s|$)|\s+\S|-\s|-$)")
"""A line front matter may hold: blank, a comment, ``key:``, an indented continuation, or a
list item. A heading (``# Title``) or a fence is Markdown: the ``---`` above it is a rule."""


def _without_front_matter(lines: tuple[str, ...]) -> tuple[list[str], str | None]:
    """The lines with YAML front matter blanked (so numbers stay), and its title if any."""
    if not lines or lines[0].strip() != _FRONT_MATTER_OPEN:
        return list(lines), None
    for end in range(1, len(lines)):
        if lines[end].strip() in _FRONT_MATTER_CLOSE:
            if not all(_YAML_LINE.match(line) for line in lines[1:end]):
                return list(lines), None  # a rule, Markdown, then a rule: not front matter
            title = None
            for line in lines[1:end]:
                found = _FRONT_MATTER_TITLE.match(line)
                if found:
                    title = found["title"].strip("'\"") or None
            return [""] * (end + 1) + list(lines[end + 1 :]), title
    return list(lines), None  # no closing line: a thematic break, not front matter


def _fence(token: Token) -> Fence:
    """A fence token as a `Fence`: content line i is the opening fence's line plus 1 + i."""
    assert token.map is not None
    start, end = token.map
    content = token.content.split("\n")
    if content and content[-1] == "":
        content.pop()  # the content ends with a line break
    language = token.info.strip().split(maxsplit=1)[0].lower() if token.info.strip() else ""
    return Fence(
        language=language.strip("{}."),  # {mermaid} and {.mermaid} (Pandoc, some wikis)
        first=start + 1,
        last=end,
        lines=tuple(Line(start + 2 + i, text) for i, text in enumerate(content)),
    )


def _table(tokens: Sequence[Token], start: int, lines: tuple[str, ...]) -> Table:
    """The table whose ``table_open`` is tokens[start]: its rows with their lines and cells."""
    opening = tokens[start]
    assert opening.map is not None
    rows: list[TableRow] = []
    cells: list[str] = []
    row_line = 0
    for token in tokens[start + 1 :]:
        if token.type == "table_close":
            break
        if token.type == "tr_open":
            cells = []
            row_line = (token.map[0] if token.map else opening.map[0]) + 1
        elif token.type == "inline":
            cells.append(_plain(token))
        elif token.type == "tr_close":
            text = lines[row_line - 1].strip() if row_line <= len(lines) else ""
            rows.append(TableRow(row_line, tuple(cells), text))
    header, *body = rows
    width = len(header.cells)
    body = [
        TableRow(r.line, (*r.cells, *("",) * (width - len(r.cells)))[:width], r.text) for r in body
    ]
    return Table(opening.map[0] + 1, opening.map[1], header, tuple(body))


def _plain(inline: Token) -> str:
    """The text of an inline token as a reader sees it: markup dropped, breaks as spaces."""
    parts: list[str] = []
    for child in inline.children or ():
        if child.type in _TEXT_TOKENS:
            parts.append(child.content)
        elif child.type in _BREAK_TOKENS:
            parts.append(" ")
    return " ".join("".join(parts).split())
