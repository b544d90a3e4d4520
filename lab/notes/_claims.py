"""What a line of a note claims: a message's flags and numbers, a note's states and timers.

    read_message("SYN=1, ACK=1, seq=y, ack=x+1").flags        # SYN|ACK
    read_message("SYN=1, ACK=1, seq=y, ack=x+1").ack          # NumberClaim("x", 1, "x+1")
    read_message("FIN 전송").flags                            # FIN
    read_note_text("CLOSED → SYN_SENT", names=()).transition  # True
    role_word("클라이언트")                                    # Role.CLIENT

Every vocabulary here (flag words, words that mark data, time passing, unread
data, client and server in many languages) is a table, not a branch. Text
around the names may be in any language: names are found between ASCII
letters and digits only, so ``FIN전송`` and ``SYN_SENT상태`` read too.
Pure: no kernel access.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from lab._errors import did_you_mean
from lab.tcp._names import Role, TcpFlag, TcpState
from lab.tcp._spec import NO_FLAGS, NumberClaim

__all__ = [
    "EVERY_END_WORDS",
    "ROLE_WORDS",
    "FlagGroup",
    "MessageReading",
    "NoteReading",
    "StateMention",
    "find_states",
    "flag_groups",
    "marks_time",
    "read_flag_cell",
    "read_message",
    "read_note_text",
    "role_word",
]

# --- vocabularies -----------------------------------------------------------------------

ROLE_WORDS: Final[dict[str, Role]] = {
    word.casefold(): role
    for role, words in (
        (
            Role.CLIENT,
            (
                *("client", "클라이언트", "客户端", "客戶端", "客户机", "クライアント", "cliente"),
                *("klient", "клиент", "initiator", "active opener", "능동 개방", "主动方"),
            ),
        ),
        (
            Role.SERVER,
            (
                *("server", "서버", "服务器", "服务端", "伺服器", "伺服端", "サーバ", "サーバー"),
                *("servidor", "serveur", "сервер", "listener", "passive opener", "被动方"),
            ),
        ),
    )
    for word in words
}
"""Words for the two ends in common languages (compared case-folded): ``Client``, ``서버``."""

EVERY_END_WORDS: Final = frozenset(
    word.casefold()
    for word in (
        *("", "-", "\N{EM DASH}", "\N{EN DASH}", "*", "both", "each", "all", "both ends"),
        *("양쪽", "양측", "모두", "둘 다", "双方", "两端", "兩端", "両方", "両端"),
        *("both sides", "ambos", "ambas", "les deux", "beide", "alle"),
    )
)
"""Role cells that mean every end: blank, ``both``, ``양쪽``, ``双方``, ``ambos``..."""

# Flag names found in text (any case); the bare words of people's prose are not among them.
_FLAG_WORDS: Final[dict[str, TcpFlag]] = {
    "SYN": TcpFlag.SYN,
    "ACK": TcpFlag.ACK,
    "FIN": TcpFlag.FIN,
    "RST": TcpFlag.RST,
    "PSH": TcpFlag.PSH,
    "URG": TcpFlag.URG,
    "ECE": TcpFlag.ECE,
    "CWR": TcpFlag.CWR,
    "RESET": TcpFlag.RST,
    "SYNACK": TcpFlag.SYN | TcpFlag.ACK,
    "FINACK": TcpFlag.FIN | TcpFlag.ACK,
}
_FLAG_NAME: Final = "|".join(_FLAG_WORDS)
_FLAG: Final = re.compile(rf"(?<![A-Za-z0-9_])(?:{_FLAG_NAME})(?![A-Za-z0-9_])", re.IGNORECASE)
# Flag names joined into one group: SYN+ACK, SYN/ACK, SYN, ACK, SYN-ACK, SYN & ACK, SYN and ACK.
_JOINER: Final = re.compile(r"^[\s+/,&|\-]*(?:(?:and|y|et|und|및|와|과|和|与|と)[\s+/,&|\-]*)?$")
# tcpdump's notation: [S], [S.], [F.], [P.], [R.], [.].
_TCPDUMP: Final = re.compile(r"\[(?P<letters>[SFRPUEW.]{1,8})\]")
# Wireshark's packet list: [SYN], [SYN, ACK], [FIN, PSH, ACK].
_WIRESHARK_FLAG: Final = r"(?:SYN|ACK|FIN|RST|PSH|URG|ECE|CWR)"
_WIRESHARK: Final = re.compile(rf"\[\s*{_WIRESHARK_FLAG}(?:\s*,\s*{_WIRESHARK_FLAG})*\s*\]")
# tcpdump and Wireshark list every flag a segment has: one of these they leave out is not set.
_LISTED: Final = TcpFlag.SYN | TcpFlag.ACK | TcpFlag.FIN | TcpFlag.RST

# A flag written as a bit: SYN=1, ACK: 0 (upper-case ACK only: lower-case ack= is the number).
_BIT: Final = re.compile(
    rf"(?<![A-Za-z0-9_])(?P<flag>{_FLAG_NAME})\s*[:=]\s*(?P<bit>[01])(?![0-9A-Za-z_.+])",
    re.IGNORECASE,
)
# seq=x, Seq# = x, SEQ=100, ack=client_isn+1, ack = x + 1, Ack=1, len=100; tcpdump's "seq 1000".
_SYMBOL: Final = r"[A-Za-z_][A-Za-z0-9_']*"
_FIELD: Final = re.compile(
    r"(?<![A-Za-z0-9_])(?P<key>seq(?:uence)?(?:[\s_]*(?:\#|no\b\.?|num(?:ber)?))?"
    r"|ack(?:nowledge?ment)?(?:[\s_]*(?:\#|no\b\.?|num(?:ber)?))?|len(?:gth)?)"
    rf"(?:\s*[:=]\s*(?P<value>(?P<symbol>{_SYMBOL})(?:\s*(?P<sign>[+-])\s*(?P<offset>\d+))?"
    rf"|(?P<number>\d+)(?:\s*\+\s*(?P<symbol_after>{_SYMBOL}))?)"
    r"|\s+(?P<spaced>\d+)(?![A-Za-z0-9_]))",
    re.IGNORECASE,
)

# tcpdump's "seq 1001:1101": the segment's first and next sequence numbers, 100 bytes of data.
_SEQ_RANGE: Final = re.compile(r"(?<![A-Za-z0-9_])seq\s+(?P<first>\d+):(?P<last>\d+)(?![0-9])")

# Words that say a segment carries data (when it is neither a SYN, a FIN nor a RST).
_DATA: Final = re.compile(
    r"(?<![A-Za-z])(?:data|payload)(?![A-Za-z])"
    r"|(?<![A-Za-z])(?:GET|POST|PUT|DELETE|HEAD|PATCH|OPTIONS)\s+\S|HTTP/\d"
    r"|데이터|페이로드|数据|數據|データ|ペイロード|datos|dados|données|donnees|Daten|dati",
    re.IGNORECASE,
)
_NO_DATA: Final = re.compile(
    r"(?<![A-Za-z])(?:no|without|sin|sem|sans|ohne|keine?)\s+(?:more\s+)?"
    r"(?:data|payload|datos|dados|données|Daten)|데이터\s*없|没有数据|无数据|データなし|データ無し",
    re.IGNORECASE,
)
_URGENT: Final = re.compile(
    r"(?<![A-Za-z])(?:urgent|out[- ]of[- ]band|OOB|MSG_OOB)(?![A-Za-z])"
    r"|긴급|紧急|緊急|urgente|dringend",
    re.IGNORECASE,
)
_UNREAD: Final = re.compile(
    r"unread|not\s+read|never\s+read|without\s+reading|isn't\s+read|is\s+not\s+read"
    r"|읽지\s*않|안\s*읽|未读|未讀|読まない|読まず|未読|sin\s+leer|no\s+le[ií]d[oa]"
    r"|n[ãa]o\s+lid[oa]|sem\s+ler|non\s+lu|ungelesen",
    re.IGNORECASE,
)
_TIMER: Final = re.compile(
    r"(?<![A-Za-z])\d*\s*[*x\N{MULTIPLICATION SIGN}]?\s*MSL(?![A-Za-z])"
    r"|(?<![A-Za-z0-9.])\d+(?:\.\d+)?\s*(?:s|secs?|seconds?|ms|msecs?|min|mins|minutes?"
    r"|segundos?|secondes?|Sekunden|초|秒|分|분)(?![A-Za-z])"
    r"|time[- ]?out|timer|expire[sd]?|expiry|elapse[sd]?"
    r"|타임아웃|타이머|만료|경과|超时|超時|计时器|定时器|過期|过期|タイムアウト|タイマー|満了|経過"
    r"|tiempo\s+de\s+espera|temporizador|expira|délai|minuterie|Zeitüberschreitung|Ablauf",
    re.IGNORECASE,
)
# Between two states, what makes a transition: CLOSED → SYN_SENT, LISTEN -> SYN_RCVD.
_TRANSITION: Final = re.compile(
    r"^[\s()]*(?:→|->|-->|=>|==>|⇒|➔|➜|⟶|\N{EM DASH}>|\N{EN DASH}>|~>"
    r"|to|에서|から|到|a|à|nach|para)[\s()]*$",
    re.IGNORECASE,
)
# Words before a flag (or particles after it) that name the segment being answered, not sent:
# "ACK for the FIN", "ACK of SYN", "FIN에 대한 ACK", "FINに対するACK", "对FIN的ACK", "ACK del FIN".
_REFERENCE_BEFORE: Final = re.compile(
    r"(?:(?<![A-Za-z])(?:for|of|to|acks|acking|acknowledges|acknowledging|answers|answering"
    r"|de|del|da|do|pour|für|auf|zu|al)(?:\s+(?:the|its|a|an|el|la|le|der|die|das))?|对|對)\s*$",
    re.IGNORECASE,
)
_REFERENCE_AFTER: Final = re.compile(r"^\s*(?:에\s*대한|에\s*대해|의|に対する|への|に|の|的|'s)")
# Parts of a note: a state belongs to the participant named before it in the same part.
_PART_BREAK: Final = re.compile(r"[\n,;|/、\N{FULLWIDTH COMMA}\N{FULLWIDTH SEMICOLON}]")
# A name-like token, and the case-insensitive spellings that may stand in Title case in prose.
# Latin letters with accents belong to the word (SYN_REÇU is one word, not SYN_RE); CJK
# characters do not, as they are written right against a state (进入SYN_SENT状态).
_LATIN: Final = "A-Za-z0-9\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_TOKEN: Final = re.compile(rf"(?<![{_LATIN}])[{_LATIN}]+(?:[-_][{_LATIN}]+)*(?![{_LATIN}])")
_TITLE_CASE_STATES: Final = frozenset({"ESTABLISHED", "CLOSED", "LISTEN", "LISTENING"})
_NOT_ALONE: Final = frozenset({"CLOSE", "EST"})  # "close" is a call and "est" a French word


# --- states in text ---------------------------------------------------------------------


@dataclass(frozen=True)
class StateMention:
    """A state named in text: where, as written, and whether it was a guess at a misspelling."""

    state: TcpState | None
    """None when the misspelling is as close to several states (``FIN_WAIT``)."""
    written: str
    start: int
    end: int
    warning: str | None = None
    """For a misspelling: what it is, what it was read as, how to write it."""


def find_states(text: str) -> list[StateMention]:
    """The states named in `text`, in order, in any spelling `TcpState.parse` reads.

    Single words count in capitals (``CLOSED``, ``LISTEN``) or alone
    (``Established``); joined names in any case (``syn_rcvd``, ``Fin-Wait-1``),
    also with spaces in capitals (``SYN SENT``). Misspelt names (``SYN_SEND``,
    ``TIMED_WAIT``) come with a warning, and with their state only when the
    nearest is unambiguous.
    """
    tokens = list(_TOKEN.finditer(text))
    whole = " ".join(_TOKEN.findall(text))
    found: list[StateMention] = []
    index = 0
    while index < len(tokens):
        mention, used = _state_at(text, tokens, index, whole)
        if mention is not None:
            found.append(mention)
        index += used
    return found


def _state_at(
    text: str, tokens: Sequence[re.Match[str]], index: int, whole: str
) -> tuple[StateMention | None, int]:
    """The state that starts at tokens[index] (joining up to three), and the tokens it used."""
    for count in (3, 2, 1):
        chosen = tokens[index : index + count]
        if len(chosen) < count or not _only_spaces_between(text, chosen):
            continue
        start, end = chosen[0].start(), chosen[-1].end()
        written = text[start:end]
        state = _lookup(written)
        # listen(), close(): calls, not states; TIME_WAIT(2MSL) is a state and a remark
        called = text[end : end + 1] == "(" and not any(c in written for c in "-_")
        if state is not None and not called and _reads_as_state(written, whole):
            return StateMention(state, written, start, end), count
    token = tokens[index]
    misspelt = _misspelling(token[0])
    if misspelt is not None:
        return (
            StateMention(misspelt[0], token[0], token.start(), token.end(), misspelt[1]),
            1,
        )
    return None, 1


# The words of notes repeat (the same dozen states and flags in every row), so each word's
# reading is kept: a few thousand entries at most, never a whole note.
@functools.lru_cache(maxsize=8192)
def _lookup(written: str) -> TcpState | None:
    return TcpState.lookup(written)


def _only_spaces_between(text: str, tokens: Sequence[re.Match[str]]) -> bool:
    return all(text[a.end() : b.start()] in (" ", "  ") for a, b in itertools.pairwise(tokens))


def _reads_as_state(written: str, whole: str) -> bool:
    """Whether `written`, which spells a state, names one here rather than being a plain word."""
    letters = [c for c in written if c.isalpha()]
    squashed = re.sub(r"[\s_\-]+", "", written.upper())
    if "-" in written or "_" in written:
        return True
    if letters and all(c.isupper() for c in letters):
        return True
    if squashed in _NOT_ALONE:
        return False
    if written == whole:
        return True  # the whole note: "Established"
    return written[:1].isupper() and written[1:].islower() and squashed in _TITLE_CASE_STATES


@functools.lru_cache(maxsize=8192)
def _misspelling(word: str) -> tuple[TcpState | None, str] | None:
    """(the state, a warning) for a word that looks like a misspelt state; None for other words."""
    joined = "-" in word or "_" in word
    letters = [c for c in word if c.isalpha()]
    if not letters or not (joined or (len(letters) >= 4 and all(c.isupper() for c in letters))):
        return None
    if all(part.upper() in _FLAG_WORDS for part in re.split(r"[-_]", word) if part):
        return None  # SYN-ACK, FIN_ACK: flags
    close = TcpState.closest(word)
    if not close:
        return None
    if len(close) == 1:
        meant = close[0].value
        hint = did_you_mean(word.upper().replace("_", "-"), [meant], shown=str) or (
            f"did you mean {meant}? "
        )
        return close[0], (
            f"{word!r} is not a TCP state; {hint}It is judged as {close[0].value}; "
            f"write {close[0].value} to be sure"
        )
    names = " or ".join(s.value for s in close)
    return None, (
        f"{word!r} is not a TCP state and is as close to {names}, so it is not checked; "
        "write the one you mean"
    )


# --- messages ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageReading:
    """What a message's text claims about its segment."""

    flags: TcpFlag = NO_FLAGS
    """Flags documented as set."""
    absent: TcpFlag = NO_FLAGS
    """Flags documented as not set (``SYN: 0``, ``ACK=0``)."""
    seq: NumberClaim | None = None
    ack: NumberClaim | None = None
    data: bool = False
    length: int | None = None
    """Bytes of data documented (``len=100``, ``length 100``, tcpdump's ``seq 1001:1101``)."""
    urgent: bool = False
    unread: bool = False
    """The text says the data is left unread by the receiver."""
    states: tuple[StateMention, ...] = ()
    """States named in the message text itself (not checked: a Note says whose state it is)."""

    @property
    def is_segment(self) -> bool:
        """Whether the text describes a TCP segment at all (a flag, a flag bit, data)."""
        return bool(self.flags or self.absent or self.data or self.urgent)


