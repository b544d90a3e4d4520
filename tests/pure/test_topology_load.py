"""Loading valid topologies: shipped files, lookup by name, resolution, chain, describe."""

from __future__ import annotations

import inspect
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_interface, ip_network
from pathlib import Path

import pytest
import yaml
from support import REPO, in_documentation_ranges

from lab._errors import TopologyError
from lab.topology import (
    Route,
    Topology,
    available,
    chain,
    describe,
    from_dict,
    load,
    loads,
)
from lab.topology._load import shipped_topologies, topology_dirs

REPOSITORY_TOPOLOGIES = REPO / "topologies"
SHIPPED = ("two-hosts", "routed", "lan", "dual-stack")


def interfaces(topology: Topology) -> dict[tuple[str, str], list[str]]:
    """(host, ifname) -> addresses as text, for compact assertions."""
    return {(e.host, e.ifname): [str(a) for a in e.addresses] for e in topology.endpoints()}


def default_route(version: int, via: str, *, automatic: bool = True) -> Route:
    """The default route of `version` via `via`."""
    to = IPv4Network("0.0.0.0/0") if version == 4 else IPv6Network("::/0")
    return Route(to=to, via=ip_address(via), automatic=automatic)


# --- the public API ----------------------------------------------------------------


@pytest.mark.parametrize("function", [available, chain, describe, from_dict, load, loads])
def test_public_functions_have_a_summary_line(function: object) -> None:
    doc = inspect.getdoc(function)
    assert doc
    assert doc.splitlines()[0].endswith(".")


# --- shipped topologies ------------------------------------------------------------


def test_available_lists_the_shipped_topologies() -> None:
    assert set(SHIPPED) <= set(available())
    assert available() == sorted(available())


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_topology_is_documented_and_in_range(name: str) -> None:
    topology = load(name)
    text = (REPOSITORY_TOPOLOGIES / f"{name}.yaml").read_text()
    assert text.startswith(f"# {name}:")
    assert topology.name == name
    assert topology.description
    assert Path(topology.source).resolve() == REPOSITORY_TOPOLOGIES / f"{name}.yaml"
    for endpoint in topology.endpoints():
        assert all(in_documentation_ranges(a) for a in endpoint.addresses)
    for host in topology.hosts:
        for route in host.routes:
            assert route.is_default or in_documentation_ranges(route.to)
            assert in_documentation_ranges(route.via)


def test_two_hosts() -> None:
    topology = load("two-hosts")
    assert topology.host_names == ("client", "server")
    assert interfaces(topology) == {
        ("client", "eth0"): ["192.0.2.1/24", "2001:db8::1/64"],
        ("server", "eth0"): ["192.0.2.2/24", "2001:db8::2/64"],
    }
    (link,) = topology.links
    assert (link.a.host, link.b.host, link.mtu) == ("client", "server", None)
    assert topology.bridges == ()
    assert all(h.routes == () and h.sysctls == () and not h.router for h in topology.hosts)


def test_routed() -> None:
    topology = load("routed")
    assert interfaces(topology) == {
        ("client", "eth0"): ["192.0.2.1/24"],
        ("router", "eth0"): ["192.0.2.254/24"],
        ("router", "eth1"): ["198.51.100.254/24"],
        ("server", "eth0"): ["198.51.100.1/24"],
    }
    router = topology.host("router")
    assert router.router
    assert router.routes == ()
    # IPv4 only, so no IPv6 forwarding sysctl.
    assert router.sysctls == (("net.ipv4.ip_forward", "1"),)
    assert topology.host("client").routes == (default_route(4, "192.0.2.254"),)
    assert topology.host("server").routes == (default_route(4, "198.51.100.254"),)


def test_lan() -> None:
    topology = load("lan")
    assert topology.links == ()
    (bridge,) = topology.bridges
    assert bridge.name == "lan0"
    assert [(p.host, p.ifname, [str(a) for a in p.addresses]) for p in bridge.ports] == [
        ("alice", "eth0", ["203.0.113.1/24"]),
        ("bob", "eth0", ["203.0.113.2/24"]),
        ("carol", "eth0", ["203.0.113.3/24"]),
    ]
    assert all(h.routes == () for h in topology.hosts)


