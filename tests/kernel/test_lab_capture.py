"""LabCapture: one pcap per host interface, every frame (not only TCP), none lost to a burst."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest
from scapy.layers.inet import TCP, UDP
from scapy.packet import Packet
from scapy.utils import rdpcap
from support import real_root

from lab import Lab
from lab.stepping import LabCapture


def frames_in(pcap: Path) -> list[Packet]:
    """The frames of a pcap, dissected (Ethernet, as the file says)."""
    return list(rdpcap(str(pcap)))


def udp_and_tcp(lab: Lab, sender: str, receiver: str) -> None:
    """One UDP datagram, then one TCP connection, from `sender` to `receiver`."""
    address = lab[receiver].address()
    with lab[receiver].open_socket(type=socket.SOCK_DGRAM) as inbox:
        inbox.bind((address, 5353))
        with lab[sender].open_socket(type=socket.SOCK_DGRAM) as outbox:
            outbox.sendto(b"hello", (address, 5353))
        assert inbox.recv(5) == b"hello"
    with lab[receiver].listen(8080, address) as listener, lab[sender].connect(address, 8080):
        listener.accept()[0].close()


def test_every_interface_of_a_routed_lab_gets_every_frame(tmp_path: Path) -> None:
    with Lab("routed") as lab, LabCapture(lab) as capture:
        udp_and_tcp(lab, "client", "server")
    paths = capture.write(tmp_path, "t")
    assert [p.name for p in paths] == [
        "t-client-eth0.pcap",
        "t-router-eth0.pcap",
        "t-router-eth1.pcap",
        "t-server-eth0.pcap",
    ]
    for path in paths:  # the datagram and the connection crossed every interface
        frames = frames_in(path)
        assert any(UDP in f and f[UDP].dport == 5353 for f in frames), path.name
        assert any(TCP in f and f[TCP].flags == "S" for f in frames), path.name
    assert capture.dropped() == dict.fromkeys(capture.captures, 0)


def test_on_a_bridge_each_frame_is_seen_at_its_hosts(tmp_path: Path) -> None:
    with Lab("lan") as lab, LabCapture(lab) as capture:
        udp_and_tcp(lab, "alice", "carol")
    alice, bob, carol = (frames_in(p) for p in capture.write(tmp_path, "lan"))
    for seen in (alice, carol):
        assert sum(1 for f in seen if TCP in f) >= 4  # SYN, SYN+ACK, ACK, and the close
    assert not any(TCP in f for f in bob)  # the bridge learnt where alice and carol are


def test_the_frames_stay_after_close_for_a_later_write(tmp_path: Path) -> None:
    with Lab("two-hosts") as lab:
        capture = LabCapture(lab)
        udp_and_tcp(lab, "client", "server")
        capture.close()
    capture.close()  # twice is fine
    for path, kept in zip(capture.write(tmp_path, "x"), capture.captures.values(), strict=True):
        assert len(frames_in(path)) == len(kept.frames()) > 0


@pytest.mark.skipif(
    not real_root(), reason="only root may give a capture a buffer past net.core.rmem_max"
)
def test_a_burst_of_24_megabytes_loses_no_frame(tmp_path: Path) -> None:
    size = 24_000_000
    with Lab("two-hosts") as lab, LabCapture(lab) as capture:
        server, client = lab["server"], lab["client"]
        with (
            server.listen(9000, server.address()) as listener,
            client.connect(server.address(), 9000) as conn,
        ):
            accepted = listener.accept()[0]

            def receive() -> None:
                left = size
                while left:
                    left -= len(accepted.recv(1 << 20))

            receiver = threading.Thread(target=receive)
            receiver.start()
            conn.sendall(bytes(size))
            receiver.join()
            accepted.close()
    assert capture.dropped() == {("client", "eth0"): 0, ("server", "eth0"): 0}
    for frames in capture.captures.values():
        assert sum(len(frame.data) for frame in frames.frames()) > size