def read_message(text: str) -> MessageReading:
    """The flags, numbers and data a message's text documents, however written."""
    work = text.replace("\n", " ")
    flags, absent = NO_FLAGS, NO_FLAGS
    for bit in _BIT.finditer(work):
        name = bit["flag"]
        if name.upper() == "ACK" and name != "ACK":
            continue  # lower-case ack= is the acknowledgement number
        flag = _FLAG_WORDS[name.upper()]
        if bit["bit"] == "1":
            flags |= flag
        else:
            absent |= flag
        work = _blank(work, bit.start(), bit.end())
    numbers: dict[str, NumberClaim] = {}
    length: int | None = None
    for span in _SEQ_RANGE.finditer(work):
        length = int(span["last"]) - int(span["first"])
    for found in _FIELD.finditer(work):
        key = found["key"].lower()
        if found["spaced"] is not None and found["key"] != key:
            continue  # tcpdump writes "seq 1000" in lower case; "ACK 2" is a flag and a number
        if key.startswith("len"):
            length = int(found["number"] or found["spaced"] or 0) if not found["symbol"] else None
        else:
            numbers.setdefault(key[:3], _number(found))
        work = _blank(work, found.start(), found.end())
    listed: TcpFlag | None = None
    for dump in (*_TCPDUMP.finditer(work), *_WIRESHARK.finditer(work)):
        listed = (listed or NO_FLAGS) | TcpFlag.parse(dump[0])
        work = _blank(work, dump.start(), dump.end())
    if listed is not None:
        flags |= listed
        absent |= _LISTED & ~listed
    states = find_states(work)
    for mention in states:
        work = _blank(work, mention.start, mention.end)
    flags |= _flags_in(work)
    flags &= ~absent
    urgent = bool(flags & TcpFlag.URG) or bool(_URGENT.search(work))
    # A word such as "data" makes a segment of data only beside no flag but PSH: "ACK (data)"
    # acknowledges data, and "FIN (no more data)" closes.
    data = (
        bool(flags & TcpFlag.PSH)
        or (length is not None and length > 0)
        or (
            length is None
            and not flags & ~TcpFlag.PSH
            and bool(_DATA.search(work))
            and not _NO_DATA.search(work)
        )
    )
    return MessageReading(
        flags=flags,
        absent=absent,
        seq=numbers.get("seq"),
        ack=numbers.get("ack"),
        data=data and not urgent,
        length=length if data and not urgent and length else None,
        urgent=urgent,
        unread=bool(_UNREAD.search(work)),
        states=tuple(states),
    )


