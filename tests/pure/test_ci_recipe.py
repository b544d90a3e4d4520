"""The GitHub Actions recipe (examples/github-actions.yml): valid, and its commands exist."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from support import REPO

RECIPE = REPO / "examples" / "github-actions.yml"


def steps() -> list[dict[str, Any]]:
    workflow = yaml.safe_load(RECIPE.read_text())
    [job] = workflow["jobs"].values()
    found: list[dict[str, Any]] = job["steps"]
    return found


def commands() -> list[str]:
    """Every shell command line of the run steps, folded as YAML folds them."""
    return [" ".join(step["run"].split()) for step in steps() if "run" in step]


def test_the_recipe_is_a_valid_workflow() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", str(RECIPE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_labs_run_as_root_because_apparmor_refuses_user_namespaces() -> None:
    lab_commands = [c for c in commands() if "pytest" in c or "lab)" in c]
    assert len(lab_commands) == 2
    assert all(c.startswith("sudo ") for c in lab_commands)
    text = RECIPE.read_text()
    assert "kernel.apparmor_restrict_unprivileged_userns" in text


def test_the_pytest_options_it_uses_exist() -> None:
    [run] = [c for c in commands() if "-m pytest" in c]
    words = shlex.split(run)
    options = [w.split("=")[0] for w in words[words.index("pytest") :] if w.startswith("--")]
    helped = subprocess.run(
        [sys.executable, "-m", "pytest", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for option in options:
        assert option in helped, option
