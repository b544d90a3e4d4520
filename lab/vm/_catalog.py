"""Kernel names: what ``host``, ``6.1``, ``linux-image-6.1.0-57-amd64`` or a path stand for.

A name is one of (the first form that fits wins, see `parse_name`):

    host                          the running kernel: not booted, the caller runs directly
    6.1, 6.12, 5.10               a series: its newest generic amd64 Debian package
    6.1.0-57, 6.12.117            a release, or the start of one: the newest that begins so
    6.1.0-57-amd64                a whole release (``uname -r``): exactly that package
    linux-image-6.1.0-57-amd64    a Debian package
    /boot/vmlinuz-6.1.0-57-amd64  a vmlinuz (or an extracted package's folder) with its
                                  modules next to it: not fetched, used where it is

Pure: the series and their Debian suites are data (`SERIES`), Debian versions
are compared here (`version_key`, dpkg's own order), and what apt offers comes
in as text (`parse_madison`). Fetching and the cache are `lab.vm._fetch` and
`lab.vm._cache`. Reading a file given by path is the only I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from lab._errors import UnknownNameError, did_you_mean
from lab.vm._image import KernelImage

__all__ = [
    "HOST",
    "SERIES",
    "Host",
    "Offer",
    "Series",
    "Wanted",
    "kernel_from_path",
    "newest",
    "parse_madison",
    "parse_name",
    "release_of_bzimage",
    "series_of",
    "version_key",
]


@dataclass(frozen=True)
class Series:
    """A kernel series lab can fetch: where Debian keeps it and how its packages are named."""

    name: str
    """What the user writes: ``6.1``."""
    suite: str
    """The Debian release that carries it (its -updates and -security suites too)."""
    packages: re.Pattern[str]
    """The names of its generic amd64 kernel packages (not cloud, rt or -dbg)."""

    def holds(self, release: str) -> bool:
        """Whether `release` (``6.1.0-57``, ``6.12.117+deb12``) belongs to this series."""
        return release.startswith(f"{self.name}.")


SERIES: Final = (
    Series("6.12", "bookworm", re.compile(r"linux-image-6\.12\.\d+\+deb12-amd64")),
    Series("6.1", "bookworm", re.compile(r"linux-image-6\.1\.0-\d+-amd64")),
    Series("5.10", "bullseye", re.compile(r"linux-image-5\.10\.0-\d+-amd64")),
)
"""The series lab knows, newest first. Generic amd64 only: cloud kernels lack 9p, which
booting on this machine's own root needs. 6.12 reached bookworm through its security suite."""

SUITES: Final = tuple(dict.fromkeys(s.suite for s in SERIES))
"""The Debian releases the private apt setup lists (each with -updates and -security)."""

PACKAGE_PREFIX: Final = "linux-image-"
UNSIGNED: Final = "-unsigned"
"""What an unsigned package's name ends with; its signed twin holds the same vmlinuz."""


class Host:
    """The running kernel: nothing to fetch or boot (`HOST` is the one instance)."""

    def __repr__(self) -> str:
        return "HOST"


HOST: Final = Host()


@dataclass(frozen=True)
class Offer:
    """One version of one package that apt can download (a line of ``apt-cache madison``)."""

    package: str
    version: str
    origin: str = ""
    """Where apt has it from: ``bookworm-security``; empty when not known."""

    @property
    def release(self) -> str:
        """The kernel release the package holds: ``6.1.0-57-amd64``."""
        return self.package.removeprefix(PACKAGE_PREFIX).removesuffix(UNSIGNED)

    @property
    def signed(self) -> bool:
        """False for an ``-unsigned`` package (its signed twin is preferred, same vmlinuz)."""
        return not self.package.endswith(UNSIGNED)


@dataclass(frozen=True)
class Wanted:
    """A kernel to take from Debian's archive: the packages that would do, newest wins."""

    name: str
    """What the user wrote, and what the kernel is called in reports."""
    packages: re.Pattern[str]
    """The package names that would do (an unsigned twin counts as its signed name)."""
    series: Series | None
    """The series it belongs to; None for a package named outright that is in none."""

    def accepts(self, package: str) -> bool:
        """Whether `package` (signed or unsigned) is one that would do."""
        return self.packages.fullmatch(package.removesuffix(UNSIGNED)) is not None

    @property
    def fetch_hint(self) -> str:
        """The command that fetches it."""
        return f"lab kernels fetch {self.name}"


def series_of(package: str) -> Series | None:
    """The series whose generic kernels `package` is one of (None: cloud, rt, another)."""
    signed = package.removesuffix(UNSIGNED)
    return next((s for s in SERIES if s.packages.fullmatch(signed)), None)


# ---- names ------------------------------------------------------------------------------


def _series_named(name: str) -> Series | None:
    return next((s for s in SERIES if s.name == name), None)


def _series_holding(release: str) -> Series | None:
    return next((s for s in SERIES if s.holds(release)), None)


