"""A note's seq= and ack= numbers against the observed ones, one sequence space per end.

    numbers = SequenceNumbers(isn={Role.CLIENT: 1_234_567, Role.SERVER: 7_654_321})
    numbers.check("seq", NumberClaim(None, 1000, "1000"), Role.CLIENT, 1_234_567)  # None: anchors
    numbers.check("ack", NumberClaim(None, 1000, "1000"), Role.CLIENT, 1_234_568)
    # "documented ack=1000, observed ack is 1001 (relative 1)"

The rules:

* **Spaces.** A segment's ``seq`` counts in its sender's sequence space; its
  ``ack`` acknowledges the other end's, so it counts in its receiver's space.
  Arithmetic is modulo 2**32.
* **Symbols** (``x``, ``client_isn``) are bound on first use in the scenario:
  ``seq=x+1`` first seen on a segment whose seq is N makes x = N - 1; every
  later use must name the same number.
* **Plain numbers** are relative numbers, anchored on the first number written
  for each space: its base is what was written minus the observed number's
  distance from the space's ISN, and every later number must be that base plus
  the distance. So Wireshark's relative numbers (``SYN seq=0``, ``ack=1``) and a
  textbook's made-up ISN (``SYN seq=1000``, then ``ack=1001``) both pass, and a
  wrong ``ack=1000`` fails. A plain number that is the relative number itself
  passes too: tcpdump prints the handshake's numbers whole (``seq 12345``) and
  every later one relative (``ack 1``).

Pure: no kernel access.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from lab.tcp._spec import NumberClaim

__all__ = ["SPACE", "SequenceNumbers", "relative"]

SPACE: Final = 1 << 32
"""Sequence numbers wrap at 2**32."""


def relative(value: int, isn: int) -> int:
    """`value` as a distance from `isn`, the way Wireshark shows relative numbers."""
    return (value - isn) % SPACE


def _signed(distance: int) -> int:
    """A distance modulo 2**32 as the nearest signed number (2**32 - 1 is -1)."""
    distance %= SPACE
    return distance - SPACE if distance >= SPACE // 2 else distance


def _with_offset(symbol: str, offset: int) -> str:
    """``x``, ``x+2``, ``x-1``."""
    offset = _signed(offset)
    return symbol if offset == 0 else f"{symbol}{offset:+d}"


class SequenceNumbers:
    """The numbers a scenario's note has written so far: its symbols and each space's base."""

    def __init__(self, isn: Mapping[str, int]) -> None:
        self._isn = dict(isn)
        self._symbols: dict[str, int] = {}
        self._bases: dict[str, int] = {}

    def check(self, field: str, claim: NumberClaim, space: str, observed: int) -> str | None:
        """Why the observed `field` (``seq``, ``ack``) is not the documented one, if it is not.

        `space` is the role whose sequence numbers the field counts; the first
        use of a symbol, or of a plain number in a space, binds it and passes.
        """
        rel = relative(observed, self._isn.get(space, 0))
        if claim.symbol is not None:
            bound = self._symbols.setdefault(claim.symbol, (observed - claim.offset) % SPACE)
            if (bound + claim.offset) % SPACE == observed % SPACE:
                return None
            shown = _with_offset(claim.symbol, observed - bound)
        else:
            base = self._bases.setdefault(space, (claim.offset - rel) % SPACE)
            if claim.offset % SPACE in ((base + rel) % SPACE, rel):
                return None
            shown = str((base + rel) % SPACE)
        return f"documented {field}={claim.written}, observed {field} is {shown} (relative {rel})"
