"""Ctrl-C in the first moments of `lab check`, while it still imports: no traceback, status 130.

What is left: the interpreter's own start and `import lab.cli` (argparse; ~40 ms), where Python
itself answers Ctrl-C with its traceback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab._pace import slowdown


@pytest.mark.parametrize("delay", [0.08, 0.15, 0.25])
def test_ctrl_c_while_lab_check_starts_says_interrupted(delay: float) -> None:
    # The console script, as users start it (pip's wrapper around lab.cli:main).
    with subprocess.Popen(
        [str(Path(sys.executable).parent / "lab"), "check"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as lab:
        time.sleep(delay * slowdown())  # Python starts some 20 times slower when emulated
        os.killpg(lab.pid, signal.SIGINT)  # as Ctrl-C at a terminal: the whole group
        _, stderr = lab.communicate(timeout=60 * slowdown())
    assert lab.returncode == 130, stderr
    assert "interrupted" in stderr
    assert "Traceback" not in stderr
