"""Addresses a lab may use: the documentation ranges, and reading addresses into them.

Every address in a topology comes from the ranges reserved for documentation
(RFC 5737 for IPv4, RFC 3849 for IPv6). Traffic to them never means anything on
a real network, so a lab can neither clash with the machine's own networks nor
leak to them by mistake. The readers here turn text into `ipaddress` objects and
say precisely what is wrong with text that does not fit.
"""

from __future__ import annotations

import re
from ipaddress import (
    IPv4Address,
    IPv4Network,
    IPv6Address,
    IPv6Network,
    ip_address,
    ip_interface,
    ip_network,
)
from typing import Final

from lab._addresses import IP
from lab._reader import At, text
from lab.topology._model import Address, Network

DOCUMENTATION_RANGES: Final[tuple[Network, ...]] = (
    IPv4Network("192.0.2.0/24"),
    IPv4Network("198.51.100.0/24"),
    IPv4Network("203.0.113.0/24"),
    IPv6Network("2001:db8::/32"),
)

_ALLOWED: Final = "192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and 2001:db8::/32"
_PICK: Final = f"use the documentation ranges {_ALLOWED} (RFC 5737, RFC 3849)"
_PREFIX: Final = re.compile(r"[0-9]{1,3}")
_MAX_PREFIX: Final = {4: 32, 6: 128}
_TYPICAL_PREFIX: Final = {4: 24, 6: 64}
DEFAULT_NAME: Final = "default"


def in_ranges(network: Network) -> bool:
    """Whether all of `network` lies inside one documentation range."""
    return any(
        network.version == r.version
        and int(r.network_address) <= int(network.network_address)
        and int(network.broadcast_address) <= int(r.broadcast_address)
        for r in DOCUMENTATION_RANGES
    )


def interface_address(value: object, at: At) -> Address:
    """Read an interface address with its prefix length, such as ``192.0.2.1/24``."""
    written = text(value, at, "an address with a prefix length", "write e.g. 192.0.2.1/24")
    ip, prefixlen = _split(written, at)
    if prefixlen is None:
        typical = _TYPICAL_PREFIX[ip.version]
        raise at.error(
            f"{written} has no prefix length, so the subnet of the interface is unknown",
            f"add one, e.g. {written}/{typical}",
        )
    address = ip_interface(f"{ip}/{prefixlen}")
    if not in_ranges(ip_network(ip)):
        raise at.error(f"{ip} is outside the documentation ranges", _PICK)
    if not in_ranges(address.network):
        low = 24 if ip.version == 4 else 32
        raise at.error(
            f"the subnet {address.network} of {written} reaches outside the documentation ranges",
            f"use a prefix length of /{low} or longer",
        )
    _check_host_part(address, written, at)
    return address


def destination(value: object, at: At) -> Network | None:
    """Read a route destination: a subnet, or ``default`` (None: family of the gateway)."""
    written = text(value, at, "a subnet or 'default'", "write e.g. to: 203.0.113.0/24")
    if written == DEFAULT_NAME:
        return None
    ip, prefixlen = _split(written, at)
    if prefixlen is None:
        subnet = ip_network(f"{ip}/{_TYPICAL_PREFIX[ip.version]}", strict=False)
        raise at.error(
            f"{written} has no prefix length, so it does not say which subnet the route is for",
            f"write {subnet} for the subnet or {ip}/{_MAX_PREFIX[ip.version]} for one host",
        )
    network = ip_network(f"{ip}/{prefixlen}", strict=False)
    if network.network_address != ip:
        raise at.error(
            f"{written} has bits set after the prefix, so it is not a subnet",
            f"did you mean {network}?",
        )
    if network.prefixlen == 0:
        return network  # 0.0.0.0/0 or ::/0: a default route written out
    if not in_ranges(network):
        raise at.error(f"{network} is outside the documentation ranges", f"{_PICK}, or 'default'")
    return network


def gateway(value: object, at: At) -> IP:
    """Read the address of a gateway (`via`), written without a prefix length."""
    written = text(value, at, "an address", "write e.g. via: 192.0.2.254")
    if "/" in written:
        raise at.error(
            f"{written} has a prefix length, but a gateway is a single address",
            f"write via: {written.partition('/')[0]}",
        )
    ip = _address(written, written, at)
    if not in_ranges(ip_network(ip)):
        raise at.error(f"{ip} is outside the documentation ranges", _PICK)
    return ip


def _split(written: str, at: At) -> tuple[IP, int | None]:
    """Split ``address/prefix`` into a parsed address and a checked prefix length, if any."""
    address_text, slash, prefix_text = written.partition("/")
    ip = _address(address_text, written, at)
    if not slash:
        return ip, None
    most = _MAX_PREFIX[ip.version]
    if not _PREFIX.fullmatch(prefix_text) or int(prefix_text) > most:
        raise at.error(
            f"the prefix length /{prefix_text} in {written} is not a number from 0 to {most}",
            f"write e.g. {address_text}/{_TYPICAL_PREFIX[ip.version]}",
        )
    return ip, int(prefix_text)


def _address(address_text: str, written: str, at: At) -> IP:
    """Parse one address, with the parser's own reason when it is malformed."""
    if "%" in address_text:
        raise at.error(
            f"{written} has a zone index (%...), which lab addresses never need",
            "remove the % and what follows it",
        )
    try:
        return ip_address(address_text)
    except ValueError:
        pass
    # Ask the parser of the family the text looks like, for its precise complaint.
    parser = IPv6Address if ":" in address_text else IPv4Address
    try:
        parser(address_text)
    except ValueError as error:
        reason = str(error)
    else:  # pragma: no cover - ip_address accepted nothing that a family parser accepts
        reason = "unrecognised"
    raise at.error(
        f"{written!r} is not a valid address ({reason})",
        "write an IPv4 address such as 192.0.2.1 or an IPv6 address such as 2001:db8::1",
    )


def _check_host_part(address: Address, written: str, at: At) -> None:
    """Refuse a subnet's own address (and IPv4 broadcast) as an interface address."""
    network = address.network
    # /31 and /32 (/127, /128) have no separate subnet or broadcast address.
    if network.num_addresses <= 2:
        return
    first_host = f"{network.network_address + 1}/{network.prefixlen}"
    if address.ip == network.network_address:
        raise at.error(
            f"{written} is the address of the subnet {network} itself, not of a host in it",
            f"use a host address such as {first_host}",
        )
    if address.version == 4 and address.ip == network.broadcast_address:
        raise at.error(
            f"{written} is the broadcast address of {network}, not a host address",
            f"use a host address such as {first_host}",
        )
