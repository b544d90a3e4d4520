"""Labs that outlive the process: `lab up`, `lab ls`, `lab exec`, `lab down`, `lab cleanup`.

Ordinary labs are anonymous and die with their process. `lab up` pins each
namespace of a lab the way ``ip netns add`` does, with a bind mount on
``/run/netns/lab-NAME.HOST`` (so ``ip netns exec`` works on them too), and
records the lab in ``/run/lab/NAME.json``. Every pinned name starts with
``lab-``, which is how `cleanup` finds what a crashed `lab up` left.

A lab kept this way is root's: `unpin`, `cleanup` and `exec_argv` turn the
kernel's refusal to anyone else into a `PrivilegeError` that says to use sudo.
`unpin` and `cleanup` also stop the programs still running in the lab's
namespaces (started with ``ip netns exec`` or ``lab exec``), which would
otherwise keep them, and themselves, alive (see `_ns_processes`).
"""

from __future__ import annotations

import errno
import json
import os
import re
import shlex
import shutil
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lab._errors import LabError, LabNotFoundError, PrivilegeError
from lab.kernel import _syscalls
from lab.kernel._build import bridge_label
from lab.kernel._lab import Lab
from lab.kernel._mountns import create_mount_namespace
from lab.kernel._netns import NetNamespace
from lab.kernel._ns_processes import GRACE, Stopped, namespace_inode, processes_in, stop
from lab.kernel._privileges import in_user_namespace

PREFIX = "lab-"
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")


def run_dir() -> Path:
    """Where pinned labs live: /run, or $LAB_RUN_DIR (tests use a private one)."""
    return Path(os.environ.get("LAB_RUN_DIR", "/run"))


def _netns_dir() -> Path:
    return run_dir() / "netns"


def _meta_dir() -> Path:
    return run_dir() / "lab"


@dataclass
class PinnedLab:
    """What `lab up` recorded about a lab it left running."""

    name: str
    topology: str
    source: str
    namespaces: dict[str, str] = field(default_factory=dict)
    """Host (or ``bridge NAME``) -> pinned namespace name under /run/netns."""
    addresses: dict[str, list[str]] = field(default_factory=dict)

    def missing(self) -> list[str]:
        """Pinned namespaces whose file is gone (the lab is damaged)."""
        return [n for n in self.namespaces.values() if not (_netns_dir() / n).exists()]

    def to_json(self) -> dict[str, object]:
        """What `lab ls --json` shows of it: the record, its status and its hosts."""
        missing = self.missing()
        return {
            "name": self.name,
            "topology": self.topology,
            "source": self.source,
            "status": "damaged" if missing else "up",
            "missing": missing,
            "hosts": [h for h in self.namespaces if not h.startswith("bridge ")],
            "namespaces": dict(self.namespaces),
            "addresses": {host: list(a) for host, a in self.addresses.items()},
        }

    def netns_path(self, host: str) -> Path:
        if host not in self.namespaces or host.startswith("bridge "):
            hosts = ", ".join(h for h in self.namespaces if not h.startswith("bridge "))
            raise LabNotFoundError(f"lab {self.name} has no host {host!r}; its hosts are: {hosts}")
        return _netns_dir() / self.namespaces[host]


@contextmanager
def _as_root(what: str, command: str) -> Iterator[None]:
    """Turn the kernel's refusal (EPERM, EACCES) into a PrivilegeError that names sudo."""
    try:
        yield
    except PermissionError as error:
        raise PrivilegeError(
            f"{what} needs root, as lab up did ({error.strerror or error}); "
            f"run it with sudo: sudo {command}"
        ) from error


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise LabError(
            f"{name!r} is not a valid lab name; use up to 31 lowercase letters, digits "
            "and '-', starting with a letter or digit"
        )
    return name


def _ensure_shared_netns_dir() -> None:
    """Make /run/netns a shared mount point, as iproute2 does, so pins show in every mount ns."""
    path = _netns_dir()
    path.mkdir(parents=True, exist_ok=True)
    try:
        _syscalls.mount(None, str(path), None, _syscalls.MS_SHARED | _syscalls.MS_REC)
    except OSError as error:
        if error.errno != errno.EINVAL:  # EINVAL: not a mount point yet
            raise
        _syscalls.mount(str(path), str(path), None, _syscalls.MS_BIND | _syscalls.MS_REC)
        _syscalls.mount(None, str(path), None, _syscalls.MS_SHARED | _syscalls.MS_REC)


def _pin_one(ns: NetNamespace, name: str) -> None:
    target = _netns_dir() / name
    target.touch(exist_ok=False)
    try:
        _syscalls.mount(f"/proc/self/fd/{ns.fd}", str(target), None, _syscalls.MS_BIND)
    except OSError:
        target.unlink()
        raise


def _unpin_one(name: str) -> bool:
    target = _netns_dir() / name
    if not target.exists():
        return False
    try:
        _syscalls.umount(str(target))
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOENT):  # not mounted: just a stale file
            raise
    target.unlink(missing_ok=True)
    return True


