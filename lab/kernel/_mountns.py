"""A mount namespace per host, so programs see that host's own /sys.

sysfs shows the network devices of the namespace that mounted it, so a
program that only joins a lab network namespace would still list the host
machine's interfaces under /sys/class/net. Like ``ip netns exec``, each lab
host gets a mount namespace in which a fresh sysfs is mounted on /sys; it
is made a slave of the host's mounts first, so nothing propagates back. It is
held by a file descriptor and dies with the process, like the network
namespace.
"""

from __future__ import annotations

import os
import threading

from lab.kernel import _syscalls
from lab.kernel._netns import NetNamespace

CLONE_NEWNS = _syscalls.CLONE_NEWNS


def create_mount_namespace(netns: NetNamespace) -> int:
    """A new mount namespace whose /sys belongs to `netns`; returns its descriptor."""
    result: list[int] = []
    failure: list[BaseException] = []

    def work() -> None:
        # A throwaway thread: unshare(CLONE_NEWNS) also unshares the thread's
        # filesystem context, which we never want in the caller's thread.
        try:
            _syscalls.unshare(CLONE_NEWNS)
            _syscalls.setns(netns.fd, _syscalls.CLONE_NEWNET)
            _syscalls.mount(None, "/", None, _syscalls.MS_REC | _syscalls.MS_SLAVE)
            _syscalls.mount("sysfs", "/sys", "sysfs", 0)
            result.append(os.open("/proc/thread-self/ns/mnt", os.O_RDONLY | os.O_CLOEXEC))
        except BaseException as error:  # re-raised in the caller's thread
            failure.append(error)

    thread = threading.Thread(target=work, name=f"mountns-{netns.label}")
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return result[0]