def test_dual_stack() -> None:
    topology = load("dual-stack")
    assert interfaces(topology) == {
        ("client", "eth0"): ["192.0.2.1/24", "2001:db8::1/64"],
        ("server", "eth0"): ["192.0.2.2/24", "2001:db8::2/64"],
    }
    assert all(h.routes == () for h in topology.hosts)


@pytest.mark.parametrize("name", SHIPPED)
def test_from_dict_equals_load_of_the_same_data(name: str) -> None:
    path = REPOSITORY_TOPOLOGIES / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    assert from_dict(data, source=str(path)) == load(path)
    assert loads(path.read_text(), source=str(path)) == load(path)


# --- finding topology files --------------------------------------------------------


def write(directory: Path, name: str, description: str) -> Path:
    """A one-host topology file `name` in `directory`, told apart by `description`."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f"description: {description}\nhosts: {{solo: {{}}}}\n")
    return path


def test_load_by_path_as_str_or_path(tmp_path: Path) -> None:
    path = write(tmp_path, "mine.yaml", "mine")
    by_str = load(str(path))
    assert by_str == load(path)
    assert by_str.source == str(path)
    assert by_str.name == "mine"  # the file's stem


def test_load_searches_the_given_directories_in_order(tmp_path: Path) -> None:
    write(tmp_path / "first", "x.yml", "first")
    write(tmp_path / "second", "x.yaml", "second")
    topology = load("x", search_path=[tmp_path / "first", tmp_path / "second"])
    assert topology.description == "first"
    assert topology.source == str(tmp_path / "first" / "x.yml")
    assert available(search_path=[tmp_path / "first", tmp_path / "second"]) == ["x"]


def test_the_working_directory_comes_before_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "env", "two-hosts.yaml", "from the environment")
    write(tmp_path / "env", "shared.yaml", "shared")
    write(tmp_path / "work" / "topologies", "two-hosts.yaml", "from the working directory")
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("LAB_TOPOLOGIES", f"{tmp_path / 'nowhere'}::{tmp_path / 'env'}")
    assert load("two-hosts").description == "from the working directory"
    assert load("two-hosts").source == "topologies/two-hosts.yaml"
    assert load("shared").source == str(tmp_path / "env" / "shared.yaml")
    assert {"shared", *SHIPPED} <= set(available())


def test_the_environment_comes_before_the_shipped_topologies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "env", "routed.yaml", "shadowed")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAB_TOPOLOGIES", str(tmp_path / "env"))
    assert load("routed").description == "shadowed"
    assert load("lan").source == str(REPOSITORY_TOPOLOGIES / "lan.yaml")


def test_search_order_project_cwd_environment_shipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAB_TOPOLOGIES", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    project = [tmp_path / "ini", tmp_path / "root" / "topologies", tmp_path / "topologies"]
    assert topology_dirs(project_dirs=project) == [
        tmp_path / "ini",
        tmp_path / "root" / "topologies",
        tmp_path / "topologies",  # ./topologies, already named: kept once, where it came first
        tmp_path / "a",
        tmp_path / "b",
        REPOSITORY_TOPOLOGIES,
    ]


def test_the_shipped_topologies_are_the_repository_folder_in_a_clone() -> None:
    # An editable install (make venv) maps the package data lab._topologies onto topologies/.
    assert shipped_topologies() == REPOSITORY_TOPOLOGIES
    assert set(SHIPPED) <= set(available(search_path=[shipped_topologies()]))


# --- resolution: interface names, routes, sysctls ---------------------------------


def test_interface_names_count_up_per_host_skipping_given_ones() -> None:
    topology = from_dict(
        {
            "hosts": {"hub": {}, "a": {}, "b": {}, "c": {}, "d": {}},
            "links": [
                {"endpoints": [{"host": "hub"}, {"host": "a"}]},
                {"endpoints": [{"host": "hub", "ifname": "eth0"}, {"host": "b"}]},
                {"endpoints": [{"host": "hub"}, {"host": "c", "ifname": "up"}]},
            ],
            "bridges": {"br0": {"ports": [{"host": "hub"}, {"host": "d"}, {"host": "a"}]}},
        }
    )
    assert [e.ifname for e in topology.endpoints("hub")] == ["eth1", "eth0", "eth2", "eth3"]
    assert [e.ifname for e in topology.endpoints("a")] == ["eth0", "eth1"]
    assert [e.ifname for e in topology.endpoints("c")] == ["up"]


def test_shorthands_one_address_and_null_options() -> None:
    topology = from_dict(
        {
            "hosts": {"a": None, "b": {}},
            "links": [{"endpoints": [{"host": "a", "addresses": "192.0.2.1/24"}, {"host": "b"}]}],
            "bridges": None,
        }
    )
    assert interfaces(topology) == {("a", "eth0"): ["192.0.2.1/24"], ("b", "eth0"): []}
    assert topology.name == "python"
    assert topology.source == "<python>"


ROUTER_LAN = """
hosts:
  gw: {router: true}
  a: {}
  b:
    routes:
      - {to: 198.51.100.0/24, via: 192.0.2.254}
      - {to: default, via: "2001:db8::fe"}
