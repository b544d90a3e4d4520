"""The kernel cache without apt: where it is, reading it, its lock, and ``lab kernels`` on it.

The kernels here are fake (a bzImage header and an empty modules.dep), written
as a fetch leaves them; tests/kernel/test_vm_fetch.py fetches real ones.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from kernel_images import fake_kernel

from lab._errors import LabError, UnknownNameError
from lab.cli._kernel_commands import add_kernel_verbs, render_kernels
from lab.cli._parser import Parser, UsageError
from lab.vm._cache import CACHE_VARIABLE, cache_dir, cache_lock, cached_kernels, read_cache
from lab.vm._fetch import PrivateApt, fetch_kernel, resolve_kernel

PATIENCE = 10.0


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`cache` (function): a kernel cache in tmp_path holding fake 6.1 and 5.10 kernels.

    LAB_KERNEL_CACHE points at it, and PATH at nothing: a test that reaches
    for apt-get fails with "apt-get is missing" rather than going to the network.
    """
    folder = tmp_path / "kernels"
    fake_kernel(folder, "linux-image-6.1.0-57-amd64", "6.1.192-3", "6.1")
    fake_kernel(folder, "linux-image-5.10.0-46-amd64", "5.10.262-1", "5.10")
    (folder / "6.1.0-1-amd64").mkdir()  # half made, no kernel.json: not a kernel
    monkeypatch.setenv(CACHE_VARIABLE, str(folder))
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))
    return folder


def run_kernels(*args: str) -> int:
    """``lab kernels ARGS`` through its own parser (errors raised, not printed)."""
    parser = Parser(prog="lab")
    add_kernel_verbs(parser.add_subparsers(dest="verb", required=True, parser_class=Parser))
    parsed = parser.parse_args(["kernels", *args])
    status: int = parsed.run(parsed)
    return status


