"""The ``newc`` cpio archive the kernel unpacks as its initramfs, written in Python.

The format (``Documentation/driver-api/early-userspace/buffer-format.rst``): each
member is a 110-byte ASCII header (magic ``070701`` and thirteen 8-digit hex
fields), its NUL-terminated name, padding to 4 bytes, its data, padding to 4 bytes;
the archive ends with a member named ``TRAILER!!!``. Pure: builds bytes, touches
no file.
"""

from __future__ import annotations

import stat
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["CpioMember", "directory", "file", "newc_archive", "node", "symlink"]

MAGIC = b"070701"
TRAILER = "TRAILER!!!"


@dataclass(frozen=True)
class CpioMember:
    """One member: its path inside the archive (no leading ``/``), mode, data, device."""

    name: str
    mode: int
    """File type and permission bits, as ``st_mode``: ``stat.S_IFREG | 0o755``."""
    data: bytes = b""
    """A file's content, or a symlink's target."""
    rdev: tuple[int, int] = (0, 0)
    """A device node's major and minor numbers."""


def directory(name: str, mode: int = 0o755) -> CpioMember:
    """A directory member."""
    return CpioMember(name, stat.S_IFDIR | mode)


def file(name: str, data: bytes, mode: int = 0o644) -> CpioMember:
    """A regular file member."""
    return CpioMember(name, stat.S_IFREG | mode, data)


def symlink(name: str, target: str) -> CpioMember:
    """A symbolic link member pointing at `target`."""
    return CpioMember(name, stat.S_IFLNK | 0o777, target.encode())


def node(name: str, major: int, minor: int, mode: int = 0o600) -> CpioMember:
    """A character device member (``/dev/console`` must exist before the kernel starts /init)."""
    return CpioMember(name, stat.S_IFCHR | mode, rdev=(major, minor))


def _pad(length: int) -> bytes:
    return b"\0" * (-length % 4)


def _header(member: CpioMember, ino: int) -> bytes:
    name = member.name.encode() + b"\0"
    nlink = 2 if stat.S_ISDIR(member.mode) else 1
    fields = (
        ino,
        member.mode,
        0,  # uid: root
        0,  # gid: root
        nlink,
        0,  # mtime: fixed, so the same input gives the same bytes
        len(member.data),
        0,  # devmajor, devminor: of the filesystem, not needed
        0,
        member.rdev[0],
        member.rdev[1],
        len(name),
        0,  # check: only for the "070702" variant
    )
    header = MAGIC + b"".join(b"%08X" % value for value in fields) + name
    return header + _pad(len(header))


def newc_archive(members: Iterable[CpioMember]) -> bytes:
    """The archive holding `members` in order (a directory before what is inside it)."""
    parts: list[bytes] = []
    ino = 0
    for ino, member in enumerate(members, start=1):
        if member.name.startswith("/") or not member.name:
            raise ValueError(f"cpio member name {member.name!r} must be relative and not empty")
        parts += (_header(member, ino), member.data, _pad(len(member.data)))
    parts.append(_header(CpioMember(TRAILER, 0), ino + 1))
    return b"".join(parts)
