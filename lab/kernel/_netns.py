"""Network namespaces held by file descriptors.

A lab namespace is anonymous: this process creates it with unshare(2) in the
calling thread, keeps an open descriptor of it and moves the thread back. Only
that descriptor (plus sockets and processes inside) keeps it alive, so when
the process dies, even by SIGKILL, the kernel reclaims the namespace and
everything in it. Nothing appears under /run/netns unless `lab up` pins it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from lab.kernel import _syscalls

_THREAD_NETNS = "/proc/thread-self/ns/net"

_where = threading.local()
"""``_where.netns``: the namespace this thread is inside through `created` or `entered`."""


def _open_ns(path: str) -> int:
    return os.open(path, os.O_RDONLY | os.O_CLOEXEC)


class NetNamespace:
    """One network namespace, kept alive by an open file descriptor."""

    def __init__(self, fd: int, label: str) -> None:
        self._fd: int | None = fd
        self.label = label
        """Who it belongs to, for error messages (a host name)."""
        self.inode = os.fstat(fd).st_ino
        """The namespace's identity, as ``ls -l /proc/PID/ns/net`` and ``lsns`` show it."""

    @classmethod
    def create(cls, label: str) -> NetNamespace:
        """A new, empty namespace (only a down `lo`); the calling thread stays where it was."""
        with cls.created(label) as netns:
            return netns

    @classmethod
    @contextmanager
    def created(cls, label: str) -> Iterator[NetNamespace]:
        """A new namespace, with the calling thread inside it until the block ends.

        What the block does there (open sockets, write sysctls, `entered`)
        needs no further setns(2). The caller owns the namespace from the
        first line of the block: an error later in it does not close it.
        """
        home = _open_ns(_THREAD_NETNS)
        try:
            _syscalls.unshare(_syscalls.CLONE_NEWNET)
            try:
                netns = cls(_open_ns(_THREAD_NETNS), label)
                with netns._inside():
                    yield netns
            finally:
                _syscalls.setns(home, _syscalls.CLONE_NEWNET)
        finally:
            os.close(home)

    @classmethod
    def open(cls, path: str, label: str) -> NetNamespace:
        """The namespace at `path` (/run/netns/NAME, /proc/PID/ns/net)."""
        return cls(_open_ns(path), label)

    @property
    def fd(self) -> int:
        if self._fd is None:
            raise ValueError(f"the network namespace of {self.label} is already closed")
        return self._fd

    @property
    def closed(self) -> bool:
        return self._fd is None

    @contextmanager
    def entered(self) -> Iterator[None]:
        """Run the block with the calling thread inside this namespace.

        Sockets (netlink, packet, TCP) created in the block belong to this
        namespace for their whole life, whichever thread uses them later.
        Free when the thread is already inside (in `created` or `entered`).
        """
        if getattr(_where, "netns", None) is self:
            yield
            return
        home = _open_ns(_THREAD_NETNS)
        try:
            _syscalls.setns(self.fd, _syscalls.CLONE_NEWNET)
            try:
                with self._inside():
                    yield
            finally:
                _syscalls.setns(home, _syscalls.CLONE_NEWNET)
        finally:
            os.close(home)

    @contextmanager
    def _inside(self) -> Iterator[None]:
        outer = getattr(_where, "netns", None)
        _where.netns = self
        try:
            yield
        finally:
            _where.netns = outer

    def close(self) -> None:
        """Drop our reference; the kernel destroys the namespace when nothing else holds it."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __repr__(self) -> str:
        state = "closed" if self._fd is None else f"net:[{self.inode}]"
        return f"<NetNamespace {self.label} {state}>"
