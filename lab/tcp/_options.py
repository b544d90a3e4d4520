"""TCP options as a segment carries them, and the names the tables give them.

    parse_options(bytes.fromhex("020405b40402080a..."))  # (TcpOption(MSS, 1460), ...)
    OptionKind.parse("sackOK")                            # OptionKind.SACK_PERMITTED
    str(TcpOption(OptionKind.WSCALE, 7))                  # "wscale 7"

The names are packetdrill's and tcpdump's (``mss``, ``sackOK``, ``sack``, ``TS`` or
``timestamps``, ``wscale``), in any case. An option's `value` is the number
documentation writes beside it: the MSS, the window-scale shift, the count of SACK
blocks; options whose contents change from run to run (timestamps) have none.
Pure: no kernel access.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from lab._errors import UnknownNameError, did_you_mean

__all__ = ["OptionKind", "TcpOption", "parse_options"]

_EOL: Final = 0
_NOP: Final = 1


class OptionKind(enum.IntEnum):
    """The option kinds a segment may carry (IANA's TCP option kind numbers)."""

    MSS = 2
    WSCALE = 3
    SACK_PERMITTED = 4
    SACK = 5
    TIMESTAMPS = 8
    MD5 = 19
    AO = 29
    MPTCP = 30
    FASTOPEN = 34
    ACCECN0 = 172
    ACCECN1 = 174
    EXPERIMENTAL = 254

    @property
    def label(self) -> str:
        """The name the tables and the report use: ``sackOK``, ``wscale``."""
        return _NAMES[self][0]

    @property
    def has_value(self) -> bool:
        """Whether the option carries a number documentation writes (MSS, shift, blocks)."""
        return self in _VALUES

    @classmethod
    def parse(cls, name: str) -> OptionKind:
        """The kind `name` stands for (``sackOK``, ``SACK-permitted``, ``TS``); else an error."""
        key = name.strip().lower().replace("_", "-")
        found = _ALIASES.get(key)
        if found is None:
            hint = did_you_mean(key, _ALIASES, shown=lambda alias: repr(_ALIASES[alias].label))
            raise UnknownNameError(
                f"{name!r} is not a TCP option",
                f"{hint}write one of {', '.join(kind.label for kind in cls)}",
            )
        return found


_NAMES: Final[Mapping[OptionKind, tuple[str, ...]]] = {
    OptionKind.MSS: ("mss",),
    OptionKind.WSCALE: ("wscale", "window-scale", "ws"),
    OptionKind.SACK_PERMITTED: ("sackOK", "sack-permitted", "sack-perm", "sackok"),
    OptionKind.SACK: ("sack", "sack-blocks"),
    OptionKind.TIMESTAMPS: ("timestamps", "ts", "timestamp", "tsopt"),
    OptionKind.MD5: ("md5",),
    OptionKind.AO: ("ao", "tcp-ao"),
    OptionKind.MPTCP: ("mptcp",),
    OptionKind.FASTOPEN: ("fastopen", "fo", "tfo"),
    OptionKind.ACCECN0: ("accecn0", "accecn"),
    OptionKind.ACCECN1: ("accecn1",),
    OptionKind.EXPERIMENTAL: ("experimental", "exp"),
}
"""Each kind's names: the label first, then the aliases it is also read under."""

_ALIASES: Final = {alias.lower(): kind for kind, names in _NAMES.items() for alias in names}

_VALUES: Final[Mapping[OptionKind, Callable[[bytes], int]]] = {
    OptionKind.MSS: lambda data: int(struct.unpack(">H", data[:2])[0]) if len(data) >= 2 else 0,
    OptionKind.WSCALE: lambda data: data[0] if data else 0,
    OptionKind.SACK: lambda data: len(data) // 8,
}
"""How the number of the options that have one is read from the option's data."""


@dataclass(frozen=True)
class TcpOption:
    """One option of a segment: its kind, and its number when it has one (see `OptionKind`)."""

    kind: OptionKind | int
    """The kind; a plain int for a kind `OptionKind` does not name."""
    value: int | None = None

    @property
    def label(self) -> str:
        """``sackOK``, or ``option 99`` for a kind without a name."""
        return self.kind.label if isinstance(self.kind, OptionKind) else f"option {self.kind}"

    def __str__(self) -> str:
        return self.label if self.value is None else f"{self.label} {self.value}"


def parse_options(data: bytes) -> tuple[TcpOption, ...]:
    """The options in a TCP header's option bytes, in order (NOPs and the end left out).

    A malformed option (a length that runs past the header) ends the list: the
    kernel would not read past it either.
    """
    options: list[TcpOption] = []
    at = 0
    while at < len(data):
        kind = data[at]
        if kind == _EOL:
            break
        if kind == _NOP:
            at += 1
            continue
        if at + 1 >= len(data) or data[at + 1] < 2 or at + data[at + 1] > len(data):
            break
        length = data[at + 1]
        body = data[at + 2 : at + length]
        try:
            known: OptionKind | int = OptionKind(kind)
        except ValueError:
            known = kind
        read = _VALUES.get(known) if isinstance(known, OptionKind) else None
        options.append(TcpOption(known, read(body) if read else None))
        at += length
    return tuple(options)
