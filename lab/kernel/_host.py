"""A lab host: one network namespace, and everything a test does inside it.

A `Host` is also a pytest-testinfra `Host` whose commands run inside the
namespace, so ``host.socket("tcp://192.0.2.2:8080").is_listening``,
``host.interface("eth0").addresses``, ``host.sysctl("net.ipv4.tcp_ecn")`` and
``host.run("ss -tan")`` all look at this host, not at the machine. The
methods below add what testinfra lacks: Python sockets created inside the
namespace, callables run inside it, and real programs started and stopped in it.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

import testinfra.host

from lab._errors import HostError
from lab._pace import slowdown
from lab.kernel import _syscalls
from lab.kernel._mountns import create_mount_namespace
from lab.kernel._netns import NetNamespace
from lab.kernel._process import Process, entry_argv
from lab.kernel._rtnl_views import RtnlViews
from lab.kernel._testinfra import NamespaceBackend
from lab.topology._model import Address, HostSpec

P = ParamSpec("P")
T = TypeVar("T")

_TCP_LISTEN = "0A"  # the state column of /proc/net/tcp for LISTEN


# testinfra is untyped, so mypy sees this base as Any: a misspelt Host method (host.adress())
# passes type checking. The price of testinfra's modules on every host; our own methods
# are typed all the same.
class Host(testinfra.host.Host):  # type: ignore[misc]
    """One host of a running lab."""

    def __init__(self, spec: HostSpec, netns: NetNamespace, addresses: Sequence[Address]) -> None:
        self.name = spec.name
        self.spec = spec
        self.netns = netns
        self.addresses: tuple[Address, ...] = tuple(addresses)
        """The addresses the topology gave this host, in interface order."""
        self._mnt_fd: int | None = None
        self._processes: list[Process] = []
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        super().__init__(NamespaceBackend(self))

    def __repr__(self) -> str:
        return f"<lab.Host {self.name} {self.netns!r}>"

    # --- addresses -----------------------------------------------------------

    def address(self, version: int = 4) -> str:
        """This host's first IPv4 (or IPv6, ``version=6``) address, without prefix."""
        for address in self.addresses:
            if address.version == version:
                return str(address.ip)
        raise HostError(f"host {self.name} has no IPv{version} address in the topology")

    def kernel_addresses(self) -> list[str]:
        """The addresses the kernel has on this host's interfaces (lo and link-local too)."""
        netlink = RtnlViews(self.netns)
        try:
            return netlink.addresses()
        finally:
            netlink.close()

    # --- sockets and callables ------------------------------------------------

    def open_socket(
        self,
        family: int = socket.AF_INET,
        type: int = socket.SOCK_STREAM,
        proto: int = 0,
    ) -> socket.socket:
        """A Python socket that lives in this host's namespace, usable from any thread."""
        with self.netns.entered():
            return socket.socket(family, type, proto)

    def listen(self, port: int, address: str | None = None, backlog: int = 16) -> socket.socket:
        """A TCP socket listening on `port` (on every IPv4 address unless `address` is given)."""
        family = _family(address) if address else socket.AF_INET
        sock = self.open_socket(family)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((address or "", port))
            sock.listen(backlog)
        except OSError as error:
            sock.close()
            raise HostError(f"host {self.name} cannot listen on port {port}: {error}") from error
        return sock

    def connect(self, address: str, port: int, timeout: float = 5.0) -> socket.socket:
        """A TCP socket connected from this host to `address`:`port`."""
        sock = self.open_socket(_family(address))
        sock.settimeout(timeout)
        try:
            sock.connect((address, port))
        except OSError as error:
            sock.close()
            raise HostError(
                f"host {self.name} cannot connect to {address} port {port}: {error}"
            ) from error
        return sock

    def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn` in a thread inside this namespace and return its result (or raise its error)."""
        return self._worker().submit(fn, *args, **kwargs).result()

    def _worker(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                fd = self.netns.fd
                self._executor = ThreadPoolExecutor(
                    max_workers=1,
                    thread_name_prefix=f"lab-{self.name}",
                    initializer=_syscalls.setns,
                    initargs=(fd, _syscalls.CLONE_NEWNET),
                )
            return self._executor

    # --- programs --------------------------------------------------------------

    def entry_argv(self) -> tuple[list[str], tuple[int, ...]]:
        """The argv prefix that runs a program inside this host, and the descriptors it needs."""
        with self._lock:
            if self._mnt_fd is None:
                self._mnt_fd = create_mount_namespace(self.netns)
        return entry_argv(self.netns.fd, self._mnt_fd), (self.netns.fd, self._mnt_fd)

    def popen(
        self,
        argv: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        cwd: str | None = None,
    ) -> Process:
        """Start a real program inside this host; the lab stops it at teardown if you don't."""
        if isinstance(argv, str):
            raise TypeError(f"popen takes a list of arguments, not a string: [{argv!r}, ...]")
        wrapper, fds = self.entry_argv()
        process = Process(argv, host=self.name, wrapper=wrapper, pass_fds=fds, env=env, cwd=cwd)
        self._processes.append(process)
        return process

    def exec(
        self,
        argv: Sequence[str],
        *,
        timeout: float = 30.0,
        check: bool = True,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a program inside this host to completion and return its output."""
        wrapper, fds = self.entry_argv()
        try:
            done = subprocess.run(
                [*wrapper, *argv],
                input=input,
                stdin=None if input is not None else subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                pass_fds=fds,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise HostError(
                f"{argv[0]!r} on host {self.name} did not finish within {timeout} s"
            ) from None
        except OSError as error:
            raise HostError(f"cannot run {argv[0]!r} on host {self.name}: {error}") from error
        if check and done.returncode != 0:
            raise HostError(
                f"{' '.join(argv)!r} on host {self.name} exited with status {done.returncode}: "
                f"{done.stderr.strip() or done.stdout.strip() or 'no output'}"
            )
        return done

    def ss(self, *args: str) -> str:
        """What the real ``ss`` prints inside this host (default: ``ss -tanoi``)."""
        return self.exec(["ss", *(args or ("-tanoi",))]).stdout

    def wait_listening(self, port: int, timeout: float | None = None) -> None:
        """Return once a TCP socket listens on `port` in this host, or raise HostError.

        Fails at once, with their exit statuses and stderr, when every program started
        on this host with `popen` has exited: none of them can open the port any more.
        `timeout` defaults to 5 s (times `lab._pace.slowdown` in an emulated guest).
        """
        if timeout is None:
            timeout = 5.0 * slowdown()
        deadline = time.monotonic() + timeout
        while True:
            if port in self.listening_ports():
                return
            exited = [p for p in self._processes if not p.running]
            if exited and len(exited) == len(self._processes):
                raise HostError(
                    f"nothing listens on TCP port {port} on host {self.name}, and no program "
                    f"started there runs any more: {'; '.join(p.describe_exit() for p in exited)}"
                )
            if time.monotonic() > deadline:
                ended = "".join(f"; {p.describe_exit()}" for p in exited)
                raise HostError(
                    f"nothing listens on TCP port {port} on host {self.name} "
                    f"after {timeout} s{ended}"
                )
            time.sleep(0.002)

    def listening_ports(self) -> set[int]:
        """The TCP ports with a listening socket in this host (IPv4 and IPv6)."""
        ports: set[int] = set()
        with self.netns.entered():
            for table in ("tcp", "tcp6"):
                try:
                    with open(f"/proc/thread-self/net/{table}") as f:
                        rows = f.read().splitlines()[1:]
                except FileNotFoundError:  # IPv6 disabled
                    continue
                for row in rows:
                    fields = row.split()
                    if fields[3] == _TCP_LISTEN:
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        return ports

    # --- teardown ----------------------------------------------------------------

    def close(self) -> None:
        """Stop this host's programs and threads and let go of its namespaces."""
        for process in self._processes:
            process.close()
        self._processes.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._mnt_fd is not None:
            os.close(self._mnt_fd)
            self._mnt_fd = None
        self.netns.close()


def _family(address: str) -> socket.AddressFamily:
    try:
        version = ipaddress.ip_address(address).version
    except ValueError:
        raise HostError(f"{address!r} is not an IP address") from None
    return socket.AF_INET6 if version == 6 else socket.AF_INET
