"""Reading a note's Markdown: fences, tables and headings at the file's own 1-based lines."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from lab import InputError, NoteError
from lab.notes import read_note
from lab.notes._file import decode_note, read_note_file
from lab.notes._markdown import Line, read_markdown

NOTE = """\
---
title: "A note"
tags: [tcp]
---

# Heading one

```mermaid
sequenceDiagram
    A->>B: SYN
```

> ```mermaid
> sequenceDiagram
> B->>A: RST
> ```

- a list item

  ~~~ Mermaid title="in a list"
  sequenceDiagram
  A->>B: FIN
  ~~~

| **Side** | `State` | What \\| happens |
|----------|---------|----------------|
| Alice    | `SYN_SENT` | sent<br>SYN |
| Bob |

```python
print("unclosed")
"""


def test_front_matter_is_skipped_but_keeps_line_numbers_and_gives_the_title() -> None:
    doc = read_markdown(NOTE)
    assert doc.title == "A note"
    assert [(h.line, h.level, h.text) for h in doc.headings] == [(6, 1, "Heading one")]
    assert doc.line(6) == "# Heading one"


def test_fences_have_their_language_and_the_line_of_every_content_line() -> None:
    doc = read_markdown(NOTE)
    mermaid = [f for f in doc.fences if f.language == "mermaid"]
    assert [(f.first, f.last) for f in mermaid] == [(8, 11), (13, 16), (20, 23)]
    assert mermaid[0].lines == (Line(9, "sequenceDiagram"), Line(10, "    A->>B: SYN"))
    assert mermaid[1].lines == (Line(14, "sequenceDiagram"), Line(15, "B->>A: RST"))  # quoted
    assert mermaid[2].lines[1] == Line(22, "A->>B: FIN")  # in a list, ~~~, info words
    for fence in mermaid:
        for line in fence.lines:
            assert NOTE.splitlines()[line.number - 1].endswith(line.text)


def test_an_unclosed_fence_runs_to_the_end() -> None:
    doc = read_markdown(NOTE)
    python = doc.fences[-1]
    assert python.language == "python"
    assert python.lines == (Line(31, 'print("unclosed")'),)
    assert python.last == 31


def test_tables_have_cells_as_shown_and_the_line_of_each_row() -> None:
    doc = read_markdown(NOTE)
    [table] = doc.tables
    assert (table.first, table.last) == (25, 28)
    assert table.header.cells == ("Side", "State", "What | happens")
    assert table.header.line == 25
    assert [(r.line, r.cells) for r in table.rows] == [
        (27, ("Alice", "SYN_SENT", "sent SYN")),
        (28, ("Bob", "", "")),  # short rows are filled to the header's width
    ]
    assert table.rows[0].text == "| Alice    | `SYN_SENT` | sent<br>SYN |"


def test_a_thematic_break_at_the_top_is_not_front_matter() -> None:
    doc = read_markdown("---\n\n# Title\n")
    assert doc.title == "Title"
    assert doc.headings[0].line == 3


def test_a_byte_order_mark_says_the_encoding() -> None:
    text = "# 노트\n\n| Side | State |\n|---|---|\n| 클라이언트 | SYN_SENT |\n"
    for encoded in (codecs.BOM_UTF8 + text.encode(), text.encode("utf-16")):
        assert decode_note(encoded, "n.md") == text


def test_bytes_that_are_not_utf8_are_one_error_at_their_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "latin1.md"
    path.write_bytes("# Notes\n\nCafé: SYN\n".encode("latin-1"))
    with pytest.raises(NoteError) as caught:
        read_note_file(path)
    error = caught.value
    assert isinstance(error, InputError)
    assert error.path == "line 3, column 4"
    assert "byte 0xe9 is not UTF-8 text" in error.problem
    assert "save the note as UTF-8" in error.fix
    assert str(error).startswith(f"{path}: line 3, column 4: ")


def test_binary_files_missing_files_and_folders_are_one_error_each(tmp_path: Path) -> None:
    (tmp_path / "image.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    cases = {
        tmp_path / "image.md": "the file holds NUL bytes, so it is binary, not a Markdown note",
        tmp_path / "missing.md": "there is no such file",
        tmp_path: "this is a directory, not a file",
    }
    for path, problem in cases.items():
        with pytest.raises(NoteError) as caught:
            read_note_file(path)
        assert caught.value.problem == problem
        assert caught.value.fix


def test_a_rule_then_markdown_then_a_rule_is_not_front_matter() -> None:
    text = (
        "---\n# Title\n\n```mermaid\nsequenceDiagram\n    A->>B: SYN\n    B->>A: SYN, ACK\n"
        "    A->>B: ACK\n```\n\n---\n"
    )
    assert len(read_note(text, "rule.md").diagrams) == 1
    yaml = "---\ntitle: x\ntags: [a, b]\nauthors:\n  - me\n# a comment\n---\n# T\n"
    assert read_note(yaml, "front.md").title == "x"