def pin(lab: Lab, name: str) -> PinnedLab:
    """Keep a started lab's namespaces after this process exits."""
    check_name(name)
    if os.geteuid() != 0 or in_user_namespace():
        raise PrivilegeError(
            "lab up keeps namespaces after it exits, which needs real root; run it with sudo "
            "(as an unprivileged user, use labs from pytest or Python instead)"
        )
    if (_meta_dir() / f"{name}.json").exists():
        raise LabError(f"a lab named {name} is already up; take it down with: lab down {name}")
    _ensure_shared_netns_dir()
    _meta_dir().mkdir(parents=True, exist_ok=True)
    pinned = PinnedLab(name=name, topology=lab.topology.name, source=lab.topology.source)
    labelled = [(h, lab.hosts[h].netns) for h in lab.hosts]
    labelled += [(bridge_label(b), ns) for b, ns in lab.bridges.items()]
    try:
        for label, ns in labelled:
            netns_name = f"{PREFIX}{name}.{label.replace(' ', '-')}"
            _pin_one(ns, netns_name)
            pinned.namespaces[label] = netns_name
        pinned.addresses = {h.name: [str(a) for a in h.addresses] for h in lab}
        (_meta_dir() / f"{name}.json").write_text(json.dumps(asdict(pinned), indent=2) + "\n")
    except BaseException:
        for netns_name in pinned.namespaces.values():
            _unpin_one(netns_name)
        raise
    return pinned


def pinned_labs() -> list[PinnedLab]:
    """Every lab `lab up` left running, by name."""
    labs = []
    for meta in sorted(_meta_dir().glob("*.json")) if _meta_dir().is_dir() else []:
        try:
            labs.append(PinnedLab(**json.loads(meta.read_text())))
        except (ValueError, TypeError):
            continue  # a torn record from a crash: `lab cleanup` removes it
    return labs


def find(name: str | None) -> PinnedLab:
    """The pinned lab called `name`, or the only one when `name` is None."""
    labs = pinned_labs()
    names = ", ".join(lab.name for lab in labs) or "none"
    if name is None:
        if len(labs) == 1:
            return labs[0]
        raise LabNotFoundError(
            "no lab is up; start one with: lab up TOPOLOGY"
            if not labs
            else f"several labs are up ({names}); name one with --lab NAME"
        )
    for lab in labs:
        if lab.name == name:
            return lab
    raise LabNotFoundError(f"no lab named {name} is up; labs up: {names}")


def unpin(name: str, *, grace: float = GRACE) -> tuple[PinnedLab, Stopped]:
    """Take down the pinned lab `name`, and stop the programs still running in it.

    Its namespaces die once nothing uses them. The pins go first, so a user who
    may not remove them (not root) has stopped nothing either.
    """
    lab = find(name)
    inodes = _inodes(lab.namespaces.values())
    running = processes_in(inodes)
    with _as_root(f"taking down lab {lab.name}", f"lab down {lab.name}"):
        for netns_name in lab.namespaces.values():
            _unpin_one(netns_name)
        (_meta_dir() / f"{lab.name}.json").unlink(missing_ok=True)
    return lab, stop(running, grace=grace)


def cleanup(*, grace: float = GRACE) -> tuple[list[str], Stopped]:
    """Remove every pinned lab namespace and record, whole or torn; returns what went.

    Programs still running in those namespaces are stopped, as by `unpin`.
    """
    removed = []
    pins = [e.name for e in sorted(_netns_dir().iterdir())] if _netns_dir().is_dir() else []
    pins = [name for name in pins if name.startswith(PREFIX)]
    running = processes_in(_inodes(pins))
    with _as_root("removing what lab up left", "lab cleanup"):
        for name in pins:
            if _unpin_one(name):
                removed.append(f"netns {name}")
        if _meta_dir().is_dir():
            for meta in sorted(_meta_dir().glob("*.json")):
                meta.unlink()
                removed.append(f"record {meta.name}")
    return removed, stop(running, grace=grace)


def exec_argv(lab: PinnedLab, host: str, command: Sequence[str]) -> list[str]:
    """The argv that runs `command` inside `host` of `lab`: network and mount namespace.

    The mount namespace (the host's own /sys, as ``ip netns exec`` gives) is made
    here and left open for the command to enter; the caller execs the argv.
    """
    path = lab.netns_path(host)
    fix = f"lab exec --lab {lab.name} {host} -- {shlex.join(command)}"
    with _as_root(f"entering host {host} of lab {lab.name}", fix):
        netns = NetNamespace.open(str(path), host)
        mnt_fd = create_mount_namespace(netns)
    os.set_inheritable(mnt_fd, True)
    nsenter = shutil.which("nsenter") or "/usr/bin/nsenter"
    return [nsenter, f"--net={path}", f"--mount=/proc/self/fd/{mnt_fd}", "--", *command]


def _inodes(pinned: Iterable[str]) -> set[int]:
    """The namespace inodes of pins under /run/netns (those still there)."""
    return {i for n in pinned if (i := namespace_inode(_netns_dir() / n)) is not None}
