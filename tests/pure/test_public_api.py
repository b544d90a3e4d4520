"""The public API: each package exports exactly its public names, documented, defined privately."""

from __future__ import annotations

import inspect
import subprocess
import sys
from types import ModuleType

import pytest

import lab
import lab.kernel
import lab.notes
import lab.stepping
import lab.tcp
import lab.topology

PACKAGES = [lab, lab.kernel, lab.notes, lab.stepping, lab.tcp, lab.topology]


def public_names(package: ModuleType) -> list[str]:
    """What the package holds that is neither private nor a submodule.

    Names that are not identifiers (``@py_builtins``, left by pytest's assertion
    rewriting when the package is a plugin) are no one's API.
    """
    return sorted(
        name
        for name in dir(package)  # dir(), not vars(): lab imports its names on first use
        if name.isidentifier()
        and not name.startswith("_")
        and not inspect.ismodule(getattr(package, name))
        and name != "annotations"
    )


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_all_lists_exactly_the_public_names(package: ModuleType) -> None:
    assert sorted(package.__all__) == public_names(package)


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_every_export_is_documented_and_defined_privately(package: ModuleType) -> None:
    assert package.__doc__, f"{package.__name__} has no docstring"
    for name in package.__all__:
        obj = getattr(package, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue  # constants such as ROLES or VERBS
        assert obj.__doc__, f"{package.__name__}.{name} has no docstring"
        module = obj.__module__.rsplit(".", 1)[-1]
        assert module.startswith("_"), f"{package.__name__}.{name} is defined in {obj.__module__}"


def test_errors_form_one_tree() -> None:
    errors = [getattr(lab, name) for name in lab.__all__ if name.endswith("Error")]
    assert len(errors) >= 9
    for error in errors:
        assert issubclass(error, lab.LabError), error
    documented_tree = inspect.getdoc(lab._errors)
    assert documented_tree is not None
    for error in errors:
        assert error.__name__ in documented_tree, f"{error.__name__} is missing from the tree"


def test_lab_imports_its_names_on_first_use_and_refuses_unknown_ones() -> None:
    code = (
        "import sys, lab; heavy = [m for m in ('lab._check', 'lab.kernel') if m in sys.modules]; "
        "print(heavy, lab.Lab.__module__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[] lab.kernel._lab"
    with pytest.raises(AttributeError, match="module 'lab' has no attribute 'Lba'"):
        lab.Lba  # type: ignore[attr-defined]  # noqa: B018 - mypy refuses it too, as it should
