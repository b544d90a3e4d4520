"""Getting the right to create network namespaces.

As root this just works. An unprivileged process can still run labs inside
a user namespace of its own, where it is root over namespaces it creates:
`enter_user_namespace` moves the whole process there (root mapped to the
real user, with its own network and mount namespaces), which the kernel
allows only while the process has a single thread, so it must run early:
the pytest plugin calls it when pytest configures, the CLI at start.
"""

from __future__ import annotations

import enum
import os
import threading
from pathlib import Path

from lab._errors import PrivilegeError
from lab.kernel import _syscalls
from lab.kernel._netns import NetNamespace


class Privilege(enum.StrEnum):
    """How this process may build labs; equal to its text (``"root"``, ``"user namespace"``)."""

    ROOT = "root"
    """Real root (CAP_NET_ADMIN and CAP_SYS_ADMIN in the machine's user namespace)."""
    USER_NAMESPACE = "user namespace"
    """Root inside a user namespace of its own: labs work, `lab up` does not."""


_RESTRICTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "kernel/apparmor_restrict_unprivileged_userns",
        "1",
        "AppArmor restricts unprivileged user namespaces on this machine (Ubuntu 23.10 and "
        "later, GitHub's ubuntu-24.04 runners included): run as root (sudo), or lift the "
        "restriction with sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0",
    ),
    (
        "kernel/unprivileged_userns_clone",
        "0",
        "this kernel forbids unprivileged user namespaces: run as root (sudo make test), or "
        "allow them with sudo sysctl -w kernel.unprivileged_userns_clone=1",
    ),
    (
        "user/max_user_namespaces",
        "0",
        "this machine allows no user namespaces: run as root (sudo make test), or allow them "
        "with sudo sysctl -w user.max_user_namespaces=10000",
    ),
)
"""Sysctls that forbid unprivileged user namespaces: (path under /proc/sys, value, fix)."""

_FIX_IN_GENERAL = (
    "run as root (sudo make test), or let unprivileged users create user namespaces "
    "(on Debian: sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 23.10 and later: "
    "kernel.apparmor_restrict_unprivileged_userns=0; everywhere: user.max_user_namespaces > 0)"
)


def namespace_fix(proc_sys: Path = Path("/proc/sys")) -> str:
    """How to get the right to build labs here: the restriction this machine has, if one is set."""
    for name, forbidding, fix in _RESTRICTIONS:
        try:
            if (proc_sys / name).read_text().strip() == forbidding:
                return fix
        except OSError:
            continue  # this kernel has no such sysctl
    return _FIX_IN_GENERAL


_state: Privilege | None = None


def _thread_count() -> int:
    return len(os.listdir("/proc/self/task"))


def enter_user_namespace() -> None:
    """Move this single-threaded process into new user, mount and network namespaces."""
    uid, gid = os.geteuid(), os.getegid()
    if _thread_count() > 1 or threading.active_count() > 1:
        raise PrivilegeError(
            "lab cannot enter a user namespace from a process that already runs "
            f"{_thread_count()} threads; call lab.ensure_privileges() before starting threads, "
            f"or {namespace_fix()}"
        )
    try:
        _syscalls.unshare(_syscalls.CLONE_NEWUSER | _syscalls.CLONE_NEWNS | _syscalls.CLONE_NEWNET)
    except OSError as error:
        raise PrivilegeError(
            f"this kernel refused an unprivileged user namespace ({error.strerror}); "
            f"{namespace_fix()}"
        ) from error
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"0 {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"0 {gid} 1")
    # Mounts we make (sysfs for hosts) must never propagate to the real machine.
    _syscalls.mount(None, "/", None, _syscalls.MS_REC | _syscalls.MS_PRIVATE)


def _can_create_netns() -> bool:
    try:
        NetNamespace.create("privilege-probe").close()
    except PermissionError:
        return False
    return True


def ensure_privileges(*, allow_user_namespace: bool = True) -> Privilege:
    """Make sure this process can build labs, entering a user namespace if needed.

    Raises PrivilegeError, whose message says how to fix it, when neither works.
    """
    global _state  # noqa: PLW0603 - a process-wide fact, computed once
    if _state is not None:
        return _state
    if _can_create_netns():
        _state = Privilege.USER_NAMESPACE if in_user_namespace() else Privilege.ROOT
        return _state
    if not allow_user_namespace:
        raise PrivilegeError(f"this process may not create network namespaces; {namespace_fix()}")
    enter_user_namespace()
    if not _can_create_netns():  # pragma: no cover - kernel-specific refusal
        raise PrivilegeError(
            f"even inside a user namespace no network namespace; {namespace_fix()}"
        )
    _state = Privilege.USER_NAMESPACE
    return _state


def in_user_namespace() -> bool:
    """True inside a user namespace (uid 0 mapped from some other uid)."""
    with open("/proc/self/uid_map") as f:
        first = f.read().split()
    return first[:3] != ["0", "0", "4294967295"]
