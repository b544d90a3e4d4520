"""Checking plain data (from YAML or Python) against tables of keys, with field paths.

    MTU = Key("mtu", integer(1280, 65535, 1500), default(None))
    NAME = Key("name", plain_text, required("give the link a name: name: uplink"))
    LINK = Shape("a link: a mapping with name: and mtu:", (NAME, MTU),
                 lambda record, at: (record[NAME], record[MTU]), "write e.g. {name: uplink}")

    LINK({"name": "uplink", "mtu": "9000"}, At("lab.yaml", raises=TopologyError))
    # TopologyError: lab.yaml: mtu: must be a whole number from 1280 to 65535, but it is
    # a string ('9000'); write a number such as mtu: 1500 (without quotes)

A *reader* is a function ``(value, at) -> T`` that returns the checked value or
raises one `InputError` saying where (`At`) and how to fix it. `Shape` reads a
mapping whose keys are listed in a table of `Key` objects; `list_of` and
`mapping_of` read containers of anything another reader reads. The topology
schema (`lab.topology._schema`) and the TCP spec (`lab.tcp._spec_schema`) are built
only from these pieces, so each is one table you can read from top to bottom.
Each names its own error class once, at the root `At`; every place below it
raises that class.
"""

from __future__ import annotations

import datetime
import os
import re
import reprlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Final, Generic, NoReturn, TypeAlias, TypeVar, cast

from lab._errors import InputError, did_you_mean

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
K = TypeVar("K")
V = TypeVar("V")

Reader: TypeAlias = Callable[[object, "At"], T]
"""Checks one value found at a place and returns it converted, or raises InputError."""

_PLAIN_KEY: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")

# Long or nested values are cut short so that an error stays one readable line.
_SHORT: Final = reprlib.Repr()
_SHORT.maxstring = 40
_SHORT.maxother = 40
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 4
_SHORT.maxlevel = 2

# What to call a value's type in a message; bool before int because bool is an int.
_KINDS: Final[tuple[tuple[type, str], ...]] = (
    (type(None), "empty (null)"),
    (bool, "a boolean"),
    (int, "a whole number"),
    (float, "a number with a fraction"),
    (str, "a string"),
    (bytes, "binary data"),
    (datetime.datetime, "a date and time"),
    (datetime.date, "a date"),
    (Mapping, "a mapping"),
    (list, "a list"),
    (tuple, "a list"),
    (set, "a set"),
)

BOOLEAN_HINT: Final = "YAML reads unquoted yes/no/on/off/true/false as booleans, so quote the name"


def shown(value: object) -> str:
    """`value` as a short repr for messages."""
    return _SHORT.repr(value)


def describe_value(value: object) -> str:
    """What `value` is, in words: ``a string ('abc')``, ``empty (null)``."""
    for cls, name in _KINDS:
        if isinstance(value, cls):
            return name if value is None else f"{name} ({shown(value)})"
    return f"a {type(value).__name__} ({shown(value)})"


@dataclass(frozen=True)
class At:
    """Where a value sits: the source (file or ``<python>``) and the field path in it."""

    source: str
    path: str = ""
    raises: type[InputError] = field(kw_only=True)
    """The error class for this kind of data (TopologyError, SpecError)."""

    def key(self, name: object) -> At:
        """The place of mapping key `name` below this one."""
        if isinstance(name, str) and _PLAIN_KEY.fullmatch(name):
            step = name if not self.path else f".{name}"
        else:
            # Keys with dots or odd characters (sysctl names) stay readable in brackets.
            step = f"[{shown(name)}]"
        return replace(self, path=self.path + step)

    def index(self, position: int) -> At:
        """The place of list item `position` below this one."""
        return replace(self, path=f"{self.path}[{position}]")

    def moved(self, path: str) -> At:
        """Another place in the same source, such as ``line 3, column 5``."""
        return replace(self, path=path)

    @property
    def last(self) -> str:
        """The last step of the path, for messages about a missing key."""
        return re.split(r"[.\[]", self.path)[-1].rstrip("]")

    def error(self, problem: str, fix: str) -> InputError:
        """The error (of class `raises`) for this place; the caller raises it."""
        return self.raises(self.source, self.path, problem, fix)


