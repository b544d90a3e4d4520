"""What a kernel to boot is, and what booting it and running one command gave.

Shared by the cache (`lab.vm._fetch`, `lab.vm._catalog`) and the runner
(`lab.vm._qemu`). Pure data: no process is started here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["GuestRun", "KernelImage"]


@dataclass(frozen=True)
class KernelImage:
    """A bootable kernel: its image and the matching modules tree (``depmod`` run)."""

    name: str
    """What the user called it and what reports head its column with: ``6.1``."""
    release: str
    """What ``uname -r`` says inside: ``6.1.0-57-amd64``."""
    vmlinuz: Path
    """The compressed kernel image qemu boots (``-kernel``)."""
    modules: Path
    """The directory ``lib/modules/RELEASE`` with ``modules.dep`` in it."""
    package: str | None = None
    """The Debian package it came from (``linux-image-6.1.0-57-amd64``), None for a path."""
    version: str | None = None
    """That package's version (``6.1.192-3``), None for a path."""


@dataclass(frozen=True)
class GuestRun:
    """One boot of a kernel that ran one command, and how it ended."""

    kernel: KernelImage
    status: int | None
    """The command's exit status; None when it never ran to the end (see `reason`)."""
    reason: str | None
    """One line on why there is no status (boot failed, timed out); None when there is."""
    accel: str
    """``kvm`` or ``tcg`` (software emulation), as qemu ran."""
    boot_seconds: float
    """From starting qemu to the command starting inside."""
    run_seconds: float
    """The command's own time inside the guest (0 when it never started)."""
    console_log: Path
    """Everything the guest printed on its console: the first place to look when it failed."""
