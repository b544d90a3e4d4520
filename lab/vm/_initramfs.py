"""The guest's initramfs: busybox, lab's /init, and the modules that mount the root.

Built once per kernel and kept in a cache directory under a name that says what
went in (release, and a hash of the init script, busybox and the module files),
so later boots reuse it. The file appears whole or not at all: it is written as
an anonymous file (``O_TMPFILE``) and linked into place when complete, so an
interrupted build, even by SIGKILL, leaves nothing behind.

The modules come from the kernel's own tree, in the order ``modules.dep`` says
they load; built-in ones (``modules.builtin``) are left out, compressed ones
(``.ko.xz``, ``.ko.gz``) are decompressed here, since busybox's insmod takes
plain ELF.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import lzma
import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from lab._errors import HostError
from lab.vm._cpio import CpioMember, directory, file, newc_archive, node, symlink
from lab.vm._guest import INIT_SCRIPT
from lab.vm._image import KernelImage

__all__ = [
    "ROOT_MODULES",
    "initramfs_for",
    "load_order",
    "module_name",
    "parse_modules_dep",
    "write_once",
]

ROOT_MODULES = ("virtio_pci", "9pnet_virtio", "9p", "overlay")
"""What /init needs to mount the root: virtio PCI devices, 9p over virtio, overlayfs."""

APPLETS = (
    "sh", "mount", "mkdir", "insmod", "switch_root", "hostname", "ip", "poweroff", "sleep",
)  # fmt: skip
"""The busybox applets /init calls, each a symlink to /bin/busybox."""

BUSYBOX = Path("/bin/busybox")
FORMAT = "1"  # bump when the layout below changes, so cached images are rebuilt

_DECOMPRESS: Mapping[str, Callable[[bytes], bytes]] = {
    ".ko": lambda data: data,
    ".ko.xz": lzma.decompress,
    ".ko.gz": gzip.decompress,
}


def module_name(path: str) -> str:
    """The name modprobe uses for a module file: ``kernel/fs/9p/9p-x.ko.xz`` -> ``9p_x``."""
    base = path.rsplit("/", 1)[-1]
    return base.split(".ko", 1)[0].replace("-", "_")


def parse_modules_dep(text: str) -> dict[str, tuple[str, ...]]:
    """``modules.dep`` as module path -> the paths of the modules it needs."""
    deps: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        if ":" not in line:
            continue
        path, _, needs = line.partition(":")
        deps[path.strip()] = tuple(needs.split())
    return deps


def load_order(
    wanted: Iterable[str], deps: Mapping[str, Sequence[str]], builtin: Iterable[str]
) -> list[str]:
    """The module paths to load for `wanted` (names), each after what it needs.

    `deps` is `parse_modules_dep`'s answer, `builtin` the paths in ``modules.builtin``.
    Raises `HostError` naming a wanted module that is neither a file nor built in.
    """
    by_name = {module_name(path): path for path in deps}
    built_in = {module_name(path) for path in builtin}
    order: list[str] = []

    def visit(path: str, chain: tuple[str, ...]) -> None:
        if path in order or path in chain:  # loaded already, or a cycle depmod would reject
            return
        for needed in deps.get(path, ()):
            visit(needed, (*chain, path))
        order.append(path)

    missing = []
    for name in wanted:
        if name in by_name:
            visit(by_name[name], ())
        elif name not in built_in:
            missing.append(name)
    if missing:
        raise HostError(
            f"the kernel's modules tree has no module {', '.join(missing)} and it is not built "
            "in (modules.dep, modules.builtin): the guest could not mount its root over 9p; "
            "give a kernel whose modules tree is complete (depmod run)"
        )
    return order


def _modules(kernel: KernelImage) -> list[Path]:
    def read(name: str) -> str:
        try:
            return (kernel.modules / name).read_text()
        except OSError as error:
            raise HostError(
                f"cannot read {kernel.modules / name} ({error.strerror}): kernel {kernel.name} "
                "needs its modules tree with depmod run in it"
            ) from error

    deps = parse_modules_dep(read("modules.dep"))
    builtin = read("modules.builtin").split()
    return [kernel.modules / path for path in load_order(ROOT_MODULES, deps, builtin)]


def _decompressed(path: Path) -> bytes:
    for suffix, decompress in sorted(_DECOMPRESS.items(), key=lambda item: -len(item[0])):
        if path.name.endswith(suffix):
            try:
                return decompress(path.read_bytes())
            except (OSError, lzma.LZMAError, gzip.BadGzipFile) as error:
                raise HostError(f"cannot read the kernel module {path}: {error}") from error
    raise HostError(
        f"kernel module {path} is compressed in a way lab cannot read (it reads "
        f"{', '.join(_DECOMPRESS)}); unpack it next to the others and run depmod"
    )


def _members(modules: Sequence[Path]) -> list[CpioMember]:
    members = [directory(name) for name in ("bin", "dev", "proc", "lib", "lib/modules")]
    members += [directory(name) for name in ("lower", "rw", "newroot")]
    members += [node("dev/console", 5, 1), node("dev/null", 1, 3, 0o666)]
    members.append(file("bin/busybox", BUSYBOX.read_bytes(), 0o755))
    members += [symlink(f"bin/{applet}", "busybox") for applet in APPLETS]
    members.append(file("init", INIT_SCRIPT.encode(), 0o755))
    # /init loads /lib/modules/*.ko in the order the shell sorts them: number them.
    members += [
        file(f"lib/modules/{index:02d}-{module_name(path.name)}.ko", _decompressed(path))
        for index, path in enumerate(modules, start=1)
    ]
    return members


def _fingerprint(kernel: KernelImage, modules: Sequence[Path]) -> str:
    digest = hashlib.sha256(f"{FORMAT}\0{INIT_SCRIPT}\0{' '.join(APPLETS)}".encode())
    for path in (BUSYBOX, *modules):
        info = path.stat()
        digest.update(f"\0{path}\0{info.st_size}\0{info.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def write_once(path: Path, data: bytes) -> None:
    """Create `path` holding `data`, or leave it as it is when it exists (same name, same data)."""
    try:
        fd = os.open(path.parent, os.O_TMPFILE | os.O_WRONLY, 0o644)
    except OSError:  # a filesystem without O_TMPFILE: a named temporary, renamed
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            temporary.write_bytes(data)
            temporary.replace(path)
        finally:
            temporary.unlink(missing_ok=True)
        return
    directory_fd = os.open(path.parent, os.O_PATH | os.O_DIRECTORY)
    try:
        with os.fdopen(fd, "wb", closefd=False) as stream:
            stream.write(data)
        # With a directory descriptor os.link is linkat(), whose AT_SYMLINK_FOLLOW gives
        # the anonymous file a name (plain link() would link the /proc symlink itself).
        with contextlib.suppress(FileExistsError):  # built meanwhile by another process
            os.link(f"/proc/self/fd/{fd}", path.name, dst_dir_fd=directory_fd)
    finally:
        os.close(fd)
        os.close(directory_fd)


def initramfs_for(kernel: KernelImage, cache: Path) -> Path:
    """The initramfs that boots `kernel` on this machine's root, built into `cache` if needed.

    Raises `HostError` when busybox is missing or the kernel's modules cannot be read.
    """
    if shutil.which(str(BUSYBOX)) is None:
        raise HostError(
            f"{BUSYBOX} (static) is not installed, and lab needs it for the guest's initramfs; "
            "install it with: apt-get install busybox-static"
        )
    modules = _modules(kernel)
    path = cache / f"initramfs-{kernel.release}-{_fingerprint(kernel, modules)}.cpio"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        write_once(path, newc_archive(_members(modules)))
    return path
