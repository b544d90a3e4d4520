"""The raw netlink layer: framing and attributes (pure), a socket inside a namespace (kernel)."""

from __future__ import annotations

import errno
import os
import socket
import struct

import pytest

from lab import Lab
from lab.kernel._rawnetlink import (
    NLMSG_ERROR,
    Message,
    NetlinkSocket,
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


@pytest.mark.kernel
def test_a_failed_bind_closes_the_socket(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    before = set(os.listdir("/proc/self/fd"))

    def refuse(self: socket.socket, address: object) -> None:
        raise OSError(errno.EADDRINUSE, "refused for the test")

    monkeypatch.setattr(socket.socket, "bind", refuse)
    with pytest.raises(OSError, match="refused for the test"):
        NetlinkSocket(lab["client"].netns, socket.NETLINK_ROUTE)
    assert set(os.listdir("/proc/self/fd")) == before


@pytest.mark.kernel
def test_dumps_and_lookups_answer_in_the_namespace(lab: Lab) -> None:
    sock = NetlinkSocket(lab["client"].netns, socket.NETLINK_ROUTE)
    try:
        links = list(sock.dump(18, struct.pack("=BxHiII", 0, 0, 0, 0, 0)))  # RTM_GETLINK
        names = {attributes(m.payload, 16)[3].rstrip(b"\0") for m in links}
        assert names == {b"lo", b"eth0"}
        # RTM_GETLINK of an index that does not exist
        with pytest.raises(OSError, match=os.strerror(errno.ENODEV)) as caught:
            sock.request_one(18, struct.pack("=BxHiII", 0, 0, 999_999, 0, 0))
        assert caught.value.errno == errno.ENODEV
        links_again = list(sock.dump(18, struct.pack("=BxHiII", 0, 0, 0, 0, 0)))
        assert len(links_again) == len(links)  # nothing of the failed request is left over
    finally:
        sock.close()
