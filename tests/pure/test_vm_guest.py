"""The guest's scripts and command line as text, and reasons read from a failed boot's console.

The scripts are checked for syntax and content only: run here, they would power
off this machine (echo o >/proc/sysrq-trigger).
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

import pytest

from lab.vm._guest import (
    COMMAND_STARTS,
    INIT_SCRIPT,
    command_script,
    failure_reason,
    kernel_cmdline,
)

STATUS = Path("/srv/share/lab-guest/status")


def syntax_ok(script: str, shell: str = "/bin/sh") -> None:
    __tracebackhide__ = True
    checked = subprocess.run(
        [shell, "-n"], input=script, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


def test_init_script_is_valid_shell_and_mounts_what_the_guest_needs() -> None:
    syntax_ok(INIT_SCRIPT)
    for mount in ("/newroot/proc", "/newroot/sys", "/newroot/dev", "/newroot/run"):
        assert f" {mount}" in INIT_SCRIPT
    assert '-o "$nine,ro,cache=loose" labroot /lower' in INIT_SCRIPT
    assert INIT_SCRIPT.rstrip().endswith('exec switch_root /newroot /bin/sh "$lab_run"')


def test_command_script_runs_argv_with_exactly_env_and_keeps_the_status() -> None:
    script = command_script(
        ["python3", "-c", "print('it''s')", "a b"],
        cwd=Path("/work/my lab"),
        env={"LANG": "C.UTF-8", "PATH": "/opt/bin"},
        status_file=STATUS,
    )
    syntax_ok(script)
    (run,) = [line for line in script.splitlines() if line.startswith("env -i ")]
    words = shlex.split(run)
    # PATH given overrides the default; HOME and TERM are added; nothing else.
    assert words[:6] == ["env", "-i", "PATH=/opt/bin", "HOME=/root", "TERM=dumb", "LANG=C.UTF-8"]
    assert words[6:10] == ["python3", "-c", "print('it''s')", "a b"]
    assert words[10:] == ["</dev/null", ">/dev/ttyS1", "2>&1"]
    assert "cd '/work/my lab'" in script
    assert f'echo "$status" >{STATUS}' in script
    assert script.index(COMMAND_STARTS) < script.index("env -i")


def test_an_empty_command_is_refused() -> None:
    with pytest.raises(ValueError, match="at least a program"):
        command_script([], cwd=Path("/"), env={}, status_file=STATUS)


def test_the_command_line_carries_the_paths_for_init() -> None:
    line = kernel_cmdline(
        share=Path("/srv/share"),
        modules=Path("/cache/6.1/lib/modules/6.1.0-57-amd64"),
        release="6.1.0-57-amd64",
        run_script=STATUS.with_name("run.sh"),
    )
    words = dict(word.partition("=")[::2] for word in line.split())
    assert words["console"] == "ttyS0"
    assert words["panic"] == "-1"  # a panic reboots, and qemu -no-reboot exits: never a hang
    assert words["lab_share"] == "/srv/share"
    assert words["lab_modules_at"] == str(Path("/lib/modules").resolve() / "6.1.0-57-amd64")
    assert words["lab_run"] == "/srv/share/lab-guest/run.sh"


def test_a_path_with_a_space_is_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match="share path '/srv/my share' has a space"):
        kernel_cmdline(
            share=Path("/srv/my share"), modules=Path("/m"), release="r", run_script=Path("/r")
        )


PANIC_CONSOLE = """\
[    1.503411] List of all partitions:
[    1.503902] No filesystem could mount root, tried:
[    1.503911]
[    1.504598] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)
[    1.505290] CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0-57-amd64 #1  Debian 6.1.192-3
[    1.510021] ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs on unkno\
wn-block(0,0) ]---
"""


@pytest.mark.parametrize(
    ("console", "qemu_output", "reason"),
    [
        (
            PANIC_CONSOLE,
            "",
            "kernel panic: VFS: Unable to mount root fs on unknown-block(0,0)",
        ),
        (
            "lab-guest: init starts\n[    3.1] 9pnet: Installing 9P2000 support\n"
            "insmod: can't insert '02-9p.ko': unknown symbol in module\n"
            "lab-guest: error: cannot load the kernel module 02-9p.ko\n"
            "[    3.4] Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000\n",
            "",
            "cannot load the kernel module 02-9p.ko",
        ),
        (
            "",
            "qemu-system-x86_64: Error loading uncompressed kernel without PVH ELF Note\n",
            "qemu: Error loading uncompressed kernel without PVH ELF Note",
        ),
        (
            "",
            "qemu: could not load kernel '/k/vmlinuz': No such file or directory\n",
            "qemu: could not load kernel '/k/vmlinuz': No such file or directory",
        ),
        ("[    0.0] Linux version 6.1.0\nlab-guest: init starts\n", "", None),
    ],
)
def test_the_reason_is_the_first_telling_line(
    console: str, qemu_output: str, reason: str | None
) -> None:
    assert failure_reason(console, qemu_output) == reason
