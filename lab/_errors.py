"""The exceptions `lab` raises, one tree under `LabError`.

    LabError                      anything lab reports on purpose
     ├── InputError               data lab reads is wrong at one field (source, path, problem, fix)
     │    ├── TopologyError       a topology file or object is wrong; nothing was built
     │    ├── SpecError           a TCP spec (tables.yaml) is wrong; nothing was run
     │    ├── NoteError           a study note cannot be read (no such file, not text)
     │    └── NothingToCheckError a study note has nothing TCP in it (lab check exits 2)
     ├── PrivilegeError           no way to create network namespaces here
     ├── BuildError               the kernel refused a step while building a lab
     ├── HostError                a host command or call could not run
     ├── SteppingError            holding or releasing TCP segments one at a time failed
     ├── UnknownNameError         a state, flag or family name no alias knows (also ValueError)
     └── LabNotFoundError         `lab exec/down` named a lab that is not up

Every message is a whole sentence that says what went wrong, where (file and
field path, host, interface) and how to fix it. The CLI prints `str(error)` on
one line and exits with status 2; nothing here should reach the user as a
traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

__all__ = [
    "BuildError",
    "HostError",
    "InputError",
    "LabError",
    "LabNotFoundError",
    "NoteError",
    "NothingToCheckError",
    "PrivilegeError",
    "SpecError",
    "SteppingError",
    "TopologyError",
    "UnknownNameError",
    "did_you_mean",
]


class LabError(Exception):
    """Base class of every error `lab` raises on purpose."""


class InputError(LabError):
    """Data that lab reads (a file or Python data) is wrong at one place.

    `source` is the file (or ``<python>`` for the Python API), `path` the field
    path inside it such as ``links[1].endpoints[0].host``, `problem` what is
    wrong and `fix` what to do about it.
    """

    def __init__(self, source: str, path: str, problem: str, fix: str) -> None:
        self.source = source
        self.path = path
        self.problem = problem
        self.fix = fix
        where = f"{source}: {path}" if path else source
        super().__init__(f"{where}: {problem}; {fix}")


class TopologyError(InputError):
    """A topology is malformed; raised before anything is built."""


class SpecError(InputError):
    """A TCP spec (the documented tables, such as ``scenarios.close.script[3]``) is malformed."""


class NoteError(InputError):
    """A study note (Markdown) cannot be read at all: no such file, binary, or not UTF-8.

    What a readable note says but lab cannot check is never an error: it is a
    warning or an unchecked claim of the compiled note.
    """


class NothingToCheckError(InputError):
    """A readable study note with nothing TCP in it: no diagram with TCP segments or states,
    no table of states or flags. Its message says what was looked for and what was found."""


class PrivilegeError(LabError):
    """Network namespaces cannot be created by this process."""


class BuildError(LabError):
    """The kernel refused a step of building a lab (after validation passed)."""


class HostError(LabError):
    """A command, socket or call inside a lab host could not be run."""


class SteppingError(LabError):
    """Segment stepping could not hold, release or observe a TCP segment.

    Raised when the kernel lacks what stepping needs (NFQUEUE, nf_tables), when
    a segment never reaches the receiver, or when a scenario misuses the stepper.
    """


class LabNotFoundError(LabError):
    """No pinned lab (from `lab up`) has the given name."""


class UnknownNameError(LabError, ValueError):
    """A TCP state or flag name (or a role, a family) that no alias table knows.

    `problem` says what was not understood and `fix` what to write instead, so
    readers of files can report both at the field they came from.
    """

    def __init__(self, problem: str, fix: str) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(f"{problem}; {fix}")


def _quoted(choice: str) -> str:
    return f"'{choice}'"


def did_you_mean(
    word: str, choices: Iterable[str], *, shown: Callable[[str], str] = _quoted
) -> str:
    """``did you mean 'x'? `` when `word` is close to one of `choices`, else "".

    The one place every "did you mean" comes from; `shown` writes the choice
    found (quoted by default; the TCP names show their canonical spelling).
    """
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"did you mean {shown(close[0])}? " if close else ""
