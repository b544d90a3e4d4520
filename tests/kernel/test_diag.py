"""Our sock_diag reader against pyroute2's DiagSocket: the same sockets in the same states."""

from __future__ import annotations

import socket
import time
from typing import Any

from pyroute2 import DiagSocket

from lab import Lab
from lab.stepping._diag import SockDiag
from lab.tcp import TcpState

ALL_STATES = 0xFFF  # every state bit up to TCP_CLOSING, as `ss -a` asks


def pyroute2_states(lab: Lab, host: str) -> set[tuple[TcpState, int, int]]:
    with lab[host].netns.entered():
        diag: Any = DiagSocket()
    with diag:
        diag.bind()
        found = set()
        for family in (socket.AF_INET, socket.AF_INET6):
            for msg in diag.get_sock_stats(family=family, states=ALL_STATES):
                state = TcpState.from_kernel(msg["idiag_state"])
                found.add((state, msg["idiag_sport"], msg["idiag_dport"]))
        return found


def ours(lab: Lab, host: str) -> set[tuple[TcpState, int, int]]:
    diag = SockDiag(lab[host].netns, label=host)
    try:
        return {(s.state, s.local[1], s.peer[1]) for s in diag.tcp_sockets()}
    finally:
        diag.close()


def test_states_agree_with_pyroute2(lab: Lab) -> None:
    server, client = lab["server"], lab["client"]
    with (
        server.listen(8080, server.address()) as listener,
        client.connect(server.address(), 8080) as first,
        client.connect(server.address(), 8080) as second,
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
    while TcpState.FIN_WAIT_2 not in {s for s, _, _ in ours(lab, "client")}:
        assert time.monotonic() < deadline, ours(lab, "client")
        time.sleep(0.005)
    for host in ("client", "server"):
        assert ours(lab, host) == pyroute2_states(lab, host), host
    states = {state for state, _, _ in ours(lab, "server")}
    assert {TcpState.LISTEN, TcpState.ESTABLISHED, TcpState.CLOSE_WAIT} <= states
    assert second.fileno() >= 0
