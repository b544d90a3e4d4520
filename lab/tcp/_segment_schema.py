"""How tables.yaml writes what a segment carries beyond flags and states: the keys' readers.

    - segment: client -> server SYN
      after: 1s ±0.3                      # Timing(1.0, 0.3)
      options: [mss, sackOK, timestamps, {wscale: 7}, no sack]
    - segment: client -> server PSH
      overtakes: 1                        # delivered before the sender's earlier segment
      ce: true                            # marked Congestion Experienced on its way
    - inject: server -> client RST        # crafted by the runner, as if the server sent it
      seq: next                           # or +100000 (out of window), next-1, ...

`lab.tcp._spec_schema` puts these keys in its tables of segment keys; every error
names the field and how to write it. Pure: no kernel access.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from lab._addresses import Family
from lab._errors import UnknownNameError
from lab._reader import (
    At,
    Key,
    boolean,
    default,
    describe_value,
    integer,
    list_of,
    mapping,
    sequence,
)
from lab.tcp._names import TcpFlag
from lab.tcp._options import OptionKind
from lab.tcp._segment_claims import OptionClaim, Timing

__all__ = [
    "ACK",
    "AFTER",
    "CE",
    "DATA",
    "DURATION",
    "OPTIONS",
    "OVERTAKES",
    "SEQ",
    "UNITS",
    "WITHOUT",
]

MAX_INJECTED_DATA: Final = 1400
"""The most payload an injected segment carries: one segment on the lab's links."""

_AFTER_FIX: Final = (
    "write e.g. after: 1s ±0.3, after: 40ms -25ms +110ms (earlier and later), or "
    "after: {seconds: 1.0, within: 0.3}"
)
UNITS: Final = {"min": 60.0, "sec": 1.0, "ms": 0.001, "s": 1.0}
"""The units a duration is written in (``after: 40ms``, a timer's ``lasts: 1min``), in
seconds; in this order, so that a pattern tries ``ms`` before ``s``."""
DURATION: Final = rf"(?P<number>\d+(?:\.\d*)?)\s*(?P<unit>{'|'.join(UNITS)})"
"""A number and its unit; the unit optional where the pattern adds ``?``."""
_TIME: Final = re.compile(rf"\s*{DURATION}")
_TOLERANCE: Final = re.compile(rf"\s*(?P<sign>±|\+/-|\+-|\+|-)\s*{DURATION}?")
_SIGNS: Final = {"±": "±", "+/-": "±", "+-": "±", "+": "+", "-": "-"}
_TIMING_KEYS: Final = ({"seconds", "within"}, {"seconds", "within", "later"})


def _timing(value: object, at: At) -> Timing:
    """``1s ±0.3``, ``40ms -25ms +110ms``, or ``{seconds: 1.0, within: 0.3[, later: 1]}``."""
    if isinstance(value, Mapping):
        record = mapping(value, at, "a timing", _AFTER_FIX)
        if set(record) not in _TIMING_KEYS:
            raise at.error(
                "a timing mapping has seconds: and within: (and later:, when later differs), "
                f"but this one has {', '.join(map(str, record)) or 'no key'}",
                _AFTER_FIX,
            )
        numbers = {str(key): _number(number, at.key(key)) for key, number in record.items()}
        return _checked(numbers["seconds"], numbers["within"], numbers.get("later"), at)
    if not isinstance(value, str):
        raise at.error(
            f"must be a time with a tolerance, but it is {describe_value(value)}", _AFTER_FIX
        )
    tolerance = _tolerance(value)
    if tolerance is None:
        problem = f"{value!r} is not a time with a tolerance"
        if not any(sign in value for sign in _SIGNS):
            problem += " (every timing needs one: the kernel's timers are not exact)"
        raise at.error(problem, _AFTER_FIX)
    after, parts = tolerance
    if "±" in parts and len(parts) == 1:
        return _checked(after, parts["±"], None, at)
    if set(parts) == {"-", "+"}:
        return _checked(after, parts["-"], parts["+"], at)
    raise at.error(
        f"{value!r} gives its tolerance as ± alone, or as - (earlier) and + (later)", _AFTER_FIX
    )


def _tolerance(text: str) -> tuple[float, dict[str, float]] | None:
    """The time and its tolerances by sign (±, -, +), in seconds; None if not so written."""
    found = _TIME.match(text)
    if found is None:
        return None
    unit = found["unit"]
    after = float(found["number"]) * UNITS[unit]
    parts: dict[str, float] = {}
    at = found.end()
    while at < len(text.rstrip()):
        part = _TOLERANCE.match(text, at)
        sign = None if part is None else _SIGNS[part["sign"]]
        if part is None or sign is None or sign in parts:
            return None
        parts[sign] = float(part["number"]) * UNITS[part["unit"] or unit]
        at = part.end()
    return (after, parts) if parts else None


