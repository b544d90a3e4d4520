"""Plain mode: watch a scenario without holding segments, and say what could not be seen.

Without stepping nothing stops the kernel, so a whole exchange (SYN, SYN+ACK,
ACK) happens between two looks at the sockets: the segments are all in the
capture, but the transient states the documentation names (SYN-SENT,
FIN-WAIT-1, LAST-ACK...) are mostly gone by the time anybody asks. The
observer records the segments from the capture and the states only after
each application action, once the network is quiet; the judge then reports
every documented state it could not see. `lab check --no-stepping` uses it.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

from lab.kernel._capture import Capture, Frame
from lab.kernel._diag import SockDiag, connection_socket
from lab.kernel._lab import Lab
from lab.kernel._stepper import Connection, Segment
from lab.tcp._names import TcpState
from lab.tcp._observed import ObservedSegment, StateSnapshot

QUIET = 0.15
"""Seconds without a new frame that count as quiet (delayed ACKs take up to ~40 ms)."""
QUIET_LIMIT = 3.0
_ETHERNET_HEADER = 14


class Observer:
    """Capture and socket states of a client and a server, without holding anything."""

    def __init__(self, lab: Lab, *, client: str, server: str, port: int, pcap: Path | None) -> None:
        self.roles = (client, server)
        self.port = port
        self._lab = lab
        self._pcap = pcap
        self._stack = ExitStack()
        ifname = lab.topology.endpoints(client)[0].ifname
        self._capture = Capture(lab[client].netns, ifname, label=client)
        self._stack.callback(self._capture.close)
        self._diag = {}
        for role in self.roles:
            diag = SockDiag(lab[role].netns, label=role)
            self._stack.callback(diag.close)
            self._diag[role] = diag
        self._addresses = {str(a.ip): role for role in self.roles for a in lab[role].addresses}
        self._connection: Connection | None = None
        self._seen: set[str] = set()
        self._skip = 0

    def __enter__(self) -> Observer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pcap is not None:
            self._capture.write(self._pcap)
        self._stack.close()

    @property
    def pcap_path(self) -> Path | None:
        return self._pcap

    def quiet(self) -> None:
        """Return once no frame has arrived for QUIET seconds (at most QUIET_LIMIT)."""
        deadline = time.monotonic() + QUIET_LIMIT
        count, since = len(self._tcp_frames()), time.monotonic()
        while time.monotonic() - since < QUIET and time.monotonic() < deadline:
            time.sleep(0.01)
            now = len(self._tcp_frames())
            if now != count:
                count, since = now, time.monotonic()

    def forget_so_far(self) -> None:
        """Leave the segments captured until now (the setup) out of `segments`."""
        self._skip = len(self._tcp_segments())

    def _tcp_frames(self) -> list[Frame]:
        # One interface, so each segment appears once: sent by the client, or received from
        # the server. ARP, neighbour discovery and MLD do not count.
        return [f for f in self._capture.frames() if f.is_tcp]

    def _tcp_segments(self) -> list[Segment]:
        return [Segment.parse(f.data[_ETHERNET_HEADER:]) for f in self._tcp_frames()]

    def segments(self) -> list[ObservedSegment]:
        """The segments since `forget_so_far`, with no states: nothing was held to look."""
        observed = []
        for n, segment in enumerate(self._tcp_segments()[self._skip :], start=1):
            sender = self._addresses.get(str(segment.src[0]), self.roles[0])
            receiver = self.roles[1] if sender == self.roles[0] else self.roles[0]
            self._learn(sender, segment)
            observed.append(
                ObservedSegment(
                    n, sender, receiver, segment.flags, segment.seq, segment.ack, segment.length
                )
            )
        return observed

    def states(self) -> dict[str, StateSnapshot]:
        """Both roles' state of the connection now."""
        if self._connection is None:
            for segment in self._tcp_segments()[:1]:
                self._learn(self._addresses.get(str(segment.src[0]), self.roles[0]), segment)
        return {role: self._state(role) for role in self.roles}

    def _learn(self, sender: str, segment: Segment) -> None:
        if self._connection is None:
            client_sent = sender == self.roles[0]
            self._connection = Connection(
                client=segment.src if client_sent else segment.dst,
                server=segment.dst if client_sent else segment.src,
            )

    def _state(self, role: str) -> StateSnapshot:
        client_side = role == self.roles[0]
        found = connection_socket(
            self._diag[role].tcp_sockets(),
            self._connection.endpoints(client_side) if self._connection else None,
            listening_port=None if client_side or role in self._seen else self.port,
        )
        if found is None:
            return StateSnapshot(TcpState.CLOSED)
        if found.state is not TcpState.LISTEN:
            self._seen.add(role)
        return found.snapshot()

    def ss(self, role: str) -> str:
        return self._lab[role].ss("-tanoi")
