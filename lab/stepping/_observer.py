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

from lab.kernel._lab import Lab
from lab.stepping._capture import Capture, Frame
from lab.stepping._diag import SockDiag
from lab.stepping._segment import ConnectionTracker, Segment
from lab.tcp._names import Role
from lab.tcp._observed import ObservedSegment, StateSnapshot

QUIET = 0.15
"""Seconds without a new frame that count as quiet (delayed ACKs take up to ~40 ms)."""
QUIET_LIMIT = 3.0
_ETHERNET_HEADER = 14


class Observer:
    """Capture and socket states of a client and a server, without holding anything."""

    def __init__(
        self,
        lab: Lab,
        *,
        client: str = "client",
        server: str = "server",
        port: int,
        pcap: Path | None = None,
    ) -> None:
        self.hosts = {Role.CLIENT: client, Role.SERVER: server}
        """The lab host that plays each role."""
        self._lab = lab
        self._pcap = pcap
        self._tracker = ConnectionTracker(port)
        self._skip = 0
        self._stack = ExitStack()
        try:
            ifname = lab.topology.endpoints(client)[0].ifname
            self._capture = Capture(lab[client].netns, ifname, label=client)
            self._stack.callback(self._capture.close)
            self._diag: dict[Role, SockDiag] = {}
            for role, name in self.hosts.items():
                diag = SockDiag(lab[name].netns, label=name)
                self._stack.callback(diag.close)
                self._diag[role] = diag
        except BaseException:
            self._stack.close()
            raise
        self._roles = {str(a.ip): role for role, n in self.hosts.items() for a in lab[n].addresses}

    def __enter__(self) -> Observer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop capturing, write the pcap if asked; safe to call twice."""
        with self._stack:
            if self._pcap is not None:
                self._capture.write(self._pcap)

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
        self._skip = len(self._tcp_frames())

    def _tcp_frames(self) -> list[Frame]:
        # One interface, so each segment appears once: sent by the client, or received from
        # the server. ARP, neighbour discovery and MLD do not count.
        return [f for f in self._capture.frames() if f.is_tcp]

    def _sender(self, segment: Segment) -> Role:
        return self._roles.get(str(segment.src[0]), Role.CLIENT)

    def segments(self) -> list[ObservedSegment]:
        """The segments since `forget_so_far`, with no states: nothing was held to look.

        Each has its options and ECN bits, and its time on the wire (the capture's kernel
        timestamp), in seconds since the first segment captured.
        """
        observed = []
        every = self._tcp_frames()
        for n, frame in enumerate(every[self._skip :], start=1):
            segment = Segment.parse(frame.data[_ETHERNET_HEADER:])
            sender = self._sender(segment)
            self._tracker.learn(sender, segment)
            observed.append(
                ObservedSegment(
                    n,
                    sender,
                    sender.peer,
                    segment.flags,
                    segment.seq,
                    segment.ack,
                    segment.length,
                    time=frame.time - every[0].time,
                    ecn=segment.ecn,
                    options=segment.options,
                )
            )
        return observed

    def states(self) -> dict[str, StateSnapshot]:
        """Both roles' state of the connection now."""
        for frame in self._tcp_frames()[:1]:
            segment = Segment.parse(frame.data[_ETHERNET_HEADER:])
            self._tracker.learn(self._sender(segment), segment)
        return {role: self._tracker.state_of(role, self._diag[role]) for role in Role}

    def ss(self, role: Role) -> str:
        """The real ``ss -tanoi`` output of that role's host."""
        return self._lab[self.hosts[role]].ss("-tanoi")
