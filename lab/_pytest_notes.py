"""Study notes as pytest items: ``pytest --lab-notes docs/`` (the plugin's collection half).

Each Markdown file under the named directories (``.md``, ``.markdown``, ``.mdown``,
``.mkd``, ``.txt``; a file named directly is read whatever its extension) that
has anything TCP in it becomes a `NoteFile`, and each of its diagrams and
tables an item: ``docs/tcp.md::L20-41 close``. The note is checked once per
process, on its first item (every diagram over every family, in fresh labs);
each item then passes or fails on the claims within its lines, and a failure
shows the line-numbered report of that block. Imported by the plugin only
when notes are collected or `tcp_note` is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lab._errors import LabError
from lab._notecheck import NoteCheck, check_note
from lab.notes import NOTE_SUFFIXES, Note, load_note
from lab.topology import Topology

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr, TracebackStyle

__all__ = ["NOTE_SUFFIXES", "NoteDisagrees", "NoteFile", "NoteItem", "is_note"]


class NoteDisagrees(AssertionError):
    """The kernel disagrees with a note: the message is the line-numbered report."""


def is_note(path: Path, roots: list[Path]) -> bool:
    """Whether `path` is to be collected: named itself, or a Markdown file under a root."""
    resolved = path.resolve()
    for root in roots:
        if resolved == root:
            return True
        if root.is_dir() and resolved.is_relative_to(root) and path.suffix in NOTE_SUFFIXES:
            return True
    return False


class NoteFile(pytest.File):
    """A note with TCP in it: one item per diagram and per table."""

    topology: Topology
    note: Note
    """Read once, when collected; checked on the first item's run."""

    def collect(self) -> Iterator[NoteItem]:
        try:
            self.note = load_note(self.path)
        except LabError as error:
            raise self.CollectError(str(error)) from None
        for first, last, label in self.note.blocks:
            item = NoteItem.from_parent(self, name=label, lines=(first, last))
            item.add_marker(pytest.mark.kernel)
            yield item

    def checked(self) -> NoteCheck:
        """The whole note checked on the kernel, once per process (a failure to check, too)."""
        if not hasattr(self, "_checked"):
            try:
                self._checked: NoteCheck | LabError = check_note(self.note, self.topology)
            except LabError as error:
                self._checked = error
        if isinstance(self._checked, LabError):
            raise self._checked
        return self._checked


class NoteItem(pytest.Item):
    """A diagram or table of a note: passes when no claim within its lines fails."""

    def __init__(self, *, lines: tuple[int, int], **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.lines = lines

    def runtest(self) -> None:
        parent = self.parent
        assert isinstance(parent, NoteFile)
        check = parent.checked()
        first, last = self.lines
        failed = sorted(
            {c.line for c in check.claims if first <= c.line <= last and c.verdict == "fail"}
        )
        if failed:
            where = ", ".join(map(str, failed))
            raise NoteDisagrees(
                f"line(s) {where} disagree with the kernel\n\n" + check.report(self.lines)
            )

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: TracebackStyle | None = None,
    ) -> str | TerminalRepr:
        """The line-numbered report (or lab's one-sentence error), without a traceback."""
        if isinstance(excinfo.value, (NoteDisagrees, LabError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int, str]:
        # The domain is the name alone: pytest shows ``docs/tcp.md::L20-41 close`` from it
        # (it turns the dots of a domain ending the node id into ``::``).
        return self.path, self.lines[0] - 1, self.name
