"""Names in a topology: of the topology, hosts, interfaces and sysctls, and sysctl values.

Each name ends up somewhere with rules of its own: host and topology names in
namespace and file names under /run, interface names in the kernel (at most 15
bytes, no '/', ':' or blanks), sysctl names under /proc/sys/net. Checking them
here turns a late kernel error into an early message that says what to write.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from lab._reader import BOOLEAN_HINT, At, Reader, describe_value, mapping_of, text

_SIMPLE_NAME: Final = re.compile(r"[a-z][a-z0-9-]{0,30}")
_TOPOLOGY_NAME: Final = re.compile(r"[a-z0-9][a-z0-9-]{0,30}")
_SYSCTL_NAME: Final = re.compile(r"[a-z0-9_-]+(\.[A-Za-z0-9_-]+)+")
_IFNAMSIZ: Final = 16  # the kernel's buffer, including the final NUL byte

_HOST_RULE: Final = (
    "host names become namespace names, so use a lower-case letter followed by up to "
    "30 lower-case letters, digits or '-', such as client or web-1"
)
_TOPOLOGY_RULE: Final = (
    "topology names become lab names, so use up to 31 lower-case letters, digits or '-', "
    "starting with a letter or digit"
)
_IFNAME_FIX: Final = "use a short name such as eth0 or uplink"

# Why the kernel (or the lab) refuses an interface name; first match wins.
_IFNAME_RULES: Final[tuple[tuple[Callable[[str], bool], str], ...]] = (
    (lambda n: n == "", "an interface name cannot be empty"),
    (
        lambda n: len(n.encode()) >= _IFNAMSIZ,
        "{name!r} is longer than 15 bytes, the most Linux allows for an interface name",
    ),
    (lambda n: "/" in n, "{name!r} contains '/', which Linux refuses in interface names"),
    (lambda n: ":" in n, "{name!r} contains ':', which Linux refuses in interface names"),
    (
        lambda n: any(c.isspace() for c in n),
        "{name!r} contains blank space, which Linux refuses in interface names",
    ),
    (
        lambda n: "%" in n,
        "{name!r} contains '%', which Linux would replace with a number of its choice",
    ),
    (lambda n: n in {".", ".."}, "{name!r} is not allowed as an interface name"),
    (lambda n: n == "lo", "'lo' is the loopback interface that every namespace already has"),
)


def topology_name(value: object, at: At) -> str:
    """Read the name of a topology, which is also the default name of its lab."""
    name = text(value, at, "a name", "write e.g. name: routed")
    if not _TOPOLOGY_NAME.fullmatch(name):
        raise at.error(f"{name!r} is not a valid topology name", _TOPOLOGY_RULE)
    return name


def default_topology_name(stem: str, at: At) -> str:
    """The name a topology gets from its file's stem when it has no ``name:``."""
    if _TOPOLOGY_NAME.fullmatch(stem):
        return stem
    better = re.sub(r"[^a-z0-9-]+", "-", stem.lower()).strip("-")[:31] or "my-topology"
    raise at.error(
        f"the topology has no name, and {stem!r} (from {at.source}) is not a valid one",
        f"add name: {better} at the top; {_TOPOLOGY_RULE}",
    )


def host_name(value: object, at: At) -> str:
    """Read the name of a host where it is declared (a key under ``hosts:``)."""
    if not isinstance(value, str):
        hint = f"{BOOLEAN_HINT}; " if isinstance(value, bool) else ""
        raise at.error(
            f"a host name must be a string, but this one is {describe_value(value)}",
            hint + _HOST_RULE,
        )
    if not _SIMPLE_NAME.fullmatch(value):
        raise at.error(f"{value!r} is not a valid host name", _HOST_RULE)
    return value


def host_reference(value: object, at: At) -> str:
    """Read the name of a host used by a link or a bridge port (checked against hosts later)."""
    return text(value, at, "the name of a host", "write e.g. host: client")


def interface_name(value: object, at: At) -> str:
    """Read an interface or bridge name and check it the way the kernel will."""
    name = text(value, at, "an interface name", _IFNAME_FIX)
    for refuses, problem in _IFNAME_RULES:
        if refuses(name):
            raise at.error(problem.format(name=name), _IFNAME_FIX)
    return name


def sysctl_name(value: object, at: At) -> str:
    """Read a sysctl name, dotted as in ``sysctl -w``, which must be under ``net.``."""
    name = text(value, at, "a sysctl name", "write e.g. net.ipv4.tcp_ecn: 1")
    if "/" in name:
        dotted = name.removeprefix("/proc/sys/").strip("/").replace("/", ".")
        raise at.error(f"{name!r} is written as a path", f"write it with dots: {dotted}")
    if not _SYSCTL_NAME.fullmatch(name):
        raise at.error(
            f"{name!r} is not a sysctl name",
            "write the dotted name as sysctl -a shows it, e.g. net.ipv4.tcp_ecn",
        )
    if not name.startswith("net."):
        raise at.error(
            f"{name!r} is not under net., and only net.* sysctls belong to a network "
            "namespace: setting it would change the machine running the lab",
            "set it on the machine yourself if you need it, or use a net.* sysctl",
        )
    return name


def sysctl_value(value: object, at: At) -> str:
    """Read a sysctl value: a number, a boolean (written 1 or 0) or a string."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    fix = "write a number, true/false, or a string such as '4096 131072 6291456'"
    written = text(value, at, "a number, a boolean or a string", fix)
    if not written.strip() or "\n" in written:
        raise at.error(f"{written!r} is empty or spans several lines", fix)
    return written


def sysctl_table(example: str) -> Reader[tuple[tuple[str, str], ...]]:
    """A reader of ``sysctls:`` mappings (name to value), whose fix shows `example`."""
    return mapping_of(sysctl_name, sysctl_value, "a mapping of sysctl name to value", example)
