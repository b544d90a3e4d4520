"""Frames on a lab interface, captured from inside its namespace, written as pcap.

The capture socket is a plain AF_PACKET/SOCK_RAW socket created inside the
namespace and bound to the interface *before* any traffic: the kernel queues
every frame on it from that moment, so nothing can be missed and no sniffer
thread has to be "ready". Frames are read afterwards, non-blocking, with
their kernel receive timestamps (SO_TIMESTAMPNS).

Capturing on the client's interface sees both directions: the client's
segments as PACKET_OUTGOING (once the stepper released them from its egress
queue) and the server's as they arrive. With one segment in flight at a time,
capture order is stepping order.

Checksums: veth offloads TX checksums (CHECKSUM_PARTIAL), so a capture of
*outgoing* frames normally shows wrong TCP checksums. Here they come out
right because nfnetlink_queue (without NFQA_CFG_F_GSO) runs
skb_checksum_help() before handing the packet to the stepper.

scapy is imported only to write and read files (it adds ~0.1 s to start-up).
"""

from __future__ import annotations

import importlib
import socket
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lab._errors import SteppingError
from lab.kernel._netns import NetNamespace
from lab.tcp._names import TcpFlag

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
SO_TIMESTAMPNS = 35
SO_RCVBUFFORCE = 33
SOL_PACKET = 263
PACKET_STATISTICS = 6
PACKET_OUTGOING = 4
_ETHERNET_HEADER = 14
_RCVBUF = 1 << 22
_SNAPLEN = 1 << 18


@dataclass(frozen=True)
class Frame:
    """One captured Ethernet frame."""

    time: float
    """Kernel timestamp, seconds since the epoch."""
    data: bytes
    outgoing: bool
    """Sent by this host (PACKET_OUTGOING) rather than received."""

    @property
    def is_tcp(self) -> bool:
        """Whether the frame carries TCP over IPv4 or IPv6 (without extension headers)."""
        ethertype = int.from_bytes(self.data[12:14], "big")
        ip = _ETHERNET_HEADER
        if ethertype == ETH_P_IP:
            return len(self.data) > ip + 9 and self.data[ip + 9] == socket.IPPROTO_TCP
        if ethertype == ETH_P_IPV6:
            return len(self.data) > ip + 6 and self.data[ip + 6] == socket.IPPROTO_TCP
        return False


class Capture:
    """Every frame on one interface of one namespace, from creation to `close`."""

    def __init__(self, netns: NetNamespace, ifname: str, *, label: str) -> None:
        self.ifname = ifname
        self.label = label
        """Whose interface, for error messages (a host name)."""
        with netns.entered():
            # Protocol 0 at creation: no packet hook yet. Creating it with ETH_P_ALL would
            # hook every interface at once and bind() would re-hook, paying an RCU grace period.
            self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW | socket.SOCK_CLOEXEC, 0)
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF)
            self._sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
            # bind() resolves the name in the socket's own namespace, not the caller's.
            self._sock.bind((ifname, ETH_P_ALL))
            self._sock.setblocking(False)
        except OSError as error:
            self._sock.close()
            raise SteppingError(
                f"cannot capture on {ifname} of host {label}: {error.strerror}; "
                "check that the interface exists in that host"
            ) from error
        self._frames: list[Frame] = []
        self._dropped = 0

    def frames(self) -> list[Frame]:
        """Every frame captured so far, oldest first."""
        self._drain()
        return list(self._frames)

    def fileno(self) -> int:
        """The capture socket, for poll(): readable while frames wait in the kernel."""
        return self._sock.fileno()

    def drain(self) -> None:
        """Move the frames waiting in the kernel into memory, before its buffer fills."""
        self._drain()

    def enlarge_buffer(self, size: int) -> None:
        """Let the kernel queue up to `size` bytes of frames, past net.core.rmem_max if root.

        Only root of the machine may pass that limit (SO_RCVBUFFORCE); elsewhere it stays.
        """
        try:
            self._sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, size)
        except PermissionError:
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)

    @property
    def dropped(self) -> int:
        """Frames the kernel could not queue so far because the buffer was full (lost)."""
        self._count_drops()
        return self._dropped

    def _count_drops(self) -> None:
        if self._sock.fileno() >= 0:
            # The kernel resets its counters on every read: add them up here.
            stats = self._sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
            self._dropped += struct.unpack("=II", stats)[1]

    def _drain(self) -> None:
        if self._sock.fileno() < 0:
            return
        while True:
            try:
                data, ancdata, _flags, address = self._sock.recvmsg(1 << 16, socket.CMSG_SPACE(16))
            except BlockingIOError:
                return
            stamp = 0.0
            for level, kind, value in ancdata:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("=qq", value[:16])
                    stamp = sec + nsec / 1e9
            self._frames.append(Frame(stamp, data, address[2] == PACKET_OUTGOING))

    def write(self, path: Path, *, tcp_only: bool = True) -> int:
        """Write the frames to `path` as pcap; returns how many (see `write_pcap`)."""
        return write_pcap(path, [f for f in self.frames() if f.is_tcp or not tcp_only])

    def close(self) -> None:
        """Read what is left and stop capturing; `frames` and `dropped` still answer afterwards."""
        self._drain()
        self._count_drops()
        self._sock.close()


def import_pcap_writer() -> None:
    """Import what `write_pcap` needs now, in this thread (~0.1 s).

    For a program about to write pcaps from several threads: scapy's modules
    import each other, and two threads importing them at once may see one half
    initialised.
    """
    importlib.import_module("scapy.data")
    importlib.import_module("scapy.utils")


def write_pcap(path: Path, frames: Iterable[Frame]) -> int:
    """Write Ethernet `frames` to `path` as pcap, with their timestamps; returns how many.

    scapy's RawPcapWriter writes the bytes as they are (nothing is dissected:
    a few microseconds a frame), with the link type given rather than guessed
    from the first frame, so a capture that saw nothing is still a valid,
    empty pcap.
    """
    from scapy.data import DLT_EN10MB  # noqa: PLC0415 - see the module docstring
    from scapy.utils import RawPcapWriter  # noqa: PLC0415

    count = 0
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = RawPcapWriter(str(path), linktype=DLT_EN10MB, snaplen=_SNAPLEN)
        try:
            writer.write_header(None)
            for frame in frames:
                seconds, fraction = divmod(round(frame.time * 1_000_000), 1_000_000)
                writer.write_packet(frame.data, sec=seconds, usec=fraction)
                count += 1
        finally:
            writer.close()
    except OSError as error:
        raise SteppingError(f"cannot write the capture to {path}: {error}") from error
    return count


def tcp_flags_in_pcap(path: Path) -> list[TcpFlag]:
    """The flags of every TCP segment in a pcap file, in file order (read with rdpcap)."""
    from scapy.layers.inet import TCP  # noqa: PLC0415 - see the module docstring
    from scapy.utils import rdpcap  # noqa: PLC0415

    # Ether dissects IPv6 (and so the TCP inside) only once scapy's inet6 layer is loaded.
    importlib.import_module("scapy.layers.inet6")
    return [TcpFlag(int(packet[TCP].flags) & 0xFF) for packet in rdpcap(str(path)) if TCP in packet]
