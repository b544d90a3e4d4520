"""What runs inside the guest: its init, the script around the one command, what it prints.

Two shell scripts, as text (pure: nothing here starts or writes anything):

    /init (busybox sh, in the initramfs)   the same for every run of a kernel
        load the modules in /lib/modules (9p, virtio, overlay, in dependency order)
        mount this machine's root read-only over 9p (tag labroot) at /lower
        an overlay on it with a tmpfs upper layer at /newroot (writes are throwaway)
        under /newroot: proc, sys, cgroup2, devtmpfs, devpts, /dev/shm, /run (tmpfs),
            the kernel's modules bound on /lib/modules/RELEASE, the share (tag labshare)
            at its host path; lo up, hostname lab-guest
        switch_root /newroot /bin/sh SHARE/lab-guest/run.sh
        (/tmp is this machine's, seen through the overlay: what the guest writes there
        is thrown away at power-off; results belong in the share)
    run.sh (this machine's /bin/sh, as PID 1)   written into the share for each run
        print the start line, cd, run the command with exactly its environment and its
        output on the second serial port (ttyS1), write its status, print the end line,
        power off

The per-run values reach /init as ``lab_*`` words of the kernel command line, which
the kernel hands to init as environment variables. Kernel messages go to the
first serial port (ttyS0, the console), the command's output to the second: the
host keeps both in the console log and streams only the command's.
Every line the scripts print starts with ``lab-guest:``; a failure says
``lab-guest: error: WHAT``, which becomes the run's reason.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = [
    "COMMAND_ENDED",
    "COMMAND_STARTS",
    "DEFAULT_ENV",
    "INIT_SCRIPT",
    "INIT_STARTS",
    "command_script",
    "failure_reason",
    "kernel_cmdline",
]

INIT_STARTS = "lab-guest: init starts"
"""The first line /init prints: the kernel booted and found its initramfs."""
COMMAND_STARTS = "lab-guest: command starts"
COMMAND_ENDED = "lab-guest: command ended"
ROOT_TAG = "labroot"
SHARE_TAG = "labshare"
HOSTNAME = "lab-guest"
MSIZE = 512000
"""9p's largest message over virtio; the default (8 KiB on 6.1) splits every read."""

DEFAULT_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/root",
    # Its output is a serial port, a tty, streamed line by line: no colours and no redrawn
    # progress lines (pytest, rich), but still line-buffered; TERM=xterm gives them back.
    "TERM": "dumb",
}
"""What the command's environment gets when the caller's does not say."""

# Kept free of bashisms: busybox sh runs it. Each step that can fail says what failed.
INIT_SCRIPT = f"""\
#!/bin/sh
# lab's guest init (lab/vm/_guest.py): this machine's root over 9p, then run.sh.
export PATH=/bin
fail() {{
    echo "lab-guest: error: $*"
    poweroff -f
    sleep 60
}}
echo "{INIT_STARTS}"
mount -t proc proc /proc
for module in /lib/modules/*.ko; do
    [ -e "$module" ] || break
    insmod "$module" || fail "cannot load the kernel module ${{module##*/}}"
done
nine="trans=virtio,version=9p2000.L,msize={MSIZE}"
mount -t 9p -o "$nine,ro,cache=loose" {ROOT_TAG} /lower \\
    || fail "cannot mount this machine's root over 9p (tag {ROOT_TAG})"
mount -t tmpfs -o mode=0755 tmpfs /rw && mkdir /rw/upper /rw/work \\
    || fail "cannot mount the tmpfs for the root's writable layer"
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot \\
    || fail "cannot mount the overlay on the root"
mount -t proc proc /newroot/proc || fail "cannot mount /proc"
mount -t sysfs sysfs /newroot/sys || fail "cannot mount /sys"
mount -t cgroup2 cgroup2 /newroot/sys/fs/cgroup 2>/dev/null
mount -t devtmpfs devtmpfs /newroot/dev || fail "cannot mount /dev"
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /newroot/dev/pts
mount -t tmpfs -o mode=1777 tmpfs /newroot/dev/shm
mount -t tmpfs -o mode=0755 tmpfs /newroot/run || fail "cannot mount /run"
mkdir -p "/newroot$lab_modules_at" && mount --bind "/lower$lab_modules" "/newroot$lab_modules_at" \\
    || fail "cannot bind the kernel's modules $lab_modules on $lab_modules_at"
mkdir -p "/newroot$lab_share" && mount -t 9p -o "$nine" {SHARE_TAG} "/newroot$lab_share" \\
    || fail "cannot mount the shared directory $lab_share over 9p (tag {SHARE_TAG})"
hostname {HOSTNAME}
ip link set lo up
mount --make-rshared /newroot
exec switch_root /newroot /bin/sh "$lab_run"
"""

