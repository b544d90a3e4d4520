"""Our sock_diag reader against pyroute2's DiagSocket: the same sockets in the same states.

The kinds of socket a states mask easily misses (see lab/stepping/_diag.py) are
all here, held in place by a Stepper: a request socket (SYN-RECV, the client's
last ACK of the handshake held), orphans (FIN-WAIT-1 and LAST-ACK of closed
sockets whose FIN is held) and time-wait minisockets (the FIN-WAIT-2 of an
orphan, TIME-WAIT). Each socket is also looked up alone with `SockDiag.find`,
which must give what the dump gives.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from ipaddress import IPv6Address, ip_address
from typing import Any, NamedTuple

import pytest
from pyroute2 import DiagSocket

from lab import Lab
from lab.stepping import HeldSegment, Stepper
from lab.stepping._diag import SockDiag, TcpSocket
from lab.tcp import TcpState

PORT = 8080
EVERY_STATE = 0x1FFF
"""Bits 0..12 of the states mask: every state, request sockets (TCP_NEW_SYN_RECV, 12) too."""

LISTEN, ESTABLISHED = TcpState.LISTEN, TcpState.ESTABLISHED


class Row(NamedTuple):
    """One socket as both readers can tell it."""

    state: TcpState
    local: str
    local_port: int
    peer: str
    peer_port: int
    inode: int
    """0 for request sockets, time-wait minisockets and orphans."""


def plain(address: str) -> str:
    """An address as our reader gives it: v4-mapped IPv6 (::ffff:192.0.2.1) as IPv4."""
    ip = ip_address(address)
    return str(ip.ipv4_mapped or ip) if isinstance(ip, IPv6Address) else str(ip)


def pyroute2_rows(lab: Lab, host: str) -> set[Row]:
    with lab[host].netns.entered():
        diag: Any = DiagSocket()  # pyroute2 is untyped
    with diag:
        diag.bind()
        return {
            Row(
                TcpState.from_kernel(msg["idiag_state"]),
                plain(msg["idiag_src"]),
                msg["idiag_sport"],
                plain(msg["idiag_dst"]),
                msg["idiag_dport"],
                msg["idiag_inode"],
            )
            for family in (socket.AF_INET, socket.AF_INET6)
            for msg in diag.get_sock_stats(family=family, states=EVERY_STATE)
        }


def row(found: TcpSocket) -> Row:
    return Row(
        found.state,
        str(found.local[0]),
        found.local[1],
        str(found.peer[0]),
        found.peer[1],
        found.inode,
    )


def our_rows(lab: Lab, host: str) -> set[Row]:
    diag = SockDiag(lab[host].netns, label=host)
    try:
        return {row(s) for s in diag.tcp_sockets()}
    finally:
        diag.close()


def agreed_rows(lab: Lab, host: str) -> set[Row]:
    """`host`'s sockets, once our dump, pyroute2's dump and `find` for each socket agree.

    The sockets must hold still meanwhile: held by a Stepper, or in a state no timer leaves soon.
    """
    __tracebackhide__ = True
    diag = SockDiag(lab[host].netns, label=host)
    try:
        dumped = diag.tcp_sockets()
        ours = {row(s) for s in dumped}
        assert ours == pyroute2_rows(lab, host), host
        for each in dumped:
            alone = diag.find(each.local, each.peer)
            assert alone is not None, f"find() on {host} does not see {each}"
            assert row(alone) == row(each), host
            assert alone.timer.split(",")[0] == each.timer.split(",")[0], (alone, each)
        return ours
    finally:
        diag.close()


def states(rows: set[Row]) -> set[tuple[TcpState, bool]]:
    """Each socket's state, and whether it has a file (an inode) still."""
    return {(r.state, r.inode != 0) for r in rows}


# --- unstepped: full sockets --------------------------------------------------------------------