def text(value: object, at: At, wanted: str, fix: str) -> str:
    """`value` if it is a string; otherwise an error saying it must be `wanted`."""
    if not isinstance(value, str):
        raise at.error(f"must be {wanted}, but it is {describe_value(value)}", fix)
    return value


def mapping(value: object, at: At, wanted: str, fix: str) -> Mapping[object, object]:
    """`value` if it is a mapping; otherwise an error saying it must be `wanted`."""
    if not isinstance(value, Mapping):
        raise at.error(f"must be {wanted}, but it is {describe_value(value)}", fix)
    return cast(Mapping[object, object], value)


def sequence(value: object, at: At, wanted: str, fix: str) -> Sequence[object]:
    """`value` if it is a list or tuple; otherwise an error saying it must be `wanted`."""
    if not isinstance(value, list | tuple):
        raise at.error(f"must be {wanted}, but it is {describe_value(value)}", fix)
    return cast(Sequence[object], value)


def boolean(value: object, at: At) -> bool:
    """Read true or false."""
    if not isinstance(value, bool):
        raise at.error(
            f"must be true or false, but it is {describe_value(value)}", "write true or false"
        )
    return value


def integer(low: int, high: int, example: int) -> Reader[int]:
    """A reader of whole numbers from `low` to `high`."""

    def read(value: object, at: At) -> int:
        """Check that `value` is an int (not a bool) in range."""
        fix = f"write a number such as {at.last}: {example}"
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and value.strip().isdecimal():
                fix += " (without quotes)"
            raise at.error(
                f"must be a whole number from {low} to {high}, but it is {describe_value(value)}",
                fix,
            )
        if not low <= value <= high:
            raise at.error(f"{value} is outside the allowed range {low} to {high}", fix)
        return value

    return read


def plain_text(value: object, at: At) -> str:
    """Read any string, such as a description; surrounding blank space is dropped."""
    return text(value, at, "a string", f"write {at.last}: followed by text").strip()


def list_of(
    item: Reader[T], wanted: str, fix: str, *, single: bool = False
) -> Reader[tuple[T, ...]]:
    """A reader of lists whose items `item` reads; with `single`, one bare item is a list of one."""

    def read(value: object, at: At) -> tuple[T, ...]:
        """Read every item, each at its index."""
        if single and isinstance(value, str):
            return (item(value, at),)
        items = sequence(value, at, wanted, fix)
        return tuple(item(v, at.index(i)) for i, v in enumerate(items))

    return read


def mapping_of(
    key: Callable[[object, At], K], value: Reader[V], wanted: str, fix: str
) -> Reader[tuple[tuple[K, V], ...]]:
    """A reader of mappings with free keys (host names, sysctl names), kept in order.

    `key` gets the key and the place of its value, so its errors point there.
    """

    def read(data: object, at: At) -> tuple[tuple[K, V], ...]:
        """Read every key and value, in order."""
        entries = mapping(data, at, wanted, fix)
        return tuple((key(k, at.key(k)), value(v, at.key(k))) for k, v in entries.items())

    return read


@dataclass(frozen=True)
class Located(Generic[T_co]):
    """A checked value and the place it was read from, for later errors about it."""

    value: T_co
    at: At


def located(read: Reader[T]) -> Reader[Located[T]]:
    """A reader that keeps the place of each value `read` returns."""
    return lambda value, at: Located(read(value, at), at)


Absent: TypeAlias = Callable[[At, str], T]
"""What a key stands for when it is missing or null; gets its place and "missing"/"empty"."""


def default(value: T) -> Absent[T]:
    """A missing or null key means `value`."""
    return lambda at, how: value


def required(fix: str, problem: str | None = None) -> Absent[NoReturn]:
    """A missing or null key is an error; `problem` replaces the usual "'x' is missing"."""

    def fail(at: At, how: str) -> NoReturn:
        """Raise the error for the key at `at`."""
        raise at.error(problem or f"'{at.last}' is {how}", fix)

    return fail


@dataclass(frozen=True)
class Key(Generic[T_co]):
    """One allowed key of a mapping: its name, how to read it, what its absence means."""

    name: str
    read: Reader[T_co]
    absent: Absent[T_co]


