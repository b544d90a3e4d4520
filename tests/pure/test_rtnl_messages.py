"""The builder's rtnetlink requests, read back by pyroute2's message classes.

The requests are packed by hand (lab.kernel._rtnl_messages); pyroute2's
parsers are an independent reading of the same kernel headers, so each test
packs one request and checks every field pyroute2 finds in it. What the
kernel makes of them is tests/kernel/test_lab.py's business.
"""

from __future__ import annotations

import socket
import struct
from ipaddress import ip_address, ip_interface, ip_network
from typing import Any

import pytest
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
from pyroute2.netlink.rtnl.rtmsg import rtmsg

from lab.kernel import _rtnl_messages as msg
from lab.kernel._rawnetlink import attr, attribute


def decoded(parser: Any, kind: int, body: bytes) -> Any:
    """`body` behind an nlmsghdr of type `kind`, decoded by pyroute2 class `parser`."""
    message = parser(struct.pack("=IHHII", 16 + len(body), kind, 1, 1, 0) + body)
    message.decode()
    return message


def test_veth_request_names_both_ends_their_indexes_and_the_peer_namespace() -> None:
    body = msg.new_veth("eth0", 1000, peer="eth1", peer_index=1001, peer_netns_fd=7, mtu=1400)
    link = decoded(ifinfmsg, msg.RTM_NEWLINK, body)
    assert (link["index"], link["flags"], link["change"]) == (1000, msg.IFF_UP, msg.IFF_UP)
    assert (link.get_attr("IFLA_IFNAME"), link.get_attr("IFLA_MTU")) == ("eth0", 1400)
    info = link.get_attr("IFLA_LINKINFO")
    assert info.get_attr("IFLA_INFO_KIND") == "veth"
    peer = info.get_attr("IFLA_INFO_DATA").get_attr("VETH_INFO_PEER")
    assert (peer["index"], peer["flags"], peer["change"]) == (1001, 0, 0)  # up later, see new_veth
    assert peer.get_attr("IFLA_IFNAME") == "eth1"
    assert peer.get_attr("IFLA_NET_NS_FD") == 7
    assert peer.get_attr("IFLA_MTU") == 1400


def test_veth_without_mtu_leaves_it_to_the_kernel() -> None:
    body = msg.new_veth("eth0", 1000, peer="eth0", peer_index=1001, peer_netns_fd=7, mtu=None)
    link = decoded(ifinfmsg, msg.RTM_NEWLINK, body)
    peer = link.get_attr("IFLA_LINKINFO").get_attr("IFLA_INFO_DATA").get_attr("VETH_INFO_PEER")
    assert link.get_attr("IFLA_MTU") is None
    assert peer.get_attr("IFLA_MTU") is None


def test_bridge_request() -> None:
    link = decoded(ifinfmsg, msg.RTM_NEWLINK, msg.new_bridge("br0", 1002, 9000))
    assert (link["index"], link["flags"], link["change"]) == (1002, msg.IFF_UP, msg.IFF_UP)
    assert (link.get_attr("IFLA_IFNAME"), link.get_attr("IFLA_MTU")) == ("br0", 9000)
    assert link.get_attr("IFLA_LINKINFO").get_attr("IFLA_INFO_KIND") == "bridge"


@pytest.mark.parametrize("master", [None, 1002])
def test_set_up_request(master: int | None) -> None:
    link = decoded(ifinfmsg, msg.RTM_NEWLINK, msg.set_link_up(1003, master))
    assert (link["index"], link["flags"], link["change"]) == (1003, msg.IFF_UP, msg.IFF_UP)
    assert link.get_attr("IFLA_MASTER") == master


def test_ipv4_address_request_sets_local_and_address() -> None:
    address = decoded(ifaddrmsg, msg.RTM_NEWADDR, msg.new_address(5, ip_interface("192.0.2.1/24")))
    assert (address["family"], address["prefixlen"], address["index"]) == (socket.AF_INET, 24, 5)
    assert address.get_attr("IFA_LOCAL") == address.get_attr("IFA_ADDRESS") == "192.0.2.1"
    assert address.get_attr("IFA_FLAGS") == 0


def test_ipv6_address_request_skips_duplicate_address_detection() -> None:
    body = msg.new_address(5, ip_interface("2001:db8::1/64"))
    address = decoded(ifaddrmsg, msg.RTM_NEWADDR, body)
    assert (address["family"], address["prefixlen"], address["index"]) == (socket.AF_INET6, 64, 5)
    assert address.get_attr("IFA_ADDRESS") == "2001:db8::1"
    assert address.get_attr("IFA_FLAGS") == msg.IFA_F_NODAD


@pytest.mark.parametrize(
    ("to", "via", "dst"),
    [
        ("198.51.100.0/24", "192.0.2.2", "198.51.100.0"),
        ("0.0.0.0/0", "192.0.2.2", None),  # a default route has no destination attribute
        ("2001:db8:1::/64", "2001:db8::2", "2001:db8:1::"),
        ("::/0", "2001:db8::2", None),
    ],
)
def test_route_request_is_static_unicast_in_the_main_table(
    to: str, via: str, dst: str | None
) -> None:
    network = ip_network(to)
    route = decoded(rtmsg, msg.RTM_NEWROUTE, msg.new_route(network, ip_address(via)))
    family = socket.AF_INET if network.version == 4 else socket.AF_INET6
    assert (route["family"], route["dst_len"]) == (family, network.prefixlen)
    assert (route["table"], route["proto"], route["scope"], route["type"]) == (
        msg.RT_TABLE_MAIN,
        msg.RTPROT_STATIC,
        msg.RT_SCOPE_UNIVERSE,
        msg.RTN_UNICAST,
    )
    assert route.get_attr("RTA_DST") == dst
    assert route.get_attr("RTA_GATEWAY") == via


def test_lookups() -> None:
    assert decoded(ifinfmsg, msg.RTM_GETLINK, msg.get_link(1001))["index"] == 1001
    route = decoded(rtmsg, msg.RTM_GETROUTE, msg.get_route(ip_address("2001:db8::1")))
    assert (route["family"], route["dst_len"]) == (socket.AF_INET6, 128)
    assert route["flags"] == msg.RTM_F_FIB_MATCH
    assert route.get_attr("RTA_DST") == "2001:db8::1"


def test_attribute_finds_the_first_of_its_type_and_ignores_flag_bits() -> None:
    data = b"head" + attr(3, b"eth0\0") + attr(16 | 0x8000, b"\x06") + attr(16, b"\x02")
    assert attribute(data, 4, 16) == b"\x06"
    assert attribute(data, 4, 3) == b"eth0\0"
    assert attribute(data, 4, 4) is None
    assert attribute(b"\0\0\0\0" + attr(3, b"x"), 0, 3) is None  # a zero length ends the list
