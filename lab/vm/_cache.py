"""The kernel cache: where fetched kernels live, what each one is, and the lock on it.

    CACHE/                               cache_dir(): $LAB_KERNEL_CACHE, else see there
     ├── 6.1.0-57-amd64/                 one kernel, named by its release
     │    ├── boot/vmlinuz-6.1.0-57-amd64   (and config-, System.map-)
     │    ├── lib/modules/6.1.0-57-amd64/   with modules.dep (depmod ran)
     │    └── kernel.json                 package, version, release, fetched at, size
     ├── .apt/                           the private apt setup (`lab.vm._fetch`)
     ├── .tmp/                           downloads and trees being made; emptied under the lock
     └── .lock                           flock'ed by whoever changes the cache

A kernel's folder appears whole or not at all: it is made in ``.tmp/`` and
renamed into place, kernel.json already in it. So reading needs no lock;
changing does (`cache_lock`).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from lab._errors import LabError
from lab.vm._catalog import version_key
from lab.vm._image import KernelImage

__all__ = [
    "CACHE_VARIABLE",
    "CachedKernel",
    "cache_dir",
    "cache_lock",
    "cached_kernels",
    "read_cache",
    "write_metadata",
]

CACHE_VARIABLE: Final = "LAB_KERNEL_CACHE"
"""The environment variable that moves the cache."""
ROOT_CACHE: Final = Path("/var/cache/lab/kernels")
"""The cache of root (and of everyone who sets LAB_KERNEL_CACHE to it)."""
METADATA: Final = "kernel.json"
LOCK: Final = ".lock"
TEMPORARY: Final = ".tmp"


def cache_dir() -> Path:
    """Where kernels are cached: $LAB_KERNEL_CACHE, else /var/cache/lab/kernels for root,
    else $XDG_CACHE_HOME/lab/kernels (~/.cache/lab/kernels)."""
    chosen = os.environ.get(CACHE_VARIABLE)
    if chosen:
        return Path(chosen).expanduser().absolute()
    if os.geteuid() == 0:
        return ROOT_CACHE
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg).absolute() / "lab" / "kernels"


@dataclass(frozen=True)
class CachedKernel:
    """A kernel in the cache, with what its kernel.json says about it."""

    image: KernelImage
    """Named by its release: ``6.1.0-57-amd64``."""
    folder: Path
    series: str | None
    """The series it belongs to (``6.1``), None if none lab knows."""
    fetched_at: str
    """When it was fetched, ISO 8601 in UTC."""
    size: int
    """Bytes on disk."""

    def to_json(self) -> dict[str, Any]:
        """What ``lab kernels ls --json`` prints for it."""
        image = self.image
        return {
            "name": image.name,
            "release": image.release,
            "series": self.series,
            "package": image.package,
            "version": image.version,
            "vmlinuz": str(image.vmlinuz),
            "modules": str(image.modules),
            "size": self.size,
            "fetched_at": self.fetched_at,
        }


def write_metadata(
    folder: Path,
    *,
    package: str,
    version: str,
    release: str,
    series: str | None,
    origin: str,
    fetched_at: str,
) -> None:
    """Write `folder`'s kernel.json (a kernel tree being made, before it is moved in)."""
    size = sum(entry.stat().st_size for entry in folder.rglob("*") if entry.is_file())
    record = {
        "package": package,
        "version": version,
        "release": release,
        "series": series,
        "origin": origin,
        "vmlinuz": f"boot/vmlinuz-{release}",
        "modules": f"lib/modules/{release}",
        "fetched_at": fetched_at,
        "size": size,
    }
    (folder / METADATA).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _read_one(folder: Path) -> CachedKernel | None:
    """The kernel in `folder`, or None when it holds no readable kernel.json."""
    try:
        record = json.loads((folder / METADATA).read_text(encoding="utf-8"))
        release = str(record["release"])
        image = KernelImage(
            name=release,
            release=release,
            vmlinuz=folder / record["vmlinuz"],
            modules=folder / record["modules"],
            package=record.get("package"),
            version=record.get("version"),
        )
        return CachedKernel(
            image=image,
            folder=folder,
            series=record.get("series"),
            fetched_at=str(record.get("fetched_at", "")),
            size=int(record.get("size", 0)),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None  # not a kernel (or a damaged one): ls leaves it out, fetch makes it again


def read_cache(cache: Path | None = None) -> list[CachedKernel]:
    """The kernels in `cache` (default: `cache_dir`), newest package version first."""
    folder = cache or cache_dir()
    try:
        entries = [p for p in folder.iterdir() if not p.name.startswith(".") and p.is_dir()]
    except FileNotFoundError:
        return []
    found = [kernel for kernel in map(_read_one, entries) if kernel is not None]
    return sorted(found, key=lambda k: version_key(k.image.version or ""), reverse=True)


def cached_kernels() -> list[KernelImage]:
    """The kernels in the cache, each named by its release (``6.1.0-57-amd64``)."""
    return [kernel.image for kernel in read_cache()]


@contextmanager
def cache_lock(cache: Path, waiting: Callable[[], None] | None = None) -> Iterator[Path]:
    """Hold the cache's lock (made if need be); yields its ``.tmp`` folder, emptied.

    `waiting` is called once if another process holds the lock, before waiting for it.
    """
    try:
        cache.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(cache / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise LabError(
            f"cannot make the kernel cache {cache}: {error.strerror}; set {CACHE_VARIABLE} "
            "to a folder you may write"
        ) from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        temporary = cache / TEMPORARY
        _remove_tree(temporary)  # what a fetch that was killed left: no one else uses it now
        temporary.mkdir()
        try:
            yield temporary
        finally:  # a fetch that failed leaves nothing half made either
            _remove_tree(temporary)
    finally:
        os.close(descriptor)


def _remove_tree(folder: Path) -> None:
    """Remove `folder` and all in it, if it is there."""
    if folder.exists():
        shutil.rmtree(folder)
