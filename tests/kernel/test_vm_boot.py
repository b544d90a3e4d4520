"""Another kernel booted under qemu on this machine's root: one command, its status, no leftovers.

The kernel is ``LAB_TEST_KERNEL`` (default 6.1), fetched once into lab's kernel
cache. Each boot takes seconds under KVM and about ten under TCG, so these run
with ``--vm`` (make test-vm); the image that cannot boot at all runs always.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab._pace import GUEST_ACCEL
from lab.vm import GuestRun, KernelImage, resolve_kernel
from lab.vm._guest import DEFAULT_ENV
from lab.vm._qemu import run_in_guest

LONG = 300.0  # seconds a run that should succeed may take (TCG, two guests at once)


pytestmark = pytest.mark.vm


@pytest.fixture(scope="session")
def test_kernel() -> KernelImage:
    """The kernel ``LAB_TEST_KERNEL`` names (default 6.1), fetched if need be (session)."""
    kernel = resolve_kernel(os.environ.get("LAB_TEST_KERNEL", "6.1"))
    assert kernel is not None, "LAB_TEST_KERNEL=host: name a kernel to boot"
    return kernel


@pytest.fixture(scope="session")
def vm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache for initramfs images shared by this session's boots (session)."""
    return tmp_path_factory.mktemp("vm-cache")


