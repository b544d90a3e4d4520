"""Our sock_diag reader against pyroute2's DiagSocket: the same sockets in the same states."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from pyroute2 import DiagSocket

from lab import Lab
from lab.kernel._diag import SockDiag
from lab.tcp import TcpState

pytestmark = pytest.mark.kernel

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
    with server.listen(8080, server.address()) as listener:
        first = client.connect(server.address(), 8080)
        accepted, _ = listener.accept()
        second = client.connect(server.address(), 8080)
        first.close()  # client FIN-WAIT-2 / TIME-WAIT, server CLOSE-WAIT
        for host in ("client", "server"):
            assert ours(lab, host) == pyroute2_states(lab, host), host
        states = {state for state, _, _ in ours(lab, "server")}
        assert {TcpState.LISTEN, TcpState.ESTABLISHED} <= states
        accepted.close()
        second.close()
