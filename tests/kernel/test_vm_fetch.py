"""Fetching real Debian kernels into a cache of their own (deb.debian.org; about 20 s).

One fetch of 6.1 per session (`kernel_cache`); the tests look at what it left.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from lab.vm._cache import CACHE_VARIABLE, read_cache
from lab.vm._catalog import release_of_bzimage
from lab.vm._fetch import Fetched, fetch_kernel, resolve_kernel

pytestmark = pytest.mark.network

ARCHIVE = ("deb.debian.org", 80)


@pytest.fixture(scope="session")
def kernel_cache(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Fetched]:
    """`kernel_cache` (session): a new cache with 6.1 fetched into it, and what the fetch said.

    Skips, with the reason, when deb.debian.org cannot be reached. The folder
    is under pytest's own (mode 700), so root's apt runs without its sandbox user.
    """
    try:
        socket.create_connection(ARCHIVE, timeout=5).close()
    except OSError as error:
        pytest.skip(f"deb.debian.org cannot be reached ({error}); nothing can be fetched")
    cache = tmp_path_factory.mktemp("kernels")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_VARIABLE, str(cache))
        fetched = fetch_kernel("6.1")
    assert fetched is not None
    return cache, fetched


@pytest.fixture
def cache(kernel_cache: tuple[Path, Fetched], monkeypatch: pytest.MonkeyPatch) -> Path:
    """`cache` (function): LAB_KERNEL_CACHE set to the session's `kernel_cache`."""
    monkeypatch.setenv(CACHE_VARIABLE, str(kernel_cache[0]))
    return kernel_cache[0]


def test_fetching_6_1_leaves_a_bootable_kernel_with_its_modules(
    kernel_cache: tuple[Path, Fetched],
) -> None:
    cache, fetched = kernel_cache
    image = fetched.image
    assert not fetched.cached
    assert image.name == "6.1"
    assert image.release.startswith("6.1.0-")
    assert image.release.endswith("-amd64")
    assert image.package == f"linux-image-{image.release}"
    assert fetched.folder == cache / image.release
    assert release_of_bzimage(image.vmlinuz.read_bytes()[:0x10000]) == image.release
    assert (image.modules / "modules.dep").stat().st_size > 0
    assert image.modules == cache / image.release / "lib" / "modules" / image.release
    assert list(image.modules.rglob("9p.ko*")), "no 9p module: the guest could not mount /"
    record = json.loads((cache / image.release / "kernel.json").read_text())
    assert record["version"] == image.version
    assert record["series"] == "6.1"
    assert not (cache / image.release / "usr" / "share").exists()
    assert not (cache / ".tmp").exists()


def test_fetching_it_again_is_a_cache_hit_under_any_of_its_names(cache: Path) -> None:
    [kernel] = read_cache()
    release = kernel.image.release
    for name in ("6.1", release, release.removesuffix("-amd64"), kernel.image.package or ""):
        again = fetch_kernel(name)
        assert again is not None
        assert again.cached
        assert (again.image.name, again.image.release) == (name, release)
        assert again.seconds < 1
    image = resolve_kernel("6.1", fetch=False)
    assert image is not None
    assert image.vmlinuz == kernel.image.vmlinuz


def test_the_private_apt_setup_lives_in_the_cache_and_nowhere_else(cache: Path) -> None:
    apt = cache / ".apt"
    assert (apt / "status").read_text() == ""
    assert list((apt / "lists").glob("deb.debian.org_debian_dists_bookworm_*Release"))
    assert (apt / "updated").is_file()


def test_lab_kernels_ls_lists_the_fetched_kernel(cache: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from lab.cli._kernel_commands import ls; import argparse; "
            "ls(argparse.Namespace(json=True))",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, CACHE_VARIABLE: str(cache)},
        check=True,
        timeout=60,
    )
    listing = json.loads(done.stdout)
    assert [k["series"] for k in listing["kernels"]] == ["6.1"]
    assert [s["series"] for s in listing["not_fetched"]] == ["6.12", "5.10"]