def test_states_agree_with_pyroute2(lab: Lab) -> None:
    server, client = lab["server"], lab["client"]
    with (
        server.listen(PORT, server.address()) as listener,
        client.connect(server.address(), PORT) as first,
        client.connect(server.address(), PORT) as second,
    ):
        accepted = [listener.accept()[0], listener.accept()[0]]
        try:
            compare(lab, first, second)
        finally:
            for sock in accepted:
                sock.close()


def compare(lab: Lab, first: socket.socket, second: socket.socket) -> None:
    """Close `first` (client FIN-WAIT-2, server CLOSE-WAIT), keep `second`, compare readers."""
    first.close()
    deadline = time.monotonic() + 2
    while (TcpState.FIN_WAIT_2, False) not in states(rows := our_rows(lab, "client")):
        assert time.monotonic() < deadline, rows
        time.sleep(0.005)
    client = agreed_rows(lab, "client")
    assert {(r.state, r.local_port) for r in client if r.inode} == {
        (ESTABLISHED, second.getsockname()[1])  # the socket that is still open
    }
    assert states(agreed_rows(lab, "server")) == {
        (LISTEN, True),
        (ESTABLISHED, True),
        (TcpState.CLOSE_WAIT, True),
    }


# --- stepped: request sockets, orphans and time-wait minisockets ---------------------------------


def held(stepper: Stepper) -> HeldSegment:
    segment = stepper.next_segment()
    assert segment is not None, "the kernel sent no segment"
    return segment


@pytest.fixture
def sockets() -> Iterator[ExitStack]:
    """Sockets a test opens, closed after it (after its Stepper has let go)."""
    with ExitStack() as stack:
        yield stack


@pytest.mark.topology("dual-stack")
@pytest.mark.parametrize("version", [4, 6], ids=["ipv4", "ipv6"])
def test_every_state_of_an_open_and_a_close_agrees_with_pyroute2(
    lab: Lab, version: int, sockets: ExitStack
) -> None:
    family = socket.AF_INET6 if version == 6 else socket.AF_INET
    address = lab["server"].address(version)

    def opened(setup: Callable[[socket.socket], object]) -> Callable[[], socket.socket]:
        def open_socket() -> socket.socket:
            sock = sockets.enter_context(socket.socket(family))
            sock.setblocking(False)  # nothing may wait for the network while segments are held
            setup(sock)
            return sock

        return open_socket

    def listen(sock: socket.socket) -> None:
        sock.bind((address, PORT))
        sock.listen()

    with Stepper(lab, port=PORT) as stepper:
        listener = stepper.act("server", opened(listen))
        client = stepper.act("client", opened(lambda s: s.connect_ex((address, PORT))))
        held(stepper).release()  # SYN
        held(stepper).release()  # SYN+ACK
        last_ack = held(stepper)
        assert states(agreed_rows(lab, "server")) == {
            (LISTEN, True),
            (TcpState.SYN_RECEIVED, False),  # a request socket
        }
        assert states(agreed_rows(lab, "client")) == {(ESTABLISHED, True)}

        last_ack.release()
        accepted = sockets.enter_context(stepper.act("server", listener.accept)[0])
        stepper.act("client", client.close)
        fin = held(stepper)
        assert states(agreed_rows(lab, "client")) == {(TcpState.FIN_WAIT_1, False)}  # orphan

        fin.release()
        ack = held(stepper)
        assert states(agreed_rows(lab, "server")) == {(LISTEN, True), (TcpState.CLOSE_WAIT, True)}

        ack.release()
        # An orphan in FIN-WAIT-2 becomes a time-wait minisocket that shows its substate.
        assert states(agreed_rows(lab, "client")) == {(TcpState.FIN_WAIT_2, False)}

        stepper.act("server", accepted.close)
        last_fin = held(stepper)
        assert states(agreed_rows(lab, "server")) == {(LISTEN, True), (TcpState.LAST_ACK, False)}

        last_fin.release()
        final_ack = held(stepper)
        assert states(agreed_rows(lab, "client")) == {(TcpState.TIME_WAIT, False)}

        final_ack.release()
        assert states(agreed_rows(lab, "server")) == {(LISTEN, True)}
        assert stepper.settle() == []
