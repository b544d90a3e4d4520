"""The command a guest runs: the one the user typed, less what chose the VM.

`lab check --kernels` and `pytest --lab-kernel` both run, inside each kernel,
the command they were given, without the options that only the outer command
handles, and with this process's environment less what names this machine's
desktop session. Pure.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Final

__all__ = ["guest_environment", "without_options"]

_SESSION_ONLY: Final = ("DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS")
"""Variables naming things of this machine's session that a guest does not have."""


def without_options(argv: Sequence[str], options: Mapping[str, bool]) -> list[str]:
    """`argv` without each of `options` (True: it takes a value, as ``--x V`` or ``--x=V``)."""
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        name, equals, _ = arg.partition("=")
        if name in options:
            skip = options[name] and not equals
            continue
        kept.append(arg)
    return kept


def guest_environment() -> dict[str, str]:
    """This process's environment, less the variables of this machine's session."""
    return {name: value for name, value in os.environ.items() if name not in _SESSION_ONLY}
