"""One vocabulary for TCP states and control flags, with every common alias.

RFC 9293 names are canonical (``SYN-RECEIVED``, ``FIN-WAIT-1``); the names of
Linux (``SYN_RECV``, ``TCP_FIN_WAIT1``), ``ss`` (``ESTAB``, ``SYN-RECV``),
netstat, textbooks (``SYN_RCVD``) and tcpdump or scapy flag notations
(``[S.]``, ``SA``, ``SYN/ACK``) are accepted everywhere a name is read.
Pure: no kernel access.
"""

from __future__ import annotations

import difflib
import enum
import re
import unicodedata

from lab._errors import UnknownNameError, did_you_mean

__all__ = ["Role", "TcpFlag", "TcpState", "UnknownNameError"]


class Role(enum.StrEnum):
    """One end of a TCP scenario; equal to its name, so ``"client"`` works as well.

    Mappings keyed by role (``held.before``, ``stepper.states()``) are typed
    with ``str`` keys, so ``states["client"]`` and ``states[Role.CLIENT]`` both
    type-check; their keys are Role members.
    """

    CLIENT = "client"
    """The end that opens actively (connect)."""
    SERVER = "server"
    """The end that listens and accepts."""

    @property
    def peer(self) -> Role:
        """The other end."""
        return Role.SERVER if self is Role.CLIENT else Role.CLIENT


def _squash(text: str) -> str:
    """Case, separators and a ``TCP_`` prefix do not matter: ``syn_rcvd`` is ``SYN-RCVD``."""
    squashed = re.sub(r"[\s_\-]+", "", text.strip().upper())
    return re.sub(r"^TCPS?(?=[A-Z])", "", squashed)


class TcpState(enum.StrEnum):
    """A TCP connection state, equal to its RFC 9293 name (``"SYN-RECEIVED"``).

    Only the canonical name compares equal; `parse` reads the aliases (``SYN_RECV``, ``ESTAB``).
    """

    CLOSED = "CLOSED"
    LISTEN = "LISTEN"
    SYN_SENT = "SYN-SENT"
    SYN_RECEIVED = "SYN-RECEIVED"
    ESTABLISHED = "ESTABLISHED"
    FIN_WAIT_1 = "FIN-WAIT-1"
    FIN_WAIT_2 = "FIN-WAIT-2"
    CLOSE_WAIT = "CLOSE-WAIT"
    CLOSING = "CLOSING"
    LAST_ACK = "LAST-ACK"
    TIME_WAIT = "TIME-WAIT"

    @classmethod
    def parse(cls, name: str | TcpState) -> TcpState:
        """The state `name` stands for, in any common spelling; UnknownNameError otherwise."""
        if isinstance(name, TcpState):
            return name
        found = _STATE_ALIASES.get(_squash(name))
        if found is None:
            hint = did_you_mean(
                _squash(name), _STATE_ALIASES, shown=lambda alias: _STATE_ALIASES[alias].value
            )
            raise UnknownNameError(
                f"{name!r} is not a TCP state",
                f"{hint}use one of {', '.join(s.value for s in cls)} "
                "(or ss/Linux names such as ESTAB, SYN_RECV)",
            )
        return found

    @classmethod
    def lookup(cls, name: str) -> TcpState | None:
        """The state `name` stands for in any spelling `parse` reads, or None (no error, no hint).

        For scanning free text, where most words are not states and an error
        (with its "did you mean" search) for each would be wasted.
        """
        return _STATE_ALIASES.get(_squash(name))

    @classmethod
    def closest(cls, name: str) -> tuple[TcpState, ...]:
        """The states a misspelt `name` is closest to: ``SYN_SEND`` → (SYN-SENT,).

        Empty when no spelling is close; more than one when `name` is as close to
        several (``FIN_WAIT`` → FIN-WAIT-1 and FIN-WAIT-2), so a reader can judge
        a misspelling as the nearest state only when that is unambiguous.
        """
        # Accents fold away (SYN_REÇU is near SYN_RECU): a misspelling, not a state name.
        plain = "".join(
            c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
        )
        squashed = _squash(plain)
        scores: dict[TcpState, float] = {}
        for alias, state in _STATE_ALIASES.items():
            score = difflib.SequenceMatcher(None, squashed, alias).ratio()
            if score >= _CLOSE_ENOUGH and score > scores.get(state, 0.0):
                scores[state] = score
        if not scores:
            return ()
        best = max(scores.values())
        return tuple(s for s, score in scores.items() if best - score <= _AS_CLOSE)

    @classmethod
    def from_kernel(cls, number: int) -> TcpState:
        """The state of a Linux ``TCP_*`` number (include/net/tcp_states.h), as in sock_diag."""
        try:
            return _KERNEL_STATES[number]
        except KeyError:
            raise UnknownNameError(
                f"{number} is not a Linux TCP state number",
                "see include/net/tcp_states.h for the numbers this kernel uses",
            ) from None

    @property
    def ss_name(self) -> str:
        """How ``ss`` prints this state."""
        return _SS_NAMES.get(self, self.value)