def qemu_processes(share: Path) -> list[int]:
    """The processes whose command line names `share` (qemu exports it)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue  # gone meanwhile
            if str(share).encode() in cmdline and b"qemu" in cmdline:
                pids.append(int(entry.name))
    return pids


def run(
    kernel: KernelImage, argv: list[str], share: Path, cache: Path, *, timeout: float = LONG
) -> tuple[GuestRun, list[str]]:
    lines: list[str] = []
    result = run_in_guest(
        kernel,
        argv,
        cwd=share,
        env={"LAB_X": "1"},
        share=share,
        timeout=timeout,
        on_console=lines.append,
        cache=cache,
    )
    return result, lines


@pytest.mark.usefixtures("no_leaks")
def test_the_command_runs_as_root_with_exactly_its_environment(
    test_kernel: KernelImage, vm_cache: Path, tmp_path: Path
) -> None:
    write = (
        "import json, os; print(os.uname().release); json.dump({'env': dict(os.environ), "
        "'cwd': os.getcwd(), 'uid': os.getuid()}, open('seen.json', 'w')); print('done')"
    )
    result, lines = run(test_kernel, ["python3", "-c", write], tmp_path, vm_cache)
    assert result.status == 0, result.reason
    assert result.reason is None
    assert lines == [test_kernel.release, "done"]
    seen = json.loads((tmp_path / "seen.json").read_text())
    seen["env"].pop("LC_CTYPE", None)  # Python's own, for the C locale (PEP 538)
    told = {GUEST_ACCEL: result.accel}  # whether it is emulated
    assert seen == {"env": {**DEFAULT_ENV, "LAB_X": "1", **told}, "cwd": str(tmp_path), "uid": 0}
    assert result.accel in {"kvm", "tcg"}
    assert 0 < result.boot_seconds < LONG
    assert 0 < result.run_seconds < result.boot_seconds + LONG
    console = result.console_log.read_text()
    assert result.console_log == tmp_path / "console.log"
    assert "Linux version" in console  # the kernel's messages are kept there
    assert test_kernel.release in console
    assert not qemu_processes(tmp_path)


def test_the_status_is_the_commands(
    test_kernel: KernelImage, vm_cache: Path, tmp_path: Path
) -> None:
    result, lines = run(test_kernel, ["sh", "-c", "echo failing >&2; exit 3"], tmp_path, vm_cache)
    assert (result.status, result.reason) == (3, None)
    assert lines == ["failing"]  # stderr comes too


@pytest.mark.vm(smoke=True)
def test_an_empty_kernel_image_fails_at_once_with_a_reason(
    test_kernel: KernelImage, vm_cache: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "vmlinuz-empty"
    empty.write_bytes(b"")
    bogus = KernelImage("bogus", test_kernel.release, empty, test_kernel.modules)
    started = time.monotonic()
    result, lines = run(bogus, ["true"], tmp_path, vm_cache)
    assert time.monotonic() - started < 20
    assert result.status is None
    assert result.reason is not None
    assert result.reason.startswith("qemu: ")
    assert result.reason.endswith(f"(console log: {tmp_path / 'console.log'})")
    assert "\n" not in result.reason
    assert lines == []


def test_modules_without_9p_fail_at_once_with_a_reason(
    test_kernel: KernelImage, vm_cache: Path, tmp_path: Path
) -> None:
    modules = tmp_path / "modules"
    modules.mkdir()
    dep = (test_kernel.modules / "modules.dep").read_text().splitlines()
    (modules / "modules.dep").write_text("\n".join(line for line in dep if "/fs/9p/" not in line))
    (modules / "modules.builtin").write_text((test_kernel.modules / "modules.builtin").read_text())
    broken = KernelImage("broken", test_kernel.release, test_kernel.vmlinuz, modules)
    result, _ = run(broken, ["true"], tmp_path, vm_cache, timeout=20)
    assert result.status is None
    assert result.reason is not None
    assert "no module 9p" in result.reason
    assert str(tmp_path / "console.log") in result.reason


def test_another_kernels_modules_stop_the_boot_with_the_guests_reason(
    test_kernel: KernelImage, vm_cache: Path, tmp_path: Path
) -> None:
    # Another release's image with the test kernel's modules: insmod refuses them.
    others = [
        path
        for path in test_kernel.vmlinuz.parents[2].glob("*/boot/vmlinuz-*")
        if path != test_kernel.vmlinuz
    ]
    if not others:
        pytest.skip("needs a second kernel in the cache: lab kernels fetch 6.12")
    mismatched = KernelImage("mismatched", test_kernel.release, others[0], test_kernel.modules)
    result, lines = run(mismatched, ["true"], tmp_path, vm_cache, timeout=120)
    assert result.status is None
    assert result.reason is not None
    assert result.reason.startswith("cannot load the kernel module "), result.reason
    assert lines == []
    assert not qemu_processes(tmp_path)


def test_a_command_past_the_timeout_is_stopped(
    test_kernel: KernelImage, vm_cache: Path, tmp_path: Path
) -> None:
    started = time.monotonic()
    result, _ = run(test_kernel, ["sleep", "1000"], tmp_path, vm_cache, timeout=20)
    assert time.monotonic() - started < 25
    assert result.status is None
    assert result.reason is not None
    assert result.reason.startswith("did not finish within 20 s (console log: ")
    assert not qemu_processes(tmp_path)


CALLER = """
import sys
from pathlib import Path
from lab.vm import KernelImage
from lab.vm._qemu import run_in_guest
kernel = KernelImage("k", sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
share = Path(sys.argv[4])
run_in_guest(kernel, ["sleep", "1000"], cwd=share, env={}, share=share, timeout=600,
             cache=Path(sys.argv[5]))
"""


@pytest.fixture
def caller(
    test_kernel: KernelImage, vm_cache: Path, tmp_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """A Python process running `run_in_guest` with a command that never ends, its qemu up."""
    argv = [str(test_kernel.vmlinuz), str(test_kernel.modules), str(tmp_path), str(vm_cache)]
    with subprocess.Popen(
        [sys.executable, "-c", CALLER, test_kernel.release, *argv],
        stderr=subprocess.PIPE,
    ) as process:
        deadline = time.monotonic() + 60
        while not qemu_processes(tmp_path):
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "qemu did not start within 60 s"
            time.sleep(0.1)
        time.sleep(1)  # well into the boot
        yield process
        process.kill()


def test_ctrl_c_in_the_caller_leaves_no_qemu(
    caller: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    caller.send_signal(signal.SIGINT)
    caller.wait(timeout=30)
    assert caller.stderr is not None
    assert b"KeyboardInterrupt" in caller.stderr.read()
    assert not qemu_processes(tmp_path)  # killed and reaped before the caller ended
    assert sorted(path.name for path in tmp_path.iterdir()) == ["console.log", "lab-guest"]


def test_sigkill_of_the_caller_leaves_no_qemu(
    caller: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    caller.kill()
    caller.wait(timeout=30)
    deadline = time.monotonic() + 5  # the parent-death signal is sent as the caller dies
    while qemu_processes(tmp_path):
        assert time.monotonic() < deadline, f"qemu outlived its caller: {qemu_processes(tmp_path)}"
        time.sleep(0.05)