def _blank(text: str, start: int, end: int) -> str:
    """`text` with [start, end) replaced by spaces, so later positions stay put."""
    return text[:start] + " " * (end - start) + text[end:]


def _number(found: re.Match[str]) -> NumberClaim:
    """The `NumberClaim` of a matched seq=/ack= field."""
    if found["spaced"] is not None:
        return NumberClaim(None, int(found["spaced"]), found["spaced"])
    written = " ".join(found["value"].split())
    if found["number"] is not None:
        return NumberClaim(found["symbol_after"], int(found["number"]), written)
    offset = int(found["offset"] or 0) * (-1 if found["sign"] == "-" else 1)
    return NumberClaim(found["symbol"], offset, written)


@dataclass(frozen=True)
class FlagGroup:
    """Flag names written together (``SYN+ACK``, ``SYN, ACK``, ``SYN and ACK``), and where."""

    flags: TcpFlag
    start: int
    end: int
    referenced: bool
    """Named as the segment answered, not the one sent: ``ACK of SYN``, ``FIN에 대한 ACK``."""
    parenthesized: bool
    """Inside parentheses: ``연결 요청 (SYN)``."""


def flag_groups(text: str) -> list[FlagGroup]:
    """The groups of flag names in `text`, in order, each with whether it is only referenced."""
    groups: list[list[re.Match[str]]] = []
    for found in _FLAG.finditer(text):
        if groups and _JOINER.match(text[groups[-1][-1].end() : found.start()]):
            groups[-1].append(found)
        else:
            groups.append([found])
    read = []
    for group in groups:
        first, last = group[0], group[-1]
        flags = NO_FLAGS
        for found in group:
            flags |= _FLAG_WORDS[found[0].upper()]
        referenced = bool(
            _REFERENCE_BEFORE.search(text[: first.start()])
            or _REFERENCE_AFTER.match(text[last.end() :])
        )
        read.append(
            FlagGroup(
                flags, first.start(), last.end(), referenced, _in_parentheses(text, first.start())
            )
        )
    return read


