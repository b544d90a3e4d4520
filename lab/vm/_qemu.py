"""Boot a kernel under qemu on this machine's own root and run one command inside it.

    run_in_guest(kernel, argv, cwd=..., env=..., share=SHARE, timeout=600) -> GuestRun

qemu gets the kernel, lab's initramfs (`lab.vm._initramfs`) and two 9p exports:
this machine's ``/`` read-only (tag ``labroot``) and `share` writable
(``labshare``), which the guest mounts at the same path, so results written there
come back. The guest's scripts are in `lab.vm._guest`. Its console (ttyS0) and the
command's output (ttyS1) arrive on two pipes; both go to ``SHARE/console.log``,
and the command's lines also to `on_console` as they come.

Nothing is left behind. qemu is started as

    setpriv --pdeathsig KILL -- sh -c CHECK PID qemu-system-x86_64 ...

so the kernel kills it if the Python process dies, even by SIGKILL (the check
stops there if that process died before the signal was set). The signal follows
the *thread* that started qemu; that thread waits for qemu here, so it cannot end
first. An exception in the caller's thread (Ctrl-C) kills and reaps qemu on the way
out. The host mounts nothing; the guest's files are in the share, the initramfs in
a cache (written whole or not at all).

Acceleration: KVM when it works, else TCG (software emulation: `lab check` takes
30 to 60 times as long).
Some KVMs cannot run a stock kernel (a nested one aborts on an MSR, or stalls), so
a short boot under KVM must reach the initramfs first; the answer is kept for the
process and in the cache per qemu and host kernel. ``LAB_VM_ACCEL=kvm|tcg`` decides
without a probe.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import hashlib
import os
import selectors
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TextIO

from lab._errors import HostError
from lab._pace import GUEST_ACCEL
from lab.vm._guest import (
    COMMAND_ENDED,
    COMMAND_STARTS,
    INIT_STARTS,
    ROOT_TAG,
    SHARE_TAG,
    command_script,
    failure_reason,
    kernel_cmdline,
)
from lab.vm._image import GuestRun, KernelImage
from lab.vm._initramfs import initramfs_for, write_once

__all__ = ["Accel", "choose_accel", "default_cache", "qemu_argv", "run_in_guest"]

QEMU = "qemu-system-x86_64"
GUEST_DIR = "lab-guest"
"""The share's subdirectory for the run's script and status file."""
CONSOLE_LOG = "console.log"
PROBE_SECONDS = 8.0
"""How long a KVM boot may take to reach the initramfs (about 1 s where KVM works)."""


class Accel(enum.Enum):
    """How qemu runs the guest's CPUs, with the CPU model that works under it."""

    KVM = "kvm"
    TCG = "tcg"

    @property
    def cpu(self) -> str:
        """qemu's ``-cpu`` under this accelerator."""
        return _CPU[self]

    @property
    def qemu_arg(self) -> str:
        """qemu's ``-accel`` under this accelerator."""
        return _ACCEL_ARG[self]

    @property
    def kernel_args(self) -> tuple[str, ...]:
        """What the guest kernel's command line needs under this accelerator."""
        return _KERNEL_ARGS[self]


_CPU = {Accel.KVM: "host", Accel.TCG: "max"}
# One host thread runs every vCPU in turn under TCG. With a thread per vCPU, a vCPU may
# still run code another has just patched (a static key's int3, text_poke_bp): the
# 6.12 guest died once of "Oops: int3" in __netif_receive_skb_core, in 8 minutes of
# the kernel test suite. One thread sees every patch at once; lab runs one run at a
# time under TCG anyway.
_ACCEL_ARG = {Accel.KVM: "kvm", Accel.TCG: "tcg,thread=single"}
# Under TCG every vCPU's TSC comes from one virtual clock, but the kernel (6.1) finds
# them "unsynchronized" and falls back to the HPET: each clock read then is a system
# call and an emulated device access (lab times segments). KVM gives kvm-clock.
_KERNEL_ARGS: dict[Accel, tuple[str, ...]] = {Accel.KVM: (), Accel.TCG: ("tsc=reliable",)}


class Channel(enum.Enum):
    """Where a line from qemu came from."""

    CONSOLE = "console"  # the guest's ttyS0: kernel messages, lab-guest lines
    COMMAND = "command"  # the guest's ttyS1: the command's stdout and stderr
    QEMU = "qemu"  # qemu's own stdout and stderr
    TICK = "tick"  # no line: `TICK` seconds went by without one


