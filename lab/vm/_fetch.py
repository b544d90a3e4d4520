"""Fetching Debian kernels into the cache, and turning a kernel name into a `KernelImage`.

    resolve_kernel("6.1")  ->  parse_name  ->  in the cache?  ->  yes: that one
                                                      no: fetch_kernel
    fetch_kernel:  lock the cache  ->  apt-get update (lists older than a day, or --refresh)
                   ->  apt-cache pkgnames + madison  ->  the newest package that fits
                   ->  apt-get download  ->  dpkg-deb -x  ->  depmod -b  ->  rename into place

apt runs with a private setup inside the cache (``CACHE/.apt``: its own
apt.conf, sources, lists, package cache and an empty dpkg status), so the
machine's /etc/apt and /var/lib/apt are neither read nor written; only a proxy
set in /etc/apt is carried over. Anyone can fetch: apt's sandbox user ``_apt``
is used when root runs it and can reach the cache, else apt runs as the caller.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import os
import pwd
import shlex
import shutil
import stat
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from lab._errors import LabError
from lab.vm._cache import (
    CACHE_VARIABLE,
    CachedKernel,
    cache_dir,
    cache_lock,
    read_cache,
    write_metadata,
)
from lab.vm._catalog import (
    PACKAGE_PREFIX,
    SERIES,
    SUITES,
    Host,
    Offer,
    Wanted,
    kernel_from_path,
    newest,
    parse_madison,
    parse_name,
    series_of,
    version_key,
)
from lab.vm._image import KernelImage

__all__ = ["Fetched", "PrivateApt", "fetch_kernel", "resolve_kernel"]

Progress = Callable[[str], None]
"""Where a fetch reports each step, one line at a time (the CLI prints them)."""

KEYRING: Final = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
ARCHIVES: Final = (
    ("http://deb.debian.org/debian", ("{suite}", "{suite}-updates")),
    ("http://deb.debian.org/debian-security", ("{suite}-security",)),
)
"""Each archive's URL and its suites for each Debian release in `SUITES`."""
LISTS_FRESH_FOR: Final = 24 * 3600
"""Seconds the package lists are used without asking the archive again."""
RELEASES_SHOWN: Final = 5
"""How many releases of a series an error lists when the one named is not there."""
LISTS_JUST_UPDATED: Final = 60
"""Seconds within which --refresh does not update the lists again (one command, many names)."""
APT_FOLDER: Final = ".apt"
SANDBOX_USER: Final = "_apt"
PROXY_SETTINGS: Final = ("Acquire::http::Proxy", "Acquire::https::Proxy")

_MISSING_PROGRAM: Final = {
    "apt-get": "apt-get is missing; this needs a Debian-based machine with apt",
    "apt-cache": "apt-cache is missing; this needs a Debian-based machine with apt",
    "apt-config": "apt-config is missing; this needs a Debian-based machine with apt",
    "dpkg-deb": "dpkg-deb is missing; install it: apt-get install dpkg",
    "depmod": "depmod is missing; install it: apt-get install kmod",
}
"""What to do when a program a fetch runs is not installed."""

_STEP_FIX: Final = {
    "apt-config": "check /etc/apt/apt.conf.d for a syntax error",
    "apt-get update": (
        "check that deb.debian.org can be reached from here (a proxy goes in "
        "/etc/apt/apt.conf.d), then run the command again"
    ),
    "apt-cache": "run again with --refresh (the package lists may be damaged)",
    "apt-get download": (
        "check that deb.debian.org can be reached from here; if it can, run again with "
        "--refresh (the package lists may be out of date)"
    ),
    "dpkg-deb": "the download may be damaged; run the command again",
    "depmod": "the package's modules may be damaged; run the command again",
}
"""What to do when a step of a fetch fails, by the step."""


@dataclass(frozen=True)
class Fetched:
    """What fetching one kernel name gave: the kernel, and whether it was in the cache."""

    image: KernelImage
    """Named as asked: ``6.1``."""
    folder: Path | None
    """Its folder in the cache; None for a kernel given by path."""
    cached: bool
    """True when nothing was downloaded (it was there, or it is a path)."""
    seconds: float


