"""Other kernels end to end: `lab check --kernels` and `pytest --lab-kernel` boot one.

Each boots the kernel named by ``LAB_TEST_KERNEL`` (default 6.1, fetched once into
the kernel cache) under qemu, on this machine's root filesystem, and runs lab
inside. Under software emulation a boot costs a few seconds and lab's start
inside about ten: the check side by side is `make test`'s smoke test, with a VM
stopped at its timeout; pytest inside a kernel runs with --vm (make test-vm).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lab.vm import resolve_kernel

KERNEL = os.environ.get("LAB_TEST_KERNEL", "6.1")


@pytest.fixture(scope="module")
def release() -> str:
    """The test kernel's release, fetched into the cache first if need be."""
    kernel = resolve_kernel(KERNEL)
    assert kernel is not None
    return kernel.release


@pytest.mark.vm(smoke=True)
def test_check_on_host_and_a_booted_kernel_side_by_side(tmp_path: Path, release: str) -> None:
    out = tmp_path / "both.json"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "lab", "check", "--kernels", f"host,{KERNEL}"),
            *("--scenario", "open", "--family", "IPv4", "--json", str(out)),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    merged = json.loads(out.read_text())
    results = merged["results"]
    assert list(results) == ["host", KERNEL]
    guest = results[KERNEL]
    assert release in guest["kernel"]  # uname inside the guest, not this machine's
    assert os.uname().release in results["host"]["kernel"]
    assert guest["vm"]["accel"] in ("kvm", "tcg")
    assert guest["vm"]["boot_seconds"] > 0
    assert [s["name"] for s in guest["scenarios"]] == ["open"]
    assert all(step["ok"] for step in guest["scenarios"][0]["steps"])
    # The report: a column per kernel, and how each one ran.
    assert "host" in done.stdout
    assert KERNEL in done.stdout
    assert f"[2/2] {KERNEL}: agrees with the documentation; booted in" in done.stderr


@pytest.mark.vm
def test_pytest_runs_the_selected_tests_inside_the_kernel(
    pytester: pytest.Pytester, release: str
) -> None:
    pytester.makepyfile(
        test_inside=textwrap.dedent(
            f"""
            import os

            def test_release():
                assert os.uname().release == {release!r}

            def test_a_lab_there(lab):
                assert lab["client"].run("ip -br link show lo").stdout.startswith("lo")

            def test_fails_there():
                assert os.uname().release == "no such release"

            def test_not_selected():
                raise AssertionError("deselected with -k, never run")
            """
        )
    )
    result = pytester.runpytest_subprocess(
        "--lab-kernel",
        KERNEL,
        "-n",  # xdist runs inside; its controller's reports come back as a plain run's
        "2",
        "-k",
        "not not_selected",
        "-p",
        "no:cacheprovider",
        "-v",
        timeout=900,
    )
    result.assert_outcomes(passed=2, failed=1, deselected=1)
    result.stdout.fnmatch_lines(
        [
            f"lab: the tests run inside kernel {KERNEL} ({release}), booted under qemu",
            "*test_inside.py::test_release PASSED*",
            "*test_inside.py::test_fails_there FAILED*",
            f"*lab: kernel {KERNEL} ({release}) under qemu (*): booted in *",
        ]
    )


@pytest.mark.vm(smoke=True)
def test_a_kernel_that_does_not_finish_in_time_gets_the_reason_and_its_console_log(
    release: str,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "lab", "check", "--kernels", KERNEL, "--kernel-timeout", "3"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1
    [line] = [line for line in done.stdout.splitlines() if line.startswith("lab: ")]
    assert line.startswith(f"lab: {KERNEL}: no result: did not finish within 3 s (console log: ")
    log = Path(line.rpartition("console log: ")[2].rstrip(")"))
    assert "qemu-system-x86_64" in log.read_text()  # the command line it ran, then the console
    shutil.rmtree(log.parent)
