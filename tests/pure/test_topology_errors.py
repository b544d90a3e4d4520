"""Bad topologies: each gets one TopologyError with its source, field path and a fix."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from support import REPO

from lab._errors import TopologyError
from lab.topology import from_dict, load, loads

SOURCE = "bad.yaml"

TWO_HOSTS = "hosts: {a: {}, b: {}}\n"


def link(a: str = "{host: a}", b: str = "{host: b}", extra: str = "") -> str:
    """A topology of hosts a and b joined by one link with endpoints `a` and `b`."""
    return TWO_HOSTS + f"links:\n  - endpoints: [{a}, {b}]\n{extra}"


def raises(text: str, source: str = SOURCE) -> TopologyError:
    """The TopologyError that `loads` raises for `text`."""
    __tracebackhide__ = True
    with pytest.raises(TopologyError) as caught:
        loads(textwrap.dedent(text), source=source)
    return caught.value


def assert_error(error: TopologyError, path: str, problem: str, fix: str) -> None:
    """`error` is at `path`, and its problem and fix contain the given fragments."""
    __tracebackhide__ = True
    assert error.source == SOURCE
    assert error.path == path
    assert problem in error.problem
    assert fix in error.fix
    where = f"{SOURCE}: {path}" if path else SOURCE
    assert str(error) == f"{where}: {error.problem}; {error.fix}"


# (id, YAML, field path, fragment of the problem, fragment of the fix)
CASES = [
    # 1. YAML syntax
    pytest.param(
        "hosts:\n  a: {\n  b: {}\n",
        "line 4, column 1",
        "not valid YAML: expected ',' or '}'",
        "check indentation and quoting near there",
        id="syntax-unclosed-brace",
    ),
    pytest.param(
        "hosts:\n\ta: {}\n",
        "line 2, column 1",
        "found character '\\t' that cannot start any token",
        "indent with spaces, not tabs",
        id="syntax-tab",
    ),
    pytest.param(
        "hosts: {a: {}}\nlinks: [\n",
        "line 3, column 1",
        "not valid YAML",
        "check indentation",
        id="syntax-unclosed-list",
    ),
    pytest.param(
        "hosts: \x00\n",
        "line 1, column 8",
        "character #x0000",
        "remove control characters",
        id="control-character",
    ),
    pytest.param(
        "hosts: !!int abc\n", "", "cannot be read: ValueError", "explicit tags", id="bad-tag"
    ),
    pytest.param("[" * 3000, "", "nested too deeply", "few levels", id="deep"),
    # 2. unknown keys
    pytest.param(
        link(a="{host: a, adresses: [192.0.2.1/24]}"),
        "links[0].endpoints[0].adresses",
        "unknown key 'adresses'",
        "did you mean 'addresses'? allowed keys here: host, ifname, addresses",
        id="typo-endpoint",
    ),
    pytest.param(
        "hosts: {a: {}}\nlink: []\n",
        "link",
        "unknown key 'link'",
        "did you mean 'links'? allowed keys here: name, description, hosts, links, bridges",
        id="typo-top-level",
    ),
    pytest.param(
        "hosts:\n  a: {roter: true}\n",
        "hosts.a.roter",
        "unknown key 'roter'",
        "did you mean 'router'?",
        id="typo-host",
    ),
    pytest.param(
        "hosts:\n  a: {routes: [{to: default, gateway: 192.0.2.1}]}\n",
        "hosts.a.routes[0].gateway",
        "unknown key 'gateway'",
        "allowed keys here: to, via",
        id="unknown-route-key",
    ),
    pytest.param(
        link(extra="    speed: 1000\n"),
        "links[0].speed",
        "unknown key 'speed'",
        "allowed keys here: endpoints, mtu",
        id="unknown-link-key",
    ),
    pytest.param(
        "hosts: {a: {}}\n1: x\n",
        "[1]",
        "key 1 is a whole number (1), not a key name",
        "allowed keys: name",
        id="key-not-a-string",
    ),
    # 3. wrong types
    pytest.param(
        "hosts: [a, b]\n",
        "hosts",
        "must be a mapping of host name to options, but it is a list (['a', 'b'])",
        "hosts: {client: {}, server: {}}",
        id="hosts-list",
    ),
    pytest.param(
        "hosts:\n  a: router\n",
        "hosts.a",
        "must be the host's options",
        "client: {}",
        id="host-options-string",
    ),
    pytest.param(
        link(a="{host: a, addresses: 42}"),
        "links[0].endpoints[0].addresses",
        "must be a list of addresses (or one address), but it is a whole number (42)",
        "addresses: [192.0.2.1/24",
        id="addresses-int",
    ),
    pytest.param(
        link(extra="    mtu: '1400'\n"),
        "links[0].mtu",
        "must be a whole number from 68 to 65535, but it is a string ('1400')",
        "(without quotes)",
        id="mtu-string",
    ),
    pytest.param(
        link(extra="    mtu: true\n"),
        "links[0].mtu",
        "but it is a boolean (True)",
        "mtu: 1500",
        id="mtu-bool",
    ),
    pytest.param(
        link(extra="    mtu: 67\n"),
        "links[0].mtu",
        "67 is outside the allowed range 68 to 65535",
        "mtu: 1500",
        id="mtu-small",
    ),
    pytest.param(
        "hosts:\n  a: {router: 'yes'}\n",
        "hosts.a.router",
        "must be true or false, but it is a string ('yes')",
        "true or false",
        id="router-string",
    ),
    pytest.param(
        "hosts: {a: {}}\nlinks: {endpoints: []}\n",
        "links",
        "must be a list of links, but it is a mapping",
        "- endpoints:",
        id="links-mapping",
    ),
    pytest.param(
        "hosts: {a: {}}\nlinks: [[a, b]]\n",
        "links[0]",
        "must be a link: a mapping with endpoints: and mtu:",
        "endpoints:",
        id="link-list",
    ),
    pytest.param(
        "description: [a]\nhosts: {a: {}}\n",
        "description",
        "must be a string, but it is a list",
        "description:",
        id="description-list",
    ),
    pytest.param(
        "hosts:\n  a: {sysctls: {net.ipv4.tcp_ecn: 1.5}}\n",
        "hosts.a.sysctls['net.ipv4.tcp_ecn']",
        "must be a number, a boolean or a string, but it is a number with a fraction (1.5)",
        "true/false",
        id="sysctl-float",
    ),
    pytest.param(
        "hosts:\n  a: {sysctls: [net.ipv4.tcp_ecn]}\n",
        "hosts.a.sysctls",
        "must be a mapping of sysctl name to value",
        "{net.ipv4.tcp_ecn: 1}",
        id="sysctls-list",
    ),
    pytest.param(
        "hosts:\n  a: {routes: {to: default}}\n",
        "hosts.a.routes",
        "must be a list of routes",
        "routes: [{to: default",
        id="routes-mapping",
    ),
    # 4. unknown hosts
    pytest.param(
        "hosts: {client: {}, server: {}}\nlinks:\n  - endpoints: [{host: client}, {host: sever}]\n",
        "links[0].endpoints[1].host",
        "there is no host 'sever'",
        "did you mean 'server'? declared hosts: client, server",
        id="unknown-host-link",
    ),
    pytest.param(
        "hosts: {a: {}, b: {}}\nbridges:\n  br0: {ports: [{host: a}, {host: b}, {host: zed}]}\n",
        "bridges.br0.ports[2].host",
        "there is no host 'zed'",
        "declared hosts: a, b",
        id="unknown-host-port",
    ),
    pytest.param(
        link(b="{addresses: [192.0.2.2/24]}"),
        "links[0].endpoints[1].host",
        "'host' is missing",
        "host: client",
        id="endpoint-without-host",
    ),
    pytest.param(
        link(b="{host: 7}"),
        "links[0].endpoints[1].host",
        "must be the name of a host, but it is a whole number (7)",
        "host: client",
        id="host-not-a-string",
    ),
    # 5. self link
    pytest.param(
        link(b="{host: a}"),
        "links[0].endpoints[1].host",
        "links[0] joins host 'a' to itself",
        "a link joins two different hosts",
        id="self-link",
    ),
    # 6. malformed addresses
    pytest.param(
        link(a="{host: a, addresses: [192.0.2.300/24]}"),
        "links[0].endpoints[0].addresses[0]",
        "'192.0.2.300/24' is not a valid address (Octet 300 (> 255) not permitted",
        "such as 192.0.2.1",
        id="octet-300",
    ),
    pytest.param(
        link(a="{host: a, addresses: [192.0.2.1/33]}"),
        "links[0].endpoints[0].addresses[0]",
        "the prefix length /33 in 192.0.2.1/33 is not a number from 0 to 32",
        "write e.g. 192.0.2.1/24",
        id="prefix-33",
    ),
    pytest.param(
        link(a="{host: a, addresses: ['2001:db8::1/129']}"),
        "links[0].endpoints[0].addresses[0]",
        "is not a number from 0 to 128",
        "2001:db8::1/64",
        id="prefix-129",
    ),
    pytest.param(
        link(a="{host: a, addresses: abc}"),
        "links[0].endpoints[0].addresses",
        "'abc' is not a valid address",
        "IPv6 address such as 2001:db8::1",
        id="abc",
    ),
    pytest.param(
        link(a="{host: a, addresses: [192.0.2.1/x]}"),
        "links[0].endpoints[0].addresses[0]",
        "the prefix length /x in 192.0.2.1/x is not a number",
        "192.0.2.1/24",
        id="prefix-not-a-number",
    ),
    pytest.param(
        link(a="{host: a, addresses: [192.0.2.1]}"),
        "links[0].endpoints[0].addresses[0]",
        "192.0.2.1 has no prefix length",
        "add one, e.g. 192.0.2.1/24",
        id="no-prefix",
    ),
    pytest.param(
        link(a="{host: a, addresses: ['2001:db8::1']}"),
        "links[0].endpoints[0].addresses[0]",
        "2001:db8::1 has no prefix length",
        "2001:db8::1/64",
        id="no-prefix-ipv6",
    ),
    pytest.param(
        link(a="{host: a, addresses: [192.0.2.0/24]}"),
        "links[0].endpoints[0].addresses[0]",
        "192.0.2.0/24 is the address of the subnet 192.0.2.0/24 itself",
        "such as 192.0.2.1/24",
        id="network-address",
    ),
    pytest.param(
        link(a="{host: a, addresses: [192.0.2.255/24]}"),
        "links[0].endpoints[0].addresses[0]",
        "192.0.2.255/24 is the broadcast address of 192.0.2.0/24",
        "host address",
        id="broadcast-address",
    ),
    pytest.param(
        link(a="{host: a, addresses: ['2001:db8::/64']}"),
        "links[0].endpoints[0].addresses[0]",
        "is the address of the subnet 2001:db8::/64 itself",
        "2001:db8::1/64",
        id="ipv6-subnet-address",
    ),
    pytest.param(
        link(a="{host: a, addresses: ['2001:db8::1%eth0/64']}"),
        "links[0].endpoints[0].addresses[0]",
        "has a zone index",
        "remove the %",
        id="zone-index",
    ),
    # 7. duplicates and overlaps
    pytest.param(
        link(a="{host: a, addresses: [192.0.2.1/24]}", b="{host: b, addresses: [192.0.2.1/24]}"),
        "links[0].endpoints[1].addresses[0]",
        "192.0.2.1 is already used at links[0].endpoints[0].addresses[0]",
        "its own address",
        id="duplicate-address",
    ),
    pytest.param(
        """\
        hosts: {a: {}, b: {}, c: {}}
        links:
          - endpoints: [{host: a, addresses: 192.0.2.1/24}, {host: b, addresses: 192.0.2.2/24}]
        bridges:
          br0:
            ports: [{host: b, addresses: 192.0.2.9/24}, {host: c, addresses: 192.0.2.10/24}]
        """,
        "bridges.br0.ports[0].addresses",
        "the subnet 192.0.2.0/24 of 192.0.2.9/24 overlaps 192.0.2.0/24 of links[0]",
        "a subnet of its own",
        id="same-subnet-two-segments",
    ),
    pytest.param(
        """\
        hosts: {a: {}, b: {}, c: {}}
        links:
          - endpoints: [{host: a, addresses: 192.0.2.1/24}, {host: b, addresses: 192.0.2.2/24}]
          - endpoints: [{host: b, addresses: 192.0.2.129/25}, {host: c, addresses: 192.0.2.130/25}]
        """,
        "links[1].endpoints[0].addresses",
        "192.0.2.128/25 of 192.0.2.129/25 overlaps 192.0.2.0/24 of links[0]",
        "a subnet of its own",
        id="overlapping-subnets",
    ),
    pytest.param(
        link(a="{host: a, addresses: 192.0.2.1/24}", b="{host: b, addresses: 192.0.2.2/25}"),
        "links[0].endpoints[1].addresses",
        "192.0.2.2/25 and 192.0.2.1/24 (at links[0].endpoints[0].addresses) are on the same link "
        "but their prefix lengths differ",
        "use /24 for both",
        id="prefix-mismatch",
    ),
    pytest.param(
        link(a="{host: a, addresses: 192.0.2.1/24}", b="{host: b, addresses: 198.51.100.1/24}"),
        "links[0].endpoints[0].addresses",
        "192.0.2.1/24 shares no subnet with the other end of links[0] (198.51.100.0/24)",
        "put it in 198.51.100.0/24",
        id="ends-on-different-subnets",
    ),
    pytest.param(
        """\
        hosts: {a: {}, b: {}, c: {}}
        bridges:
          lan0:
            ports:
              - {host: a, addresses: ['2001:db8:1::1/64']}
              - {host: b, addresses: ['2001:db8:1::2/64']}
              - {host: c, addresses: ['2001:db8:2::3/64']}
        """,
        "bridges.lan0.ports[2].addresses[0]",
        "2001:db8:2::3/64 shares no subnet with the other ports of bridge lan0 (2001:db8:1::/64)",
        "put it in 2001:db8:1::/64",
        id="port-on-its-own-subnet",
    ),
    # 8. interface names
    pytest.param(
        link(a="{host: a, ifname: this-is-way-too-long}"),
        "links[0].endpoints[0].ifname",
        "'this-is-way-too-long' is longer than 15 bytes",
        "eth0",
        id="ifname-too-long",
    ),
    pytest.param(
        link(a="{host: a, ifname: 'eth/0'}"),
        "links[0].endpoints[0].ifname",
        "contains '/'",
        "eth0",
        id="ifname-slash",
    ),
    pytest.param(
        link(a="{host: a, ifname: 'eth 0'}"),
        "links[0].endpoints[0].ifname",
        "contains blank space",
        "eth0",
        id="ifname-space",
    ),
    pytest.param(
        link(a="{host: a, ifname: 'eth:0'}"),
        "links[0].endpoints[0].ifname",
        "contains ':'",
        "eth0",
        id="ifname-colon",
    ),
    pytest.param(
        link(a="{host: a, ifname: ''}"),
        "links[0].endpoints[0].ifname",
        "cannot be empty",
        "eth0",
        id="ifname-empty",
    ),
    pytest.param(
        link(a="{host: a, ifname: lo}"),
        "links[0].endpoints[0].ifname",
        "'lo' is the loopback interface",
        "eth0",
        id="ifname-lo",
    ),
    pytest.param(
        link(a="{host: a, ifname: 'eth%d'}"),
        "links[0].endpoints[0].ifname",
        "contains '%'",
        "eth0",
        id="ifname-percent",
    ),
    pytest.param(
        "hosts: {a: {}, b: {}}\n"
        "bridges:\n  a-bridge-name-too-long: {ports: [{host: a}, {host: b}]}\n",
        "bridges.a-bridge-name-too-long",
        "longer than 15 bytes",
        "eth0",
        id="bridge-name-too-long",
    ),
    pytest.param(
        """\
        hosts: {a: {}, b: {}, c: {}}
        links:
          - endpoints: [{host: a, ifname: up}, {host: b}]
          - endpoints: [{host: c}, {host: a, ifname: up}]
        """,
        "links[1].endpoints[1].ifname",
        "host 'a' already has an interface up (at links[0].endpoints[0].ifname)",
        "leave ifname out",
        id="ifname-twice",
    ),
    # 9. documentation ranges and routes
    pytest.param(
        link(a="{host: a, addresses: [10.0.0.1/24]}"),
        "links[0].endpoints[0].addresses[0]",
        "10.0.0.1 is outside the documentation ranges",
        "192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32",
        id="address-out-of-range",
    ),
    pytest.param(
        link(a="{host: a, addresses: ['2001:db9::1/64']}"),
        "links[0].endpoints[0].addresses[0]",
        "2001:db9::1 is outside the documentation ranges",
        "2001:db8::/32",
        id="ipv6-out-of-range",
    ),
    pytest.param(
        link(a="{host: a, addresses: [192.0.2.1/16]}"),
        "links[0].endpoints[0].addresses[0]",
        "the subnet 192.0.0.0/16 of 192.0.2.1/16 reaches outside the documentation ranges",
        "/24 or longer",
        id="subnet-out-of-range",
    ),
    pytest.param(
        "hosts:\n  a: {routes: [{to: 10.0.0.0/8, via: 192.0.2.1}]}\n",
        "hosts.a.routes[0].to",
        "10.0.0.0/8 is outside the documentation ranges",
        "or 'default'",
        id="route-to-out-of-range",
    ),
    pytest.param(
        "hosts:\n  a: {routes: [{to: default, via: 10.0.0.1}]}\n",
        "hosts.a.routes[0].via",
        "10.0.0.1 is outside the documentation ranges",
        "192.0.2.0/24",
        id="via-out-of-range",
    ),
    pytest.param(
        "hosts:\n  a: {routes: [{to: 203.0.113.5/24, via: 192.0.2.1}]}\n",
        "hosts.a.routes[0].to",
        "203.0.113.5/24 has bits set after the prefix",
        "did you mean 203.0.113.0/24?",
        id="route-to-host-bits",
    ),
    pytest.param(
        "hosts:\n  a: {routes: [{to: 203.0.113.5, via: 192.0.2.1}]}\n",
        "hosts.a.routes[0].to",
        "203.0.113.5 has no prefix length",
        "203.0.113.0/24 for the subnet or 203.0.113.5/32 for one host",
        id="route-to-no-prefix",
    ),
    pytest.param(
        "hosts:\n  a: {routes: [{to: default, via: 192.0.2.1/24}]}\n",
        "hosts.a.routes[0].via",
        "a gateway is a single address",
        "write via: 192.0.2.1",
        id="via-with-prefix",
    ),
    pytest.param(
        "hosts:\n  a: {routes: [{to: '2001:db8:5::/64', via: 192.0.2.1}]}\n",
        "hosts.a.routes[0].to",
        "the destination 2001:db8:5::/64 is IPv6 but the gateway 192.0.2.1 is IPv4",
        "same family",
        id="route-families-differ",
    ),
    pytest.param(
        "hosts:\n  a: {routes: [{to: default}]}\n",
        "hosts.a.routes[0].via",
        "'via' is missing",
        "via: 192.0.2.254",
        id="route-without-via",
    ),
    pytest.param(
        link(
            a="{host: a, addresses: 192.0.2.1/24}",
            b="{host: b, addresses: 192.0.2.2/24}",
        ).replace("a: {}", "a: {routes: [{to: default, via: 198.51.100.1}]}"),
        "hosts.a.routes[0].via",
        "the gateway 198.51.100.1 is not on a subnet of host 'a' (192.0.2.0/24)",
        "a gateway must be directly connected",
        id="via-not-connected",
    ),
    pytest.param(
        link(
            a="{host: a, addresses: 192.0.2.1/24}",
            b="{host: b, addresses: 192.0.2.2/24}",
        ).replace("a: {}", "a: {routes: [{to: default, via: '2001:db8::1'}]}"),
        "hosts.a.routes[0].via",
        "host 'a' has no IPv6 address, so it cannot reach 2001:db8::1",
        "give one of its interfaces an IPv6 address",
        id="via-family-not-connected",
    ),
    pytest.param(
        link(
            a="{host: a, addresses: 192.0.2.1/24}",
            b="{host: b, addresses: 192.0.2.2/24}",
        ).replace("a: {}", "a: {routes: [{to: default, via: 192.0.2.1}]}"),
        "hosts.a.routes[0].via",
        "192.0.2.1 is an address of host 'a' itself",
        "address of a neighbour",
        id="via-own-address",
    ),
    pytest.param(
        link(
            a="{host: a, addresses: 192.0.2.1/24}",
            b="{host: b, addresses: 192.0.2.2/24}",
        ).replace(
            "a: {}",
            "a: {routes: [{to: default, via: 192.0.2.2}, {to: 0.0.0.0/0, via: 192.0.2.2}]}",
        ),
        "hosts.a.routes[1].to",
        "host 'a' has a route to 0.0.0.0/0 already (routes[0])",
        "one route per destination",
        id="route-twice",
    ),
    pytest.param(
        link(
            a="{host: a, addresses: 192.0.2.1/24}",
            b="{host: b, addresses: 192.0.2.2/24}",
        ).replace("a: {}", "a: {routes: [{to: 192.0.2.0/24, via: 192.0.2.2}]}"),
        "hosts.a.routes[0].to",
        "192.0.2.0/24 is directly connected to host 'a'",
        "remove this route",
        id="route-to-connected-subnet",
    ),
    pytest.param(
        link(
            a="{host: a, addresses: '2001:db8::1/64'}",
            b="{host: b, addresses: '2001:db8::2/64'}",
            extra="    mtu: 1000\n",
        ),
        "links[0].mtu",
        "IPv6 needs an MTU of at least 1280, not 1000",
        "mtu: 1280",
        id="ipv6-small-mtu",
    ),
    # 10. structure, names and sysctls
    pytest.param(
        "name: empty\n", "hosts", "the topology has no hosts", "hosts: {client: {}", id="no-hosts"
    ),
    pytest.param("hosts: {}\n", "hosts", "the topology has no hosts", "client", id="hosts-empty"),
    pytest.param("hosts:\n", "hosts", "the topology has no hosts", "client", id="hosts-null"),
    pytest.param(
        "hosts: {a: {}, b: {}, c: {}}\nlinks: [{endpoints: [{host: a}, {host: b}, {host: c}]}]\n",
        "links[0].endpoints",
        "a link joins exactly two endpoints, but this one has 3",
        "use a bridge",
        id="link-three-endpoints",
    ),
    pytest.param(
        "hosts: {a: {}}\nlinks: [{endpoints: [{host: a}]}]\n",
        "links[0].endpoints",
        "but this one has 1",
        "use a bridge",
        id="link-one-endpoint",
    ),
    pytest.param(
        "hosts: {a: {}}\nlinks: [{mtu: 1500}]\n",
        "links[0].endpoints",
        "'endpoints' is missing",
        "endpoints: [{host: client}, {host: server}]",
        id="link-without-endpoints",
    ),
    pytest.param(
        "hosts: {a: {}}\nbridges: {br0: {ports: [{host: a}]}}\n",
        "bridges.br0.ports",
        "a bridge needs at least two ports, but this one has 1",
        "join two hosts with a link",
        id="bridge-one-port",
    ),
    pytest.param(
        "hosts: {a: {}, b: {}}\nbridges: {br0: {ports: [{host: a}, {host: b}, {host: a}]}}\n",
        "bridges.br0.ports[2].host",
        "host 'a' is on bridge br0 twice (also at bridges.br0.ports[0])",
        "list each host once",
        id="bridge-host-twice",
    ),
    pytest.param(
        "hosts: {Client: {}}\n",
        "hosts.Client",
        "'Client' is not a valid host name",
        "lower-case letter followed by up to 30 lower-case letters, digits or '-'",
        id="host-name-upper-case",
    ),
    pytest.param(
        "hosts: {web_1: {}}\n",
        "hosts.web_1",
        "'web_1' is not a valid host name",
        "such as client or web-1",
        id="host-name-underscore",
    ),
    pytest.param(
        "hosts: {yes: {}}\n",
        "hosts[True]",
        "a host name must be a string, but this one is a boolean (True)",
        "YAML reads unquoted yes/no/on/off/true/false as booleans, so quote the name",
        id="host-name-yes",
    ),
    pytest.param(
        "hosts:\n  a: {}\n  b: {}\n  a: {router: true}\n",
        "line 4, column 3",
        "the key 'a' appears twice in one mapping (first on line 2)",
        "YAML would silently keep only the last one",
        id="duplicate-host",
    ),
    pytest.param(
        "hosts: {a: {}}\nhosts: {b: {}}\n",
        "line 2, column 1",
        "the key 'hosts' appears twice",
        "remove or rename one of them",
        id="duplicate-top-level-key",
    ),
    pytest.param(
        "name: Big Lab\nhosts: {a: {}}\n",
        "name",
        "'Big Lab' is not a valid topology name",
        "up to 31 lower-case letters, digits or '-'",
        id="topology-name",
    ),
    pytest.param(
        "hosts:\n  a: {sysctls: {kernel.panic: 1}}\n",
        "hosts.a.sysctls['kernel.panic']",
        "'kernel.panic' is not under net., and only net.* sysctls belong to a network namespace",
        "use a net.* sysctl",
        id="sysctl-not-per-namespace",
    ),
    pytest.param(
        "hosts:\n  a: {sysctls: {/proc/sys/net/ipv4/tcp_ecn: 1}}\n",
        "hosts.a.sysctls['/proc/sys/net/ipv4/tcp_ecn']",
        "is written as a path",
        "write it with dots: net.ipv4.tcp_ecn",
        id="sysctl-path",
    ),
    pytest.param(
        "hosts:\n  a: {sysctls: {'net..tcp ecn': 1}}\n",
        "hosts.a.sysctls['net..tcp ecn']",
        "'net..tcp ecn' is not a sysctl name",
        "net.ipv4.tcp_ecn",
        id="sysctl-malformed",
    ),
    pytest.param(
        "hosts:\n  a: {sysctls: {net.ipv4.conf.eth0.rp_filter: 1}}\n",
        "hosts.a.sysctls['net.ipv4.conf.eth0.rp_filter']",
        "host 'a' has no interface eth0",
        "name one of its interfaces (all, default, lo)",
        id="sysctl-unknown-interface",
    ),
    pytest.param(
        "hosts:\n  a: {sysctls: {net.ipv4.tcp_ecn: ''}}\n",
        "hosts.a.sysctls['net.ipv4.tcp_ecn']",
        "'' is empty or spans several lines",
        "write a number",
        id="sysctl-empty-value",
    ),
    # 11. empty or not a mapping
    pytest.param(
        "",
        "",
        "the topology is empty",
        "start from a shipped topology such as two-hosts",
        id="empty",
    ),
    pytest.param(
        "# only a comment\n",
        "",
        "the topology is empty",
        "shipped topology such as two-hosts",
        id="only-comments",
    ),
    pytest.param(
        "- a\n- b\n",
        "",
        "the top level is a list (['a', 'b']), but a topology is a mapping",
        "shipped topology such as two-hosts",
        id="top-level-list",
    ),
    pytest.param("just text\n", "", "the top level is a string", "two-hosts", id="top-level-text"),
]


@pytest.mark.parametrize(("text", "path", "problem", "fix"), CASES)
def test_bad_yaml_gets_one_precise_error(text: str, path: str, problem: str, fix: str) -> None:
    assert_error(raises(text), path, problem, fix)


def test_only_the_first_error_in_file_order_is_reported() -> None:
    text = """\
        hosts: {a: {}, b: {}}
        links:
          - endpoints: [{host: a, addresses: [10.0.0.1/24]}, {host: b}]
          - endpoints: [{host: a, adresses: []}, {host: b}]
        """
    assert_error(raises(text), "links[0].endpoints[0].addresses[0]", "outside", "ranges")


def test_field_errors_come_before_cross_checks() -> None:
    # The unknown host comes first in the file, but a malformed field is found first.
    text = """\
        hosts: {a: {}, b: {}}
        links:
          - endpoints: [{host: a}, {host: nobody}]
          - endpoints: [{host: a}, {host: b}]
            mtu: huge
        """
    assert_error(raises(text), "links[1].mtu", "whole number", "mtu: 1500")


def test_default_name_from_an_unusable_file_stem() -> None:
    error = raises("hosts: {a: {}}\n", source="My Lab.yaml")
    assert error.path == "name"
    assert "'My Lab' (from My Lab.yaml) is not a valid one" in error.problem
    assert "add name: my-lab" in error.fix


def test_from_dict_reports_the_python_source() -> None:
    with pytest.raises(TopologyError) as caught:
        from_dict({"hosts": {"a": {"routes": [{"to": "default", "via": 3}]}}})
    error = caught.value
    assert (error.source, error.path) == ("<python>", "hosts.a.routes[0].via")
    assert "must be an address, but it is a whole number (3)" in error.problem
    assert str(error).startswith("<python>: hosts.a.routes[0].via: ")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (None, "the topology is empty"),
        ([], "the top level is a list ([])"),
        ("hosts: {}", "the top level is a string"),
        ({"hosts": {"a": {}}, "links": ({"endpoints": ({"host": "a"},)},)}, "has 1"),
    ],
)
def test_from_dict_checks_like_a_file(data: object, problem: str) -> None:
    with pytest.raises(TopologyError, match=r"^<python>: .*; ") as caught:
        from_dict(data)
    assert problem in caught.value.problem


# --- files that cannot be loaded ---------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    with pytest.raises(TopologyError) as caught:
        load(path)
    assert caught.value.source == str(path)
    assert caught.value.problem == "there is no such file"
    assert "give the name of a topology: " in caught.value.fix
    assert "two-hosts" in caught.value.fix


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(TopologyError, match="this is a directory, not a file"):
        load(tmp_path / "dir.yaml")


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # chmod cannot lock root out, so the refusal is simulated where the file is read.
    path = tmp_path / "locked.yaml"
    path.write_text("hosts: {a: {}}\n")

    def refuse(self: Path) -> bytes:
        """Fail as reading a file without read permission does."""
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(TopologyError) as caught:
        load(path)
    assert caught.value.problem == "this file cannot be read: permission denied"
    assert "chmod a+r" in caught.value.fix


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes(b"description: caf\xe9\nhosts: {a: {}}\n")
    with pytest.raises(TopologyError) as caught:
        load(path)
    assert (caught.value.path, caught.value.problem) == ("byte 16", "the file is not UTF-8 text")


def test_file_errors_name_the_file_as_given(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("hosts: {a: {adresses: []}}\n")
    with pytest.raises(TopologyError) as caught:
        load(str(path))
    assert (caught.value.source, caught.value.path) == (str(path), "hosts.a.adresses")


def test_unknown_name_lists_what_there_is(tmp_path: Path) -> None:
    with pytest.raises(TopologyError) as caught:
        load("route", search_path=[tmp_path, REPO / "topologies"])
    error = caught.value
    assert error.source == "route"
    assert error.problem.startswith("there is no topology called 'route' (looked in ")
    assert str(tmp_path) in error.problem
    assert error.fix.startswith("did you mean 'routed'? available: ")
    assert "dual-stack, lan, routed, two-hosts" in error.fix


def test_unknown_name_with_nothing_available(tmp_path: Path) -> None:
    with pytest.raises(TopologyError, match=r"available: none; or give the path of a \.yaml file"):
        load("anything", search_path=[tmp_path / "missing"])
