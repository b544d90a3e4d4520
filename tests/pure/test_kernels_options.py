"""`lab check --kernels` and `pytest --lab-kernel`: what the outer command passes inside.

The run on each kernel repeats the command as typed, less the options only the
outer command handles; and a guest's share is gone after the run, however it ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab._pytest_vm import guest_argv
from lab.cli import main
from lab.cli._kernels_check import _moved, kernel_names, strip_options
from lab.cli._parser import UsageError
from lab.vm import guest_share
from lab.vm._share import stale_shares


def test_kernel_names_keep_the_order_once_each() -> None:
    assert kernel_names("host, 6.1,6.12,6.1,") == ["host", "6.1", "6.12"]


def test_no_kernel_name_is_bad_input() -> None:
    with pytest.raises(UsageError, match="at least one kernel name"):
        kernel_names(" , ")


@pytest.mark.parametrize(
    ("typed", "inner"),
    [
        (["check", "--kernels", "host,6.1", "--scenario", "open"], ["check", "--scenario", "open"]),
        (["check", "--kernels=6.1", "note.md", "--json", "x.json"], ["check", "note.md"]),
        (
            ["check", "-q", "--json=-", "--pcap-dir", "p", "--family", "IPv4"],
            ["check", "--family", "IPv4"],
        ),
        (["check", "--only-differences", "--kernel-timeout", "60", "-v"], ["check"]),
    ],
)
def test_the_inner_command_is_the_typed_one_less_the_outer_options(
    typed: list[str], inner: list[str]
) -> None:
    assert strip_options(typed) == inner


def test_pcap_paths_are_pointed_where_the_pcaps_were_moved() -> None:
    result = {"scenarios": [{"pcap": "/tmp/s/pcaps/open-IPv4.pcap"}], "pcaps": ["/tmp/s/pcapsx"]}
    assert _moved(result, "/tmp/s/pcaps", "/kept/6.1") == {
        "scenarios": [{"pcap": "/kept/6.1/open-IPv4.pcap"}],
        "pcaps": ["/tmp/s/pcapsx"],  # another folder that only starts alike
    }


def test_pytest_inside_gets_the_arguments_less_lab_kernel() -> None:
    assert guest_argv(["-m", "kernel", "--lab-kernel", "6.1", "--lab-kernel-timeout=60", "-x"]) == [
        "-m",
        "kernel",
        "-x",
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "--only-differences"], "--only-differences is for --kernels"),
        (["check", "--kernels", "host", "--junit-xml", "x.xml"], "--junit-xml is for one kernel"),
        (["check", "--kernels", "6.1", "--json", "/nonexistent/k.json"], "does not exist"),
    ],
)
def test_options_for_kernels_only_are_refused_with_the_reason(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_an_unknown_kernel_lists_what_there_is(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--kernels", "host,4.4"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("lab: error:")
    assert "6.1" in error
    assert "lab kernels fetch" in error


def test_a_share_is_removed_after_its_run_and_kept_when_asked(tmp_path: Path) -> None:
    with guest_share(tmp_path) as share:
        (share.path / "result.json").write_text("{}")
    assert not share.path.exists()
    with guest_share(tmp_path) as kept:
        kept.keep = True
    assert kept.path.is_dir()


def test_a_share_goes_even_when_its_owner_is_killed(tmp_path: Path) -> None:
    with subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom pathlib import Path\nfrom lab.vm import guest_share\n"
            "with guest_share(Path(sys.argv[1])) as s:\n"
            "    print(s.path, flush=True)\n    time.sleep(60)\n",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    ) as owner:
        assert owner.stdout is not None
        path = Path(owner.stdout.readline().strip())
        assert path.is_dir()
        owner.kill()
    deadline = time.monotonic() + 5
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not path.exists()


def test_shares_of_owners_gone_are_found_for_removal(tmp_path: Path) -> None:
    dead = tmp_path / "lab-vm-999999999-abcd"  # no such pid
    dead.mkdir()
    mine = tmp_path / f"lab-vm-{os.getpid()}-abcd"
    mine.mkdir()
    other = tmp_path / "lab-vm-notapid"
    other.mkdir()
    assert stale_shares(tmp_path) == [dead]
