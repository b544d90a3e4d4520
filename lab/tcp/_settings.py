"""The TCP settings under which verdicts were observed, as read in the lab hosts.

Stepping changes no TCP setting, but lab hosts are new network namespaces,
and a new namespace starts from what this kernel gives it: for some settings
the machine's own choice (the congestion control, bbr on many machines), for
most the kernel's per-namespace default, whatever the machine has set for
itself. A topology may set sysctls per host, and a scenario may declare the
ones it needs (in both hosts, for that scenario only). `TcpSettings` holds the
values read in the client's and the server's namespaces before any scenario
ran, the machine's own value beside them, and who set what; the report shows
it once in its header and the JSON under ``tcp_settings``. Pure: the values
are read by `lab.stepping`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

__all__ = ["TCP_SETTINGS", "TcpSetting", "TcpSettings"]

TCP_SETTINGS: Final[Mapping[str, str]] = {
    "net.ipv4.tcp_congestion_control": "the congestion control",
    "net.ipv4.tcp_ecn": "ECN negotiation (ECE and CWR on SYN and SYN+ACK)",
    "net.ipv4.tcp_sack": "the SACK-permitted option on SYN and SYN+ACK",
    "net.ipv4.tcp_dsack": "duplicate SACKs",
    "net.ipv4.tcp_timestamps": "the timestamp option",
    "net.ipv4.tcp_window_scaling": "the window-scale option on SYN and SYN+ACK",
    "net.ipv4.tcp_syn_retries": "SYN retransmissions before connect() fails",
    "net.ipv4.tcp_syn_linear_timeouts": "SYN retransmissions a second apart before backing off",
    "net.ipv4.tcp_synack_retries": "SYN+ACK retransmissions before a request is dropped",
    "net.ipv4.tcp_syncookies": "SYN cookies when the listen queue overflows",
    "net.ipv4.tcp_fastopen": "TCP Fast Open (data on the SYN)",
    "net.ipv4.tcp_fin_timeout": "how long an orphaned connection stays in FIN-WAIT-2",
    "net.ipv4.tcp_rfc1337": "whether TIME-WAIT is ended by an RST",
    "net.ipv4.tcp_tw_reuse": "reuse of TIME-WAIT ports for new outgoing connections",
    "net.ipv4.tcp_early_retrans": "tail loss probes",
    "net.ipv4.tcp_rto_min_us": "the minimum retransmission timeout",
    "net.ipv4.tcp_autocorking": "small writes coalesced into one segment",
    "net.ipv4.tcp_stdurg": "where the urgent pointer points (BSD or RFC 1122)",
    "net.ipv4.tcp_slow_start_after_idle": "slow start after an idle period",
}
"""The sysctls that shape what a scenario shows, and what each decides."""

INHERITED: Final = "inherited"
TOPOLOGY: Final = "topology"


@dataclass(frozen=True)
class TcpSetting:
    """One sysctl in the lab hosts: its value in each role's host, and who set it."""

    name: str
    """``net.ipv4.tcp_ecn``."""
    values: Mapping[str, str]
    """Role (``client``, ``server``) -> the value read in that host before any scenario ran."""
    machine: str | None = None
    """The value in the machine's own namespace; None when it could not be read."""
    set_by_topology: tuple[str, ...] = ()
    """The roles whose host the topology sets it in (``sysctls:`` of the host)."""
    scenarios: Mapping[str, str] = field(default_factory=dict)
    """Scenario -> the value it sets in both hosts for its own runs (its ``sysctls:``)."""

    @property
    def short(self) -> str:
        """``ecn`` for ``net.ipv4.tcp_ecn``: how the report's header names it."""
        return self.name.removeprefix("net.ipv4.").removeprefix("tcp_")

    @property
    def source(self) -> str:
        """``topology`` when the topology sets it in a host, else ``inherited``.

        Inherited: as this kernel starts a new namespace. A scenario that sets
        it changes it for its own runs only (`scenarios`).
        """
        return TOPOLOGY if self.set_by_topology else INHERITED

    @property
    def value(self) -> str:
        """``2``, or ``client 2/server 1`` when the hosts differ."""
        if len(set(self.values.values())) == 1:
            return next(iter(self.values.values()))
        return "/".join(f"{role} {v}" for role, v in self.values.items())

    def shown(self) -> str:
        """``ecn=2``, or ``ecn=client 2/server 1`` when the hosts differ."""
        return f"{self.short}={self.value}"


@dataclass(frozen=True)
class TcpSettings:
    """Every setting of `TCP_SETTINGS` (and any other the topology or a scenario sets)."""

    settings: tuple[TcpSetting, ...]

    def lines(self) -> list[str]:
        """The report header's lines: inherited values, then who set what, then the machine's."""
        inherited = [s for s in self.settings if s.source == INHERITED]
        lines = [
            "TCP settings in the lab hosts, inherited (as this kernel starts a new namespace): "
            + (" ".join(s.shown() for s in inherited) or "none read")
        ]
        by_topology = [
            f"{s.shown()} (in {', '.join(s.set_by_topology)})"
            for s in self.settings
            if s.source == TOPOLOGY
        ]
        if by_topology:
            lines.append("set by the topology: " + " ".join(by_topology))
        by_scenario = [
            f"{s.short}={value} ({scenario})"
            for s in self.settings
            for scenario, value in s.scenarios.items()
        ]
        if by_scenario:
            lines.append("set by a scenario, for its own runs: " + " ".join(by_scenario))
        differ = [
            f"{s.short}={s.machine}"
            for s in inherited
            if s.machine is not None and set(s.values.values()) != {s.machine}
        ]
        if differ:
            lines.append(
                "the machine's own values differ (a new namespace does not take them): "
                + " ".join(differ)
            )
        return lines

    def to_json(self) -> dict[str, dict[str, object]]:
        """Name -> the value in each role's host, the machine's, the source, the scenarios'."""
        return {
            s.name: {
                **s.values,
                "machine": s.machine,
                "source": s.source,
                "set_by_topology": list(s.set_by_topology),
                "scenarios": dict(s.scenarios),
            }
            for s in self.settings
        }