def marks_time(text: str) -> bool:
    """Whether `text` says time passes: ``2MSL``, ``60s``, ``timeout``, ``타임아웃``, ``超时``."""
    return bool(_TIMER.search(text))


def _flags_in(text: str) -> TcpFlag:
    """Flag names in `text`: groups outside parentheses first, and none that are answered.

    ``ACK (for the FIN)`` and ``ACK for FIN`` are an ACK; ``연결 요청 (SYN)`` is a SYN.
    """
    outside, inside = NO_FLAGS, NO_FLAGS
    for group in flag_groups(text):
        if group.referenced:
            continue
        if group.parenthesized:
            inside |= group.flags
        else:
            outside |= group.flags
    return outside or inside


def _in_parentheses(text: str, position: int) -> bool:
    before = text[:position]
    opened = before.count("(") + before.count("\N{FULLWIDTH LEFT PARENTHESIS}")
    closed = before.count(")") + before.count("\N{FULLWIDTH RIGHT PARENTHESIS}")
    return opened > closed


# --- notes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteReading:
    """What a ``Note``'s text claims: states (each maybe with a participant), time passing."""

    states: tuple[tuple[str | None, TcpState], ...]
    """Each state named, in order, with the participant named just before it (or None)."""
    transition: bool
    """The states are written as a transition: ``CLOSED → SYN_SENT``."""
    timer: bool
    """The text marks time passing (``2MSL``, ``60s``, ``timeout``)."""
    unread: bool
    warnings: tuple[str, ...]
    spellings: tuple[tuple[TcpState, str], ...]
    """Each state as written, for reports in the note's own spelling."""

    @property
    def reason(self) -> str:
        """Why a note with neither a state nor a timer claims nothing lab can check."""
        if self.warnings:
            return "its state name is not one lab knows (see the warning)"
        return "it names no TCP state and no time passing"