def _package(name: str) -> Wanted | None:
    release = name.removeprefix(PACKAGE_PREFIX).removesuffix(UNSIGNED)
    return Wanted(name, re.compile(re.escape(PACKAGE_PREFIX + release)), _series_holding(release))


def _series(name: str) -> Wanted | None:
    series = _series_named(name)
    return None if series is None else Wanted(name, series.packages, series)


def _release(name: str) -> Wanted | None:
    series = _series_holding(name)
    if series is None:
        return None
    return Wanted(name, re.compile(re.escape(PACKAGE_PREFIX + name)), series)


def _release_start(name: str) -> Wanted | None:
    series = _series_holding(name)
    if series is None:
        return None
    # The series' own names, which also begin with this release and a separator.
    start = re.escape(PACKAGE_PREFIX + name)
    return Wanted(name, re.compile(f"(?={start}[-+.]){series.packages.pattern}"), series)


_NAME_FORMS: Final[tuple[tuple[re.Pattern[str], Callable[[str], Wanted | None]], ...]] = (
    (re.compile(r"linux-image-[0-9][\w.+~-]*"), _package),
    (re.compile(r"\d+\.\d+"), _series),
    (re.compile(r"\d+\.\d+[.+-][\w.+~-]*-[a-z][a-z0-9-]*"), _release),  # ends in a flavour
    (re.compile(r"\d+\.\d+[.+-][\w.+~]*(?:-\d[\w.+~]*)?"), _release_start),
)
"""How each form of name is read, first match first; a reader's None means "no such one"."""


def is_path(name: str) -> bool:
    """Whether `name` is written as a path (``/boot/…``, ``./x``, ``~/x``), not as a name."""
    return "/" in name or name.startswith(("~", "."))


def parse_name(name: str, cached: Sequence[str] = ()) -> Host | Wanted | Path:
    """What kernel `name` stands for: `HOST`, a `Wanted` package, or a path to use as it is.

    A path is returned as given (expanded ``~``) without looking at it: see
    `kernel_from_path`. Anything else raises `UnknownNameError`, which lists
    the series lab knows, the `cached` releases and how to fetch one.
    """
    text = name.strip()
    if text == "host":
        return HOST
    if is_path(text):
        return Path(text).expanduser()
    for form, read in _NAME_FORMS:
        if form.fullmatch(text):
            wanted = read(text)
            if wanted is not None:
                return wanted
            break
    if text and Path(text).exists():  # a file in the current folder, named without ./
        return Path(text)
    raise unknown_kernel(name, cached)


def unknown_kernel(name: str, cached: Sequence[str]) -> UnknownNameError:
    """The error for a kernel name no form reads: what there is, and how to fetch it."""
    series = ", ".join(f"{s.name} (Debian {s.suite})" for s in SERIES)
    in_cache = f"cached: {', '.join(cached)}; " if cached else "none is cached yet; "
    hint = did_you_mean(name, ["host", *(s.name for s in SERIES), *cached])
    return UnknownNameError(
        f"{name!r} is not a kernel lab knows",
        f"{hint}name host (the running kernel), a series: {series}, a release such as "
        f"6.1.0-57-amd64, a package such as linux-image-6.1.0-57-amd64, or the path of a "
        f"vmlinuz; {in_cache}fetch one with: lab kernels fetch {SERIES[1].name}",
    )


# ---- Debian versions ------------------------------------------------------------------

_PARTS: Final = re.compile(r"(\D*)(\d*)")
_END: Final = ((0,), 0)
"""The end of a version part: after any letter or digit, before a tilde."""

_Runs = tuple[tuple[tuple[int, ...], int], ...]
VersionKey = tuple[int, _Runs, _Runs]
"""The epoch, then the upstream version's runs, then the Debian revision's."""


def _order(char: str) -> int:
    """dpkg's order of one character of a non-digit run: ~ first, then the end, letters, others."""
    if char == "~":
        return -1
    return ord(char) if char.isalpha() else ord(char) + 256


def _part_key(text: str) -> _Runs:
    """Runs of non-digits (each closed by its end, 0) and numbers, as dpkg's verrevcmp reads."""
    runs = [
        ((*(_order(c) for c in letters), 0), int(digits or 0))
        for letters, digits in _PARTS.findall(text)
        if letters or digits
    ]
    return (*runs, _END)


def version_key(version: str) -> VersionKey:
    """A sort key that orders Debian versions as ``dpkg --compare-versions`` does."""
    epoch, colon, rest = version.partition(":")
    if not colon:
        epoch, rest = "0", version
    upstream, dash, revision = rest.rpartition("-")
    if not dash:
        upstream, revision = rest, ""
    return (int(epoch or 0), _part_key(upstream), _part_key(revision))


# ---- what apt offers --------------------------------------------------------------------


