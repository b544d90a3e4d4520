"""The CI recipe's `lab check` step, run as written: it passes and leaves what it uploads."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml
from support import REPO

from lab._pace import slowdown


def test_the_recipes_check_step_runs_and_leaves_what_it_uploads(tmp_path: Path) -> None:
    recipe = yaml.safe_load((REPO / "examples" / "github-actions.yml").read_text())
    [job] = recipe["jobs"].values()
    [command] = [
        " ".join(s["run"].split())
        for s in job["steps"]
        if '"$(command -v lab)" check' in s.get("run", "")
    ]
    words = shlex.split(command)
    args = words[words.index("check") :]
    done = subprocess.run(
        [sys.executable, "-m", "lab", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120 * slowdown(),  # the whole check: some 2 minutes emulated
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert json.loads((tmp_path / "lab-check.json").read_text())["ok"] is True
    suite = ET.parse(tmp_path / "lab-check-junit.xml").getroot()
    assert len(list(suite.iter("testcase"))) >= 12
    assert list((tmp_path / "lab-pcaps" / "check").glob("*.pcap"))