def read_note_text(text: str, names: Sequence[str]) -> NoteReading:
    """The states, transition and timer a note's `text` claims; `names` are the participants."""
    mentions = find_states(text)
    warnings = tuple(m.warning for m in mentions if m.warning)
    known = [m for m in mentions if m.state is not None]
    transition = len(known) >= 2 and all(
        _TRANSITION.match(text[a.end : b.start]) for a, b in itertools.pairwise(known)
    )
    states = tuple((_named_before(text, m.start, names), m.state) for m in known if m.state)
    work = text
    for mention in mentions:
        work = _blank(work, mention.start, mention.end)
    return NoteReading(
        states=states,
        transition=transition,
        timer=bool(_TIMER.search(work)),
        unread=bool(_UNREAD.search(work)),
        warnings=warnings,
        spellings=tuple((m.state, m.written) for m in known if m.state and not m.warning),
    )


def _named_before(text: str, position: int, names: Sequence[str]) -> str | None:
    """The participant named last before `position` in the same part of `text`, or None."""
    breaks = [b.end() for b in _PART_BREAK.finditer(text, 0, position)]
    part = text[breaks[-1] if breaks else 0 : position]
    best: tuple[int, str] | None = None
    for name in names:
        for found in _name_pattern(name).finditer(part):
            if best is None or found.start() > best[0]:
                best = (found.start(), name)
    return best[1] if best else None


