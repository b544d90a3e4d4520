"""The raw netlink socket inside a namespace: dumps, lookups, errors, no leak on a failed bind."""

from __future__ import annotations

import errno
import os
import socket
import struct

import pytest

from lab import Lab
from lab.kernel._rawnetlink import NetlinkSocket, attributes


def test_a_failed_bind_closes_the_socket(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    before = set(os.listdir("/proc/self/fd"))

    def refuse(self: socket.socket, address: object) -> None:
        raise OSError(errno.EADDRINUSE, "refused for the test")

    monkeypatch.setattr(socket.socket, "bind", refuse)
    with pytest.raises(OSError, match="refused for the test"):
        NetlinkSocket(lab["client"].netns, socket.NETLINK_ROUTE)
    assert set(os.listdir("/proc/self/fd")) == before


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
