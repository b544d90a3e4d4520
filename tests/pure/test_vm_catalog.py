"""Kernel names: the forms a name takes, the series as data, the newest package, bzImage headers.

No apt and no network: what apt offers is fed in as ``apt-cache madison`` text.
tests/kernel/test_vm_fetch.py fetches for real.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
from pathlib import Path

import pytest
from kernel_images import extracted_package, fake_bzimage

from lab._errors import LabError, UnknownNameError
from lab.vm._catalog import (
    HOST,
    SERIES,
    SUITES,
    Offer,
    Wanted,
    kernel_from_path,
    newest,
    parse_madison,
    parse_name,
    release_of_bzimage,
    series_of,
    version_key,
)
from lab.vm._fetch import PrivateApt

MADISON = """\
linux-image-6.1.0-9-amd64 | 6.1.27-1 | http://deb.debian.org/debian bookworm/main amd64 Packages
linux-image-6.1.0-57-amd64 | 6.1.192-3 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.1.0-57-amd64-unsigned | 6.1.192-3 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.1.0-57-cloud-amd64 | 6.1.192-3 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.1.0-58-rt-amd64 | 6.1.193-1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.1.0-56-amd64 | 6.1.191-1 | http://deb.debian.org/debian bookworm/main amd64 Packages
linux-image-6.1.0-0.deb11.52-amd64 | 6.1.194-1~deb11u1 | http://deb.debian.org/debian-security bullseye-security/main amd64 Packages
linux-image-6.12.9+deb12-amd64 | 6.12.9-1~deb12u1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.12.117+deb12-amd64 | 6.12.117-1~deb12u1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.12.117+deb12-amd64-dbg | 6.12.117-1~deb12u1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-6.12.118+deb12-amd64-unsigned | 6.12.118-1~deb12u1 | http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
linux-image-5.10.0-46-amd64 | 5.10.262-1 | http://deb.debian.org/debian-security bullseye-security/main amd64 Packages
"""  # noqa: E501 - lines as apt-cache prints them
"""``apt-cache madison`` lines, with the flavours and twins a series must leave out."""


def wanted(name: str) -> Wanted:
    parsed = parse_name(name)
    assert isinstance(parsed, Wanted), parsed
    return parsed


def pick(name: str) -> Offer | None:
    return newest(wanted(name), parse_madison(MADISON))


# ---- names ------------------------------------------------------------------------------


def test_host_is_the_running_kernel_marker() -> None:
    assert parse_name("host") is HOST


@pytest.mark.parametrize(
    ("name", "package", "version"),
    [
        ("6.1", "linux-image-6.1.0-57-amd64", "6.1.192-3"),  # signed before unsigned, not rt
        ("6.12", "linux-image-6.12.118+deb12-amd64-unsigned", "6.12.118-1~deb12u1"),
        ("5.10", "linux-image-5.10.0-46-amd64", "5.10.262-1"),
        ("6.1.0-56", "linux-image-6.1.0-56-amd64", "6.1.191-1"),
        ("6.1.0", "linux-image-6.1.0-57-amd64", "6.1.192-3"),
        ("6.12.117", "linux-image-6.12.117+deb12-amd64", "6.12.117-1~deb12u1"),
        ("6.1.0-57-amd64", "linux-image-6.1.0-57-amd64", "6.1.192-3"),
        ("6.12.117+deb12-amd64", "linux-image-6.12.117+deb12-amd64", "6.12.117-1~deb12u1"),
        ("6.1.0-57-cloud-amd64", "linux-image-6.1.0-57-cloud-amd64", "6.1.192-3"),  # asked for
        ("linux-image-6.1.0-9-amd64", "linux-image-6.1.0-9-amd64", "6.1.27-1"),
        ("linux-image-6.1.0-57-amd64-unsigned", "linux-image-6.1.0-57-amd64", "6.1.192-3"),
    ],
)
def test_each_form_of_name_picks_the_newest_package_that_fits(
    name: str, package: str, version: str
) -> None:
    found = pick(name)
    assert found is not None
    assert (found.package, found.version) == (package, version)


def test_an_offer_knows_its_release_and_where_apt_has_it() -> None:
    found = pick("6.12")
    assert found is not None
    assert found.release == "6.12.118+deb12-amd64"  # the unsigned twin's release is the same
    assert found.origin == "bookworm-security"
    assert not found.signed


def test_no_package_fits_a_release_apt_does_not_have() -> None:
    assert pick("6.1.0-99") is None


def test_a_release_start_stops_at_a_separator() -> None:
    assert not wanted("6.1.0-5").accepts("linux-image-6.1.0-57-amd64")
    assert not wanted("6.12.11").accepts("linux-image-6.12.117+deb12-amd64")
    assert wanted("6.1").accepts("linux-image-6.1.0-57-amd64-unsigned")
    assert not wanted("6.1").accepts("linux-image-6.12.117+deb12-amd64")


@pytest.mark.parametrize("name", ["/boot/vmlinuz-6.1.0-57-amd64", "./vmlinuz", "~/k/vmlinuz"])
def test_a_name_written_as_a_path_is_a_path(name: str) -> None:
    parsed = parse_name(name)
    assert isinstance(parsed, Path)
    assert parsed == Path(name).expanduser()


def test_each_series_names_its_debian_release_and_every_release_gets_sources() -> None:
    assert {s.name: s.suite for s in SERIES} == {
        "6.12": "bookworm",
        "6.1": "bookworm",
        "5.10": "bullseye",
    }
    assert SUITES == ("bookworm", "bullseye")
    sources = PrivateApt.sources()
    for suite in ("bookworm", "bookworm-updates", "bullseye", "bookworm-security"):
        assert f" {suite}" in sources
    assert "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" in sources
    assert "URIs: http://deb.debian.org/debian-security" in sources


@pytest.mark.parametrize("name", ["4.19", "6.2", "latest", "linux", "6.1.0-57-amd64 extra", ""])
def test_an_unknown_name_lists_what_there_is_and_how_to_fetch(name: str) -> None:
    with pytest.raises(UnknownNameError) as raised:
        parse_name(name, ["6.1.0-57-amd64"])
    message = str(raised.value)
    assert message.startswith(f"{name!r} is not a kernel lab knows; ")
    for part in ("host", "6.12 (Debian bookworm)", "5.10 (Debian bullseye)", "linux-image-"):
        assert part in message
    assert "cached: 6.1.0-57-amd64" in message
    assert message.endswith("fetch one with: lab kernels fetch 6.1")
    assert isinstance(raised.value, LabError)


def test_an_unknown_name_close_to_a_known_one_says_which() -> None:
    with pytest.raises(UnknownNameError, match=r"did you mean '5\.10'\? "):
        parse_name("5.1")
    with pytest.raises(UnknownNameError, match="none is cached yet"):
        parse_name("4.19")


# ---- Debian versions --------------------------------------------------------------------

ORDERED = [
    "1.0~rc1",
    "1.0",
    "1.0-1~deb12u1",
    "1.0-1",
    "1.0-1+b1",
    "1.0-1.1",
    "1.0a",  # letters sort before other characters
    "1.0+b1",
    "1.0.0",
    "2.0~beta",
    "6.1.27-1",
    "6.1.191-1",
    "6.1.192-3",
    "6.12.9-1~deb12u1",
    "6.12.117-1~deb12u1",
    "10",
    "1:0.9",
]
"""Debian versions, each older than the next (as dpkg --compare-versions orders them)."""


def test_version_key_orders_as_dpkg_does() -> None:
    assert sorted(ORDERED, key=version_key) == ORDERED
    assert version_key("0:1.0-1") == version_key("1.0-1")


@pytest.mark.skipif(shutil.which("dpkg") is None, reason="dpkg is not installed here")
def test_version_key_agrees_with_dpkg_compare_versions() -> None:
    for older, newer in itertools.combinations(ORDERED, 2):
        done = subprocess.run(["dpkg", "--compare-versions", older, "lt", newer], check=False)
        assert done.returncode == 0, f"dpkg says {older} is not older than {newer}"


def test_madison_lines_become_offers_and_other_lines_are_ignored() -> None:
    text = "linux-image-x | 1.0-1 | http://h/debian bookworm/main amd64 Packages\nN: nothing\n"
    assert parse_madison(text) == [Offer("linux-image-x", "1.0-1", "bookworm")]


# ---- bzImage headers and kernels given by path -------------------------------------------


def test_the_release_is_read_from_the_setup_header() -> None:
    assert release_of_bzimage(fake_bzimage("6.1.0-57-amd64")) == "6.1.0-57-amd64"
    assert release_of_bzimage(fake_bzimage("6.12.117+deb12-amd64", at=0x800)) == (
        "6.12.117+deb12-amd64"
    )


@pytest.mark.parametrize(
    "header",
    [b"", b"\0" * 0x1000, fake_bzimage("x")[:0x300], b"MZ" + b"\0" * 0x2000],
    ids=["empty", "zeros", "cut-short", "not-a-bzimage"],
)
def test_what_is_not_a_bzimage_has_no_release(header: bytes) -> None:
    assert release_of_bzimage(header) is None


def test_a_vmlinuz_by_path_finds_its_modules_next_to_it(tmp_path: Path) -> None:
    vmlinuz = extracted_package(tmp_path, "6.1.0-57-amd64")
    for given in (vmlinuz, tmp_path):  # the file, or the package's folder
        image = kernel_from_path(given, "mine")
        assert (image.name, image.release) == ("mine", "6.1.0-57-amd64")
        assert image.vmlinuz == vmlinuz
        assert image.modules == tmp_path / "lib" / "modules" / "6.1.0-57-amd64"
        assert image.package is None


def test_a_vmlinuz_without_modules_says_where_it_looked(tmp_path: Path) -> None:
    vmlinuz = tmp_path / "vmlinuz"
    vmlinuz.write_bytes(fake_bzimage("0.0.1-lab-test"))
    with pytest.raises(UnknownNameError) as raised:
        kernel_from_path(vmlinuz)
    assert "no modules for 0.0.1-lab-test next to" in str(raised.value)
    assert "/lib/modules/0.0.1-lab-test" in str(raised.value)
    assert "dpkg-deb -x" in str(raised.value)


def test_modules_without_depmod_say_which_depmod_to_run(tmp_path: Path) -> None:
    vmlinuz = extracted_package(tmp_path, "6.1.0-57-amd64", depmod=False)
    with pytest.raises(UnknownNameError, match=f"run: depmod -b {tmp_path} 6.1.0-57-amd64$"):
        kernel_from_path(vmlinuz)


def test_a_file_that_is_no_kernel_says_so(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a kernel")
    with pytest.raises(UnknownNameError, match="is not an x86 bzImage"):
        kernel_from_path(text)
    with pytest.raises(UnknownNameError, match=r"cannot read .*No such file"):
        kernel_from_path(tmp_path / "missing")
    with pytest.raises(UnknownNameError, match="holds 0 vmlinuz files"):
        kernel_from_path(tmp_path)


@pytest.mark.parametrize(
    ("package", "series"),
    [
        ("linux-image-6.1.0-57-amd64", "6.1"),
        ("linux-image-6.1.0-57-amd64-unsigned", "6.1"),
        ("linux-image-6.12.117+deb12-amd64", "6.12"),
        ("linux-image-6.1.0-57-cloud-amd64", None),  # fetched by name, but not the series' own
        ("linux-image-6.1.0-0.deb11.52-amd64", None),
    ],
)
def test_a_package_belongs_to_a_series_only_as_its_generic_kernel(
    package: str, series: str | None
) -> None:
    found = series_of(package)
    assert (found.name if found else None) == series
