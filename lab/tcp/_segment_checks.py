"""One documented segment against the observed one: options, CE marking, timing, injection.

    segment_problems(doc, seg, family="IPv4", elapsed=1.02, since="step 2")   # []

Beyond direction, flags and states (`lab.tcp._segments`, `lab.tcp._verdict`):

* **Options.** A documented option must be on the wire, with the documented number
  when one is written (per family if the number depends on it, as the MSS does);
  one documented absent (``no sack``) must not be; ``none`` wants no option at all.
* **CE.** A segment documented ``ce: true`` must have reached the receiver marked
  Congestion Experienced (the runner marks it; a missing mark is the run's fault,
  and is reported as plainly as any other difference).
* **Timing.** ``after: 1s ±0.3`` is the time from the segment documented just before
  reaching its receiver (or, if it was lost, leaving its sender) to this one leaving
  its sender, as the stepper took it from the sender's output queue: what the
  receiver's timer (a delayed ACK) or the sender's (a retransmission) counts, without
  the time the stepper held the one before. Outside the tolerance fails, with both
  figures.
* **Injection.** A segment documented as injected is paired only with one the runner
  injected, and a kernel's segment only with one documented as sent (see the alignment).

Each problem is a whole sentence, shown under the step's row. Pure: no kernel access.
"""

from __future__ import annotations

from lab.tcp._observed import ObservedSegment
from lab.tcp._segment_claims import CE, ECN_CODEPOINTS, OptionClaim, seconds
from lab.tcp._spec import DocumentedSegment

__all__ = ["documented_extras", "observed_extras", "option_problems", "segment_problems"]


def segment_problems(
    doc: DocumentedSegment,
    seg: ObservedSegment,
    *,
    family: str = "",
    elapsed: float | None = None,
    since: str = "",
) -> list[str]:
    """Why `seg` is not what `doc` says beyond flags and states (see the module docstring).

    `elapsed` is the time from the segment documented before `doc` to `seg` (None when
    that one was not observed); `since` names it (``step 2``) for the message.
    """
    problems = option_problems(doc.options, seg, family)
    if doc.ce and seg.ecn != CE:
        arrived = "with unknown ECN bits" if seg.ecn is None else ECN_CODEPOINTS[seg.ecn]
        problems.append(
            f"documented CE-marked (ce: true), but it reached {seg.receiver} as {arrived}"
        )
    if doc.after is not None:
        if elapsed is None:
            problems.append(
                f"documented {doc.after} after {since or 'the segment before it'}, but that "
                "segment was not observed, so this one cannot be timed"
            )
        elif not doc.after.holds(elapsed):
            problems.append(
                f"sent {seconds(elapsed)} after {since}, documented {doc.after} (from "
                f"{seconds(doc.after.earliest)} to {seconds(doc.after.latest)})"
            )
    return problems


def option_problems(
    claims: tuple[OptionClaim, ...], seg: ObservedSegment, family: str = ""
) -> list[str]:
    """Why the options on the wire are not the documented ones."""
    problems = []
    wire = ", ".join(map(str, seg.options)) or "none"
    for claim in claims:
        found = [o for o in seg.options if claim.kind is None or o.kind == claim.kind]
        if claim.kind is None:
            if found:
                problems.append(f"documented with no options, but it carries {wire}")
        elif not claim.present:
            if found:
                problems.append(f"documented {claim}, but it carries {found[0]}")
        elif not found:
            problems.append(
                f"documented option {claim.kind.label}, but it carries none such "
                f"(options on the wire: {wire})"
            )
        else:
            wanted = claim.expected(family)
            if wanted is not None and all(o.value != wanted for o in found):
                where = f" over {family}" if claim.by_family and family else ""
                problems.append(
                    f"documented {claim.kind.label} {wanted}{where}, but it carries {found[0]}"
                )
    return problems


def documented_extras(doc: DocumentedSegment) -> str:
    """What `doc` says beyond its flags, as the report's documented column shows it."""
    parts = [f"without {doc.absent.label}" if doc.absent else ""]
    parts += [f"overtakes {doc.overtakes}" if doc.overtakes else ""]
    parts += ["CE-marked" if doc.ce else ""]
    parts += [f"after {doc.after}" if doc.after else ""]
    parts += [f"options {', '.join(map(str, doc.options))}" if doc.options else ""]
    parts += [str(doc.inject) if doc.inject else ""]
    return "; ".join(p for p in parts if p)


def observed_extras(
    doc: DocumentedSegment | None, seg: ObservedSegment, elapsed: float | None
) -> str:
    """What the report's wire column adds to the flags: what `doc` asks about, as observed."""
    parts = ["CE" if seg.ecn == CE else ""]
    if doc is not None and doc.after is not None and elapsed is not None:
        parts.append(f"after {seconds(elapsed)}")
    if doc is not None and doc.options:
        parts.append(f"options {', '.join(map(str, seg.options)) or 'none'}")
    return "; ".join(p for p in parts if p)
