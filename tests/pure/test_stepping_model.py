"""The pure parts of stepping: segments, the connection rule, owed ACKs, the kernel's tally."""

from __future__ import annotations

import struct
from ipaddress import ip_address

import pytest

from lab import SteppingError
from lab._addresses import SocketAddress
from lab.stepping import Connection, ConnectionTracker, Segment
from lab.stepping._counters import SentTally
from lab.stepping._diag import TcpSocket
from lab.stepping._runner import _ends_on_its_own
from lab.stepping._segment import unacknowledged
from lab.tcp import ObservedSegment, Role, StateSnapshot, TcpFlag, TcpState
from lab.tcp._record import initial_sequence_numbers

CLIENT: SocketAddress = (ip_address("192.0.2.1"), 40000)
SERVER: SocketAddress = (ip_address("192.0.2.2"), 8080)
SYN, ACK, FIN, RST, PSH = TcpFlag.SYN, TcpFlag.ACK, TcpFlag.FIN, TcpFlag.RST, TcpFlag.PSH


def ipv4_packet(flags: int, payload: bytes = b"", seq: int = 1000, ack: int = 0) -> bytes:
    tcp = struct.pack(">HHIIHHHH", 40000, 8080, seq, ack, (5 << 12) | flags, 512, 0, 0)
    total = 20 + len(tcp) + len(payload)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, 0, 0, 64, 6, 0, b"\xc0\0\2\1", b"\xc0\0\2\2")
    return ip + tcp + payload


def test_a_segment_is_read_from_an_ipv4_packet() -> None:
    segment = Segment.parse(ipv4_packet(int(PSH | ACK), b"hello", seq=7, ack=9))
    assert (segment.src, segment.dst) == (CLIENT, SERVER)
    assert (segment.flags, segment.seq, segment.ack, segment.length) == (PSH | ACK, 7, 9, 5)
    assert str(segment) == "PSH+ACK 192.0.2.1:40000 > 192.0.2.2:8080 seq 7 ack 9 len 5"


def test_a_packet_that_is_not_tcp_is_a_bug_named_as_such() -> None:
    packet = bytearray(ipv4_packet(int(SYN)))
    packet[9] = 17  # UDP
    with pytest.raises(SteppingError, match="not TCP"):
        Segment.parse(bytes(packet))


def test_the_connection_is_learnt_from_either_side() -> None:
    segment = Segment.parse(ipv4_packet(int(SYN)))
    from_client = Connection.of(Role.CLIENT, segment)
    assert from_client == Connection(client=CLIENT, server=SERVER)
    assert Connection.of(Role.SERVER, segment) == Connection(client=SERVER, server=CLIENT)
    assert from_client.ends(Role.SERVER) == (SERVER, CLIENT)
    assert str(from_client) == "192.0.2.1:40000 <-> 192.0.2.2:8080"


class FakeSockets:
    """A host's sockets as the kernel would look them up."""

    def __init__(self, *sockets: TcpSocket) -> None:
        self.sockets = list(sockets)

    def find(self, local: SocketAddress, peer: SocketAddress) -> TcpSocket | None:
        exact = [s for s in self.sockets if (s.local, s.peer) == (local, peer)]
        listening = [s for s in self.sockets if s.state is TcpState.LISTEN and s.local == local]
        return next(iter(exact + listening), None)

    def listeners(self) -> list[TcpSocket]:
        return [s for s in self.sockets if s.state is TcpState.LISTEN]


def sock(state: TcpState, local: SocketAddress, peer: SocketAddress) -> TcpSocket:
    return TcpSocket(state, local, peer, timer="", inode=1, recv_q=0, send_q=0)


LISTENER = sock(TcpState.LISTEN, SERVER, (ip_address("0.0.0.0"), 0))


def test_the_listener_stands_in_for_the_server_until_the_connection_has_a_socket() -> None:
    tracker = ConnectionTracker(port=8080)
    server = FakeSockets(LISTENER)
    assert tracker.state_of(Role.SERVER, server).state is TcpState.LISTEN
    assert tracker.state_of(Role.CLIENT, FakeSockets()).state is TcpState.CLOSED
    tracker.learn(Role.CLIENT, Segment.parse(ipv4_packet(int(SYN))))
    assert tracker.state_of(Role.SERVER, server).state is TcpState.LISTEN
    server.sockets.append(sock(TcpState.ESTABLISHED, SERVER, CLIENT))
    assert tracker.state_of(Role.SERVER, server).state is TcpState.ESTABLISHED
    server.sockets.pop()  # reset: only the listener is left, which no longer stands in
    assert tracker.state_of(Role.SERVER, server).state is TcpState.CLOSED


