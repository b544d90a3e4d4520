"""Per-namespace TCP counters (/proc/net/snmp and /proc/net/netstat), read without a subprocess.

/proc/net/* resolves the network namespace of the *opening* thread, so the
files are opened once inside the namespace and re-read with pread() (a
seq_file renders fresh values on every read from offset 0).

The stepper uses them for two things:

* settling: every segment TCP transmits is counted in Tcp OutSegs (new data,
  SYN, SYN+ACK, pure ACKs, RSTs) or RetransSegs (retransmissions) *before* it
  enters the IP layer, except RSTs and ACKs sent for unknown connections or
  by time-wait sockets, which are counted just *after* ip_send_unicast_reply().
  One path counts twice: a passive opener's SYN+ACK is built by
  tcp_make_synack(), which counts OutSegs every time, and a retransmission of
  it (tcp_rtx_synack()) adds RetransSegs as well (`SentTally` knows). When
  what the stepper took from a host's egress queue, counted the same way,
  equals OutSegs + RetransSegs, nothing is on its way: no sleep needed;
* timer forensics: DelayedACKs, TCPLossProbes, TCPTimeouts, TCPSynRetrans
  count timer-driven transmissions, which a stepped run must not have.

The counters cover the whole namespace: TCP between a lab host and a third
host is counted too, though the stepper holds only client-server traffic.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from lab.kernel._netns import NetNamespace
from lab.tcp._names import TcpFlag

TIMER_COUNTERS = ("DelayedACKs", "TCPLossProbes", "TCPTimeouts", "TCPSynRetrans")
"""TcpExt counters of transmissions a timer made; all stay 0 in a stepped run."""


class TcpCounters:
    """The Tcp and TcpExt counters of one namespace."""

    def __init__(self, netns: NetNamespace) -> None:
        with netns.entered():
            self._snmp = os.open("/proc/thread-self/net/snmp", os.O_RDONLY | os.O_CLOEXEC)
            try:
                self._netstat = os.open("/proc/thread-self/net/netstat", os.O_RDONLY | os.O_CLOEXEC)
            except BaseException:
                os.close(self._snmp)
                raise

    def close(self) -> None:
        for fd in (self._snmp, self._netstat):
            if fd >= 0:
                os.close(fd)
        self._snmp = self._netstat = -1

    @staticmethod
    def _read_table(fd: int, prefix: str) -> dict[str, int]:
        # Each table is two lines: "Tcp: Name Name ...", then "Tcp: 1 2 ...".
        text = os.pread(fd, 1 << 16, 0).decode()
        names, values = (line.split()[1:] for line in text.splitlines() if line.startswith(prefix))
        return {name: int(value) for name, value in zip(names, values, strict=True)}

    def segments_sent(self) -> int:
        """OutSegs + RetransSegs: every TCP segment this namespace has transmitted."""
        tcp = self._read_table(self._snmp, "Tcp:")
        return tcp["OutSegs"] + tcp["RetransSegs"]

    def timers(self) -> dict[str, int]:
        """The TIMER_COUNTERS, by name."""
        ext = self._read_table(self._netstat, "TcpExt:")
        return {name: ext.get(name, 0) for name in TIMER_COUNTERS}


@dataclass
class SentTally:
    """The segments taken from one host's egress queue, counted as OutSegs + RetransSegs count."""

    counted: int = 0
    sent_bare_syn: bool = False
    """Whether this host opened actively (its SYN+ACKs then come from the full socket)."""
    syn_ack_seqs: set[int] = field(default_factory=set)

    def add(self, flags: TcpFlag, seq: int) -> None:
        """Count one segment taken from the queue."""
        syn_ack = TcpFlag.SYN | TcpFlag.ACK
        if TcpFlag.SYN in flags and TcpFlag.ACK not in flags:
            self.sent_bare_syn = True
        weight = 1
        if flags & syn_ack == syn_ack and not self.sent_bare_syn:
            weight = 2 if seq in self.syn_ack_seqs else 1  # tcp_rtx_synack: OutSegs + RetransSegs
            self.syn_ack_seqs.add(seq)
        self.counted += weight
