"""Where `lab check` writes: result files checked before the check runs, and its pcap folder.

An output file (``--json FILE``) is opened at the start, so a path that
cannot be written is bad input (one line, exit status 2) before any lab is
built, not a traceback after the whole check. ``-`` means standard output.
The file is written once, at the end; if the check never got there, a file
that did not exist before is removed again.

Pcaps go to ``--pcap-dir`` (kept), or else to a new ``/tmp/lab-check-*``
folder that is removed at the end unless something failed.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Final

from lab.cli._parser import UsageError

STDOUT: Final = "-"

_FIXES: Final = {
    errno.ENOENT: "the folder {parent} does not exist; create it first, or choose another path",
    errno.EISDIR: "it is a folder; name a file in it, such as {path}/{example}",
    errno.ENOTDIR: "{parent} is not a folder; choose another path",
    errno.EEXIST: "it is a file, not a folder; choose a folder",
    errno.EACCES: "permission denied; choose a path you may write",
    errno.EPERM: "permission denied; choose a path you may write",
    errno.EROFS: "the file system is read-only; choose another path",
}
"""How to fix each way making an output file or folder fails, by errno."""


def _why(error: OSError, path: Path, example: str = "") -> str:
    """What went wrong at `path` and how to fix it, for one line."""
    fix = _FIXES.get(error.errno or 0)
    if fix is None or (error.errno == errno.ENOENT and path.parent.is_dir()):
        return f"{error.strerror}; choose another path"
    return fix.format(parent=path.parent, path=path, example=example)


class OutputFile:
    """A file a command writes at its end, opened (so checked) at its start."""

    def __init__(self, text: str, option: str, *, example: str, what: str) -> None:
        self.option = option
        self.what = what
        """What goes in it, for messages: ``JSON``."""
        self.to_stdout = text == STDOUT
        self.path = None if self.to_stdout else Path(text)
        self._created = False
        self._file: IO[str] | None = None
        if self.path is None:
            return
        existed = os.path.lexists(self.path)
        try:
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept until write
        except OSError as error:
            why = _why(error, self.path, example)
            raise UsageError(f"{option} {text}: cannot write there: {why}") from None
        self._created = not existed

    @property
    def where(self) -> str:
        """``standard output`` or the path, for messages."""
        return "standard output" if self.path is None else str(self.path)

    def write(self, content: str) -> None:
        """Replace the file's content with `content` (or print it), and close it."""
        if self._file is None:
            sys.stdout.write(content)
            sys.stdout.flush()
            return
        with self._file as f:
            if stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                f.seek(0)
                f.truncate()
            f.write(content)
        self._file = None
        self._created = False

    def discard(self) -> None:
        """Nothing will be written: close, and remove the file if opening created it."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._created and self.path is not None:
            self.path.unlink(missing_ok=True)
            self._created = False


class PcapFolder:
    """Where a check's pcaps go: a folder asked for (always kept) or a temporary one."""

    @classmethod
    def made(cls, given: str | None, stack: ExitStack) -> PcapFolder:
        """The folder, made now; removed when `stack` closes if `finish` never decided.

        Ctrl-C is held back between making the folder and registering its
        removal, so no moment leaves a temporary folder behind.
        """
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            folder = cls(given)
            stack.callback(folder.abandon)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        return folder

    def __init__(self, given: str | None) -> None:
        self.asked = given is not None
        self.finished = False
        if given is None:
            self.path = Path(tempfile.mkdtemp(prefix="lab-check-"))
            return
        self.path = Path(given)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            why = _why(error, self.path)
            raise UsageError(f"--pcap-dir {given}: cannot make the folder: {why}") from None

    def finish(self, *, failed: bool) -> str:
        """Keep the pcaps if they were asked for or something failed, else remove them.

        Returns what became of them, for the report's last line.
        """
        self.finished = True
        if self.asked:
            return f"pcaps in {self.path}"
        if failed:
            return f"pcaps kept in {self.path} (something failed)"
        shutil.rmtree(self.path, ignore_errors=True)
        return "pcaps not kept (nothing failed; --pcap-dir DIR keeps them)"

    def abandon(self) -> None:
        """The check ended before deciding (Ctrl-C): a temporary folder goes."""
        if not self.finished and not self.asked:
            self.finish(failed=False)
