"""The readiness reader against a running lab's kernel: what the builder would wait for."""

from __future__ import annotations

import errno
import os
import socket
from ipaddress import IPv6Address

from lab import Lab
from lab.kernel._rawnetlink import NetlinkSocket
from lab.kernel._rtnl_reader import waiting_for


def test_a_started_lab_waits_for_nothing(lab: Lab) -> None:
    client = lab["client"]
    eth0 = client.call(socket.if_nametoindex, "eth0")
    ipv6 = {a.ip for a in client.addresses if isinstance(a.ip, IPv6Address)}
    sock = NetlinkSocket(client.netns, socket.NETLINK_ROUTE)
    try:
        assert waiting_for(sock, {eth0: "eth0"}, ipv6) == []
    finally:
        sock.close()


def test_the_reader_names_what_is_missing(lab: Lab) -> None:
    sock = NetlinkSocket(lab["client"].netns, socket.NETLINK_ROUTE)
    try:
        waiting = waiting_for(sock, {4242: "eth9"}, {IPv6Address("2001:db8::99")})
    finally:
        sock.close()
    no_device = os.strerror(errno.ENODEV)
    assert waiting == [f"eth9 is missing ({no_device})", "2001:db8::99 has no local route yet"]
