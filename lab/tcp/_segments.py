"""One documented segment against the observed one it is paired with: direction and flags.

Flags:

* every documented flag must be set on the wire;
* a flag documented as absent (``ACK=0``) must not be;
* a flag on the wire that the documentation leaves out is tolerated only when
  people leave it out as a rule (`UNWRITTEN_FLAGS`: ACK, PSH on a segment with
  data, ECN's ECE and CWR); an omitted SYN, FIN, RST or URG fails, since the
  segment is then another one (a bare ``ACK`` answering a SYN is not its
  SYN+ACK). With `strict`, nothing may be left out.

Pure: no kernel access.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from lab.tcp._names import TcpFlag
from lab.tcp._observed import ObservedSegment
from lab.tcp._spec import DocumentedSegment

__all__ = ["UNWRITTEN_FLAGS", "direction_problem", "flag_problems"]

UNWRITTEN_FLAGS: Final[dict[TcpFlag, Callable[[ObservedSegment], bool]]] = {
    TcpFlag.ACK: lambda segment: True,
    TcpFlag.PSH: lambda segment: segment.length > 0,
    # ECN signalling follows the settings, not the exchange a note draws.
    TcpFlag.ECE: lambda segment: True,
    TcpFlag.CWR: lambda segment: True,
}
"""Flags the documentation may leave out (unless flags are strict), and on which segments."""

_UNWRITTEN_SAID: Final = "ACK, PSH on data, and ECN's ECE and CWR"
"""`UNWRITTEN_FLAGS` in words, for the message that names a flag left out."""


def _are(flags: TcpFlag) -> str:
    """``SYN is`` or ``SYN+ACK are``."""
    return f"{flags.label} {'is' if len(flags.names) == 1 else 'are'}"


def direction_problem(doc: DocumentedSegment, seg: ObservedSegment) -> str | None:
    """Why the observed segment went another way than documented, if it did."""
    if (seg.sender, seg.receiver) == (doc.sender, doc.receiver):
        return None
    return f"documented {doc.sender} → {doc.receiver}, but {seg.sender} sent it to {seg.receiver}"


def flag_problems(doc: DocumentedSegment, seg: ObservedSegment, *, strict: bool) -> list[str]:
    """Why the flags on the wire are not the documented ones (see the module docstring)."""
    problems = []
    missing = doc.flags & ~seg.flags
    if missing:
        problems.append(
            f"documented {doc.flags.label}, but {_are(missing)} not set "
            f"(on the wire: {seg.flags.label})"
        )
    present = doc.absent & seg.flags
    if present:
        problems.append(f"documented without {present.label}, but {_are(present)} set")
    extra = seg.flags & ~doc.flags & ~doc.absent
    if strict and extra:
        problems.append(f"{_are(extra)} set but not documented (flags are strict)")
    elif not strict:
        unwritten = TcpFlag(0)
        for flag, tolerated in UNWRITTEN_FLAGS.items():
            if tolerated(seg):
                unwritten |= flag
        wrong = extra & ~unwritten
        if wrong:
            problems.append(
                f"{_are(wrong)} set but not documented (on the wire: {seg.flags.label}); "
                f"only {_UNWRITTEN_SAID} may go unwritten"
            )
    return problems
