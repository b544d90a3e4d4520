"""Linux's close as it is: the ACK of a FIN rides on the application's FIN when that comes in time.

Written with the public stepping API only, as a user would. Once data has
flowed, Linux delays the ACK of a FIN by about 40 ms (tcp_fin() puts the
socket in delayed-ACK "pingpong" mode). A server that closes within that time
sends FIN+ACK, and the client goes from FIN-WAIT-1 straight to TIME-WAIT
(packetdrill: tcp_basic_client.pkt); one that closes later sends the ACK alone
first, and the client passes through FIN-WAIT-2.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from lab import Lab
from lab.stepping import Stepper
from lab.tcp import ObservedSegment, Role, TcpFlag, TcpState

PORT = 8080
FAMILIES = pytest.mark.parametrize("version", [4, 6], ids=["ipv4", "ipv6"])
FIN, ACK = TcpFlag.FIN, TcpFlag.ACK


@pytest.fixture
def sockets() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


def connected_with_data(
    lab: Lab, stepper: Stepper, version: int, sockets: ExitStack
) -> tuple[socket.socket, socket.socket]:
    """An established connection over which the client sent data that the server read."""
    server, client = lab["server"], lab["client"]
    address = server.address(version)
    listener = sockets.enter_context(server.listen(PORT, address))
    sock = sockets.enter_context(
        client.open_socket(socket.AF_INET6 if version == 6 else socket.AF_INET)
    )
    sock.setblocking(False)
    stepper.act("client", lambda: sock.connect_ex((address, PORT)))
    stepper.settle()
    accepted = sockets.enter_context(listener.accept()[0])
    stepper.act("client", lambda: sock.send(b"data"))
    stepper.settle()
    assert accepted.recv(16) == b"data"
    return sock, accepted


def close_sequence(segments: list[ObservedSegment]) -> list[tuple[Role, TcpFlag]]:
    return [(s.sender, s.flags & (FIN | ACK | TcpFlag.RST)) for s in segments]


@FAMILIES
def test_a_server_closing_at_once_gives_the_three_segment_close(
    lab: Lab, version: int, sockets: ExitStack
) -> None:
    with Stepper(lab, port=PORT) as stepper:
        client, server = connected_with_data(lab, stepper, version, sockets)
        stepper.act("client", client.close)
        held = stepper.next_segment()
        assert held.before["client"].state is TcpState.FIN_WAIT_1
        assert held.release().after["server"].state is TcpState.CLOSE_WAIT
        stepper.act("server", server.close)  # right after the client's FIN
        segments = [*stepper.segments[-1:], *stepper.settle()]

    assert close_sequence(segments) == [
        (Role.CLIENT, FIN | ACK),
        (Role.SERVER, FIN | ACK),  # the ACK of the client's FIN rides on the server's FIN
        (Role.CLIENT, ACK),
    ]
    fin, fin_ack, last_ack = segments
    assert fin_ack.ack == (fin.seq + 1) % (1 << 32)  # it does acknowledge the client's FIN
    assert fin_ack.before[Role.CLIENT].state is TcpState.FIN_WAIT_1
    assert fin_ack.after[Role.CLIENT].state is TcpState.TIME_WAIT  # no FIN-WAIT-2 on the way
    assert fin_ack.before[Role.SERVER].state is TcpState.LAST_ACK
    assert last_ack.after[Role.SERVER].state is TcpState.CLOSED
    client_states = [s.after[Role.CLIENT].state for s in segments]
    assert TcpState.FIN_WAIT_2 not in client_states


@FAMILIES
def test_a_server_closing_300_ms_later_gives_the_four_segment_close(
    lab: Lab, version: int, sockets: ExitStack
) -> None:
    with Stepper(lab, port=PORT) as stepper:
        client, server = connected_with_data(lab, stepper, version, sockets)
        stepper.act("client", client.close)
        stepper.next_segment().release()
        close_at = time.monotonic() + 0.3
        segments = [*stepper.segments[-1:], *stepper.settle()]  # the delayed ACK comes meanwhile
        time.sleep(max(0.0, close_at - time.monotonic()))
        stepper.act("server", server.close)  # 300 ms after the client's FIN
        segments += stepper.settle()

    assert close_sequence(segments) == [
        (Role.CLIENT, FIN | ACK),
        (Role.SERVER, ACK),
        (Role.SERVER, FIN | ACK),
        (Role.CLIENT, ACK),
    ]
    fin, ack, server_fin, _ = segments
    assert ack.ack == (fin.seq + 1) % (1 << 32)
    assert ack.time is not None
    assert fin.time is not None
    assert 0.01 < ack.time - fin.time < 0.25  # delayed, not immediate (about 40 ms)
    assert ack.before[Role.SERVER].state is TcpState.CLOSE_WAIT
    assert ack.after[Role.CLIENT].state is TcpState.FIN_WAIT_2
    assert server_fin.before[Role.SERVER].state is TcpState.LAST_ACK
    assert server_fin.after[Role.CLIENT].state is TcpState.TIME_WAIT
