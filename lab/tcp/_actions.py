"""The grammar of application actions: verbs with arguments, and the results they document.

    resolve("sets TCP_USER_TIMEOUT 3000", spec.actions)
    # ("sets OPTION VALUE", Arguments(option=SocketOption.TCP_USER_TIMEOUT, value=3000))
    fill("binds port PORT", Arguments(port=40000))      # "binds port 40000"
    read_result("ECONNREFUSED")                         # "ECONNREFUSED"
    result_problem("EPIPE", "5")                        # "the call returned 5, documented EPIPE"

A key of the spec's ``actions:`` table is a verb phrase; a word in capitals is a
placeholder (`PLACEHOLDERS`) that a script fills with a typed value: ``sets
OPTION VALUE`` is written ``client sets TCP_NODELAY 1``. The placeholders, the
socket options a script may set (`OPTIONS`) and the results it may document
(`ok`, `EOF`, an errno name, a count) are tables here, the same for every spec;
which verbs exist is the spec's. Pure: no kernel access.
"""

from __future__ import annotations

import enum
import errno
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from lab._errors import UnknownNameError, did_you_mean

__all__ = [
    "OK",
    "OPTIONS",
    "PLACEHOLDERS",
    "READ_EOF",
    "Arguments",
    "OptionDoc",
    "Placeholder",
    "SocketOption",
    "fill",
    "placeholders_in",
    "read_result",
    "resolve",
    "result_problem",
]


class SocketOption(enum.StrEnum):
    """A socket option a script may set (``client sets TCP_NODELAY 1``)."""

    TCP_NODELAY = "TCP_NODELAY"
    TCP_CORK = "TCP_CORK"
    TCP_USER_TIMEOUT = "TCP_USER_TIMEOUT"
    TCP_SYNCNT = "TCP_SYNCNT"
    SO_LINGER = "SO_LINGER"


@dataclass(frozen=True)
class OptionDoc:
    """What setting an option does, and the values it takes (`low` to `high`)."""

    meaning: str
    low: int
    high: int
    why: str = ""
    """Why the values stop where they do, when the option itself allows more."""


OPTIONS: Final[Mapping[SocketOption, OptionDoc]] = {
    SocketOption.TCP_NODELAY: OptionDoc(
        "1 sends small segments at once (no Nagle algorithm), 0 waits for the ACK", 0, 1
    ),
    SocketOption.TCP_CORK: OptionDoc("1 holds partial segments back, 0 sends them", 0, 1),
    SocketOption.TCP_USER_TIMEOUT: OptionDoc(
        "milliseconds sent data may stay unacknowledged before the connection is dropped "
        "(ETIMEDOUT); 0: the kernel's retries decide",
        0,
        2**31 - 1,
    ),
    SocketOption.TCP_SYNCNT: OptionDoc(
        "how many times connect() retransmits the SYN before giving up (ETIMEDOUT)", 1, 127
    ),
    SocketOption.SO_LINGER: OptionDoc(
        "seconds close() lingers, linger on: 0 resets the connection on close",
        0,
        0,
        "a longer linger makes close() wait for the peer's ACK, which the stepper holds",
    ),
}
"""Every option `SocketOption` names, what it does and its values (`lab.stepping` sets them)."""


@dataclass(frozen=True)
class Arguments:
    """What an action's placeholders were filled with (None: the verb has no such place)."""

    option: SocketOption | None = None
    value: int | None = None
    port: int | None = None

    @classmethod
    def of(cls, values: Mapping[str, int | SocketOption]) -> Arguments:
        """The arguments in `values`, keyed by field name (what `PLACEHOLDERS` read)."""
        option, value, port = (values.get(name) for name in ("option", "value", "port"))
        return cls(
            option if isinstance(option, SocketOption) else None,
            value if isinstance(value, int) else None,
            port if isinstance(port, int) else None,
        )


@dataclass(frozen=True)
class Placeholder:
    """A word in capitals in a verb, what it stands for, and how its value is read."""

    field: str
    """The `Arguments` field the value goes to."""
    wanted: str
    """What to write there, for messages: ``a port number from 1 to 65535``."""
    example: str
    read: Callable[[str], int | SocketOption]
    """The value written there, or UnknownNameError (problem, fix)."""


def _option(word: str) -> SocketOption:
    try:
        return SocketOption(word.upper())
    except ValueError:
        names = [str(option) for option in SocketOption]
        raise UnknownNameError(
            f"{word!r} is not a socket option a script can set",
            f"{did_you_mean(word.upper(), names)}options are: {', '.join(names)}",
        ) from None


def _whole(word: str, wanted: str, low: int, high: int) -> int:
    if not word.isdigit() or not low <= int(word) <= high:
        raise UnknownNameError(f"{word!r} is not {wanted}", f"write {wanted}, e.g. {low}")
    return int(word)


PLACEHOLDERS: Final[Mapping[str, Placeholder]] = {
    "OPTION": Placeholder("option", "a socket option", "TCP_NODELAY", _option),
    "VALUE": Placeholder(
        "value", "a whole number", "1", lambda w: _whole(w, "a whole number", 0, 2**31 - 1)
    ),
    "PORT": Placeholder(
        "port",
        "a port number from 1 to 65535",
        "40000",
        lambda w: _whole(w, "a port number from 1 to 65535", 1, 65535),
    ),
}
"""The words in capitals a verb of the actions table may hold, each read into `Arguments`."""


