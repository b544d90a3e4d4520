"""Finding topologies by name or path, and loading them from YAML text or Python data.

Every way in (`load`, `loads`, `from_dict`) ends in the same three steps: read
the fields (`_schema`), check how they fit together (`_validate`), fill in what
was left out (`_resolve`). So a dict from Python gets exactly the checks and
messages that a file does.

A bare name such as ``two-hosts`` is looked up as ``two-hosts.yaml`` (then
``.yml``) in the directories of `topology_dirs`, first to last: the user's own
(``./topologies``; the pytest plugin puts its ``lab_topologies`` and the
``topologies/`` next to pytest's rootdir before it), then those in
``$LAB_TOPOLOGIES`` (separated by ``os.pathsep``), then the topologies shipped
with lab. A name with a ``/`` or a ``.yaml`` suffix is a path.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from lab._errors import TopologyError, did_you_mean
from lab._reader import At, describe_value, read_text
from lab._yaml import parse
from lab.topology._model import Topology
from lab.topology._names import default_topology_name
from lab.topology._resolve import resolve
from lab.topology._schema import TOPOLOGY
from lab.topology._validate import check

DEFAULT_TOPOLOGY: Final = "two-hosts"
"""The topology a lab is built from when nobody names one."""
ENVIRONMENT_VARIABLE: Final = "LAB_TOPOLOGIES"
_SHIPPED_PACKAGE: Final = "lab._topologies"  # the repository's topologies/, see pyproject.toml
_SUFFIXES: Final = (".yaml", ".yml")
_START: Final = (
    "start from a shipped topology such as two-hosts, which has hosts: and links: "
    "(lab show two-hosts describes it)"
)


def load(
    name_or_path: str | os.PathLike[str], *, search_path: Sequence[Path] | None = None
) -> Topology:
    """The topology in a file, given by path or by name (``two-hosts``)."""
    if is_path(name_or_path):
        source = os.fspath(name_or_path)  # errors name the file the way the caller did
        path = Path(source)
    else:
        path = _find(os.fspath(name_or_path), topology_dirs(search_path))
        source = str(path)
    return loads(_read(path, source, search_path), source=source)


def loads(text: str, *, source: str) -> Topology:
    """The topology in YAML `text`; `source` names it in errors and in `Topology.source`."""
    return from_dict(parse(text, At(source, raises=TopologyError)), source=source)


def from_dict(data: object, *, source: str = "<python>") -> Topology:
    """The topology described by plain data, with the same schema and checks as a file."""
    root = At(source, raises=TopologyError)
    if data is None:
        raise root.error(
            "the topology is empty: there is nothing but blank lines or comments", _START
        )
    if not isinstance(data, Mapping):
        raise root.error(
            f"the top level is {describe_value(data)}, but a topology is a mapping of hosts:, "
            "links: and bridges:",
            _START,
        )
    draft = TOPOLOGY(data, root)
    name = draft.name or default_topology_name(_stem(source), root.key("name"))
    check(draft)
    return resolve(draft, name, source)


def available(*, search_path: Sequence[Path] | None = None) -> list[str]:
    """The names of the topologies that `load` finds by name, sorted."""
    names: set[str] = set()
    for directory in topology_dirs(search_path):
        try:
            entries = list(directory.iterdir())
        except OSError:
            continue  # missing or unreadable directories simply hold no topologies
        names.update(p.stem for p in entries if p.suffix in _SUFFIXES and p.is_file())
    return sorted(names)


def topology_dirs(
    search_path: Sequence[Path] | None = None, *, project_dirs: Sequence[Path] = ()
) -> list[Path]:
    """The directories searched for topology names, in order, without repeats.

    `search_path`, when given, is the whole list. Otherwise: `project_dirs` (the
    pytest plugin's ``lab_topologies`` and ``topologies/`` next to its rootdir), then
    ``./topologies``, the directories in ``$LAB_TOPOLOGIES``, and the shipped topologies.
    """
    if search_path is not None:
        candidates = [Path(p) for p in search_path]
    else:
        variable = os.environ.get(ENVIRONMENT_VARIABLE, "")
        candidates = [Path(p) for p in project_dirs]
        candidates.append(Path("topologies"))
        candidates += [Path(p) for p in variable.split(os.pathsep) if p]
        candidates.append(shipped_topologies())
    unique: dict[Path, Path] = {}
    for directory in candidates:
        unique.setdefault(directory.resolve(), directory)
    return list(unique.values())


@functools.cache
def shipped_topologies() -> Path:
    """The directory of the topologies that come with lab (in a clone: ``topologies/``)."""
    return Path(str(importlib.resources.files(_SHIPPED_PACKAGE)))


def is_path(name_or_path: str | os.PathLike[str]) -> bool:
    """Whether `name_or_path` is a path: path-like, has a separator, or ends in .yaml/.yml."""
    if not isinstance(name_or_path, str):
        return True
    return "/" in name_or_path or os.sep in name_or_path or name_or_path.endswith(_SUFFIXES)


def _find(name: str, directories: list[Path]) -> Path:
    """The file of topology `name` in the first of `directories` that has it."""
    for directory in directories:
        for suffix in _SUFFIXES:
            candidate = directory / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    names = available(search_path=directories)
    guess = did_you_mean(name, names)
    searched = ", ".join(str(d) for d in directories)
    raise TopologyError(
        name,
        "",
        f"there is no topology called '{name}' (looked in {searched})",
        f"{guess}available: {', '.join(names) or 'none'}; or give the path of a .yaml file",
    )


def _read(path: Path, source: str, search_path: Sequence[Path] | None) -> str:
    """The text of topology file `path`, or a TopologyError saying why it cannot be read."""

    def missing() -> str:
        names = ", ".join(available(search_path=search_path)) or "none"
        return f"check the path, or give the name of a topology: {names}"

    return read_text(path, source, TopologyError, missing=missing)


def _stem(source: str) -> str:
    """The default topology name for `source`: ``topologies/lan.yaml`` -> ``lan``."""
    if source.startswith("<") and source.endswith(">"):
        return source[1:-1]
    return Path(source).stem
