"""The two ends of a check: hosts called client and server, else the first two neighbours."""

from __future__ import annotations

import pytest

from lab import Family, LabError
from lab.topology import from_dict, load
from lab.topology._ends import Ends, choose_ends, neighbours, shared_families

# a - b on a veth link, b - c - d on a bridge; a has IPv4 only, d IPv6 only.
CHAIN = from_dict(
    {
        "name": "chain",
        "hosts": {"a": {}, "b": {}, "c": {}, "d": {}, "lonely": {}},
        "links": [
            {
                "endpoints": [
                    {"host": "a", "addresses": ["192.0.2.1/24"]},
                    {"host": "b", "addresses": ["192.0.2.2/24", "2001:db8::2/64"]},
                ]
            }
        ],
        "bridges": {
            "br": {
                "ports": [
                    {"host": "b", "addresses": ["198.51.100.2/24", "2001:db8:1::2/64"]},
                    {"host": "c", "addresses": ["198.51.100.3/24", "2001:db8:1::3/64"]},
                    {"host": "d", "addresses": ["2001:db8:1::4/64"]},
                ]
            }
        },
    }
)


def test_neighbours_share_a_link_or_a_bridge_in_declaration_order() -> None:
    assert neighbours(CHAIN, "a") == ("b",)
    assert neighbours(CHAIN, "b") == ("a", "c", "d")
    assert neighbours(CHAIN, "d") == ("b", "c")
    assert neighbours(CHAIN, "lonely") == ()


@pytest.mark.parametrize(
    ("topology", "client", "server", "ends"),
    [
        ("two-hosts", None, None, Ends("client", "server")),
        ("routed", None, None, Ends("client", "server")),  # through the router, by name
        ("lan", None, None, Ends("alice", "bob")),
        ("lan", None, "carol", Ends("alice", "carol")),
        ("lan", "carol", None, Ends("carol", "alice")),
        ("lan", "bob", "carol", Ends("bob", "carol")),
        ("routed", "router", None, Ends("router", "client")),
    ],
)
def test_the_ends_chosen(topology: str, client: str | None, server: str | None, ends: Ends) -> None:
    assert choose_ends(load(topology), client, server) == ends


@pytest.mark.parametrize(
    ("client", "server", "message"),
    [
        ("dave", None, "topology lan (topologies/lan.yaml) has no host 'dave' to be the client; "
         "choose the client among its hosts: alice, bob, carol"),
        (None, "dave", "has no host 'dave' to be the server; choose the server among its hosts"),
        ("bob", "bob", "the client and the server are both 'bob'; choose two hosts"),
    ],
)  # fmt: skip
def test_ends_that_cannot_be_are_refused(
    client: str | None, server: str | None, message: str
) -> None:
    with pytest.raises(LabError) as error:
        choose_ends(load("lan"), client, server)
    assert message in str(error.value)


def test_a_host_without_neighbours_needs_its_peer_named() -> None:
    with pytest.raises(LabError) as error:
        choose_ends(CHAIN, "lonely")
    assert str(error.value) == (
        "topology chain (<python>): no host shares a link or bridge with 'lonely', so no server "
        "can be chosen for it; name the server too"
    )
    assert choose_ends(CHAIN, "lonely", "a") == Ends("lonely", "a")  # named: no link needed


def test_the_families_both_ends_have_and_why_the_others_are_left_out() -> None:
    assert shared_families(load("two-hosts"), Ends("client", "server")) == (tuple(Family), {})
    assert shared_families(load("routed"), Ends("client", "server")) == (
        (Family.IPV4,),
        {Family.IPV6: "neither client nor server has an IPv6 address"},
    )
    assert shared_families(CHAIN, Ends("a", "b")) == (
        (Family.IPV4,),
        {Family.IPV6: "a has no IPv6 address"},
    )
    assert shared_families(CHAIN, Ends("c", "d")) == (
        (Family.IPV6,),
        {Family.IPV4: "d has no IPv4 address"},
    )
    assert shared_families(CHAIN, Ends("a", "d")) == (
        (),
        {Family.IPV4: "d has no IPv4 address", Family.IPV6: "a has no IPv6 address"},
    )
