"""The TCP settings a check ran under: the report header's lines and the JSON."""

from __future__ import annotations

import json

from lab.tcp import TcpSetting, TcpSettings, render_header

CONGESTION = TcpSetting(
    "net.ipv4.tcp_congestion_control", {"client": "bbr", "server": "bbr"}, machine="bbr"
)
TIMESTAMPS = TcpSetting("net.ipv4.tcp_timestamps", {"client": "1", "server": "1"}, machine="0")
ECN = TcpSetting(
    "net.ipv4.tcp_ecn",
    {"client": "2", "server": "1"},
    machine="2",
    set_by_topology=("server",),
)
AUTOCORKING = TcpSetting(
    "net.ipv4.tcp_autocorking",
    {"client": "1", "server": "1"},
    machine="1",
    scenarios={"data": "0"},
)
SETTINGS = TcpSettings((CONGESTION, TIMESTAMPS, ECN, AUTOCORKING))


def test_the_header_shows_inherited_values_who_set_the_others_and_the_machine() -> None:
    assert SETTINGS.lines() == [
        "TCP settings in the lab hosts, inherited (as this kernel starts a new namespace): "
        "congestion_control=bbr timestamps=1 autocorking=1",
        "set by the topology: ecn=client 2/server 1 (in server)",
        "set by a scenario, for its own runs: autocorking=0 (data)",
        "the machine's own values differ (a new namespace does not take them): timestamps=0",
    ]


def test_the_header_names_kernel_hosts_families_and_what_was_left_out() -> None:
    header = render_header(
        kernel="Linux 6.1.0 x86_64",
        topology="routed (topologies/routed.yaml)",
        client="client",
        server="server",
        families=["IPv4"],
        left_out={"IPv6": "neither client nor server has an IPv6 address"},
        settings=TcpSettings((CONGESTION,)),
    )
    assert header.splitlines() == [
        "lab check on Linux 6.1.0 x86_64: topology routed (topologies/routed.yaml), "
        "client → server, IPv4",
        "IPv6 left out: neither client nor server has an IPv6 address",
        "TCP settings in the lab hosts, inherited (as this kernel starts a new namespace): "
        "congestion_control=bbr",
    ]


def test_json_gives_each_setting_by_role_with_the_machine_and_its_source() -> None:
    data = SETTINGS.to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["net.ipv4.tcp_ecn"] == {
        "client": "2",
        "server": "1",
        "machine": "2",
        "source": "topology",
        "set_by_topology": ["server"],
        "scenarios": {},
    }
    assert data["net.ipv4.tcp_autocorking"]["source"] == "inherited"
    assert data["net.ipv4.tcp_autocorking"]["scenarios"] == {"data": "0"}
    assert data["net.ipv4.tcp_congestion_control"]["client"] == "bbr"


def test_a_machine_value_not_known_is_no_difference() -> None:
    unknown = TcpSetting("net.ipv4.tcp_sack", {"client": "1", "server": "1"}, machine=None)
    assert TcpSettings((unknown,)).lines() == [
        "TCP settings in the lab hosts, inherited (as this kernel starts a new namespace): sack=1"
    ]