def test_a_request_forgotten_in_syn_received_leaves_the_server_in_listen() -> None:
    # RFC 9293 3.10.7.3: a passive open reset in SYN-RECEIVED returns to LISTEN; Linux
    # drops the request socket and the listener listens on.
    tracker = ConnectionTracker(port=8080)
    server = FakeSockets(LISTENER)
    tracker.learn(Role.CLIENT, Segment.parse(ipv4_packet(int(SYN))))
    server.sockets.append(sock(TcpState.SYN_RECEIVED, SERVER, CLIENT))
    assert tracker.state_of(Role.SERVER, server).state is TcpState.SYN_RECEIVED
    server.sockets.pop()
    assert tracker.state_of(Role.SERVER, server).state is TcpState.LISTEN
    server.sockets.pop()  # and once the listener is closed too, nothing is left
    assert tracker.state_of(Role.SERVER, server).state is TcpState.CLOSED


def test_a_listener_never_stands_in_for_the_client() -> None:
    tracker = ConnectionTracker(port=8080)
    tracker.learn(Role.CLIENT, Segment.parse(ipv4_packet(int(SYN))))
    client = FakeSockets(sock(TcpState.LISTEN, CLIENT, (ip_address("0.0.0.0"), 0)))
    assert tracker.state_of(Role.CLIENT, client).state is TcpState.CLOSED


def observed(sender: Role, flags: TcpFlag, seq: int, ack: int, length: int = 0) -> ObservedSegment:
    return ObservedSegment(1, sender, sender.peer, flags, seq, ack, length)


@pytest.mark.parametrize(
    ("segments", "owed"),
    [
        ([], None),
        ([observed(Role.CLIENT, FIN | ACK, 100, 500)], 101),
        ([observed(Role.CLIENT, FIN | ACK, 100, 500), observed(Role.SERVER, ACK, 500, 101)], None),
        ([observed(Role.CLIENT, PSH | ACK, 100, 500, length=5)], 105),
        ([observed(Role.CLIENT, RST | ACK, 100, 500)], None),
        ([observed(Role.CLIENT, ACK, 100, 500)], None),  # a pure ACK takes no sequence space
        # Sequence numbers wrap around at 2**32.
        ([observed(Role.CLIENT, FIN | ACK, 2**32 - 1, 500)], 0),
        (
            [observed(Role.CLIENT, FIN | ACK, 2**32 - 1, 500), observed(Role.SERVER, ACK, 500, 0)],
            None,
        ),
    ],
)
def test_an_ack_is_owed_for_data_syn_or_fin_not_yet_acknowledged(
    segments: list[ObservedSegment], owed: int | None
) -> None:
    assert unacknowledged(Role.SERVER, segments) == owed


def test_the_tally_counts_a_passive_syn_ack_retransmission_twice_as_the_kernel_does() -> None:
    passive = SentTally()
    for flags, seq in [(SYN | ACK, 7), (SYN | ACK, 7), (ACK, 8), (FIN | ACK, 8)]:
        passive.add(flags, seq)
    assert passive.counted == 5  # tcp_rtx_synack: OutSegs and RetransSegs
    active = SentTally()
    for flags, seq in [(SYN, 3), (SYN, 3), (SYN | ACK, 3)]:
        active.add(flags, seq)
    assert active.counted == 3  # a simultaneous open's SYN+ACK comes from the full socket


def test_each_role_s_initial_sequence_number_is_its_first_syn_s() -> None:
    def seg(sender: Role, flags: TcpFlag, seq: int) -> ObservedSegment:
        return ObservedSegment(1, sender, sender.peer, flags, seq=seq, ack=0, length=0)

    syn = TcpFlag.SYN
    observed = [
        seg(Role.CLIENT, syn, 100),
        seg(Role.CLIENT, syn, 100),  # retransmitted
        seg(Role.SERVER, syn | TcpFlag.ACK, 7),
        seg(Role.CLIENT, TcpFlag.ACK, 101),
    ]
    assert initial_sequence_numbers(observed) == {Role.CLIENT: 100, Role.SERVER: 7}
    refused = [seg(Role.CLIENT, syn, 5), seg(Role.SERVER, TcpFlag.RST | TcpFlag.ACK, 0)]
    assert initial_sequence_numbers(refused) == {Role.CLIENT: 5}


@pytest.mark.parametrize(
    ("state", "timer", "ends"),
    [
        (TcpState.TIME_WAIT, "timewait,59sec,0", True),
        (TcpState.FIN_WAIT_2, "timewait,1sec,0", True),  # orphaned: a timewait socket
        (TcpState.FIN_WAIT_2, "", False),  # its application may still read: no timer
        (TcpState.CLOSE_WAIT, "", False),
        (TcpState.ESTABLISHED, "on,200ms,0", False),  # a retransmission needs the peer
    ],
)
def test_wait_timers_waits_out_only_states_a_timer_ends_alone(
    state: TcpState, timer: str, ends: bool
) -> None:
    assert _ends_on_its_own(StateSnapshot(state, timer)) is ends
