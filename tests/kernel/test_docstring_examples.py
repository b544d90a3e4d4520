"""The examples at the top of the package docstrings run as written."""

from __future__ import annotations

import textwrap
from types import ModuleType

import pytest

import lab
import lab.stepping


def first_example(module: ModuleType) -> str:
    """The first indented block of the module's docstring."""
    assert module.__doc__ is not None
    lines = module.__doc__.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("    "))
    end = next(
        (i for i in range(start, len(lines)) if lines[i] and not lines[i][0].isspace()), None
    )
    return textwrap.dedent("\n".join(lines[start:end]))


@pytest.mark.parametrize("module", [lab, lab.stepping], ids=lambda m: m.__name__)
def test_the_docstring_example_runs(module: ModuleType) -> None:
    code = first_example(module)
    assert "with Lab(" in code
    exec(compile(code, f"<{module.__name__} docstring>", "exec"), {})