def test_the_cache_is_the_variables_else_roots_else_the_users(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    monkeypatch.delenv(CACHE_VARIABLE)
    monkeypatch.setattr("os.geteuid", lambda: 0)
    assert cache_dir() == Path("/var/cache/lab/kernels")
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "lab" / "kernels"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "lab" / "kernels"


def test_reading_the_cache_finds_each_whole_kernel(cache: Path) -> None:
    kernels = read_cache()
    assert [k.image.release for k in kernels] == ["6.1.0-57-amd64", "5.10.0-46-amd64"]
    first = kernels[0]
    assert first.series == "6.1"
    assert first.image.vmlinuz == cache / "6.1.0-57-amd64" / "boot" / "vmlinuz-6.1.0-57-amd64"
    assert (first.image.modules / "modules.dep").is_file()
    assert [image.name for image in cached_kernels()] == ["6.1.0-57-amd64", "5.10.0-46-amd64"]


def test_no_cache_folder_is_an_empty_cache(tmp_path: Path) -> None:
    assert read_cache(tmp_path / "none") == []


@pytest.mark.parametrize(
    ("name", "release"),
    [
        ("6.1", "6.1.0-57-amd64"),
        ("6.1.0-57", "6.1.0-57-amd64"),
        ("6.1.0-57-amd64", "6.1.0-57-amd64"),
        ("linux-image-5.10.0-46-amd64", "5.10.0-46-amd64"),
        ("5.10", "5.10.0-46-amd64"),
    ],
)
def test_a_cached_kernel_resolves_under_the_name_it_was_asked_by(
    cache: Path, name: str, release: str
) -> None:
    for fetch in (False, True):  # fetching what is cached runs nothing (PATH is empty)
        image = resolve_kernel(name, fetch=fetch)
        assert image is not None
        assert (image.name, image.release) == (name, release)


def test_host_resolves_to_none_and_fetches_nothing(cache: Path) -> None:
    assert resolve_kernel("host") is None
    assert resolve_kernel("host", fetch=False) is None
    assert fetch_kernel("host") is None


def test_a_kernel_not_cached_without_fetching_says_how_to_fetch_it(cache: Path) -> None:
    with pytest.raises(
        LabError, match=r"kernel '6\.12' is not in the cache .*lab kernels fetch 6\.12"
    ):
        resolve_kernel("6.12", fetch=False)


def test_fetching_without_apt_says_what_is_missing(cache: Path) -> None:
    with pytest.raises(LabError, match="apt-get is missing"):
        fetch_kernel("6.12")


def test_an_unknown_name_lists_the_cached_kernels(cache: Path) -> None:
    with pytest.raises(UnknownNameError, match=r"cached: 6\.1\.0-57-amd64, 5\.10\.0-46-amd64; "):
        resolve_kernel("4.19")


def test_a_second_holder_of_the_lock_waits_for_the_first(tmp_path: Path) -> None:
    held, waited, released = threading.Event(), threading.Event(), threading.Event()

    def second() -> None:
        with cache_lock(tmp_path, waiting=waited.set):
            assert released.is_set()

    with cache_lock(tmp_path) as temporary:
        (temporary / "half-made").mkdir()
        thread = threading.Thread(target=second)
        thread.start()
        held.set()
        assert waited.wait(PATIENCE)
        released.set()
    thread.join(PATIENCE)
    assert not thread.is_alive()
    assert not (tmp_path / ".tmp").exists()  # emptied and removed by each holder


def test_what_a_failed_change_left_half_made_goes_with_the_lock(tmp_path: Path) -> None:
    def fail_halfway() -> None:
        with cache_lock(tmp_path) as temporary:
            (temporary / "half-made").mkdir()
            raise LabError("the download failed")

    with pytest.raises(LabError, match="the download failed"):
        fail_halfway()
    assert not (tmp_path / ".tmp").exists()


# ---- lab kernels ls / fetch -----------------------------------------------------------------


def test_ls_lists_the_kernels_the_series_to_fetch_and_host(cache: Path) -> None:
    text = render_kernels(read_cache(), cache, "6.18.1-test")
    head, first, second, *rest = text.splitlines()
    assert head.split() == ["KERNEL", "SERIES", "PACKAGE", "VERSION", "SIZE", "FETCHED"]
    assert first.split()[:4] == ["6.1.0-57-amd64", "6.1", "linux-image-6.1.0-57-amd64", "6.1.192-3"]
    assert second.startswith("5.10.0-46-amd64  5.10 ")
    assert rest == [
        "not fetched: 6.12 (Debian bookworm); fetch it with: lab kernels fetch 6.12",
        "host: 6.18.1-test (the running kernel; run directly, nothing to fetch)",
        f"cache: {cache} (0 MB)",
    ]


def test_ls_of_an_empty_cache_says_so_and_lists_every_series(tmp_path: Path) -> None:
    lines = render_kernels([], tmp_path, "6.18.1-test").splitlines()
    assert lines[0] == f"no kernel is cached in {tmp_path}"
    assert [line.split(":")[1].split()[0] for line in lines[1:4]] == ["6.12", "6.1", "5.10"]


def test_ls_json(cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_kernels("ls", "--json") == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["cache"] == str(cache)
    assert [k["release"] for k in listing["kernels"]] == ["6.1.0-57-amd64", "5.10.0-46-amd64"]
    assert set(listing["kernels"][0]) >= {"package", "version", "vmlinuz", "modules", "size"}
    assert listing["not_fetched"] == [
        {"series": "6.12", "suite": "bookworm", "fetch": "lab kernels fetch 6.12"}
    ]


def test_fetch_of_cached_kernels_and_host_says_where_they_are(
    cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_kernels("fetch", "6.1", "host", str(cache / "5.10.0-46-amd64")) == 0
    first, second, third = capsys.readouterr().out.splitlines()
    assert first.startswith(
        "6.1: 6.1.0-57-amd64 (linux-image-6.1.0-57-amd64 6.1.192-3) cached already in "
        f"{cache / '6.1.0-57-amd64'} ("
    )
    assert second.startswith("host: the running kernel (")
    assert third.startswith(f"{cache / '5.10.0-46-amd64'}: 5.10.0-46-amd64, used where it is")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["fetch", "6.1", "4.19"], "'4.19' is not a kernel lab knows"),
        (["fetch", "6.1", "/no/such/vmlinuz"], "cannot read /no/such/vmlinuz"),
    ],
)
def test_fetch_checks_every_name_before_fetching_any(
    cache: Path, args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(LabError, match=says):
        run_kernels(*args)
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("args", "says"),
    [([], "required: {ls,fetch}"), (["fetch"], "required: NAME"), (["ls", "x"], "unrecognized")],
)
def test_bad_usage_names_the_help(args: list[str], says: str) -> None:
    with pytest.raises(UsageError, match=says):
        run_kernels(*args)


def test_the_private_apt_configuration_points_only_into_the_cache(tmp_path: Path) -> None:
    apt = PrivateApt(tmp_path / ".apt")
    config = apt.config({"Acquire::http::Proxy": "http://proxy.example:3128/"})
    lines = config.splitlines()
    assert 'Acquire::http::Proxy "http://proxy.example:3128/";' in lines
    assert 'APT::Architectures:: "amd64";' in lines
    folders = [line.split('"')[1] for line in lines if line.startswith("Dir::")]
    assert {"Dir::Etc::parts", "Dir::Etc::sourceparts", "Dir::State::status"} <= {
        line.split()[0] for line in lines
    }
    for folder in folders:
        assert folder.startswith(str(tmp_path)) or "/" not in folder, folder