@functools.lru_cache(maxsize=1024)
def _name_pattern(name: str) -> re.Pattern[str]:
    """A participant's name as a word (ASCII names) or as written (others), any case."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(name)}(?![A-Za-z0-9])", re.IGNORECASE)


# --- table cells ------------------------------------------------------------------------

_FLAG_CELL: Final = re.compile(
    rf"^\s*(?P<flags>(?:{_FLAG_NAME})(?![A-Za-z0-9_])"
    rf"(?:\s*[+/,&|]\s*(?:{_FLAG_NAME})(?![A-Za-z0-9_])|-(?:{_FLAG_NAME})(?![A-Za-z0-9_\-]))*"
    r"|\[[SFRPUEW.]{1,8}\])(?P<rest>.*)$",
    re.IGNORECASE,
)
# What may follow the flags in a cell of their own: nothing, an explanation, the word "flag".
_FLAG_CELL_REST: Final = re.compile(
    r"^\s*$|^\s*[(:\N{FULLWIDTH LEFT PARENTHESIS}\N{FULLWIDTH COLON}]"
    r"|^\s+[-\N{EM DASH}\N{EN DASH}]\s"
    r"|^\s*(?:flags?|bits?|플래그|비트|标志|标志位|フラグ|ビット|bandera|drapeau)(?![A-Za-z])",
    re.IGNORECASE,
)


def read_flag_cell(cell: str) -> TcpFlag | None:
    """The flags a table cell names on its own (``SYN``, ``SYN+ACK``, ``FIN (finish)``), or None."""
    found = _FLAG_CELL.match(cell)
    if found is None or not _FLAG_CELL_REST.match(found["rest"]):
        return None
    if found["flags"].startswith("["):
        return TcpFlag.parse(found["flags"])
    flags = NO_FLAGS
    for word in _FLAG.findall(found["flags"]):
        flags |= _FLAG_WORDS[word.upper()]
    return flags


def role_word(text: str) -> Role | None:
    """The role a word for client or server names, in any common language; None otherwise."""
    return ROLE_WORDS.get(" ".join(text.split()).casefold())
