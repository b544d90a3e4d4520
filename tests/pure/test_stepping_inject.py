"""The pure parts of injecting and marking: crafted segments, their numbers, CE marks, options."""

from __future__ import annotations

import struct
from ipaddress import ip_address

from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6

from lab._addresses import SocketAddress
from lab.stepping import Segment
from lab.stepping._inject import NO_CONNECTION_SEQ, craft, next_sequence, numbers
from lab.stepping._segment import internet_checksum, mark_ce, unacknowledged
from lab.tcp import ObservedSegment, Role, TcpFlag
from lab.tcp._options import OptionKind, TcpOption
from lab.tcp._segment_claims import CE, Injection

CLIENT4: SocketAddress = (ip_address("192.0.2.1"), 40000)
SERVER4: SocketAddress = (ip_address("192.0.2.2"), 8080)
CLIENT6: SocketAddress = (ip_address("2001:db8::1"), 40000)
SERVER6: SocketAddress = (ip_address("2001:db8::2"), 8080)
SYN, ACK, FIN, RST, PSH = TcpFlag.SYN, TcpFlag.ACK, TcpFlag.FIN, TcpFlag.RST, TcpFlag.PSH


def checksum_by_scapy(tcp: bytes, src: str, dst: str) -> int:
    """The checksum scapy computes for `tcp` between `src` and `dst` (ours left out)."""
    segment = TCP(tcp)
    del segment.chksum
    network = IP(src=src, dst=dst) if ":" not in src else IPv6(src=src, dst=dst)
    computed: int = type(network)(bytes(network / segment))[TCP].chksum
    return computed


def test_a_crafted_segment_has_the_checksum_scapy_computes_over_both_families() -> None:
    tcp4 = craft(CLIENT4, SERVER4, seq=7, ack=9, flags=ACK | PSH, data=10)
    assert TCP(tcp4).chksum == checksum_by_scapy(tcp4, "192.0.2.1", "192.0.2.2")
    tcp6 = craft(CLIENT6, SERVER6, seq=1, ack=0, flags=RST)
    assert TCP(tcp6).chksum == checksum_by_scapy(tcp6, "2001:db8::1", "2001:db8::2")
    parsed = TCP(tcp4)
    assert (parsed.sport, parsed.dport, parsed.seq, parsed.ack) == (40000, 8080, 7, 9)
    assert (str(parsed.flags), len(tcp4)) == ("PA", 20 + 10)


def test_numbers_count_from_what_each_end_delivered() -> None:
    syn = ObservedSegment(1, Role.CLIENT, Role.SERVER, SYN, 100, 0, 0)
    syn_ack = ObservedSegment(2, Role.SERVER, Role.CLIENT, SYN | ACK, 500, 101, 0)
    lost_data = ObservedSegment(3, Role.CLIENT, Role.SERVER, ACK, 101, 501, 50, dropped=True)
    segments = [syn, syn_ack, lost_data]
    assert next_sequence(segments, Role.CLIENT) == 101  # the lost data never arrived
    assert numbers(segments, Role.CLIENT, Injection(), RST) == (101, 0)
    assert numbers(segments, Role.CLIENT, Injection(seq=100_000, ack=-1), ACK) == (100_101, 500)
    assert numbers([], Role.SERVER, Injection(), RST) == (NO_CONNECTION_SEQ, 0)


def test_numbers_wrap_around_the_sequence_space() -> None:
    near_the_end = ObservedSegment(1, Role.CLIENT, Role.SERVER, SYN, 2**32 - 1, 0, 0)
    past_it = ObservedSegment(2, Role.CLIENT, Role.SERVER, ACK, 0, 1, 10)
    assert next_sequence([near_the_end, past_it], Role.CLIENT) == 10
    assert numbers([past_it], Role.CLIENT, Injection(seq=-20), RST) == (2**32 - 10, 0)


def ipv4(tos: int = 0b10) -> bytes:
    tcp = struct.pack(">HHIIHHHH", 40000, 8080, 1, 0, (7 << 12) | int(ACK), 512, 0, 0)
    tcp += bytes([2, 4, 0x05, 0xB4, 1, 3, 3, 7])  # mss 1460, nop, wscale 7
    header = struct.pack(">BBHHHBBH4s4s", 0x45, tos, 20 + len(tcp), 0, 0, 64, 6, 0,
                         b"\xc0\0\2\1", b"\xc0\0\2\2")  # fmt: skip
    header = header[:10] + struct.pack(">H", internet_checksum(header)) + header[12:]
    return header + tcp


def test_a_ce_mark_sets_the_ecn_bits_and_keeps_the_ipv4_header_checksum_valid() -> None:
    marked = mark_ce(ipv4())
    assert Segment.parse(ipv4()).ecn == 0b10
    assert Segment.parse(marked).ecn == CE
    assert internet_checksum(marked[:20]) == 0
    assert marked[20:] == ipv4()[20:]  # TCP's checksum does not cover the ECN bits


def test_a_ce_mark_on_ipv6_sets_the_traffic_class_s_low_bits() -> None:
    tcp = struct.pack(">HHIIHHHH", 40000, 8080, 1, 0, (5 << 12) | int(ACK), 512, 0, 0)
    header = struct.pack(">IHBB16s16s", (6 << 28) | (0b10 << 20), len(tcp), 6, 64,
                         CLIENT6[0].packed, SERVER6[0].packed)  # fmt: skip
    packet = header + tcp
    marked = mark_ce(packet)
    assert (Segment.parse(packet).ecn, Segment.parse(marked).ecn) == (0b10, CE)
    assert IPv6(marked).tc == CE


def test_the_options_on_the_wire_are_read_with_the_segment() -> None:
    segment = Segment.parse(ipv4())
    assert segment.options == (TcpOption(OptionKind.MSS, 1460), TcpOption(OptionKind.WSCALE, 7))
    assert segment.length == 0


def test_an_injected_ack_acknowledges_nothing_the_kernel_owes() -> None:
    data = ObservedSegment(1, Role.SERVER, Role.CLIENT, PSH | ACK, 500, 101, 5)
    injected_ack = ObservedSegment(2, Role.CLIENT, Role.SERVER, ACK, 101, 505, 0, injected=True)
    assert unacknowledged(Role.CLIENT, [data, injected_ack]) == 505
    kernel_ack = ObservedSegment(3, Role.CLIENT, Role.SERVER, ACK, 101, 505, 0)
    assert unacknowledged(Role.CLIENT, [data, injected_ack, kernel_ack]) is None
