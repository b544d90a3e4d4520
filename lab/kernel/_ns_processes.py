"""Processes that run inside given network namespaces: found by their namespace, and stopped.

A kept lab (`lab up`) outlives its namespaces' pins only through what still
uses them: a program started with ``ip netns exec lab-NAME.HOST`` (or
``lab exec``) keeps its namespace, and itself, running after ``lab down``.
`processes_in` finds such programs by comparing the inode of each process's
``/proc/PID/ns/net`` with the namespaces' inodes; `stop` sends them SIGTERM,
then SIGKILL to those still running after a grace period. Signals go through
pidfds opened before the namespace is checked again, so a PID reused in the
meantime is never signalled.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

GRACE = 2.0
"""Seconds a process gets to end after SIGTERM before SIGKILL."""


@dataclass(frozen=True)
class NamespaceProcess:
    """A process found inside one of the namespaces asked about."""

    pid: int
    name: str
    """Its command name (``/proc/PID/comm``)."""
    netns: int
    """The inode of its network namespace."""

    def __str__(self) -> str:
        return f"{self.name} (pid {self.pid})"


@dataclass(frozen=True)
class Stopped:
    """What `stop` did: processes that ended on SIGTERM, and those that needed SIGKILL."""

    terminated: tuple[NamespaceProcess, ...] = ()
    killed: tuple[NamespaceProcess, ...] = ()
    survivors: tuple[NamespaceProcess, ...] = ()
    """Still running even after SIGKILL (a process stuck in the kernel)."""

    @property
    def count(self) -> int:
        return len(self.terminated) + len(self.killed)

    def __str__(self) -> str:
        """``stopped 2 processes running in it (sleep (pid 12), ...); 1 needed SIGKILL``."""
        if not self.count and not self.survivors:
            return "no process was running in it"
        stopped = [*self.terminated, *self.killed]
        text = f"stopped {self.count} process{'' if self.count == 1 else 'es'} running in it"
        text += f" ({', '.join(map(str, stopped))})" if stopped else ""
        if self.killed:
            text += f"; {len(self.killed)} needed SIGKILL"
        if self.survivors:
            text += f"; still running: {', '.join(map(str, self.survivors))}"
        return text


def namespace_inode(path: str | os.PathLike[str]) -> int | None:
    """The inode of the namespace pinned or linked at `path`; None if it is gone."""
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def processes_in(inodes: Collection[int]) -> list[NamespaceProcess]:
    """Every process (this one aside) whose network namespace is one of `inodes`.

    Processes this user may not inspect (another user's, without root) are not seen.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            inode = os.stat(entry / "ns" / "net").st_ino
            if inode not in inodes:
                continue
            name = (entry / "comm").read_text().strip()
        except OSError:  # gone meanwhile, a zombie, or not ours to look at
            continue
        found.append(NamespaceProcess(int(entry.name), name, inode))
    return found


def stop(processes: Sequence[NamespaceProcess], *, grace: float = GRACE) -> Stopped:
    """SIGTERM each process, and SIGKILL those still running `grace` seconds later."""
    pidfds = {}
    for process in processes:
        try:
            fd = os.pidfd_open(process.pid)
        except ProcessLookupError:
            continue  # it ended by itself
        if _netns_of(process.pid) != process.netns:  # ended, and its PID went to another
            os.close(fd)
            continue
        pidfds[process] = fd
    try:
        _signal(pidfds, signal.SIGTERM)
        running = _wait(pidfds, grace)
        _signal({p: pidfds[p] for p in running}, signal.SIGKILL)
        survivors = _wait({p: pidfds[p] for p in running}, grace)
    finally:
        for fd in pidfds.values():
            os.close(fd)
    return Stopped(
        terminated=tuple(p for p in pidfds if p not in running),
        killed=tuple(p for p in running if p not in survivors),
        survivors=tuple(survivors),
    )


def _netns_of(pid: int) -> int | None:
    return namespace_inode(f"/proc/{pid}/ns/net")


def _signal(pidfds: dict[NamespaceProcess, int], signum: int) -> None:
    for fd in pidfds.values():
        with contextlib.suppress(ProcessLookupError):  # already ended
            signal.pidfd_send_signal(fd, signum)


def _wait(pidfds: dict[NamespaceProcess, int], timeout: float) -> list[NamespaceProcess]:
    """Wait up to `timeout` s for the processes to end; returns those still running."""
    poller = select.poll()
    by_fd = {fd: process for process, fd in pidfds.items()}
    for fd in by_fd:
        poller.register(fd, select.POLLIN)
    deadline = time.monotonic() + timeout
    while by_fd and (left := deadline - time.monotonic()) > 0:
        for fd, _event in poller.poll(left * 1000):
            poller.unregister(fd)
            del by_fd[fd]
    return list(by_fd.values())
