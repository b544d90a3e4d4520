"""Per-namespace sysctls, read and written through /proc/sys from inside the namespace.

/proc/sys/net resolves against the network namespace of the thread that
opens the file, so a thread that has entered a lab namespace sets that
namespace's value and can never touch the host's.
"""

from __future__ import annotations

import os

from lab.kernel._netns import NetNamespace


def sysctl_path(name: str) -> str:
    """``net.ipv4.tcp_ecn`` -> ``/proc/sys/net/ipv4/tcp_ecn``."""
    return "/proc/sys/" + name.replace(".", "/")


def write_sysctl(netns: NetNamespace, name: str, value: str, *, missing_ok: bool = False) -> None:
    """Set `name` in `netns`; with `missing_ok`, a sysctl this kernel lacks is no error."""
    with netns.entered():
        try:
            fd = os.open(sysctl_path(name), os.O_WRONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            if not missing_ok:
                raise
            return
        try:
            os.write(fd, value.encode())  # one write(2), as `sysctl -w` does; no file object
        finally:
            os.close(fd)


def read_sysctl(netns: NetNamespace, name: str) -> str:
    with netns.entered(), open(sysctl_path(name)) as f:
        return f.read().strip()


def read_own_sysctl(name: str) -> str | None:
    """`name` in the calling thread's own namespace (outside labs, the machine's); None: absent."""
    try:
        with open(sysctl_path(name)) as f:
            return f.read().strip()
    except FileNotFoundError:
        return None