def placeholders_in(verb: str) -> tuple[str, ...]:
    """The placeholder words of `verb` in order (``("OPTION", "VALUE")``); unknown capitals
    (not in `PLACEHOLDERS`) raise UnknownNameError."""
    found = tuple(word for word in verb.split() if word.isupper() and word.isalpha())
    for word in found:
        if word not in PLACEHOLDERS:
            raise UnknownNameError(
                f"{word!r} is not a placeholder (a word in capitals stands for a value)",
                f"{did_you_mean(word, PLACEHOLDERS)}placeholders are: {', '.join(PLACEHOLDERS)}; "
                "write other words in lowercase",
            )
    return found


def fill(verb: str, arguments: Arguments) -> str:
    """`verb` with its placeholders replaced by `arguments` (left as they are where unset)."""
    words = []
    for word in verb.split():
        place = PLACEHOLDERS.get(word)
        value = None if place is None else getattr(arguments, place.field)
        words.append(word if value is None else str(value))
    return " ".join(words)


def _example(verb: str) -> str:
    return " ".join(PLACEHOLDERS[w].example if w in PLACEHOLDERS else w for w in verb.split())


def resolve(written: str, verbs: Iterable[str]) -> tuple[str, Arguments]:
    """The verb of `verbs` that `written` says, and the values of its placeholders.

    ``sets TCP_NODELAY 1`` is ``sets OPTION VALUE`` with option TCP_NODELAY and
    value 1. UnknownNameError when no verb fits, or a value is not what its
    place wants (an unknown option says which ones exist).
    """
    words = written.split()
    known = list(verbs)
    for verb in known:
        places = verb.split()
        if len(places) != len(words) or any(
            p != w for p, w in zip(places, words, strict=True) if p not in PLACEHOLDERS
        ):
            continue
        values = {
            PLACEHOLDERS[place].field: PLACEHOLDERS[place].read(word)
            for place, word in zip(places, words, strict=True)
            if place in PLACEHOLDERS
        }
        arguments = Arguments.of(values)
        _check_option_value(arguments)
        return verb, arguments
    examples = {_example(verb): verb for verb in known}
    close = did_you_mean(written, examples)
    raise UnknownNameError(
        f"{written!r} is not an action of this spec", f"{close}actions are: {', '.join(known)}"
    )


def _check_option_value(arguments: Arguments) -> None:
    """An option's value within what that option takes."""
    if arguments.option is None or arguments.value is None:
        return
    doc = OPTIONS[arguments.option]
    if doc.low <= arguments.value <= doc.high:
        return
    span = f"{doc.low}" if doc.low == doc.high else f"{doc.low} to {doc.high}"
    why = f" ({doc.why})" if doc.why else ""
    raise UnknownNameError(
        f"{arguments.option} takes {span}{why}, not {arguments.value}",
        f"write e.g. sets {arguments.option} {doc.low}: {doc.meaning}",
    )


# --- results -------------------------------------------------------------------------------

OK: Final = "ok"
"""The call succeeded (any count it returned is ok too)."""
READ_EOF: Final = "EOF"
"""A read returned 0 bytes: the peer's FIN (or shutdown(SHUT_RD)) ended the stream."""
_ERRNO_NAMES: Final = frozenset(name for name in dir(errno) if name.startswith("E"))
_RESULT_FIX: Final = (
    "write ok, EOF, a count of bytes, or the errno name the call fails with (EPIPE, "
    "ECONNREFUSED, ETIMEDOUT, ...)"
)


def read_result(value: str | int) -> str:
    """A documented result in its one spelling: ``ok``, ``EOF``, an errno name, or a count.

    Errno aliases take the kernel's name (``EWOULDBLOCK`` is ``EAGAIN``);
    UnknownNameError for anything else.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise UnknownNameError(f"{value} is not a result", _RESULT_FIX)
        return str(value)
    word = str(value).strip()
    if word.isdigit():
        return str(int(word))
    if word.lower() == OK:
        return OK
    if word.upper() == READ_EOF:
        return READ_EOF
    if word.upper() in _ERRNO_NAMES:
        return errno.errorcode[getattr(errno, word.upper())]
    choices = [OK, READ_EOF, *sorted(_ERRNO_NAMES)]
    raise UnknownNameError(
        f"{word!r} is not a result", f"{did_you_mean(word.upper(), choices)}{_RESULT_FIX}"
    )


def result_problem(documented: str, observed: str) -> str | None:
    """Why `observed` (what the runner recorded) is not the `documented` result; None if it is.

    ``ok`` accepts any success, a count too; a count, ``EOF`` and an errno
    name must be exactly what the call gave.
    """
    succeeded = observed == OK or observed.isdigit()
    if observed == documented or (documented == OK and succeeded):
        return None
    if not observed:
        return f"the call's result was not recorded; documented {documented}"
    if observed.startswith("could not"):
        return f"the call was not made ({observed}); documented {documented}"
    said = "succeeded" if observed == OK else f"returned {observed}"
    return f"the call {said}, documented {documented}"
