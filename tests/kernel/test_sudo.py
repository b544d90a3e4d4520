"""The README's `sudo "$(command -v lab)" ...` works when lab lives in a virtualenv."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import REPO, real_root

needs_sudo = pytest.mark.skipif(
    not real_root() or shutil.which("sudo") is None,
    reason="needs real root and sudo (scripts/install-deps installs it): lab up pins namespaces",
)


def test_the_readme_gives_the_sudo_command_that_finds_lab_in_a_virtualenv() -> None:
    readme = (REPO / "README.md").read_text()
    assert re.search(r'^sudo "\$\(command -v lab\)" up lan --name class1', readme, re.MULTILINE)


@needs_sudo
def test_sudo_command_v_lab_runs_the_virtualenvs_lab() -> None:
    venv_bin = Path(sys.executable).parent
    # A private mount namespace with its own /run: the pins and sudo's own state stay there.
    script = f"""
        set -e
        mount -t tmpfs lab-test-run /run
        export PATH="{venv_bin}:$PATH"
        if sudo lab --help >/dev/null 2>&1; then echo "plain sudo lab found lab"; fi
        sudo "$(command -v lab)" up two-hosts --name sudotest
        sudo "$(command -v lab)" ls
        sudo "$(command -v lab)" down sudotest
    """
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "plain sudo lab found lab" not in done.stdout  # sudo's secure_path hides the venv
    assert "lab sudotest is up (two-hosts)" in done.stdout
    assert "lab sudotest is down" in done.stdout
