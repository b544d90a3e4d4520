"""Reading YAML text into plain data, strictly, with errors that point at a line.

PyYAML keeps the last of two equal keys in a mapping without a word, so a
topology with ``client:`` twice would silently lose a host; the loader here
refuses duplicate keys instead. Every way the parser can fail becomes one
error (the class the root `At` names) whose path is ``line L, column C``.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, Final

import yaml
from yaml.reader import ReaderError

from lab._reader import At, shown

_MERGE_TAG: Final = "tag:yaml.org,2002:merge"
_SYNTAX_FIX: Final = (
    "check indentation and quoting near there (indent with spaces, not tabs; quote "
    "values that contain ': ' or start with special characters)"
)


class _DuplicateKeyError(yaml.MarkedYAMLError):
    """A mapping has the same key twice."""


class _StrictLoader(yaml.SafeLoader):
    """The safe loader, refusing mappings that repeat a key."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        """The mapping of `node`, or an error at the second of two equal keys."""
        seen: dict[object, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue  # "<<: *anchor" merges on purpose; later keys override it
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:
                continue  # unhashable: the base class reports it properly
            if first is not key_node:
                raise _DuplicateKeyError(
                    problem=(
                        f"the key {shown(key)} appears twice in one mapping "
                        f"(first on line {first.start_mark.line + 1})"
                    ),
                    problem_mark=key_node.start_mark,
                )
        return super().construct_mapping(node, deep)


def parse(source_text: str, root: At) -> object:
    """The data in YAML `source_text`; `root`'s error (naming the line) if it is not YAML."""
    try:
        return yaml.load(source_text, Loader=_StrictLoader)  # a SafeLoader subclass
    except _DuplicateKeyError as error:
        raise _marked(error, root).error(
            error.problem or "a key appears twice",
            "YAML would silently keep only the last one; remove or rename one of them",
        ) from None
    except yaml.MarkedYAMLError as error:
        raise _marked(error, root).error(
            f"this is not valid YAML: {_syntax_problem(error)}", _SYNTAX_FIX
        ) from None
    except ReaderError as error:
        character = error.character
        shown_character = f"#x{character:04x}" if isinstance(character, int) else shown(character)
        raise _position(source_text, error.position, root).error(
            f"this is not valid YAML: character {shown_character}: {error.reason}",
            "remove control characters from the file",
        ) from None
    except RecursionError:
        raise root.error(
            "the YAML is nested too deeply to read", "a few levels of nesting are enough"
        ) from None
    except Exception as error:  # PyYAML lists no complete set of its errors
        # Explicit tags such as !!int abc or !!timestamp x fail with ValueError,
        # AttributeError and the like; whatever it is, the text is not usable data.
        raise root.error(
            f"this YAML cannot be read: {type(error).__name__}: {error}",
            "remove explicit tags (!!...) and check the values near them",
        ) from None


def _syntax_problem(error: yaml.MarkedYAMLError) -> str:
    """PyYAML's problem, with what it was reading and where that started."""
    problem = error.problem or "unexpected text"
    if error.context is None:
        return problem
    start = error.context_mark
    began = f" that starts on line {start.line + 1}" if start is not None else ""
    return f"{problem} ({error.context}{began})"


def _marked(error: yaml.MarkedYAMLError, root: At) -> At:
    """The place `error` points at (where the problem is, else its context)."""
    mark = error.problem_mark or error.context_mark
    if mark is None:
        return root
    return root.moved(f"line {mark.line + 1}, column {mark.column + 1}")


def _position(source_text: str, position: int, root: At) -> At:
    """The line and column of character `position` of `source_text`."""
    before = source_text[:position]
    line = before.count("\n") + 1
    column = position - (before.rfind("\n") + 1) + 1
    return root.moved(f"line {line}, column {column}")
