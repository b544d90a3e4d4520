"""What a state diagram's edge label says takes the edge: calls, segments, timers, in any language.

    read_edge_label("recv SYN-ACK / send ACK")
    # (LabelPart(RECEIVED, "recv SYN-ACK", flags=SYN|ACK), LabelPart(SENT, "send ACK", ...))
    read_edge_label("close / FIN")        # the call closes, then FIN sent in answer
    read_edge_label("FIN 수신")           # FIN received (the verb after the flag)
    read_edge_label("等待 30s")           # a timer of 30 seconds
    read_edge_label("2MSL timeout")       # a timer, no duration to judge

RFC 793's labels are ``event / action`` (``rcv SYN / snd SYN,ACK``); a line
break stands for the slash too. A flag named with no verb is, before the
slash, a segment either sent or received (the judge accepts either) and,
after it, a segment sent in answer. A verb of sending or receiving
(`SEND_WORDS`, `RECEIVE_WORDS`) belongs to the flags right before or after
it: English, Chinese and Spanish put it first (``recv FIN``, ``收到 FIN``),
Korean and Japanese after (``FIN 수신``, ``FIN受信``); each word list says which
side it prefers. Calls (`ACTION_WORDS`) and timers (``timeout``, ``2MSL``,
``30 s``, ``1 min``, ``30초``, ``30秒``) are read anywhere. Flags only answered
(``rcv ACK of SYN``) and state names (``SYN_SENT``) are not read as segments.
Every vocabulary is a table. Pure: no kernel access.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from lab.notes._claims import find_states, flag_groups, marks_time
from lab.tcp._edge_claims import LabelPart, PartKind
from lab.tcp._names import TcpFlag
from lab.tcp._spec import NO_FLAGS

__all__ = ["ACTION_WORDS", "IGNORED_WORDS", "RECEIVE_WORDS", "SEND_WORDS", "read_edge_label"]

ACTION_WORDS: Final[Mapping[str, tuple[str, ...]]] = {
    "listens": (
        *("passive open", "passive-open", "open passive", "listen()", "listen", "listens"),
        *(
            "被动打开",
            "被動打開",
            "被动开启",
            "监听",
            "監聽",
            "수동 개방",
            "수동 열림",
            "수동 오픈",
        ),
        *(
            "리슨",
            "受動オープン",
            "パッシブオープン",
            "apertura pasiva",
            "abrir pasivo",
            "escuchar",
        ),
        *("ouverture passive", "écouter", "passives Öffnen", "passive Öffnung"),
    ),
    "connects": (
        *("active open", "active-open", "open active", "connect()", "connect", "connects"),
        *("主动打开", "主動打開", "主动开启", "능동 개방", "능동 열림", "능동 오픈", "커넥트"),
        *("能動オープン", "アクティブオープン", "apertura activa", "abrir activo", "conectar"),
        *("ouverture active", "connecter", "aktives Öffnen", "aktive Öffnung", "verbinden"),
    ),
    "closes": (
        *("active close", "close()", "close", "closes", "shutdown()", "shutdown"),
        *(
            "主动关闭",
            "主動關閉",
            "关闭",
            "關閉",
            "능동 닫기",
            "능동 종료",
            "닫기",
            "닫음",
            "클로즈",
        ),
        *("クローズ", "閉じる", "cierre activo", "cerrar", "cierra", "fermeture active", "fermer"),
        *("ferme", "aktives Schließen", "schließen", "schliessen", "schließt", "schliesst"),
    ),
    "aborts": (
        *("abort()", "abort", "aborts", "SO_LINGER", "中止", "중단", "アボート", "abortar"),
        *("abandonner", "abbrechen"),
    ),
}
"""Words for the application's calls, by the verb of `lab.tcp._edges`' triggers."""

IGNORED_WORDS: Final = (
    *("passive close", "simultaneous close", "simultaneous open", "被动关闭", "被動關閉"),
    *("同时关闭", "同時關閉", "同时打开", "同時打開", "수동 닫기", "수동 종료", "동시 닫기"),
    *("동시 개방", "cierre pasivo", "fermeture passive", "passives Schließen"),
)
"""Names of a whole way of closing or opening, not a call: ``passive close`` calls no close."""

# Each direction's words: (those written before the flags, those written after them).
SEND_WORDS: Final = (
    (
        *("send", "sends", "sending", "snd", "transmit", "transmits", "tx", "emit", "emits"),
        *("reply with", "replies with", "replies", "reply", "respond with", "responds with"),
        *("answers with", "发送", "發送", "发出", "發出", "送出", "回复", "回覆", "回应", "回應"),
        *("发", "發", "enviar", "envía", "envia", "envío", "envio", "manda", "responde con"),
        *("envoyer", "envoie", "envoi", "émet", "émettre", "répond par", "sende", "sendet"),
        *("schickt", "antwortet mit"),
    ),
    (
        *("sent back", "sent", "발송", "전송", "송신", "보냄", "보내기", "보낸다", "응답"),
        *("送信", "送る", "返す", "返送", "gesendet", "senden", "verschickt", "enviado"),
        *("enviada", "envoyé", "envoyée"),
    ),
)
"""Words for sending, as (written before the flags, written after them)."""

RECEIVE_WORDS: Final = (
    (
        *("on receiving", "on receipt of", "receive", "receives", "receiving", "recv", "rcvd"),
        *("rcv", "got", "gets", "get", "rx", "upon", "on", "收到", "接收", "接到", "收"),
        *("recibir", "recibe", "recepción de", "recevoir", "reçoit", "réception de"),
        *("réception", "empfängt", "empfange", "erhält", "Empfang von", "Empfang"),
    ),
    (
        *("received", "recvd", "arrives", "arrived", "수신", "받음", "받으면", "받기", "받는다"),
        *("도착", "受信", "受け取る", "受け取り", "到着", "到达", "抵達", "empfangen", "erhalten"),
        *("recibido", "recibida", "reçu", "reçue"),
    ),
)
"""Words for receiving, as (written before the flags, written after them)."""

_LATIN: Final = "A-Za-z\u00c0-\u024f"
# Between a verb and its flags: spaces, a colon, brackets, an article, a particle.
_FILLER: Final = re.compile(
    r"^[\s:()\"'\N{FULLWIDTH COLON}\N{FULLWIDTH LEFT PARENTHESIS}\N{FULLWIDTH RIGHT PARENTHESIS}"
    r"을를이가은는을의をがはの]*"
    r"(?:(?:a|an|the|its|own|el|la|los|un|una|une|le|les|ein|eine|einen|den|das|der|die)"
    r"[\s:()]+)*$",
    re.IGNORECASE,
)
_SLASH: Final = re.compile(r"/|\N{FULLWIDTH SOLIDUS}|\n")
_FLAG_AROUND: Final = re.compile(r"(?:SYN|ACK|FIN|RST|PSH|URG)$", re.IGNORECASE)
_FLAG_AFTER: Final = re.compile(r"^(?:SYN|ACK|FIN|RST|PSH|URG)", re.IGNORECASE)
_MSL: Final = re.compile(rf"(?<![{_LATIN}])\d*\s*[*x\u00d7]?\s*MSL(?![{_LATIN}])", re.IGNORECASE)
_UNITS: Final[Mapping[str, float]] = {
    **dict.fromkeys(("ms", "msec", "msecs", "millisecond", "milliseconds"), 0.001),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds", "segundo", "segundos"), 1.0),
    **dict.fromkeys(("seconde", "secondes", "sekunde", "sekunden", "초", "秒"), 1.0),
    **dict.fromkeys(("min", "mins", "minute", "minutes", "minuto", "minutos", "minuten"), 60.0),
    **dict.fromkeys(("분", "分钟", "分鐘", "分"), 60.0),
    **dict.fromkeys(("h", "hour", "hours", "hora", "horas", "heure", "heures"), 3600.0),
    **dict.fromkeys(("stunde", "stunden", "小时", "小時", "시간"), 3600.0),
}
"""Units of a written duration, in seconds."""
_DURATION: Final = re.compile(
    rf"(?<![{_LATIN}0-9.])(?P<number>\d+(?:[.,]\d+)?)\s*"
    rf"(?P<unit>{'|'.join(sorted(map(re.escape, _UNITS), key=len, reverse=True))})"
    rf"(?![{_LATIN}])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Word:
    """A verb of sending or receiving in the label: where, which, and on which side it goes."""

    start: int
    end: int
    kind: PartKind
    after_flags: bool
    """Written after the flags it is about (``FIN 수신``) rather than before."""


def read_edge_label(label: str) -> tuple[LabelPart, ...]:
    """What `label` says takes the edge, part by part, in the order written (module docstring)."""
    parts: list[tuple[int, LabelPart]] = []
    at = 0
    for index, clause in enumerate(_clauses(label)):
        parts += [(at + start, part) for start, part in _clause(clause, answer=index > 0)]
        at += len(clause) + 1
    kept: dict[tuple[object, ...], LabelPart] = {}
    for _, part in sorted(parts, key=lambda found: found[0]):
        # abort (SO_LINGER 0): one call, written twice
        kept.setdefault((part.kind, part.verb, part.flags, part.seconds, part.answer), part)
    return tuple(kept.values())


def _clauses(label: str) -> list[str]:
    """`label` cut at each slash (or line break) that is not between two flags (``SYN/ACK``)."""
    clauses: list[str] = []
    start = 0
    for found in _SLASH.finditer(label):
        before, after = label[start : found.start()], label[found.end() :]
        if found[0] == "/" and _FLAG_AROUND.search(before) and _FLAG_AFTER.match(after):
            continue  # SYN/ACK: one segment
        clauses.append(before)
        start = found.end()
    clauses.append(label[start:])
    return clauses


def _clause(text: str, *, answer: bool) -> list[tuple[int, LabelPart]]:
    """The parts of one clause, with where each starts; `answer`: after a slash."""
    work = _blank_states(text)
    parts: list[tuple[int, LabelPart]] = []
    for pattern in _IGNORED:
        for found in pattern.finditer(work):
            work = _blank(work, found.start(), found.end())
    durations = list(_DURATION.finditer(work))
    for found in durations:
        seconds = float(found["number"].replace(",", ".")) * _UNITS[found["unit"].casefold()]
        parts.append((found.start(), _part(PartKind.TIMER, found[0], seconds=seconds)))
        work = _blank(work, found.start(), found.end())
    msl = list(_MSL.finditer(work))
    for found in msl:
        work = _blank(work, found.start(), found.end())
    if not durations and (msl or marks_time(work)):
        start = msl[0].start() if msl else 0
        written = msl[0][0].strip() if msl else " ".join(text.split())
        parts.append((start, _part(PartKind.TIMER, written)))
    for verb, pattern in _ACTIONS.items():
        for found in pattern.finditer(work):
            parts.append((found.start(), _part(PartKind.ACTION, found[0], verb=verb)))
            work = _blank(work, found.start(), found.end())
    words: list[_Word] = []
    for kind, after_flags, pattern in _DIRECTIONS:
        for found in pattern.finditer(work):
            words.append(_Word(found.start(), found.end(), kind, after_flags))
            work = _blank(work, found.start(), found.end())
    for group in flag_groups(work):
        if group.referenced:
            continue
        word = _word_for(work, group.start, group.end, words)
        if word is None:
            kind = PartKind.SENT if answer else PartKind.SEGMENT
            start, end = group.start, group.end
        else:
            kind = word.kind
            start, end = min(word.start, group.start), max(word.end, group.end)
        written = " ".join(text[start:end].split())
        parts.append((start, _part(kind, written, flags=group.flags, answer=answer)))
    return parts


def _part(
    kind: PartKind,
    written: str,
    *,
    verb: str = "",
    flags: TcpFlag = NO_FLAGS,
    seconds: float | None = None,
    answer: bool = False,
) -> LabelPart:
    return LabelPart(kind, written, verb=verb, flags=flags, seconds=seconds, answer=answer)


def _word_for(text: str, start: int, end: int, words: Iterable[_Word]) -> _Word | None:
    """The verb a group of flags at [start, end) belongs to: one written right before it on its
    own side, else right after it on its own side, else right before or after it."""
    before = [w for w in words if w.end <= start and _FILLER.match(text[w.end : start])]
    after = [w for w in words if w.start >= end and _FILLER.match(text[end : w.start])]
    near_before = max(before, key=lambda w: w.end, default=None)
    near_after = min(after, key=lambda w: w.start, default=None)
    if near_before is not None and not near_before.after_flags:
        return near_before
    if near_after is not None and near_after.after_flags:
        return near_after
    return near_before or near_after


def _blank_states(text: str) -> str:
    """`text` with the state names it writes as names (``SYN-SENT``, ``LISTEN``) blanked, so
    that their letters are not read as flags or calls; ``CLOSE`` is RFC 793's call."""
    for mention in find_states(text):
        written = mention.written
        letters = [c for c in written if c.isalpha()]
        named = any(c in written for c in "-_ ") or (
            letters and all(c.isupper() for c in letters) and written != "CLOSE"
        )
        if named:
            text = _blank(text, mention.start, mention.end)
    return text


_READ: Final = "#"
"""What replaces what was read, keeping positions: no flag, no space (so ``SYN 수신 SYN+ACK``
stays two groups of flags, where spaces would join them)."""


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + _READ * (end - start) + text[end:]


def _words(words: Iterable[str]) -> re.Pattern[str]:
    """One pattern for `words`, longest first; words of Latin letters only as whole words."""
    ordered = sorted(set(words), key=len, reverse=True)
    return re.compile(
        "|".join(
            rf"(?<![{_LATIN}]){re.escape(w)}(?![{_LATIN}])"
            if re.search(f"[{_LATIN}]", w)
            else re.escape(w)
            for w in ordered
        ),
        re.IGNORECASE,
    )


_IGNORED: Final = (_words(IGNORED_WORDS),)
_ACTIONS: Final = {verb: _words(words) for verb, words in ACTION_WORDS.items()}
_DIRECTIONS: Final = (
    (PartKind.SENT, False, _words(SEND_WORDS[0])),
    (PartKind.SENT, True, _words(SEND_WORDS[1])),
    (PartKind.RECEIVED, False, _words(RECEIVE_WORDS[0])),
    (PartKind.RECEIVED, True, _words(RECEIVE_WORDS[1])),
)
