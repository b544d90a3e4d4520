"""IP addresses, socket addresses and address families: the network types every layer shares.

    Family.parse("ipv6").af          # socket.AF_INET6
    Family.IPV4.version              # 4, as Host.address(4) takes it
    show_address((ip_address("2001:db8::1"), 80))   # "[2001:db8::1]:80"

Pure: no kernel access.
"""

from __future__ import annotations

import enum
import socket
from ipaddress import IPv4Address, IPv6Address
from typing import TypeAlias

from lab._errors import UnknownNameError, did_you_mean

__all__ = ["IP", "Family", "SocketAddress", "show_address", "unmapped"]

IP: TypeAlias = IPv4Address | IPv6Address
"""An IPv4 or IPv6 address."""

SocketAddress: TypeAlias = tuple[IP, int]
"""An address and a port: one end of a TCP connection."""


class Family(enum.StrEnum):
    """An address family, named as reports and the JSON name it (``IPv4``, ``IPv6``)."""

    IPV4 = "IPv4"
    IPV6 = "IPv6"

    @property
    def version(self) -> int:
        """4 or 6, as `ipaddress` and `Host.address` count."""
        return 4 if self is Family.IPV4 else 6

    @property
    def af(self) -> socket.AddressFamily:
        """``socket.AF_INET`` or ``socket.AF_INET6``."""
        return socket.AF_INET if self is Family.IPV4 else socket.AF_INET6

    @classmethod
    def parse(cls, value: Family | str | int) -> Family:
        """A family from ``IPv4``/``ipv6`` (any case), 4/6, or ``socket.AF_INET``/``AF_INET6``."""
        if isinstance(value, Family):
            return value
        found = _FAMILIES.get(value.lower() if isinstance(value, str) else value)
        if found is None:
            hint = did_you_mean(
                str(value).lower(), [str(k) for k in _FAMILIES if isinstance(k, str)]
            )
            raise UnknownNameError(f"{value!r} is not an address family", f"{hint}use IPv4 or IPv6")
        return found

    @classmethod
    def of(cls, ip: IP) -> Family:
        """The family of an address."""
        return Family.IPV4 if ip.version == 4 else Family.IPV6


_FAMILIES: dict[str | int, Family] = {
    "ipv4": Family.IPV4,
    "ipv6": Family.IPV6,
    4: Family.IPV4,
    6: Family.IPV6,
    socket.AF_INET: Family.IPV4,
    socket.AF_INET6: Family.IPV6,
}


def unmapped(ip: IP) -> IP:
    """``::ffff:192.0.2.1`` as ``192.0.2.1``; any other address as it is.

    An IPv6 socket that talks to an IPv4 peer shows v4-mapped addresses, while
    the same connection's request socket shows plain IPv4 ones.
    """
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def show_address(address: SocketAddress) -> str:
    """``192.0.2.1:80`` or ``[2001:db8::1]:80``."""
    ip, port = address
    return f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"
