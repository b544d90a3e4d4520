"""Pcaps written by write_pcap (scapy's RawPcapWriter) read back frame for frame, to the us."""

from __future__ import annotations

from pathlib import Path

from scapy.layers.l2 import Ether
from scapy.utils import rdpcap

from lab.stepping._capture import Frame, write_pcap

ARP_REQUEST = bytes.fromhex(
    "ffffffffffff02000000000108060001080006040001020000000001c0000201000000000000c0000202"
)


def test_frames_read_back_with_their_times(tmp_path: Path) -> None:
    frames = [
        Frame(1_700_000_000.123456, ARP_REQUEST, True),
        Frame(1_700_000_001.5, b"\0" * 60, False),
    ]
    assert write_pcap(tmp_path / "two.pcap", frames) == 2
    packets = rdpcap(str(tmp_path / "two.pcap"))
    assert [bytes(p) for p in packets] == [f.data for f in frames]
    assert [float(p.time) for p in packets] == [1_700_000_000.123456, 1_700_000_001.5]
    assert isinstance(packets[0], Ether)
    assert packets[0].summary() == "Ether / ARP who has 192.0.2.2 says 192.0.2.1"


def test_no_frames_make_a_valid_empty_pcap(tmp_path: Path) -> None:
    assert write_pcap(tmp_path / "sub" / "none.pcap", []) == 0
    assert len(rdpcap(str(tmp_path / "sub" / "none.pcap"))) == 0
    assert (tmp_path / "sub" / "none.pcap").stat().st_size == 24  # the header alone