# Names the kernel passes to init as environment variables (no dot, an "=" in them).
_CMDLINE_PATHS = ("lab_share", "lab_modules", "lab_modules_at", "lab_run")
_UNSAFE_IN_CMDLINE = re.compile(r'["\s]')


def kernel_cmdline(
    *, share: Path, modules: Path, release: str, run_script: Path, extra: Sequence[str] = ()
) -> str:
    """The kernel command line: console on ttyS0, reboot at a panic, `extra`, paths for /init."""
    paths = {
        "lab_share": share,
        "lab_modules": modules,
        # The host resolves /lib/modules (a symlink to usr/lib/modules on merged-/usr
        # systems): the guest sees the same root, and /init must not follow links itself.
        "lab_modules_at": Path("/lib/modules").resolve() / release,
        "lab_run": run_script,
    }
    words = ["console=ttyS0", "panic=-1", "rdinit=/init", *extra]
    for name in _CMDLINE_PATHS:
        path = str(paths[name])
        if _UNSAFE_IN_CMDLINE.search(path):
            raise ValueError(
                f"{name.removeprefix('lab_')} path {path!r} has a space or a quote, which the "
                "kernel command line cannot carry; use a path without them"
            )
        words.append(f"{name}={path}")
    return " ".join(words)


def command_script(
    argv: Sequence[str], *, cwd: Path, env: Mapping[str, str], status_file: Path
) -> str:
    """run.sh: run `argv` in `cwd` with exactly `env`, then power off.

    `DEFAULT_ENV` fills in what `env` lacks. Runs as PID 1 under this machine's
    /bin/sh. The command's output goes to ttyS1; its status goes to `status_file`
    (in the share) before the end line.
    """
    if not argv:
        raise ValueError("the command to run in the guest is empty; give at least a program")
    environment = {**DEFAULT_ENV, **env}
    for name in environment:
        if not name or "=" in name:
            raise ValueError(f"environment variable name {name!r} is not valid")
    assignments = " ".join(shlex.quote(f"{name}={value}") for name, value in environment.items())
    command = shlex.join(argv)
    quoted_cwd = shlex.quote(str(cwd))
    return f"""\
# Written by lab (lab/vm/_guest.py) for one command; run by the guest's PID 1.
poweroff() {{
    echo o >/proc/sysrq-trigger
    sleep 60
}}
cd {quoted_cwd} 2>/dev/null || {{
    echo "lab-guest: error: the guest has no directory {cwd} to run the command in"
    poweroff
}}
echo "{COMMAND_STARTS}"
env -i {assignments} {command} </dev/null >/dev/ttyS1 2>&1
status=$?
echo "$status" >{shlex.quote(str(status_file))}
echo "{COMMAND_ENDED} with status $status"
poweroff
"""


# The first line that explains a failed boot, most specific first; group 1 is the reason.
_REASONS = (
    (re.compile(r"lab-guest: error: (.+)"), "{}"),
    (re.compile(r"Kernel panic - not syncing: (.+)"), "kernel panic: {}"),
    (re.compile(r"^qemu(?:-system-\w+)?: (.+)"), "qemu: {}"),
)


def failure_reason(console: str, qemu_output: str = "") -> str | None:
    """One line on why the guest stopped without a status, from its console and qemu's output."""
    for pattern, template in _REASONS:
        for text in (console, qemu_output):
            for line in text.splitlines():
                match = pattern.search(line.strip())
                if match:
                    return template.format(match.group(1).strip().rstrip(" ]-"))
    return None
