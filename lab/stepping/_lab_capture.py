"""Every frame on every interface of a running lab, written as one pcap per interface.

    with Lab("routed") as lab, LabCapture(lab) as capture:
        ...                                   # any traffic
    capture.write(Path("pcaps"), "my-test")   # my-test-client-eth0.pcap, my-test-router-eth0.pcap

The interfaces are the hosts' own: both ends of every veth link and each
host's port on a bridge. A frame crossing a link is in the pcaps of both its
ends; one crossing a bridge, in those of its sender and its receiver (the
bridge's own ports would only repeat them). Loopback is left out. Every frame
is kept, not only TCP: ARP, neighbour discovery, ICMP and UDP too.

Each interface gets a `Capture`, an AF_PACKET socket opened before the test's
traffic, with a kernel buffer of 64 MiB where root may have one (elsewhere
net.core.rmem_max bounds it); one thread moves what they queue into memory
as it arrives. A test that moves tens of megabytes at full speed can still
outrun it: `dropped` counts the frames lost that way. `close` stops
capturing; the frames stay readable, and `write` can come later (the pytest
plugin writes only the pcaps of failed tests).
"""

from __future__ import annotations

import os
import select
import threading
from pathlib import Path
from types import TracebackType

from lab._errors import SteppingError
from lab.kernel._lab import Lab
from lab.stepping._capture import Capture, write_pcap

_BUFFER = 64 << 20  # the kernel takes memory only for frames that wait


class LabCapture:
    """Capture every host interface of a started lab until `close`; `write` one pcap for each."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.captures: dict[tuple[str, str], Capture] = {}
        """(host, interface) -> its capture, in the topology's order."""
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._wake_read, self._wake_write = os.pipe2(os.O_CLOEXEC)
        try:
            for endpoint in lab.topology.endpoints():
                host = lab[endpoint.host]
                capture = Capture(host.netns, endpoint.ifname, label=endpoint.host)
                self.captures[endpoint.host, endpoint.ifname] = capture
                capture.enlarge_buffer(_BUFFER)
            self._thread = threading.Thread(
                target=self._drain_until_closed, name=f"lab-capture-{lab.name}", daemon=True
            )
            self._thread.start()
        except BaseException:
            self.close()
            raise

    def _drain_until_closed(self) -> None:
        poller = select.poll()
        by_fd = {capture.fileno(): capture for capture in self.captures.values()}
        for fd in (*by_fd, self._wake_read):
            poller.register(fd, select.POLLIN)
        try:
            while True:
                ready = [fd for fd, _ in poller.poll()]
                if self._wake_read in ready:
                    return
                for fd in ready:
                    by_fd[fd].drain()
        except BaseException as error:  # re-raised by close(), in the caller's thread
            self._error = error

    def pcap_paths(self, directory: Path, prefix: str) -> list[Path]:
        """Where `write` puts the pcaps: ``PREFIX-HOST-IFNAME.pcap``, in the topology's order."""
        return [directory / f"{prefix}-{host}-{ifname}.pcap" for host, ifname in self.captures]

    def write(self, directory: Path, prefix: str) -> list[Path]:
        """Write each interface's frames so far to its pcap (`pcap_paths`); returns the paths."""
        paths = self.pcap_paths(directory, prefix)
        for path, capture in zip(paths, self.captures.values(), strict=True):
            write_pcap(path, capture.frames())
        return paths

    def dropped(self) -> dict[tuple[str, str], int]:
        """(host, interface) -> frames lost so far because the capture could not keep up."""
        return {key: capture.dropped for key, capture in self.captures.items()}

    def close(self) -> None:
        """Stop capturing (the frames stay, for `write`); raises what the capture thread raised."""
        if self._thread is not None:
            os.write(self._wake_write, b"x")
            self._thread.join()
            self._thread = None
        # Closing a packet socket waits for an RCU grace period (~10 ms): all at once, not in turn.
        closing = [threading.Thread(target=c.close) for c in self.captures.values()]
        for thread in closing:
            thread.start()
        for thread in closing:
            thread.join()
        for fd in (self._wake_read, self._wake_write):
            if fd >= 0:
                os.close(fd)
        self._wake_read = self._wake_write = -1
        if self._error is not None:
            error, self._error = self._error, None
            raise SteppingError(f"capturing lab {self.lab.name} failed: {error}") from error

    def __enter__(self) -> LabCapture:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
