"""Loading a spec: the packaged tables, a file of your own, YAML text or plain data.

Every way in ends in `_spec_schema.read_spec`, so a dict from Python gets
exactly the checks and messages that a file does. Pure: no kernel access.
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from typing import Final

from lab._errors import SpecError
from lab._reader import At, read_text
from lab._yaml import parse
from lab.tcp._spec import Spec
from lab.tcp._spec_schema import read_spec

__all__ = ["PACKAGED", "load_spec", "loads_spec", "spec_from_dict"]

PACKAGED: Final = "tables.yaml"
"""The spec shipped with lab, next to this module."""


def load_spec(path: str | os.PathLike[str] | None = None) -> Spec:
    """The spec in the YAML file `path`; by default the packaged ``lab/tcp/tables.yaml``."""
    if path is None:
        return _packaged()
    source = os.fspath(path)
    text = read_text(
        source,
        source,
        SpecError,
        missing=lambda: "check the path, or leave it out to use the packaged tables.yaml",
    )
    return loads_spec(text, source=source)


@functools.cache
def _packaged() -> Spec:
    """The packaged spec, read and checked once per process (a Spec is never changed)."""
    packaged = resources.files("lab.tcp") / PACKAGED
    return loads_spec(packaged.read_text(encoding="utf-8"), source=str(packaged))


def loads_spec(spec_text: str, *, source: str = "<string>") -> Spec:
    """The spec in YAML `spec_text`; `source` names it in errors."""
    return spec_from_dict(parse(spec_text, At(source, raises=SpecError)), source=source)


def spec_from_dict(data: object, *, source: str = "<python>") -> Spec:
    """The spec in plain data (as YAML would give it), with the same checks as a file."""
    return read_spec(data, At(source, raises=SpecError))