def _last_error(output: str) -> str:
    """apt's own last error line (``E: …``, or a failed fetch), else the last line it printed."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("E:", "W: Failed to fetch", "Err:"))]
    return (errors or lines or ["(no output)"])[-1]


def _run(
    argv: Sequence[str], step: str, *, cwd: Path | None = None, config: Path | None = None
) -> str:
    """Run one program of a fetch (apt reading `config`); its output, or a LabError that
    gives its last error line and what to do."""
    env = {**os.environ, "LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"}
    if config is not None:
        env["APT_CONFIG"] = str(config)
    try:
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise LabError(f"cannot fetch kernels: {_MISSING_PROGRAM[argv[0]]}") from None
    output = done.stdout + done.stderr
    failed = done.returncode != 0 or (
        step == "apt-get update" and any(m in output for m in ("\nE:", "W: Failed to fetch"))
    )
    if failed:  # apt-get update ends with 0 when it could not reach an archive: warnings
        raise LabError(f"{step} failed: {_last_error(output)}; {_STEP_FIX[step]}")
    return done.stdout


def _reachable_by_others(folder: Path) -> bool:
    """Whether every folder from / down to `folder` lets other users through (o+x)."""
    return all(os.stat(p).st_mode & stat.S_IXOTH for p in (folder, *folder.parents))


def host_proxies() -> dict[str, str]:
    """The proxies this machine's apt configuration sets (``Acquire::http::Proxy``), if any.

    The one thing taken from /etc/apt: a machine that reaches the archive only
    through a proxy reaches it so for lab too (http_proxy in the environment works as well).
    """
    names = {f"P{i}": key for i, key in enumerate(PROXY_SETTINGS)}
    query = [part for name, key in names.items() for part in (name, key)]
    try:
        text = _run(["apt-config", "shell", *query], "apt-config")
    except LabError:
        return {}
    found = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {names[name]: shlex.split(value)[0] for name, value in found.items() if name in names}


class PrivateApt:
    """apt-get and apt-cache on a private setup in `folder`: Debian's archives, no host state.

    apt reads ``folder/apt.conf`` (``APT_CONFIG``) and nothing of /etc/apt: not
    its sources, keys, preferences, hooks or cache settings.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._config = folder / "apt.conf"
        self._stamp = folder / "updated"
        try:
            self._sandbox = pwd.getpwnam(SANDBOX_USER) if os.geteuid() == 0 else None
        except KeyError:
            self._sandbox = None

    def prepare(self) -> None:
        """Make the folders, write the configuration and the sources list (again each time:
        lab's series or the machine's proxy may have changed)."""
        if not KEYRING.is_file():
            raise LabError(
                f"cannot fetch kernels: Debian's archive keyring {KEYRING} is missing; "
                "install it: apt-get install debian-archive-keyring"
            )
        for sub in ("apt.conf.d", "sources.list.d", "preferences.d", "trusted.gpg.d"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("lists/partial", "cache"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        (self.folder / "status").touch()
        (self.folder / "sources.list.d" / "debian.sources").write_text(self.sources())
        if self._sandbox is not None and not _reachable_by_others(self.folder):
            self._sandbox = None  # _apt could not write its downloads here: apt runs as root
        self._config.write_text(self.config(host_proxies()))

    @staticmethod
    def sources() -> str:
        """The deb822 sources list: every suite of every Debian release lab fetches from."""
        stanzas = [
            f"Types: deb\nURIs: {uri}\n"
            f"Suites: {' '.join(s.format(suite=r) for r in SUITES for s in suites)}\n"
            f"Components: main\nArchitectures: amd64\nSigned-By: {KEYRING}\n"
            for uri, suites in ARCHIVES
        ]
        return "\n".join(stanzas)

    def config(self, proxies: Mapping[str, str]) -> str:
        """The apt.conf that points apt at this setup and nowhere else."""
        apt = self.folder
        settings: dict[str, object] = {
            "Dir::Etc::main": apt / "apt.conf",
            "Dir::Etc::parts": apt / "apt.conf.d",
            "Dir::Etc::sourcelist": apt / "sources.list",
            "Dir::Etc::sourceparts": apt / "sources.list.d",
            "Dir::Etc::preferences": apt / "preferences",
            "Dir::Etc::preferencesparts": apt / "preferences.d",
            "Dir::Etc::trusted": apt / "trusted.gpg",
            "Dir::Etc::trustedparts": apt / "trusted.gpg.d",
            "Dir::State": apt,
            "Dir::State::lists": apt / "lists",
            "Dir::State::status": apt / "status",
            "Dir::Cache": apt / "cache",
            "Dir::Cache::pkgcache": "pkgcache.bin",
            "Dir::Cache::srcpkgcache": "srcpkgcache.bin",
            "Dir::Log": apt / "log",
            "APT::Architecture": "amd64",
            "APT::Architectures::": "amd64",  # a list of one
            "Acquire::Languages": "none",
            **proxies,
        }
        if os.geteuid() == 0:  # apt changes user only when it is root
            settings["APT::Sandbox::User"] = SANDBOX_USER if self._sandbox else "root"
        return "".join(f'{key} "{value}";\n' for key, value in settings.items())

    def lists_age(self) -> float | None:
        """Seconds since the lists were last brought up to date; None if never."""
        try:
            return time.time() - self._stamp.stat().st_mtime
        except FileNotFoundError:
            return None

    def update(self) -> None:
        """apt-get update: the package lists of every suite, from the archives."""
        _run(["apt-get", "update"], "apt-get update", config=self._config)
        self._stamp.touch()

    def offers(self, wanted: Wanted) -> list[Offer]:
        """Every version apt knows of every package `wanted` accepts."""
        names = _run(["apt-cache", "pkgnames", PACKAGE_PREFIX], "apt-cache", config=self._config)
        fitting = [name for name in names.split() if wanted.accepts(name)]
        if not fitting:
            return []
        madison = _run(["apt-cache", "madison", *fitting], "apt-cache", config=self._config)
        return parse_madison(madison)

    def download(self, offer: Offer, into: Path) -> Path:
        """apt-get download that version of that package into `into`; the .deb."""
        if self._sandbox is not None:  # apt's sandbox user writes the file
            os.chown(into, self._sandbox.pw_uid, -1)
        _run(
            ["apt-get", "download", f"{offer.package}={offer.version}"],
            "apt-get download",
            cwd=into,
            config=self._config,
        )
        [deb] = into.glob("*.deb")
        return deb


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _in_cache(wanted: Wanted, cache: Path) -> CachedKernel | None:
    """The newest kernel in the cache that `wanted` accepts."""
    kernels = {
        Offer(k.image.package, k.image.version or ""): k
        for k in read_cache(cache)
        if k.image.package
    }
    best = newest(wanted, kernels)
    return None if best is None else kernels[best]


def _named(kernel: CachedKernel, name: str) -> KernelImage:
    """The cached kernel's image, called what the user called it."""
    return dataclasses.replace(kernel.image, name=name)


def _choose(wanted: Wanted, apt: PrivateApt, refresh: bool, progress: Progress) -> Offer:
    """The newest package for `wanted`, updating the lists when old, asked, or it is not found."""
    age = apt.lists_age()
    updated = age is None or age > (LISTS_JUST_UPDATED if refresh else LISTS_FRESH_FOR)
    if updated:
        progress("updating the package lists (apt-get update)")
        apt.update()
    best = newest(wanted, apt.offers(wanted))
    if best is None and not updated and (age or 0) > LISTS_JUST_UPDATED:
        progress(f"not in the package lists (updated {age or 0:.0f} s ago); updating them")
        apt.update()
        best = newest(wanted, apt.offers(wanted))
    if best is None:
        raise LabError(
            f"no Debian package fits kernel {wanted.name!r}; {_what_there_is(wanted, apt)}"
        )
    return best


def _what_there_is(wanted: Wanted, apt: PrivateApt) -> str:
    """What to name instead of `wanted`: the newest releases of its series, or the series."""
    if wanted.series is None:
        return (
            f"name a series ({', '.join(s.name for s in SERIES)}) or a linux-image package of "
            f"Debian {' or '.join(SUITES)} (lab kernels ls lists the series)"
        )
    series = Wanted(wanted.series.name, wanted.series.packages, wanted.series)
    offers = sorted(apt.offers(series), key=lambda o: version_key(o.version), reverse=True)
    releases = list(dict.fromkeys(offer.release for offer in offers))[:RELEASES_SHOWN]
    if not releases:
        return f"Debian's lists hold no {series.name} kernel now; lab kernels ls lists the series"
    return (
        f"the newest releases of {series.name} are: {', '.join(releases)}; name one of them, "
        f"or the series: lab kernels fetch {series.name}"
    )


def _unpack(deb: Path, offer: Offer, tree: Path, progress: Progress) -> None:
    """Extract the package into `tree`, drop its docs, run depmod."""
    release = offer.release
    progress(f"extracting {deb.name}")
    _run(["dpkg-deb", "-x", str(deb), str(tree)], "dpkg-deb")
    places = [tree / "lib" / "modules" / release, tree / "usr" / "lib" / "modules" / release]
    modules = next((p for p in places if p.is_dir()), None)
    if not (tree / "boot" / f"vmlinuz-{release}").is_file() or modules is None:
        raise LabError(
            f"{deb.name} holds no boot/vmlinuz-{release} with lib/modules/{release}: not a "
            "kernel image package; name a linux-image-RELEASE package"
        )
    shutil.rmtree(tree / "usr" / "share", ignore_errors=True)  # changelog, bug-report scripts
    with contextlib.suppress(OSError):
        (tree / "usr").rmdir()  # when nothing else was in it
    progress(f"depmod {release}")
    _run(["depmod", "-b", str(modules.parents[2]), release], "depmod")


def _fetch(
    wanted: Wanted, cache: Path, temporary: Path, refresh: bool, progress: Progress
) -> tuple[CachedKernel, bool]:
    """Under the cache's lock: the newest kernel for `wanted`, and whether it was downloaded."""
    apt = PrivateApt(cache / APT_FOLDER)
    apt.prepare()
    offer = _choose(wanted, apt, refresh, progress)
    series = series_of(offer.package)
    folder = cache / offer.release
    there = next((k for k in read_cache(cache) if k.folder == folder), None)
    if there is not None and there.image.version == offer.version:
        return there, False
    progress(f"downloading {offer.package} {offer.version} from {offer.origin or 'Debian'}")
    download = temporary / "download"
    download.mkdir()
    deb = apt.download(offer, download)
    tree = temporary / offer.release
    _unpack(deb, offer, tree, progress)
    write_metadata(
        tree,
        package=offer.package,
        version=offer.version,
        release=offer.release,
        series=series.name if series else None,
        origin=offer.origin,
        fetched_at=_now(),
    )
    if there is not None:  # the same release rebuilt (a new version, same ABI): replaced
        folder.rename(temporary / "replaced")
    tree.rename(folder)
    return next(k for k in read_cache(cache) if k.folder == folder), True


def fetch_kernel(
    name: str, *, refresh: bool = False, progress: Progress | None = None
) -> Fetched | None:
    """Bring kernel `name` into the cache unless it is there; None for ``host``.

    A kernel given by path is checked and used where it is. `refresh` asks the
    archive for a newer package even when a kernel of that name is cached and
    the package lists are fresh. `progress` hears each step as a line.
    """
    report = progress or (lambda _line: None)
    started = time.monotonic()
    cache = cache_dir()
    wanted = parse_name(name, [k.image.release for k in read_cache(cache)])
    if isinstance(wanted, Host):
        return None
    if isinstance(wanted, Path):
        return Fetched(kernel_from_path(wanted, name), None, True, time.monotonic() - started)
    found = None if refresh else _in_cache(wanted, cache)
    downloaded = False
    if found is None:

        def waiting() -> None:
            report(f"waiting for another fetch into {cache} to finish")

        with cache_lock(cache, waiting) as temporary:
            found = None if refresh else _in_cache(wanted, cache)  # fetched while we waited?
            if found is None:
                found, downloaded = _fetch(wanted, cache, temporary, refresh, report)
    image = _named(found, name)
    return Fetched(image, found.folder, not downloaded, time.monotonic() - started)


def resolve_kernel(name: str, *, fetch: bool = True, refresh: bool = False) -> KernelImage | None:
    """The ready kernel `name` stands for (fetched if need be); None for ``host``.

    ``host`` is the running kernel: the caller runs it directly, nothing boots.
    With ``fetch=False`` a kernel not in the cache is an error that says how to fetch it.
    """
    if fetch:
        fetched = fetch_kernel(name, refresh=refresh)
        return None if fetched is None else fetched.image
    cache = cache_dir()
    wanted = parse_name(name, [k.image.release for k in read_cache(cache)])
    if isinstance(wanted, Host):
        return None
    if isinstance(wanted, Path):
        return kernel_from_path(wanted, name)
    found = _in_cache(wanted, cache)
    if found is None:
        raise LabError(
            f"kernel {name!r} is not in the cache {cache}; fetch it first: "
            f"{wanted.fetch_hint} (or set {CACHE_VARIABLE} to the cache that has it)"
        )
    return _named(found, name)
