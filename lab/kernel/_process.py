"""Real programs running inside a lab host.

A program is started through small util-linux tools and sh, so no Python code
runs between fork and exec (which is unsafe in a threaded process):

    setpriv --pdeathsig KILL -- sh -c CHECK PID \
        nsenter --net=/proc/self/fd/N --mount=/proc/self/fd/M -- \
        unshare --pid --fork --kill-child -- sh -c INIT init PROGRAM

`setpriv` makes the kernel kill the chain if the process that started it
dies, even by SIGKILL; the first `sh` checks that the starter did not die
before that was set up; `nsenter` joins the host's namespaces through
descriptors inherited with `pass_fds`; `unshare` gives the program a PID
namespace whose init dies with it, so the kernel kills every process the
program started, too: a crashed test leaves no orphan. The init checks, the
same way, that `unshare` did not die before its child's parent-death signal
was set. Each program leads its own process group, and stopping it signals
the whole group.
Output goes to anonymous temporary files (no pipe can fill up and block the
program, and nothing is left on disk), readable at any time.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from typing import IO

from lab._errors import HostError


def _tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if path is None:
        raise HostError(
            f"{name} (from util-linux) is not installed, and lab needs it to start programs "
            "inside lab hosts; install it with: apt-get install util-linux"
        )
    return path


# The parent-death signal only covers a parent that dies after prctl(): one that dies
# between fork and setpriv's prctl leaves an orphan behind. So, with the signal set,
# the shell checks that its parent is still the process that started it, and only then
# goes on. (Seen: ~1 run in 10 of the suite, under load, before this check.)
# It also tells the init (below) its PID, which stays unshare's through nsenter's exec.
_STILL_OUR_CHILD = 'if [ "$PPID" != "$0" ]; then exit 137; fi; export LAB_UNSHARE=$$; exec "$@"'
# The signal reaches only the direct child, not what it started (`sleep &` in a shell,
# a daemon's workers). So every program runs in a PID namespace of its own, whose init
# dies with the starter (unshare --kill-child): the kernel then kills the whole tree.
# The init is a shell that waits for the program and passes its status on; as init it
# ignores SIGTERM, which the program, in the same process group, still receives.
# fd 3 keeps the program's stdin: a background job's is /dev/null before any redirection.
# unshare's child sets its parent-death signal after fork(): if unshare died in between,
# the init is an orphan already, which its parent in the machine's /proc tells ($PPID is
# 0 in a new PID namespace); then it stops there, as the first check does.
_INIT = (
    'while read -r key value; do [ "$key" = PPid: ] && parent=$value; done </proc/self/status; '
    'if [ "$parent" != "$LAB_UNSHARE" ]; then exit 137; fi; unset LAB_UNSHARE; '
    'exec 3<&0; "$@" <&3 3<&- & exec 3<&-; wait $!'
)
_TOOLS = ("setpriv", "unshare", "nsenter")


def entry_argv(net_fd: int, mnt_fd: int | None) -> list[str]:
    """The argv prefix that runs a program inside the namespaces behind the descriptors."""
    setpriv, unshare, nsenter = (_tool(t) for t in _TOOLS)
    argv = [setpriv, "--pdeathsig", "KILL", "--", "/bin/sh", "-c", _STILL_OUR_CHILD]
    # Join the host's namespaces first: the kernel refuses to switch mount namespaces
    # from inside a new PID namespace's init tree (EINVAL), and it need not.
    argv += [str(os.getpid()), nsenter, f"--net=/proc/self/fd/{net_fd}"]
    if mnt_fd is not None:
        argv.append(f"--mount=/proc/self/fd/{mnt_fd}")
    argv += ["--", unshare, "--pid", "--fork", "--kill-child=KILL", "--"]
    return [*argv, "/bin/sh", "-c", _INIT, "init"]


class Process:
    """A program started inside a lab host; stop it, or the lab stops it at teardown."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        host: str,
        wrapper: Sequence[str],
        pass_fds: Sequence[int],
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        stdin: int | IO[bytes] | None = subprocess.DEVNULL,
    ) -> None:
        self.argv = list(argv)
        self.host = host
        self._stopped = False
        # Kept open for the program's life and closed by close(): no `with` fits.
        self._out = tempfile.TemporaryFile()  # noqa: SIM115
        self._err = tempfile.TemporaryFile()  # noqa: SIM115
        full_env = None if env is None else {**os.environ, **env}
        try:
            self._popen = subprocess.Popen(
                [*wrapper, *self.argv],
                stdin=stdin,
                stdout=self._out,
                stderr=self._err,
                pass_fds=tuple(pass_fds),
                env=full_env,
                cwd=cwd,
                start_new_session=True,
            )
        except OSError as error:
            self._out.close()
            self._err.close()
            raise HostError(f"cannot start {self.argv[0]!r} on host {host}: {error}") from error

    @property
    def pid(self) -> int:
        return self._popen.pid

    @property
    def returncode(self) -> int | None:
        return self._popen.poll()

    @property
    def running(self) -> bool:
        return self._popen.poll() is None

    def _read(self, file: IO[bytes]) -> str:
        file.seek(0)
        return file.read().decode(errors="replace")

    @property
    def stdout(self) -> str:
        """Everything the program has written to stdout so far."""
        return self._read(self._out)

    @property
    def stderr(self) -> str:
        """Everything the program has written to stderr so far."""
        return self._read(self._err)

    def describe_exit(self, *, stderr_chars: int = 2000) -> str:
        """How the program ended (died, exited, stopped) and the end of its stderr, for messages."""
        status = self._popen.poll()
        if status is None:
            return f"{self.command} (pid {self.pid}) still runs"
        if status < 0:  # the wrapper itself was killed
            how = f"died, killed by {_signal_name(-status)}"
        elif status > 128:  # the program's init, a shell, reports a signal as 128 + its number
            how = f"died with exit status {status} (128 + {_signal_name(status - 128)})"
        else:
            how = f"died with exit status {status}" if status else "exited with status 0"
        if self._stopped:
            how = f"was stopped by the test (exit status {status})"
        text = self.stderr.strip()
        if len(text) > stderr_chars:
            text = "..." + text[-stderr_chars:]
        return f"{self.command} (pid {self.pid}) {how}; its stderr: {text or '(empty)'}"

    @property
    def command(self) -> str:
        """The program's argv as one quoted string, for messages."""
        return repr(shlex.join(self.argv))

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the program to exit; HostError if `timeout` runs out first."""
        try:
            return self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            raise HostError(
                f"{self.argv[0]!r} on host {self.host} still runs after {timeout} s; "
                "stop it with .stop() or give it a longer timeout"
            ) from None

    def signal(self, signum: int) -> None:
        """Send `signum` to the program's whole process group."""
        if self._popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):  # exited between poll and kill
                os.killpg(self._popen.pid, signum)

    def stop(self, timeout: float = 2.0) -> int:
        """SIGTERM the process group, SIGKILL it after `timeout` s; returns the exit status."""
        if self._popen.poll() is None:
            self._stopped = True
            self.signal(signal.SIGTERM)
            try:
                self._popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self._popen.wait()
        # The group may hold children that outlived the leader.
        self._kill_group_leftovers()
        return self._popen.returncode

    def _kill_group_leftovers(self) -> None:
        try:
            os.killpg(self._popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + 1.0
        while _live_members(self._popen.pid) and time.monotonic() < deadline:
            time.sleep(0.005)

    def close(self) -> None:
        """Stop the program and release its output files."""
        self.stop()
        self._out.close()
        self._err.close()

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else f"exited {self._popen.returncode}"
        return f"<Process {self.argv[0]!r} on {self.host} pid={self.pid} {state}>"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _live_members(pgid: int) -> list[int]:
    """Processes of group `pgid` that still run (zombies excluded: whoever adopted them reaps)."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:  # exited while we looked
            continue
        # After the command: state, ppid, pgrp.
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members
