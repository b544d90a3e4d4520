"""Building labs in the kernel: links, routes, bridges, sysctls, isolation, teardown."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from lab import BuildError, HostError, Lab, from_dict
from lab.topology import available


def round_trip(lab: Lab, client: str, server: str, version: int = 4) -> bytes:
    """One TCP round trip from `client` to `server`'s address; returns what came back."""
    server_ip = lab[server].address(version)
    with (
        lab[server].listen(9000, server_ip) as listener,
        lab[client].connect(server_ip, 9000) as conn,
    ):
        accepted, _ = listener.accept()
        with accepted:
            conn.sendall(b"ping")
            accepted.sendall(accepted.recv(4).upper())
            return conn.recv(4)


def test_two_hosts_is_the_default_and_carries_tcp(lab: Lab) -> None:
    assert lab.name == "two-hosts"
    assert sorted(lab.hosts) == ["client", "server"]
    assert round_trip(lab, "client", "server") == b"PING"


@pytest.mark.topology("routed")
def test_routed_forwards_between_subnets_with_automatic_default_routes(lab: Lab) -> None:
    client, server = lab["client"], lab["server"]
    assert client.address().split(".")[:3] != server.address().split(".")[:3]
    assert round_trip(lab, "client", "server") == b"PING"
    # Each end's only default route goes via the router's address on its subnet (routed.yaml).
    for host, router in (("client", "192.0.2.254"), ("server", "198.51.100.254")):
        routes = lab[host].exec(["ip", "route", "show", "default"]).stdout
        assert [r.split()[:5] for r in routes.splitlines()] == [
            ["default", "via", router, "dev", "eth0"]
        ], routes
    assert lab["router"].sysctl("net.ipv4.ip_forward") == 1


@pytest.mark.topology("lan")
def test_lan_hosts_share_one_bridge(lab: Lab) -> None:
    names = sorted(lab.hosts)
    assert len(names) >= 3
    for client in names:
        for server in names:
            if client != server:
                assert round_trip(lab, client, server) == b"PING"


@pytest.mark.topology("dual-stack")
def test_dual_stack_carries_ipv4_and_ipv6(lab: Lab) -> None:
    assert round_trip(lab, "client", "server", 4) == b"PING"
    assert round_trip(lab, "client", "server", 6) == b"PING"


@pytest.mark.parametrize("name", available())
def test_every_shipped_topology_builds_and_leaves_the_machine_alone(
    name: str, no_leaks: None
) -> None:
    # The machine's own namespace is compared before and after the whole run (conftest.py).
    with Lab(name) as lab:
        assert len(lab) == len(lab.topology.hosts)
        inodes = {host.netns.inode for host in lab}
        assert len(inodes) == len(lab.hosts), "each host has its own namespace"
        assert os.stat("/proc/self/ns/net").st_ino not in inodes


def test_namespaces_are_anonymous(lab: Lab) -> None:
    pinned = os.listdir("/run/netns") if os.path.isdir("/run/netns") else []
    assert not [p for p in pinned if p.startswith("lab-")]
    # Only our descriptor holds each namespace: it is reachable through /proc/self/fd.
    for host in lab:
        assert os.stat(f"/proc/self/fd/{host.netns.fd}").st_ino == host.netns.inode


def test_two_labs_with_the_same_addresses_are_isolated(
    lab_factory: Callable[[str], Lab],
) -> None:
    first, second = lab_factory("two-hosts"), lab_factory("two-hosts")
    listener = first["server"].listen(9100)
    with listener:
        first["client"].connect(first["server"].address(), 9100).close()
        with pytest.raises(HostError, match="Connection refused"):
            second["client"].connect(second["server"].address(), 9100)


def test_sysctls_and_mtu_apply_inside_the_lab_only() -> None:
    topology = from_dict(
        {
            "name": "tuned",
            "hosts": {"client": {"sysctls": {"net.ipv4.tcp_ecn": 1}}, "server": {}},
            "links": [
                {
                    "mtu": 1280,
                    "endpoints": [
                        {"host": "client", "addresses": ["192.0.2.1/24"]},
                        {"host": "server", "addresses": ["192.0.2.2/24"]},
                    ],
                }
            ],
        }
    )
    host_ecn = Path("/proc/sys/net/ipv4/tcp_ecn").read_text().strip()
    with Lab(topology) as lab:
        assert lab["client"].sysctl("net.ipv4.tcp_ecn") == 1
        assert lab["server"].sysctl("net.ipv4.tcp_ecn") == int(host_ecn)
        assert lab["client"].file("/sys/class/net/eth0/mtu").content_string.strip() == "1280"
        assert lab["server"].interface("eth0").exists
    assert Path("/proc/sys/net/ipv4/tcp_ecn").read_text().strip() == host_ecn


def test_a_build_that_fails_half_way_tears_down_what_it_made(no_leaks: None) -> None:
    # Valid for the loader, refused by the kernel at the sysctl step (after links exist).
    topology = from_dict(
        {
            "name": "broken",
            "hosts": {"client": {"sysctls": {"net.ipv4.no_such_knob": 1}}, "server": {}},
            "links": [
                {
                    "endpoints": [
                        {"host": "client", "addresses": ["192.0.2.1/24"]},
                        {"host": "server", "addresses": ["192.0.2.2/24"]},
                    ]
                }
            ],
        }
    )
    with pytest.raises(
        BuildError, match=r"client: setting sysctl net\.ipv4\.no_such_knob=1 failed"
    ):
        Lab(topology).start()


def test_teardown_releases_everything(no_leaks: None) -> None:
    with Lab("routed") as lab:
        lab["server"].popen(["sleep", "600"])
        lab["client"].call(os.getpid)
        lab["client"].exec(["true"])
        lab["server"].listen(9200).close()


def test_call_runs_inside_the_namespace_and_reraises(lab: Lab) -> None:
    client = lab["client"]
    inode = client.call(lambda: os.stat("/proc/thread-self/ns/net").st_ino)
    assert inode == client.netns.inode

    def fail() -> None:
        raise ValueError("raised inside client")

    with pytest.raises(ValueError, match="raised inside client"):
        client.call(fail)


def test_sockets_from_open_socket_live_in_the_namespace(lab: Lab) -> None:
    with lab["client"].open_socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((lab["client"].address(), 0))  # only the lab host has this address
        assert sock.getsockname()[0] == lab["client"].address()


def test_programs_see_their_own_sys_and_interfaces(lab: Lab) -> None:
    listed = lab["client"].exec(["ls", "/sys/class/net"]).stdout.split()
    assert sorted(listed) == ["eth0", "lo"]
    assert "eth0" in lab["client"].exec(["ip", "-br", "link"]).stdout


def test_connect_failure_is_a_host_error(lab: Lab) -> None:
    with pytest.raises(HostError, match=r"host client cannot connect to 192\.0\.2\.2 port 1"):
        lab["client"].connect(lab["server"].address(), 1)