def _number(value: object, at: At) -> float:
    """A number of seconds (whole or with a fraction)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise at.error(
            f"must be a number of seconds, but it is {describe_value(value)}", _AFTER_FIX
        )
    return float(value)


def _checked(value: float, within: float, later: float | None, at: At) -> Timing:
    if value < 0 or within < 0 or (later if later is not None else within) <= 0:
        raise at.error(
            "a timing is a time and a tolerance greater than zero",
            "write e.g. after: 40ms ±35ms",
        )
    return Timing(value, within, later)


_OPTIONS_FIX: Final = (
    "write e.g. options: [mss, sackOK, timestamps, wscale], {mss: 1460}, no sack, or options: none"
)


def _option_kind(name: str, at: At) -> OptionKind:
    try:
        return OptionKind.parse(name)
    except UnknownNameError as error:
        raise at.error(error.problem, error.fix) from None


def _option_value(kind: OptionKind, value: object, at: At) -> OptionClaim:
    """``{mss: 1460}`` or ``{mss: {IPv4: 1460, IPv6: 1440}}``."""
    if not kind.has_value:
        raise at.error(
            f"{kind.label} carries no number lab compares",
            f"write it bare: - {kind.label}",
        )
    read_number = integer(0, 65535, 1460)
    if isinstance(value, Mapping):
        by_family = []
        for name, number in mapping(value, at, "numbers by family", _OPTIONS_FIX).items():
            try:
                family = Family.parse(str(name))
            except UnknownNameError as error:
                raise at.key(name).error(error.problem, error.fix) from None
            by_family.append((str(family), read_number(number, at.key(name))))
        missing = [str(f) for f in Family if str(f) not in dict(by_family)]
        if missing:  # else that family's runs would take any number: a check that never fails
            raise at.error(
                f"{kind.label} gives no number for {' or '.join(missing)}, and every scenario "
                "runs over it too",
                f"write a number for each family, e.g. {{{kind.label}: {{IPv4: 1460, IPv6: "
                f"1440}}}}, or one for both: {{{kind.label}: 1460}}",
            )
        return OptionClaim(kind, by_family=tuple(by_family))
    return OptionClaim(kind, value=read_number(value, at))


def _option(value: object, at: At) -> OptionClaim:
    """One item of ``options:``: ``mss``, ``no sack``, or ``{mss: 1460}``."""
    if isinstance(value, str):
        words = value.split()
        if len(words) == 2 and words[0].lower() == "no":
            return OptionClaim(_option_kind(words[1], at), present=False)
        if len(words) == 1:
            return OptionClaim(_option_kind(words[0], at))
        raise at.error(f"{value!r} is not an option", _OPTIONS_FIX)
    if isinstance(value, Mapping) and len(value) == 1:
        ((name, number),) = value.items()
        place = at.key(name)
        return _option_value(_option_kind(str(name), place), number, place)
    raise at.error(
        f"an option is a name, 'no NAME' or {{NAME: number}}, but this is {describe_value(value)}",
        _OPTIONS_FIX,
    )


def _options(value: object, at: At) -> tuple[OptionClaim, ...]:
    """``options: [...]``, or ``options: none`` for a segment that carries none."""
    if isinstance(value, str) and value.strip().lower() == "none":
        return (OptionClaim(None, present=False),)
    items = list_of(_option, "a list of options", _OPTIONS_FIX)(
        sequence(value, at, "a list of options (or none)", _OPTIONS_FIX), at
    )
    kinds = [claim.kind for claim in items]
    repeated = next((k for n, k in enumerate(kinds) if k in kinds[:n]), None)
    if repeated is not None:
        raise at.error(
            f"{repeated.label} is listed twice",
            "list each option once, present (with its number or not) or absent",
        )
    return items


_OFFSET: Final = re.compile(r"next\s*(?:(?P<sign>[+-])\s*(?P<n>\d+))?")
_OFFSET_FIX: Final = (
    "write next (the number the receiver expects), next+N or next-N, or a signed offset "
    "such as +100000"
)


def _offset(value: object, at: At) -> int:
    """``next``, ``next+N``, ``next-N``, or an offset (YAML reads ``+100000`` as 100000)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        found = _OFFSET.fullmatch(value.strip())
        if found is not None:
            n = int(found["n"] or 0)
            return -n if found["sign"] == "-" else n
    raise at.error(
        f"{describe_value(value)} is not a sequence number of this connection", _OFFSET_FIX
    )


def _flags(value: object, at: At) -> TcpFlag:
    """Flags written as for a segment (``ACK``, ``ECE+CWR``) or as a list (``[ECE, CWR]``)."""
    fix = "write e.g. without: ACK, or without: [ECE, CWR]"
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        value = "+".join(value)
    if not isinstance(value, str):
        raise at.error(f"must be flags, but it is {describe_value(value)}", fix)
    try:
        flags = TcpFlag.parse(value)
    except UnknownNameError as error:
        raise at.error(error.problem, error.fix) from None
    if not flags:
        raise at.error(f"{value!r} names no flag", fix)
    return flags


WITHOUT: Final = Key("without", _flags, default(TcpFlag(0)))
"""``without: ACK``: flags the segment must not carry (a bare RST; no ECE once CWR came)."""
OVERTAKES: Final = Key("overtakes", integer(1, 16, 1), default(0))
"""``overtakes: N``: the sender's segment after its next N is delivered first; those N stay
held, in order, for the segments documented after it."""
CE: Final = Key("ce", boolean, default(False))
"""``ce: true``: the runner marks it Congestion Experienced (IP ECN bits 11) on its way."""
AFTER: Final = Key("after", _timing, default(None))
"""``after: 1s ±0.3``: sent this long after the segment documented before it."""
OPTIONS: Final = Key("options", _options, default(()))
"""``options: [mss, sackOK, no sack, {wscale: 7}]`` or ``options: none``."""
SEQ: Final = Key("seq", _offset, default(0))
"""An injected segment's sequence number, relative to the sender's next (default: next)."""
ACK: Final = Key("ack", _offset, default(0))
"""An injected segment's acknowledgement number, relative to the receiver's next."""
DATA: Final = Key("data", integer(0, MAX_INJECTED_DATA, 10), default(0))
"""Payload bytes of an injected segment."""
