"""A pytest-testinfra backend whose commands run inside a lab host.

testinfra modules (socket, interface, sysctl, file, process, ...) build shell
commands and hand them to the backend; this one runs them with the host's
network and mount namespaces, the way `Host.popen` starts programs.
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING, Any

from testinfra.backend.base import CommandResult
from testinfra.backend.local import LocalBackend

if TYPE_CHECKING:
    from lab.kernel._host import Host


class NamespaceBackend(LocalBackend):  # type: ignore[misc]  # testinfra is untyped here
    """Runs testinfra's shell commands inside one lab host."""

    NAME = "lab"

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.lab_host = host
        self.hostname = host.name
        self._encoding = "utf-8"  # skip testinfra's probe, which would run python3 once more

    def get_pytest_id(self) -> str:
        return f"lab:{self.lab_host.name}"

    def get_hostname(self) -> str:
        return self.lab_host.name

    def run(self, command: str, *args: str, **kwargs: Any) -> CommandResult:
        cmd = self.get_command(command, *args)
        wrapper, fds = self.lab_host.entry_argv()
        done = subprocess.run(
            [*wrapper, "/bin/sh", "-c", cmd],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            pass_fds=fds,
            check=False,
        )
        result: CommandResult = self.result(
            done.returncode, self.encode(cmd), done.stdout, done.stderr
        )
        return result