class Record:
    """The checked values of one mapping, looked up by their `Key`."""

    def __init__(self, values: dict[str, object]) -> None:
        """Wrap the values `Shape` read, by key name."""
        self._values = values

    def __getitem__(self, key: Key[T]) -> T:
        """The value read for `key` (or what its absence means)."""
        # Shape stored exactly what key.read or key.absent returned under key.name.
        return cast(T, self._values[key.name])


@dataclass(frozen=True)
class Shape(Generic[T]):
    """A reader of mappings with a fixed table of keys, built into a `T` by `build`.

    Keys are checked first (unknown keys and typos, in file order), then values in
    file order, then missing keys in table order.
    """

    wanted: str
    """What the mapping is, for type errors: "a link with endpoints: and mtu:"."""
    keys: tuple[Key[object], ...]
    build: Callable[[Record, At], T]
    fix: str
    """How to write the mapping right, for type errors."""
    null_is_empty: bool = False
    """Whether null means an empty mapping, as for ``client:`` with no options."""

    def __call__(self, value: object, at: At) -> T:
        """Check the mapping `value` against the table and build it."""
        if value is None and self.null_is_empty:
            value = {}
        data = mapping(value, at, self.wanted, self.fix)
        table = {k.name: k for k in self.keys}
        for name in data:
            if name not in table:
                raise _unknown_key(name, table, at)
        values: dict[str, object] = {}
        for name, raw in data.items():
            spec = table[cast(str, name)]
            place = at.key(name)
            values[spec.name] = (
                spec.absent(place, "empty") if raw is None else spec.read(raw, place)
            )
        for spec in self.keys:
            if spec.name not in values:
                values[spec.name] = spec.absent(at.key(spec.name), "missing")
        return self.build(Record(values), at)


def _unknown_key(name: object, table: Mapping[str, Key[object]], at: At) -> InputError:
    """The error for a key that `table` does not list, with the closest allowed key."""
    allowed = ", ".join(table)
    if not isinstance(name, str):
        hint = f"{BOOLEAN_HINT}; " if isinstance(name, bool) else ""
        return at.key(name).error(
            f"key {shown(name)} is {describe_value(name)}, not a key name",
            f"{hint}allowed keys: {allowed}",
        )
    guess = did_you_mean(name, table)
    return at.key(name).error(f"unknown key '{name}'", f"{guess}allowed keys here: {allowed}")


# Why a file cannot be read, most specific first: (error class, problem, fix). The fix of a
# missing file is the caller's, since only it knows what else could have been meant.
_UNREADABLE: Final[tuple[tuple[type[OSError], str, str], ...]] = (
    (FileNotFoundError, "there is no such file", ""),
    (IsADirectoryError, "this is a directory, not a file", "name a file in it"),
    (
        PermissionError,
        "this file cannot be read: permission denied",
        "make it readable (chmod a+r), or copy it somewhere you can read",
    ),
    (OSError, "this file cannot be read: {error}", "check the path and the file"),
)


def read_bytes(
    path: str | os.PathLike[str],
    source: str,
    raises: type[InputError],
    *,
    missing: Callable[[], str],
) -> bytes:
    """The bytes of the file at `path`, or one error of class `raises` saying why not.

    `source` names the file in the error as the user wrote it; `missing()` gives
    the fix when there is no such file (called only then).
    """
    try:
        return Path(path).read_bytes()
    except ValueError:  # pathlib refuses paths with NUL bytes this way
        raise raises(source, "", "this is not a usable file name", "check the path") from None
    except OSError as error:
        problem, fix = next((p, f) for cls, p, f in _UNREADABLE if isinstance(error, cls))
        raise raises(
            source, "", problem.format(error=error.strerror or error), fix or missing()
        ) from None


def read_text(
    path: str | os.PathLike[str],
    source: str,
    raises: type[InputError],
    *,
    missing: Callable[[], str],
) -> str:
    """The UTF-8 text of the file at `path`, or one error of class `raises` saying why not.

    `source` names the file in the error as the user wrote it; `missing()` gives
    the fix when there is no such file (called only then).
    """
    data = read_bytes(path, source, raises, missing=missing)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise raises(
            source,
            f"byte {error.start}",
            "the file is not UTF-8 text",
            "save it as UTF-8 (it may be binary, or in another encoding)",
        ) from None
