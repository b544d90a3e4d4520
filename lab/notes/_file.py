"""A note's file as text: any extension, UTF-8 (or UTF-16/32 with a BOM), errors that say where.

    text = read_note_file("docs/tcp.md")     # NoteError: docs/tcp.md: line 7, column 12: ...

Pure: no kernel access.
"""

from __future__ import annotations

import codecs
import os
from typing import Final

from lab._errors import NoteError
from lab._reader import read_bytes

__all__ = ["NOTE_SUFFIXES", "decode_note", "read_note_file"]

NOTE_SUFFIXES: Final = frozenset({".md", ".markdown", ".mdown", ".mkd", ".txt"})
"""The extensions of the notes found in a folder (`lab check docs/`, `--lab-notes docs`); a
note named on its own is read whatever its extension."""

# Byte order marks and the codec each announces, longest first (UTF-32's begins like UTF-16's).
_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SAVE_AS_UTF8: Final = "save the note as UTF-8 text (most editors offer it under 'Save as')"


def read_note_file(path: str | os.PathLike[str]) -> str:
    """The text of the note at `path`, or a `NoteError` saying why it cannot be read."""
    source = os.fspath(path)
    data = read_bytes(
        source, source, NoteError, missing=lambda: "check the path (any Markdown file will do)"
    )
    return decode_note(data, source)


def decode_note(data: bytes, source: str) -> str:
    """`data` as text: UTF-8, or what its byte order mark says; NoteError at the first bad byte."""
    codec = next((name for bom, name in _BOMS if data.startswith(bom)), "utf-8")
    if codec == "utf-8" and b"\x00" in data:
        raise NoteError(
            source,
            _where(data, data.index(b"\x00")),
            "the file holds NUL bytes, so it is binary, not a Markdown note",
            "name a Markdown file (.md, .markdown, .txt)",
        )
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as error:
        raise NoteError(
            source,
            _where(data, error.start),
            f"byte {data[error.start]:#04x} is not {codec.upper().removesuffix('-SIG')} text",
            _SAVE_AS_UTF8,
        ) from None
    if "\x00" in text:
        raise NoteError(
            source,
            "",
            "the text holds NUL characters, so it is binary, not a Markdown note",
            "name a Markdown file (.md, .markdown, .txt)",
        )
    return text


def _where(data: bytes, offset: int) -> str:
    """``line N, column M`` of byte `offset` (1-based, columns in bytes) in UTF-8ish `data`."""
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"