# Every spelling, squashed (see _squash), of each state.
_STATE_SPELLINGS: dict[TcpState, tuple[str, ...]] = {
    TcpState.CLOSED: ("CLOSED", "CLOSE", "UNCONN"),
    TcpState.LISTEN: ("LISTEN", "LISTENING"),
    TcpState.SYN_SENT: ("SYNSENT",),
    TcpState.SYN_RECEIVED: ("SYNRECEIVED", "SYNRECV", "SYNRCVD", "SYNRECVD", "NEWSYNRECV"),
    TcpState.ESTABLISHED: ("ESTABLISHED", "ESTAB", "EST"),
    TcpState.FIN_WAIT_1: ("FINWAIT1",),
    TcpState.FIN_WAIT_2: ("FINWAIT2",),
    TcpState.CLOSE_WAIT: ("CLOSEWAIT",),
    TcpState.CLOSING: ("CLOSING",),
    TcpState.LAST_ACK: ("LASTACK",),
    TcpState.TIME_WAIT: ("TIMEWAIT",),
}
_STATE_ALIASES = {alias: state for state, aliases in _STATE_SPELLINGS.items() for alias in aliases}
# How close a misspelling must be to a spelling (difflib's ratio) to be read as it, and how much
# closer one state must be than another to be the only one meant.
_CLOSE_ENOUGH = 0.8
_AS_CLOSE = 0.02

_KERNEL_STATES = {
    1: TcpState.ESTABLISHED,
    2: TcpState.SYN_SENT,
    3: TcpState.SYN_RECEIVED,
    4: TcpState.FIN_WAIT_1,
    5: TcpState.FIN_WAIT_2,
    6: TcpState.TIME_WAIT,
    7: TcpState.CLOSED,
    8: TcpState.CLOSE_WAIT,
    9: TcpState.LAST_ACK,
    10: TcpState.LISTEN,
    11: TcpState.CLOSING,
    12: TcpState.SYN_RECEIVED,  # TCP_NEW_SYN_RECV: a request socket, what ss shows as SYN-RECV
}
_SS_NAMES = {
    TcpState.ESTABLISHED: "ESTAB",
    TcpState.SYN_RECEIVED: "SYN-RECV",
    TcpState.CLOSED: "UNCONN",
}


