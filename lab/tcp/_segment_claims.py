"""What a documented segment may say beyond its flags and states, as data.

    Injection(seq=100_000)              # inject: ... with seq: +100000 (out of window)
    Timing(1.0, 0.3)                    # after: 1s ±0.3
    OptionClaim(OptionKind.MSS, value=1460)
    OptionClaim(OptionKind.SACK, present=False)   # - no sack

`lab.tcp._spec.DocumentedSegment` carries them; `lab.tcp._spec_schema` reads them
from tables.yaml; `lab.tcp._segment_checks` judges the observed segment against
them; the runner (`lab.stepping`) crafts injected segments and marks CE.
Pure: no kernel access.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from lab.tcp._options import OptionKind

__all__ = ["CE", "ECN_CODEPOINTS", "Injection", "OptionClaim", "Timing", "seconds"]

CE: Final = 0b11
"""The IP ECN codepoint Congestion Experienced (RFC 3168)."""

ECN_CODEPOINTS: Final[Mapping[int, str]] = {
    0b00: "Not-ECT",
    0b01: "ECT(1)",
    0b10: "ECT(0)",
    CE: "CE",
}
"""The IP header's two ECN bits, by name."""


def seconds(value: float) -> str:
    """``40 ms``, ``1 s``, ``2.05 s``: a duration as people write it."""
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f}".rstrip("0").rstrip(".") + " s"


@dataclass(frozen=True)
class Injection:
    """How the runner crafts an injected segment (``- inject: server -> client RST``).

    The numbers are relative to the connection as the segments so far show it, so
    that a script need not know the kernel's random initial sequence numbers.
    """

    seq: int = 0
    """Added to the sender's next sequence number, the one the receiver expects
    (``seq: next`` is 0, in window; ``seq: +100000`` is out of window)."""
    ack: int = 0
    """Added to the receiver's next sequence number (what the sender would acknowledge);
    used only when the segment sets ACK."""
    data: int = 0
    """Payload bytes."""

    def __str__(self) -> str:
        parts = [f"seq next{self.seq:+d}" if self.seq else ""]
        parts += [f"ack next{self.ack:+d}" if self.ack else ""]
        parts += [f"{self.data} bytes" if self.data else ""]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class Timing:
    """``after: 1s ±0.3``: sent `seconds` after the segment documented before it, ± `within`.

    With `later`, the tolerance is `within` earlier and `later` later (``after: 40ms -25ms
    +110ms``): a lab observes a kernel timer late when the machine is busy, never early.
    """

    seconds: float
    within: float
    later: float | None = None

    @property
    def earliest(self) -> float:
        return max(0.0, self.seconds - self.within)

    @property
    def latest(self) -> float:
        return self.seconds + (self.within if self.later is None else self.later)

    def holds(self, elapsed: float) -> bool:
        """Whether `elapsed` seconds are within the tolerance."""
        return self.earliest <= elapsed <= self.latest

    def __str__(self) -> str:
        if self.later is None:
            return f"{seconds(self.seconds)} ± {seconds(self.within)}"
        return f"{seconds(self.seconds)} -{seconds(self.within)} +{seconds(self.later)}"


@dataclass(frozen=True)
class OptionClaim:
    """A TCP option documented on a segment: present (with its number, or any), or absent.

    `kind` None stands for every option: ``options: none`` (the segment carries none).
    """

    kind: OptionKind | None
    present: bool = True
    value: int | None = None
    """The number the option must carry (the MSS, the shift, the SACK blocks); None: any."""
    by_family: tuple[tuple[str, int], ...] = ()
    """The number per address family (``{mss: {IPv4: 1460, IPv6: 1440}}``), when it differs."""

    def expected(self, family: str) -> int | None:
        """The number the option must carry over `family` (``IPv4``); None: any."""
        return dict(self.by_family).get(family, self.value)

    def __str__(self) -> str:
        if self.kind is None:
            return "no options"
        if not self.present:
            return f"no {self.kind.label}"
        if self.by_family:
            shown = " / ".join(f"{value} ({family})" for family, value in self.by_family)
            return f"{self.kind.label} {shown}"
        return self.kind.label if self.value is None else f"{self.kind.label} {self.value}"