def parse_madison(text: str) -> list[Offer]:
    """The offers in ``apt-cache madison`` output: ``PACKAGE | VERSION | URL SUITE/main …``."""
    offers = []
    for line in text.splitlines():
        fields = [field.strip() for field in line.split("|")]
        if len(fields) < 3 or not fields[0] or not fields[1]:
            continue
        words = fields[2].split()  # URL SUITE/COMPONENT ARCH Packages
        origin = words[1].partition("/")[0] if len(words) > 1 else ""
        offers.append(Offer(fields[0], fields[1], origin))
    return offers


def newest(wanted: Wanted, offers: Iterable[Offer]) -> Offer | None:
    """The newest offer `wanted` accepts, a signed package before its unsigned twin."""
    fitting = [offer for offer in offers if wanted.accepts(offer.package)]
    if not fitting:
        return None
    return max(fitting, key=lambda offer: (version_key(offer.version), offer.signed))


# ---- a kernel given by path ------------------------------------------------------------

_HEADER_MAGIC_AT: Final = 0x202
_HEADER_MAGIC: Final = b"HdrS"
_VERSION_POINTER_AT: Final = 0x20E
_VERSION_BASE: Final = 0x200
"""The setup header's kernel_version holds the string's offset less these 0x200 bytes."""
_HEADER_BYTES: Final = 0x10000


def release_of_bzimage(header: bytes) -> str | None:
    """The release (``6.1.0-57-amd64``) in an x86 bzImage's first bytes; None if not one.

    The setup header (Documentation/arch/x86/boot.rst) starts with ``HdrS`` at
    0x202; its ``kernel_version`` field at 0x20E points at the version string
    (less 0x200), whose first word is what ``uname -r`` says.
    """
    if header[_HEADER_MAGIC_AT : _HEADER_MAGIC_AT + 4] != _HEADER_MAGIC:
        return None
    pointer = int.from_bytes(header[_VERSION_POINTER_AT : _VERSION_POINTER_AT + 2], "little")
    start = pointer + _VERSION_BASE
    if pointer == 0 or start >= len(header):
        return None
    text = header[start:].split(b"\0", 1)[0].decode("ascii", "replace")
    words = text.split()
    return words[0] if words else None


_MODULE_PLACES: Final = (
    "{boot}/../lib/modules/{release}",  # an extracted package: ROOT/boot and ROOT/lib
    "{boot}/../usr/lib/modules/{release}",
    "/lib/modules/{release}",  # an installed kernel
    "/usr/lib/modules/{release}",
)
"""Where the modules of a vmlinuz in folder ``boot`` are looked for, first found first."""


def _vmlinuz_in(folder: Path) -> Path:
    """The one vmlinuz in an extracted package's folder (ROOT/boot/vmlinuz-*)."""
    found = sorted((folder / "boot").glob("vmlinuz*")) or sorted(folder.glob("vmlinuz*"))
    if len(found) != 1:
        what = ", ".join(p.name for p in found) if found else "none"
        raise UnknownNameError(
            f"{folder} holds {len(found)} vmlinuz files in boot/ ({what})",
            "give the path of one vmlinuz, or a folder with boot/vmlinuz-RELEASE and "
            "lib/modules/RELEASE in it (an extracted linux-image package)",
        )
    return found[0]


def kernel_from_path(path: Path, name: str | None = None) -> KernelImage:
    """The kernel at `path` (a vmlinuz, or a package's folder) with the modules next to it.

    The release comes from the bzImage header; the modules are looked for in
    ``lib/modules/RELEASE`` beside the boot folder, then in this machine's own.
    """
    shown = name or str(path)
    if path.is_dir():
        path = _vmlinuz_in(path)
    try:
        with path.open("rb") as image:
            header = image.read(_HEADER_BYTES)
    except OSError as error:
        raise UnknownNameError(
            f"kernel {shown!r}: cannot read {path}: {error.strerror}",
            "give the path of a vmlinuz, or a name such as 6.1 (lab kernels ls lists them)",
        ) from None
    release = release_of_bzimage(header)
    if release is None:
        raise UnknownNameError(
            f"kernel {shown!r}: {path} is not an x86 bzImage (no HdrS setup header)",
            "give the path of a vmlinuz, such as /boot/vmlinuz-6.1.0-57-amd64",
        )
    places = [Path(p.format(boot=path.parent, release=release)).resolve() for p in _MODULE_PLACES]
    modules = next((p for p in places if p.is_dir()), None)
    if modules is None:
        raise UnknownNameError(
            f"kernel {shown!r}: no modules for {release} next to {path} "
            f"(looked in {', '.join(map(str, dict.fromkeys(places)))})",
            "extract the whole linux-image package (dpkg-deb -x PACKAGE.deb ROOT) and give "
            "ROOT/boot/vmlinuz-RELEASE",
        )
    if not (modules / "modules.dep").is_file():
        root = modules.parent.parent.parent
        raise UnknownNameError(
            f"kernel {shown!r}: {modules} has no modules.dep",
            f"run: depmod -b {root} {release}",
        )
    return KernelImage(name=shown, release=release, vmlinuz=path, modules=modules)
