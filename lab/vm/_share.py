"""The directory a guest writes its results to: made per run, removed after it.

A guest's own ``/tmp`` is a throwaway layer, so what it must hand back (the
check's JSON, pytest's reports, its console log) goes to a directory of this
machine that the guest sees, writable, at the same path. `guest_share` makes
one under the temporary directory, named after the process that owns it, and
removes it when the run ends, kept only when asked (a failure whose console log
the user must be able to read).

A process killed outright (SIGKILL) cannot remove its own, so each share has a
reaper: a small shell, in a session of its own (Ctrl-C does not reach it), that
reads from a pipe only the owner holds. The owner's death, however it comes,
closes the pipe; the reaper then removes the share, unless the owner wrote
``keep`` first. Should even the reaper be killed, the next `guest_share` of any
process removes the shares of owners that no longer run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PREFIX", "GuestShare", "guest_share", "stale_shares"]

PREFIX = "lab-vm-"
"""``lab-vm-PID-XXXXXXXX``: the owner's pid, then mkdtemp's random part."""


def _owner(path: Path) -> int | None:
    """The pid in a share's name, None when the name is not one of ours."""
    rest = path.name.removeprefix(PREFIX)
    pid, _, random_part = rest.partition("-")
    return int(pid) if path.name.startswith(PREFIX) and pid.isdigit() and random_part else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive, and not ours to judge
        return True
    return True


def stale_shares(root: Path | None = None) -> list[Path]:
    """This user's shares whose owner no longer runs (left by a SIGKILL)."""
    base = Path(root or tempfile.gettempdir())
    found = []
    with suppress(OSError):
        for path in base.iterdir():
            pid = _owner(path)
            if pid is not None and not _alive(pid) and path.stat().st_uid == os.getuid():
                found.append(path)
    return sorted(found)


@dataclass
class GuestShare:
    """A share for one guest run; set `keep` to leave it (and its console log) behind."""

    path: Path
    keep: bool = False


@contextmanager
def guest_share(root: Path | None = None) -> Iterator[GuestShare]:
    """A new, empty share for one guest run, removed afterwards unless its `keep` was set."""
    for stale in stale_shares(root):
        shutil.rmtree(stale, ignore_errors=True)
    share = GuestShare(Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=root)))
    share.path.chmod(0o755)  # the guest's root reads it over a 9p export that keeps modes
    reader, writer = os.pipe()  # not inherited by anything else this process starts
    try:
        reaper = subprocess.Popen(
            ["/bin/sh", "-c", _REAPER, "reaper", str(share.path)],
            stdin=reader,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    finally:
        os.close(reader)
    try:
        yield share
    finally:
        with suppress(OSError):
            os.write(writer, b"keep\n" if share.keep else b"done\n")
        os.close(writer)
        if not share.keep:
            shutil.rmtree(share.path, ignore_errors=True)
        with suppress(subprocess.TimeoutExpired):
            reaper.wait(timeout=5)


_REAPER = 'read -r word; [ "$word" = keep ] || rm -rf -- "$1"'
"""Waits for the owner's word, or for its death (end of file): removes the share unless kept."""
