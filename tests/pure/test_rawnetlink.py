"""The raw netlink framing and attributes (its socket: tests/kernel/test_rawnetlink_socket)."""

from __future__ import annotations

import errno
import struct

from lab.kernel._rawnetlink import (
    NLMSG_ERROR,
    Message,
    attr,
    attributes,
    nest,
    split,
)

HEADER = struct.Struct("=IHHII")


def message(kind: int, seq: int, payload: bytes) -> bytes:
    data = HEADER.pack(HEADER.size + len(payload), kind, 0, seq, 0) + payload
    return data + b"\0" * (-len(data) % 4)


def test_a_datagram_splits_into_its_messages_padding_included() -> None:
    data = message(16, 1, b"abc") + message(3, 1, b"")
    assert list(split(data)) == [Message(16, 0, 1, b"abc"), Message(3, 0, 1, b"")]


def test_a_zero_or_short_length_ends_the_datagram_instead_of_looping() -> None:
    broken = HEADER.pack(0, 16, 0, 1, 0) + b"\0" * 32
    assert list(split(broken)) == []
    assert list(split(message(16, 1, b"x") + HEADER.pack(8, 16, 0, 2, 0))) == [
        Message(16, 0, 1, b"x")
    ]


def test_attributes_round_trip_with_nesting_flags_dropped() -> None:
    data = attr(1, b"\x01\x02\x03") + nest(2, attr(1, b"in"))
    found = attributes(data)
    assert found[1] == b"\x01\x02\x03"
    assert attributes(found[2]) == {1: b"in"}
    assert attributes(struct.pack("=HH", 0, 1) + b"rest") == {}  # a zero length stops


def test_an_error_message_carries_the_errno() -> None:
    assert Message(NLMSG_ERROR, 0, 1, struct.pack("=i", -errno.ENOENT)).error == errno.ENOENT
    assert Message(NLMSG_ERROR, 0, 1, struct.pack("=i", 0)).error == 0