class TcpFlag(enum.IntFlag):
    """TCP control flags, as bits of the header's flags byte.

    Equal to the same flags written in any notation `parse` reads, so
    ``segment.flags == "SYN+ACK"`` (or ``"[S.]"``) holds; hashed as the number.
    """

    FIN = 0x01
    SYN = 0x02
    RST = 0x04
    PSH = 0x08
    ACK = 0x10
    URG = 0x20
    ECE = 0x40
    CWR = 0x80

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                return int(self) == int(TcpFlag.parse(other))
            except UnknownNameError:
                return False
        return int(self) == other

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return int.__hash__(self)

    @classmethod
    def parse(cls, text: str | TcpFlag | list[str] | tuple[str, ...]) -> TcpFlag:
        """Flags in any common notation: ``SYN+ACK``, ``SYN/ACK``, ``SA``, ``[S.]``, a list."""
        if isinstance(text, TcpFlag):
            return text
        if isinstance(text, (list, tuple)):
            return cls._combine(text, str(text))
        inner = text.strip()
        if inner.startswith("[") and inner.endswith("]"):
            inner = inner[1:-1]
        tokens = [t for t in re.split(r"[+/,|\s]+", inner) if t]
        return cls._combine(tokens, text)

    @classmethod
    def _combine(cls, tokens: list[str] | tuple[str, ...], original: str) -> TcpFlag:
        flags = cls(0)
        for token in tokens:
            word = token.strip().upper()
            if word in ("", "NONE", "-"):
                continue
            if word in _FLAG_WORDS:
                flags |= _FLAG_WORDS[word]
                continue
            if all(letter in _FLAG_LETTERS for letter in word):
                for letter in word:
                    flags |= _FLAG_LETTERS[letter]
                continue
            raise UnknownNameError(
                f"{original!r} is not a set of TCP flags: {token!r} is unknown",
                "write names joined by + (SYN+ACK), letters (SA), or tcpdump's notation ([S.])",
            )
        return flags

    @property
    def names(self) -> list[str]:
        """The flags set, in the order people write them: ``["SYN", "ACK"]``, ``["FIN", "ACK"]``."""
        return [flag.name for flag in _DISPLAY_ORDER if flag in self and flag.name]

    @property
    def label(self) -> str:
        """``SYN+ACK``; ``none`` when no flag is set."""
        return "+".join(self.names) or "none"

    @property
    def tcpdump(self) -> str:
        """tcpdump's notation: ``[S.]`` for SYN+ACK, ``[P.]`` for PSH+ACK."""
        letters = "".join(_TCPDUMP_LETTERS[f] for f in _TCPDUMP_ORDER if f in self)
        return f"[{letters or 'none'}]"


_FLAG_WORDS = {
    **{flag.name: flag for flag in TcpFlag if flag.name},
    "RESET": TcpFlag.RST,
    "PUSH": TcpFlag.PSH,
    "URGENT": TcpFlag.URG,
    "FINISH": TcpFlag.FIN,
    "SYNCHRONIZE": TcpFlag.SYN,
    "ACKNOWLEDGE": TcpFlag.ACK,
}
# scapy's letters (FSRPAUEC) and tcpdump's ('.' for ACK, 'W' for CWR).
_FLAG_LETTERS = {
    "F": TcpFlag.FIN,
    "S": TcpFlag.SYN,
    "R": TcpFlag.RST,
    "P": TcpFlag.PSH,
    "A": TcpFlag.ACK,
    ".": TcpFlag.ACK,
    "U": TcpFlag.URG,
    "E": TcpFlag.ECE,
    "C": TcpFlag.CWR,
    "W": TcpFlag.CWR,
}
_DISPLAY_ORDER = (
    TcpFlag.SYN,
    TcpFlag.FIN,
    TcpFlag.RST,
    TcpFlag.PSH,
    TcpFlag.URG,
    TcpFlag.ACK,
    TcpFlag.ECE,
    TcpFlag.CWR,
)
_TCPDUMP_ORDER = (
    TcpFlag.SYN,
    TcpFlag.FIN,
    TcpFlag.PSH,
    TcpFlag.RST,
    TcpFlag.URG,
    TcpFlag.ECE,
    TcpFlag.CWR,
    TcpFlag.ACK,
)
_TCPDUMP_LETTERS = {
    TcpFlag.SYN: "S",
    TcpFlag.FIN: "F",
    TcpFlag.PSH: "P",
    TcpFlag.RST: "R",
    TcpFlag.URG: "U",
    TcpFlag.ECE: "E",
    TcpFlag.CWR: "W",
    TcpFlag.ACK: ".",
}
