"""How much longer things take here than on the machine lab's waits were set on.

A guest that qemu emulates in software (no KVM) runs some 10 to 30 times slower:
Python starts in seconds, a server takes seconds to listen. `lab.vm` tells the
command it runs (``LAB_GUEST_ACCEL=tcg``); lab's own default waits, and the test
suite's timing margins, are multiplied by `slowdown` there. Pure: reads the
environment only.
"""

from __future__ import annotations

import os
from typing import Final

__all__ = ["EMULATED_SLOWDOWN", "GUEST_ACCEL", "emulated", "slowdown"]

GUEST_ACCEL: Final = "LAB_GUEST_ACCEL"
"""Set by `lab.vm` in the command's environment: ``kvm``, or ``tcg`` when emulated."""

EMULATED_SLOWDOWN: Final = 20.0
"""What a wait is multiplied by in an emulated guest (measured: 10 to 30 times slower)."""


def emulated() -> bool:
    """Whether this process runs in a guest that qemu emulates in software."""
    return os.environ.get(GUEST_ACCEL) == "tcg"


def slowdown() -> float:
    """`EMULATED_SLOWDOWN` in an emulated guest, else 1."""
    return EMULATED_SLOWDOWN if emulated() else 1.0