bridges:
  lan0:
    ports:
      - {host: gw, addresses: [192.0.2.254/24, "2001:db8::fe/64"]}
      - {host: a, addresses: [192.0.2.1/24, "2001:db8::1/64"]}
      - {host: b, addresses: [192.0.2.2/24, "2001:db8::2/64"]}
"""


def test_automatic_default_routes_follow_explicit_ones_per_family() -> None:
    topology = loads(ROUTER_LAN, source="router-lan.yaml")
    assert topology.host("a").routes == (
        default_route(4, "192.0.2.254"),
        default_route(6, "2001:db8::fe"),
    )
    # b has its own IPv6 default route, so only IPv4 gets an automatic one, after it.
    assert topology.host("b").routes == (
        Route(ip_network("198.51.100.0/24"), ip_address("192.0.2.254")),
        default_route(6, "2001:db8::fe", automatic=False),
        default_route(4, "192.0.2.254"),
    )
    gw = topology.host("gw")
    assert gw.routes == ()
    assert gw.sysctls == (("net.ipv4.ip_forward", "1"), ("net.ipv6.conf.all.forwarding", "1"))


def test_no_automatic_route_next_to_two_routers() -> None:
    topology = from_dict(
        {
            "hosts": {"r1": {"router": True}, "r2": {"router": True}, "a": {}},
            "bridges": {
                "lan0": {
                    "ports": [
                        {"host": "r1", "addresses": "203.0.113.1/24"},
                        {"host": "r2", "addresses": "203.0.113.2/24"},
                        {"host": "a", "addresses": "203.0.113.3/24"},
                    ]
                }
            },
        }
    )
    assert all(h.routes == () for h in topology.hosts)


def test_no_automatic_route_through_a_router_on_another_subnet() -> None:
    topology = from_dict(
        {
            "hosts": {"r": {"router": True}, "a": {}},
            "links": [
                {
                    "endpoints": [
                        {"host": "r", "addresses": ["2001:db8:1::1/64"]},
                        {"host": "a", "addresses": ["2001:db8:1::2/64", "192.0.2.1/24"]},
                    ]
                }
            ],
        }
    )
    assert topology.host("a").routes == (default_route(6, "2001:db8:1::1"),)


def test_a_router_keeps_the_forwarding_value_it_was_given() -> None:
    topology = from_dict(
        {
            "hosts": {"r": {"router": True, "sysctls": {"net.ipv4.ip_forward": False}}},
        }
    )
    assert topology.host("r").sysctls == (("net.ipv4.ip_forward", "0"),)


def test_sysctl_values_become_strings() -> None:
    sysctls = {
        "net.ipv4.tcp_ecn": 1,
        "net.ipv4.tcp_sack": True,
        "net.ipv4.tcp_rmem": "4096 131072 6291456",
        "net.ipv4.conf.eth0.rp_filter": 2,
    }
    topology = from_dict(
        {
            "hosts": {"a": {"sysctls": sysctls}, "b": {}},
            "links": [{"endpoints": [{"host": "a"}, {"host": "b"}]}],
        }
    )
    assert topology.host("a").sysctls == (
        ("net.ipv4.tcp_ecn", "1"),
        ("net.ipv4.tcp_sack", "1"),
        ("net.ipv4.tcp_rmem", "4096 131072 6291456"),
        ("net.ipv4.conf.eth0.rp_filter", "2"),
    )


def test_explicit_zero_routes_mean_default() -> None:
    topology = from_dict(
        {
            "hosts": {"a": {"routes": [{"to": "::/0", "via": "2001:db8::2"}]}, "b": {}},
            "links": [
                {
                    "endpoints": [
                        {"host": "a", "addresses": "2001:db8::1/64"},
                        {"host": "b", "addresses": "2001:db8::2/64"},
                    ],
                    "mtu": 1280,
                }
            ],
        }
    )
    (route,) = topology.host("a").routes
    assert route.is_default
    assert not route.automatic
    assert topology.links[0].mtu == 1280


# --- chain -------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 100, 200, 400])
def test_chain(n: int) -> None:
    topology = chain(n)
    assert topology.name == f"chain-{n}"
    assert topology.host_names == tuple(f"h{i}" for i in range(n))
    assert len(topology.links) == n - 1
    for i, link in enumerate(topology.links):
        assert (link.a.host, link.b.host) == (f"h{i}", f"h{i + 1}")
        versions = [[a.version for a in e.addresses] for e in link.endpoints]
        assert versions == ([[4, 6], [4, 6]] if i < 384 else [[6], [6]])
    addresses = [a for e in topology.endpoints() for a in e.addresses]
    assert len({a.ip for a in addresses}) == len(addresses)
    assert all(in_documentation_ranges(a) for a in addresses)


def test_chain_addresses_and_name() -> None:
    topology = chain(3, name="line")
    assert topology.name == "line"
    assert interfaces(topology) == {
        ("h0", "eth0"): ["192.0.2.0/31", "2001:db8::1/64"],
        ("h1", "eth0"): ["192.0.2.1/31", "2001:db8::2/64"],
        ("h1", "eth1"): ["192.0.2.2/31", "2001:db8:1::1/64"],
        ("h2", "eth0"): ["192.0.2.3/31", "2001:db8:1::2/64"],
    }
    link_200 = chain(202).links[200]
    assert link_200.a.addresses == (
        ip_interface("198.51.100.144/31"),
        ip_interface("2001:db8:c8::1/64"),
    )


@pytest.mark.parametrize("n", [0, -1])
def test_chain_needs_a_host(n: int) -> None:
    with pytest.raises(TopologyError, match=r"chain\(n\): a chain has from 1 to"):
        chain(n)


# --- describe ----------------------------------------------------------------------


def test_describe_routed() -> None:
    text = describe(load("routed"))
    assert text.endswith("\n")
    assert "\x1b" not in text  # no colours
    lines = text.splitlines()
    assert lines[0].split() == ["topology", "routed"]
    assert lines[1].split(maxsplit=1) == ["description", load("routed").description]
    assert lines[2].split()[0] == "source"
    assert lines[2].endswith("topologies/routed.yaml")
    assert "  router  router  eth0       192.0.2.254/24     client eth0 (link)" in lines
    assert "                  eth1       198.51.100.254/24  server eth0 (link)" in lines
    assert "  client  default  192.0.2.254     automatic" in lines
    assert "  router  net.ipv4.ip_forward  1" in lines
    assert "bridges" not in lines


def test_describe_shows_every_host_address_and_bridge() -> None:
    topology = loads(ROUTER_LAN, source="router-lan.yaml")
    text = describe(topology)
    for host in topology.hosts:
        assert f"  {host.name}  " in text
    for endpoint in topology.endpoints():
        for address in endpoint.addresses:
            assert str(address) in text
    assert "  lan0    -    gw eth0, a eth0, b eth0" in text
    assert "  b     198.51.100.0/24  192.0.2.254   given" in text


def test_describe_a_host_without_interfaces_and_an_mtu() -> None:
    topology = from_dict(
        {
            "hosts": {"a": {}, "b": {}, "alone": {}},
            "links": [{"endpoints": [{"host": "a"}, {"host": "b"}], "mtu": 9000}],
        }
    )
    text = describe(topology)
    assert "b eth0 (link, mtu 9000)" in text
    assert "  alone  host  -          -        no interfaces" in text.splitlines()
