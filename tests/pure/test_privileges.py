"""What a user is told to do when labs cannot run here: the restriction this machine has."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.kernel._privileges import namespace_fix


def proc_sys(tmp_path: Path, **values: str) -> Path:
    """A stand-in /proc/sys with the given sysctls (``kernel__x`` for kernel/x)."""
    for name, value in values.items():
        path = tmp_path / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value + "\n")
    return tmp_path


@pytest.mark.parametrize(
    ("values", "fix"),
    [
        (
            {
                "kernel__apparmor_restrict_unprivileged_userns": "1",
                "user__max_user_namespaces": "9",
            },
            "AppArmor restricts unprivileged user namespaces on this machine (Ubuntu 23.10 and "
            "later, GitHub's ubuntu-24.04 runners included): run as root (sudo), or lift the "
            "restriction with sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0",
        ),
        (
            {"kernel__unprivileged_userns_clone": "0"},
            "sudo sysctl -w kernel.unprivileged_userns_clone=1",
        ),
        ({"user__max_user_namespaces": "0"}, "sudo sysctl -w user.max_user_namespaces=10000"),
        (
            {
                "kernel__apparmor_restrict_unprivileged_userns": "0",
                "user__max_user_namespaces": "9",
            },
            "run as root (sudo make test), or let unprivileged users create user namespaces",
        ),
        ({}, "kernel.apparmor_restrict_unprivileged_userns=0"),
    ],
    ids=["apparmor", "debian", "no-user-namespaces", "nothing-restricts", "no-sysctls-at-all"],
)
def test_the_fix_names_the_restriction_this_machine_has(
    tmp_path: Path, values: dict[str, str], fix: str
) -> None:
    assert fix in namespace_fix(proc_sys(tmp_path, **values))
