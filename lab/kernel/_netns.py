"""Network namespaces held by file descriptors.

A lab namespace is anonymous: this process creates it with unshare(2) in the
calling thread, keeps an open descriptor of it and moves the thread back. Only
that descriptor (plus sockets and processes inside) keeps it alive, so when
the process dies, even by SIGKILL, the kernel reclaims the namespace and
everything in it. Nothing appears under /run/netns unless `lab up` pins it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from lab.kernel import _syscalls

_THREAD_NETNS = "/proc/thread-self/ns/net"


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
        home = _open_ns(_THREAD_NETNS)
        try:
            _syscalls.unshare(_syscalls.CLONE_NEWNET)
            try:
                fd = _open_ns(_THREAD_NETNS)
            finally:
                _syscalls.setns(home, _syscalls.CLONE_NEWNET)
        finally:
            os.close(home)
        return cls(fd, label)

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
        """
        home = _open_ns(_THREAD_NETNS)
        try:
            _syscalls.setns(self.fd, _syscalls.CLONE_NEWNET)
            try:
                yield
            finally:
                _syscalls.setns(home, _syscalls.CLONE_NEWNET)
        finally:
            os.close(home)

    def close(self) -> None:
        """Drop our reference; the kernel destroys the namespace when nothing else holds it."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __repr__(self) -> str:
        state = "closed" if self._fd is None else f"net:[{self.inode}]"
        return f"<NetNamespace {self.label} {state}>"
