"""The initramfs's newc cpio writer: what it writes parses back, and busybox cpio reads it."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lab.vm._cpio import CpioMember, directory, file, newc_archive, node, symlink


def parse_newc(archive: bytes) -> list[CpioMember]:
    """The members of a newc archive, read by the format's rules (not by the writer's code)."""
    members: list[CpioMember] = []
    offset = 0
    while True:
        header = archive[offset : offset + 110]
        assert header[:6] == b"070701", f"bad magic at byte {offset}"
        fields = [int(header[6 + 8 * i : 14 + 8 * i], 16) for i in range(13)]
        mode, size, rmajor, rminor, namesize = (fields[i] for i in (1, 6, 9, 10, 11))
        name_end = offset + 110 + namesize
        name = archive[offset + 110 : name_end - 1].decode()
        assert archive[name_end - 1] == 0, "the name is NUL-terminated"
        data_start = name_end + (-name_end % 4)
        data = archive[data_start : data_start + size]
        offset = data_start + size + (-(data_start + size) % 4)
        if name == "TRAILER!!!":
            assert offset == len(archive), "nothing after the trailer"
            return members
        members.append(CpioMember(name, mode, data, (rmajor, rminor)))


def test_each_kind_of_member_reads_back() -> None:
    members = [
        directory("bin"),
        file("bin/busybox", b"\x7fELF" + bytes(range(256)), 0o755),
        symlink("bin/sh", "busybox"),
        node("dev/console", 5, 1),
        file("init", b"#!/bin/sh\n", 0o755),
        file("empty", b""),
    ]
    assert parse_newc(newc_archive(members)) == members


@given(
    st.lists(
        st.tuples(st.text("abcxyz_-.", min_size=1, max_size=9), st.binary(max_size=40)),
        max_size=8,
        unique_by=lambda member: member[0],
    )
)
def test_any_names_and_sizes_read_back(files: list[tuple[str, bytes]]) -> None:
    # Every name and data length modulo 4: the padding rules are where writers go wrong.
    members = [file(f"d/{name}", data) for name, data in files]
    assert parse_newc(newc_archive(members)) == members


def test_the_same_members_give_the_same_bytes() -> None:
    members = [directory("a"), file("a/b", b"x")]
    assert newc_archive(members) == newc_archive(list(members))


def test_an_absolute_name_is_refused() -> None:
    with pytest.raises(ValueError, match="must be relative"):
        newc_archive([file("/init", b"")])


@pytest.mark.skipif(shutil.which("busybox") is None, reason="busybox is not installed")
def test_busybox_cpio_lists_what_was_written() -> None:
    members = [directory("bin"), file("bin/x", b"hello"), symlink("bin/y", "x"), node("c", 5, 1)]
    listing = subprocess.run(
        ["busybox", "cpio", "-t", "-v"],
        input=newc_archive(members),
        capture_output=True,
        check=True,
    ).stdout.decode()
    lines = listing.splitlines()
    assert [line.split()[-1] if "->" not in line else line.split()[-3] for line in lines] == [
        "bin",
        "bin/x",
        "bin/y",
        "c",
    ]
    assert [line[0] for line in lines] == ["d", "-", "l", "c"]
