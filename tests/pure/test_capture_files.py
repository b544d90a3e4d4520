"""Pcap files without a lab: what the stepper and the observer write, read back."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether

from lab.stepping import tcp_flags_in_pcap
from lab.stepping._capture import Frame, write_pcap
from lab.tcp import TcpFlag


def test_an_empty_capture_is_a_valid_pcap_written_without_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "nothing.pcap"
    with caplog.at_level(logging.DEBUG):
        assert write_pcap(path, []) == 0
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    header = path.read_bytes()
    assert len(header) == 24  # the pcap file header alone
    assert header[20:24] == (1).to_bytes(4, "little")  # LINKTYPE_ETHERNET
    assert tcp_flags_in_pcap(path) == []


def test_frames_are_written_with_their_times_and_read_back(tmp_path: Path) -> None:
    syn = Ether() / IP(src="192.0.2.1", dst="192.0.2.2") / TCP(sport=40000, dport=8080, flags="S")
    frames = [Frame(time=1_700_000_000.25, data=bytes(syn), outgoing=True)]
    path = tmp_path / "syn.pcap"
    assert write_pcap(path, frames) == 1
    assert tcp_flags_in_pcap(path) == [TcpFlag.SYN]