_PIPED = (Channel.CONSOLE, Channel.COMMAND, Channel.QEMU)
"""The channels that are pipes from qemu, in the order its arguments use them."""

TICK = 0.5
"""At most this long between two items of `QemuProcess.lines` (a `Channel.TICK` if need be)."""


def default_cache() -> Path:
    """Where initramfs images and the KVM probe's answer are kept: ``~/.cache/lab/vm``."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lab" / "vm"


def _qemu() -> str:
    path = shutil.which(QEMU)
    if path is None:
        raise HostError(
            f"{QEMU} is not installed, and lab needs it to boot other kernels; "
            "install it with: apt-get install qemu-system-x86"
        )
    return path


def _setpriv() -> str:
    path = shutil.which("setpriv") or shutil.which("setpriv", path="/usr/bin:/bin")
    if path is None:
        raise HostError(
            "setpriv (from util-linux) is not installed, and lab needs it so qemu dies with "
            "the process that started it; install it with: apt-get install util-linux"
        )
    return path


# With the parent-death signal set, stop unless the parent is still the starter (it
# may have died before setpriv's prctl); then become qemu (exec keeps the signal). No core
# file: a KVM qemu cannot use aborts, and the core would land in the caller's directory.
_STILL_OUR_CHILD = 'if [ "$PPID" != "$0" ]; then exit 137; fi; ulimit -c 0; exec "$@"'


class QemuProcess:
    """A running qemu whose serial ports and output arrive as lines; killed on exit.

    Use as a context manager: leaving the block (normally, by an exception, by
    Ctrl-C) kills qemu's process group and reaps it.
    """

    def __init__(self, qemu_args: Sequence[str]) -> None:
        self._pipes: dict[int, Channel] = {}
        self._partial: dict[int, bytes] = {}
        write_ends: list[int] = []
        try:
            for channel in _PIPED:
                read_end, write_end = os.pipe()
                self._pipes[read_end] = channel
                self._partial[read_end] = b""
                write_ends.append(write_end)
            console, command, output = write_ends
            serials = [
                *("-chardev", f"file,id=ttyS0,path=/dev/fd/{console}", "-serial", "chardev:ttyS0"),
                *("-chardev", f"file,id=ttyS1,path=/dev/fd/{command}", "-serial", "chardev:ttyS1"),
            ]
            starter = [_setpriv(), "--pdeathsig", "KILL", "--", "/bin/sh", "-c", _STILL_OUR_CHILD]
            self.started = time.monotonic()
            self._popen = subprocess.Popen(
                [*starter, str(os.getpid()), _qemu(), *qemu_args, *serials],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=output,
                pass_fds=(console, command),
                start_new_session=True,  # Ctrl-C at a terminal reaches us, not qemu
            )
        except BaseException:
            self._close_pipes()
            raise
        finally:
            for fd in write_ends:
                os.close(fd)

    def __enter__(self) -> QemuProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.kill()

    def kill(self) -> None:
        """Kill qemu (its whole process group) and reap it; nothing when it is gone."""
        if self._popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._popen.pid, signal.SIGKILL)
        self._popen.wait()
        self._close_pipes()

    def _close_pipes(self) -> None:
        for fd in self._pipes:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._pipes.clear()

    def lines(self, deadline: float) -> Iterator[tuple[Channel, str]]:
        """Each line qemu's pipes give until qemu has closed them all or `deadline` passes."""
        with selectors.DefaultSelector() as selector:
            for fd in self._pipes:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                ready = selector.select(min(remaining, TICK))
                if not ready:
                    yield Channel.TICK, ""
                for key, _ in ready:
                    fd = int(key.fd)
                    chunk = os.read(fd, 65536)
                    if not chunk:
                        selector.unregister(fd)
                        chunk = b"\n" if self._partial[fd] else b""
                    *complete, self._partial[fd] = (self._partial[fd] + chunk).split(b"\n")
                    for raw in complete:
                        yield self._pipes[fd], raw.decode(errors="replace").rstrip("\r")

    def wait(self, deadline: float) -> int | None:
        """qemu's exit status, waiting until `deadline` at most; None if it still runs."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            return self._popen.wait(max(0.0, deadline - time.monotonic()))
        return None


def qemu_argv(
    *,
    kernel: Path,
    initramfs: Path,
    cmdline: str,
    share: Path | None,
    accel: Accel,
    memory_mb: int,
    cpus: int,
) -> list[str]:
    """qemu's arguments (without the serial ports) for a guest on this machine's root.

    Without `share` the guest gets no 9p export at all (the KVM probe's boot).
    """
    argv = [
        *("-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"),
        *("-accel", accel.qemu_arg, "-cpu", accel.cpu, "-m", str(memory_mb), "-smp", str(cpus)),
        *("-kernel", str(kernel), "-initrd", str(initramfs), "-append", cmdline),
    ]
    if share is None:
        return argv
    # multidevs=remap: / spans several host filesystems, whose inode numbers may collide.
    nine = "local,security_model=none,multidevs=remap"
    return [
        *argv,
        *("-fsdev", f"{nine},id=root,path=/,readonly=on"),
        *("-device", f"virtio-9p-pci,fsdev=root,mount_tag={ROOT_TAG}"),
        *("-fsdev", f"{nine},id=share,path={share}"),
        *("-device", f"virtio-9p-pci,fsdev=share,mount_tag={SHARE_TAG}"),
    ]


_accel_known: dict[str, Accel] = {}


@functools.cache
def _host_key() -> str:
    qemu = subprocess.run([_qemu(), "--version"], capture_output=True, text=True, check=False)
    version = qemu.stdout.splitlines()[0] if qemu.stdout else "unknown"
    return f"{version} on Linux {os.uname().release}"


def _is_bzimage(path: Path) -> bool:
    try:
        with path.open("rb") as image:
            image.seek(0x202)
            return image.read(4) == b"HdrS"
    except OSError:
        return False


def _kvm_boots(kernel: Path, initramfs: Path) -> bool:
    args = qemu_argv(
        kernel=kernel,
        initramfs=initramfs,
        cmdline="console=ttyS0 panic=-1",
        share=None,
        accel=Accel.KVM,
        memory_mb=256,
        cpus=1,
    )
    with QemuProcess(args) as qemu:
        deadline = qemu.started + PROBE_SECONDS
        return any(line == INIT_STARTS for _, line in qemu.lines(deadline))


def choose_accel(kernel: KernelImage, initramfs: Path, cache: Path) -> Accel:
    """KVM if ``LAB_VM_ACCEL`` says so or a short boot of `kernel` under it works, else TCG."""
    chosen = os.environ.get("LAB_VM_ACCEL")
    if chosen:
        try:
            return Accel(chosen)
        except ValueError:
            raise HostError(
                f"LAB_VM_ACCEL={chosen} is not an accelerator lab knows; "
                "set it to kvm or tcg, or unset it to probe"
            ) from None
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return Accel.TCG
    key = _host_key()
    if key in _accel_known:
        return _accel_known[key]
    # One file per qemu and host kernel, written once: "tcg" or "kvm", then the key.
    answer = cache / f"accel-{hashlib.sha256(key.encode()).hexdigest()[:16]}"
    with contextlib.suppress(OSError, ValueError):
        return _accel_known.setdefault(key, Accel(answer.read_text().split("\n", 1)[0]))
    if not _is_bzimage(kernel.vmlinuz):
        return Accel.TCG  # nothing to probe with: this boot fails anyway, remember nothing
    accel = Accel.KVM if _kvm_boots(kernel.vmlinuz, initramfs) else Accel.TCG
    _accel_known[key] = accel
    with contextlib.suppress(OSError):
        cache.mkdir(parents=True, exist_ok=True)
        write_once(answer, f"{accel.value}\n{key}\n".encode())
    return accel


@dataclass
class _Seen:
    """What watching a guest gave: its console, qemu's words, when the command ran."""

    console: list[str] = field(default_factory=list)
    qemu_output: list[str] = field(default_factory=list)
    starts: float | None = None
    ends: float | None = None
    stopped: float = 0.0
    exit_status: int | None = None
    """qemu's exit status; None when it still ran at the deadline (then it was killed)."""


def _watch(
    qemu: QemuProcess,
    deadline: float,
    log: TextIO,
    on_console: Callable[[str], None] | None,
    on_tick: Callable[[], None] | None = None,
) -> _Seen:
    """Log every line, pass the command's on, note the start and end lines; stop qemu."""
    seen = _Seen()
    for channel, line in qemu.lines(deadline):
        if channel is Channel.TICK:
            if on_tick is not None:
                on_tick()
            continue
        log.write(line + "\n")
        if channel is Channel.COMMAND:
            log.flush()  # a `tail -f` of the log keeps up with the command
            if on_console is not None:
                on_console(line)
            continue
        (seen.console if channel is Channel.CONSOLE else seen.qemu_output).append(line)
        if line == COMMAND_STARTS:
            seen.starts = time.monotonic()
        elif line.startswith(COMMAND_ENDED):
            seen.ends = time.monotonic()
    seen.exit_status = qemu.wait(deadline)
    seen.stopped = time.monotonic()
    qemu.kill()
    return seen


def run_in_guest(
    kernel: KernelImage,
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    share: Path,
    timeout: float,
    on_console: Callable[[str], None] | None = None,
    on_tick: Callable[[], None] | None = None,
    memory_mb: int = 2048,
    cpus: int = 2,
    cache: Path | None = None,
) -> GuestRun:
    """Boot `kernel`, run `argv` in it as root, and say how it ended.

    `share` is a host directory the guest sees writable at the same path; the
    console log (``console.log``) and the run's script and status (``lab-guest/``)
    go there, so one run at a time per share. `argv` runs in `cwd` with exactly
    `env` (plus PATH, HOME and TERM=dumb unless given, and `GUEST_ACCEL`); its output
    goes to `on_console`, line by line without the newline; `on_tick` is called when no
    line came for `TICK` seconds (for a caller that watches the share for files). After
    `timeout` seconds qemu is killed. `cache` holds the built initramfs and the KVM
    probe's answer (`default_cache()`).

    A boot that fails or a command that does not finish gives ``status=None`` and a
    one-line ``reason``; a missing qemu or setpriv raises `HostError`.
    """
    share = share.resolve()
    if not share.is_dir():
        raise HostError(f"the directory to share with the guest, {share}, does not exist")
    guest_dir = share / GUEST_DIR
    guest_dir.mkdir(exist_ok=True)
    status_file = guest_dir / "status"
    status_file.unlink(missing_ok=True)
    run_script = guest_dir / "run.sh"
    console_log = share / CONSOLE_LOG
    with console_log.open("w", encoding="utf-8", errors="replace") as log:

        def failed(reason: str, boot_seconds: float = 0.0, run_seconds: float = 0.0) -> GuestRun:
            log.write(f"lab: {reason}\n")
            return GuestRun(
                kernel=kernel,
                status=None,
                reason=f"{reason} (console log: {console_log})",
                accel=accel.value,
                boot_seconds=boot_seconds,
                run_seconds=run_seconds,
                console_log=console_log,
            )

        accel = Accel.TCG
        cache = cache or default_cache()
        try:
            initramfs = initramfs_for(kernel, cache)
        except HostError as error:
            return failed(str(error))
        accel = choose_accel(kernel, initramfs, cache)
        # The command learns whether it is emulated: lab check then runs one run at a time.
        guest_env = {**env, GUEST_ACCEL: accel.value}
        run_script.write_text(command_script(argv, cwd=cwd, env=guest_env, status_file=status_file))
        cmdline = kernel_cmdline(
            share=share,
            modules=kernel.modules.resolve(),
            release=kernel.release,
            run_script=run_script,
            extra=accel.kernel_args,
        )
        args = qemu_argv(
            kernel=kernel.vmlinuz,
            initramfs=initramfs,
            cmdline=cmdline,
            share=share,
            accel=accel,
            memory_mb=memory_mb,
            cpus=cpus,
        )
        log.write(f"lab: {QEMU} {' '.join(args)}\n")
        log.flush()
        with QemuProcess(args) as qemu:
            seen = _watch(qemu, qemu.started + timeout, log, on_console, on_tick)
        boot_seconds = (seen.starts or seen.stopped) - qemu.started
        run_seconds = 0.0 if seen.starts is None else (seen.ends or seen.stopped) - seen.starts
        if seen.exit_status is None:
            return failed(f"did not finish within {timeout:g} s", boot_seconds, run_seconds)
        try:
            status = int(status_file.read_text())
        except (OSError, ValueError):
            reason = failure_reason("\n".join(seen.console), "\n".join(seen.qemu_output)) or (
                f"the guest stopped (qemu exited with {seen.exit_status}) before the command ended"
            )
            return failed(reason, boot_seconds, run_seconds)
        return GuestRun(
            kernel=kernel,
            status=status,
            reason=None,
            accel=accel.value,
            boot_seconds=boot_seconds,
            run_seconds=run_seconds,
            console_log=console_log,
        )
