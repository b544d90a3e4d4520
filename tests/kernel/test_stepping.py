"""Segment stepping against the real kernel: every segment held, both ends' states around it."""

from __future__ import annotations

import errno
import socket
import struct
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from lab import Lab, SteppingError
from lab.stepping import Stepper, tcp_flags_in_pcap
from lab.tcp import ObservedSegment, Role, TcpFlag, TcpState

pytestmark = pytest.mark.topology("dual-stack")

PORT = 8080
FAMILIES = pytest.mark.parametrize("version", [4, 6], ids=["ipv4", "ipv6"])

SYN, ACK, FIN, RST = TcpFlag.SYN, TcpFlag.ACK, TcpFlag.FIN, TcpFlag.RST
ESTABLISHED, CLOSED = TcpState.ESTABLISHED, TcpState.CLOSED
CLIENT, SERVER = Role.CLIENT, Role.SERVER


class Conversation:
    """A client and a server socket driven through a Stepper; non-blocking, so nothing waits.

    The raw stepper API as a user drives it, on purpose: the scenario runner
    (`lab.stepping.ScenarioSockets`) is tested through `lab check` instead.
    """

    def __init__(self, lab: Lab, stepper: Stepper, version: int, sockets: ExitStack) -> None:
        self.stepper = stepper
        self.family = socket.AF_INET6 if version == 6 else socket.AF_INET
        self.server_address = lab["server"].address(version)
        self._sockets = sockets
        self.listener: socket.socket | None = None
        self.client: socket.socket | None = None
        self.accepted: socket.socket | None = None

    def _socket(self) -> socket.socket:
        sock = self._sockets.enter_context(socket.socket(self.family))
        sock.setblocking(False)
        return sock

    def listen(self) -> None:
        def bind_and_listen() -> socket.socket:
            sock = self._socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.server_address, PORT))
            sock.listen()
            return sock

        self.listener = self.stepper.act("server", bind_and_listen)

    def connect(self, port: int = PORT) -> None:
        def connect() -> socket.socket:
            sock = self._socket()
            assert sock.connect_ex((self.server_address, port)) != 0  # EINPROGRESS
            return sock

        self.client = self.stepper.act("client", connect)

    def accept(self) -> None:
        assert self.listener is not None
        accepted, _ = self.stepper.act("server", self.listener.accept)
        self.accepted = self._sockets.enter_context(accepted)

    def open(self) -> list[ObservedSegment]:
        """listen, connect, the handshake, accept."""
        self.listen()
        self.connect()
        handshake = self.stepper.settle()
        self.accept()
        return handshake

    def act(self, role: str, call: Callable[[socket.socket], object]) -> None:
        sock = self.client if role == "client" else self.accepted
        assert sock is not None
        self.stepper.act(role, lambda: call(sock))


def summary(segments: list[ObservedSegment]) -> list[tuple[str, str]]:
    return [(s.sender, s.flags.label) for s in segments]


@pytest.fixture
def sockets() -> Iterator[ExitStack]:
    """Sockets a test opens, closed after it (after its Stepper has let go)."""
    with ExitStack() as stack:
        yield stack


@pytest.fixture
def stepper(lab: Lab, tmp_path: Path) -> Iterator[Stepper]:
    with Stepper(lab, port=PORT, pcap=tmp_path / "stepped.pcap") as running:
        yield running


# --- the documented scenarios, over IPv4 and IPv6 -------------------------------------------


@FAMILIES
def test_three_way_open_is_syn_synack_ack(
    lab: Lab, stepper: Stepper, version: int, sockets: ExitStack
) -> None:
    talk = Conversation(lab, stepper, version, sockets)
    talk.listen()
    assert stepper.states()[SERVER].state is TcpState.LISTEN
    talk.connect()

    syn = stepper.next_segment()
    assert (syn.sender, syn.flags) == ("client", SYN)
    assert syn.before[CLIENT].state is TcpState.SYN_SENT
    assert syn.before[SERVER].state is TcpState.LISTEN
    assert syn.release().after[SERVER].state is TcpState.SYN_RECEIVED

    synack = stepper.next_segment()
    assert (synack.sender, synack.flags) == ("server", SYN | ACK)
    assert synack.before[SERVER].state is TcpState.SYN_RECEIVED
    assert synack.release().after[CLIENT].state is ESTABLISHED

    last = stepper.next_segment()
    assert (last.sender, last.flags) == ("client", ACK)
    after = last.release().after
    assert (after[CLIENT].state, after[SERVER].state) == (ESTABLISHED, ESTABLISHED)

    assert stepper.settle() == []
    assert stepper.poll(0.01) is None
    connection = stepper.connection
    assert connection is not None
    assert str(connection.server[0]) == lab["server"].address(version)


@FAMILIES
def test_four_way_close_from_the_client(
    lab: Lab, stepper: Stepper, version: int, sockets: ExitStack
) -> None:
    talk = Conversation(lab, stepper, version, sockets)
    talk.open()
    talk.act("client", socket.socket.close)

    fin = stepper.next_segment()
    assert (fin.sender, fin.flags) == ("client", FIN | ACK)
    assert fin.before[CLIENT].state is TcpState.FIN_WAIT_1
    assert fin.release().after[SERVER].state is TcpState.CLOSE_WAIT

    ack = stepper.next_segment()
    assert (ack.sender, ack.flags) == ("server", ACK)
    assert ack.before[SERVER].state is TcpState.CLOSE_WAIT
    assert ack.release().after[CLIENT].state is TcpState.FIN_WAIT_2

    # The server's application closes only once the client is seen in FIN-WAIT-2.
    assert stepper.poll(0.01) is None
    talk.act("server", socket.socket.close)

    last_fin = stepper.next_segment()
    assert (last_fin.sender, last_fin.flags) == ("server", FIN | ACK)
    assert last_fin.before[SERVER].state is TcpState.LAST_ACK
    assert last_fin.release().after[CLIENT].state is TcpState.TIME_WAIT

    last_ack = stepper.next_segment()
    assert (last_ack.sender, last_ack.flags) == ("client", ACK)
    after = last_ack.release().after
    assert (after[CLIENT].state, after[SERVER].state) == (TcpState.TIME_WAIT, CLOSED)
    assert after[CLIENT].timer.startswith("timewait,"), after[CLIENT]
    assert "timer:(timewait," in stepper.ss("client")
    assert stepper.settle() == []


@FAMILIES
def test_connect_to_a_closed_port_is_reset(
    lab: Lab, stepper: Stepper, version: int, sockets: ExitStack
) -> None:
    talk = Conversation(lab, stepper, version, sockets)
    talk.connect(PORT + 1)  # the connection is learnt from its first segment, whatever the port
    segments = stepper.settle()
    assert summary(segments) == [("client", "SYN"), ("server", "RST+ACK")]
    assert segments[0].before[CLIENT].state is TcpState.SYN_SENT
    assert segments[0].after[SERVER].state is CLOSED
    assert segments[1].after[CLIENT].state is CLOSED
    assert talk.client is not None
    assert talk.client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNREFUSED


@FAMILIES
def test_close_with_linger_zero_resets(
    lab: Lab, stepper: Stepper, version: int, sockets: ExitStack
) -> None:
    talk = Conversation(lab, stepper, version, sockets)
    talk.open()

    def abort(sock: socket.socket) -> None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    talk.act("client", abort)
    segments = stepper.settle()
    assert [(s.sender, RST in s.flags, FIN in s.flags) for s in segments] == [
        ("client", True, False)
    ]
    assert segments[0].before[CLIENT].state is CLOSED
    assert segments[0].after[SERVER].state is CLOSED


@FAMILIES
def test_urgent_data_sets_urg_and_plain_data_sets_psh(
    lab: Lab, stepper: Stepper, version: int, sockets: ExitStack
) -> None:
    talk = Conversation(lab, stepper, version, sockets)
    talk.open()

    talk.act("client", lambda sock: sock.send(b"!", socket.MSG_OOB))
    urgent, urgent_ack = stepper.settle()
    assert (urgent.sender, urgent.length) == ("client", 1)
    assert TcpFlag.URG in urgent.flags
    assert (urgent_ack.sender, urgent_ack.flags) == ("server", ACK)

    talk.act("client", lambda sock: sock.send(b"hello"))
    data, data_ack = stepper.settle()
    assert (data.sender, data.length, data.flags) == ("client", 5, TcpFlag.PSH | ACK)
    assert (data_ack.sender, data_ack.flags) == ("server", ACK)
    assert data.before[CLIENT].state is ESTABLISHED
    assert data_ack.after[CLIENT].state is ESTABLISHED
    assert talk.accepted is not None
    assert talk.accepted.recv(1, socket.MSG_OOB) == b"!"
    assert talk.accepted.recv(16) == b"hello"


# --- evidence and repeatability ---------------------------------------------------------------


def open_and_close(lab: Lab, version: int, pcap: Path | None = None) -> list[ObservedSegment]:
    """The open and the four-way close, as the scenario runner would drive them."""
    with ExitStack() as sockets, Stepper(lab, port=PORT, pcap=pcap) as stepper:
        talk = Conversation(lab, stepper, version, sockets)
        talk.open()
        talk.act("client", socket.socket.close)
        stepper.settle()
        assert stepper.states()[CLIENT].state is TcpState.FIN_WAIT_2
        talk.act("server", socket.socket.close)
        stepper.settle()
        # The kernel's own delayed ACK of the FIN is expected; no probe or timeout may fire.
        retransmissions = ("TCPLossProbes", "TCPTimeouts", "TCPSynRetrans")
        for counts in stepper.timer_transmissions().values():
            assert [counts[name] for name in retransmissions] == [0, 0, 0], counts
        return stepper.segments


@FAMILIES
def test_the_pcap_shows_the_same_flags_in_the_same_order(
    lab: Lab, version: int, tmp_path: Path
) -> None:
    pcap = tmp_path / f"open-close-ipv{version}.pcap"
    segments = open_and_close(lab, version, pcap)
    assert [s.flags for s in segments] == [SYN, SYN | ACK, ACK, FIN | ACK, ACK, FIN | ACK, ACK]
    assert tcp_flags_in_pcap(pcap) == [s.flags for s in segments]


def fingerprint(segments: list[ObservedSegment]) -> list[tuple[object, ...]]:
    """What must not change from run to run: timer values tick, their kinds must not."""

    def states(snapshots: object) -> tuple[tuple[str, str, str], ...]:
        assert isinstance(snapshots, dict)
        return tuple(
            (role, s.state.value, s.timer.split(",")[0]) for role, s in sorted(snapshots.items())
        )

    return [
        (s.n, s.sender, s.receiver, s.flags, s.length, states(s.before), states(s.after))
        for s in segments
    ]


def test_open_and_close_four_times_give_identical_sequences(
    lab_factory: Callable[[str], Lab],
) -> None:
    # Twice per family is enough here; `make repeat` (scripts/repeat.py) runs lab check 20 times.
    runs = [
        fingerprint(open_and_close(lab_factory("dual-stack"), 4 + 2 * (i % 2))) for i in range(4)
    ]
    ipv4, ipv6 = runs[0::2], runs[1::2]
    assert all(run == ipv4[0] for run in ipv4)
    assert all(run == ipv6[0] for run in ipv6)
    assert ipv4[0] == ipv6[0]  # the families behave alike, too


def test_steppers_one_after_another_on_one_lab_and_the_lab_works_after(lab: Lab) -> None:
    first = fingerprint(open_and_close(lab, 4))
    assert fingerprint(open_and_close(lab, 4)) == first
    # Rules removed, nothing held: unstepped TCP flows again.
    server = lab["server"]
    with server.listen(9000, server.address()) as listener:
        lab["client"].connect(server.address(), 9000).close()
        listener.accept()[0].close()


# --- misuse and edges ---------------------------------------------------------------------------


def test_a_second_stepper_on_the_same_lab_is_refused(lab: Lab, stepper: Stepper) -> None:
    with pytest.raises(SteppingError, match="another socket"):
        Stepper(lab, port=PORT).start()
    assert stepper.settle() == []  # the first one still works


def test_unknown_roles_are_named(lab: Lab, stepper: Stepper) -> None:
    with pytest.raises(SteppingError, match=r"'router' is not a role.*'client'.*'server'"):
        stepper.act("router", lambda: None)
    with pytest.raises(SteppingError, match="two lab hosts"):
        Stepper(lab, client="server", server="server", port=PORT)


def test_a_released_segment_cannot_be_released_again(
    lab: Lab, stepper: Stepper, sockets: ExitStack
) -> None:
    talk = Conversation(lab, stepper, 4, sockets)
    talk.listen()
    talk.connect()
    syn = stepper.next_segment()
    syn.release()
    with pytest.raises(SteppingError, match="released or dropped already"):
        syn.release()


def test_a_dropped_syn_never_arrives(lab: Lab, stepper: Stepper, sockets: ExitStack) -> None:
    talk = Conversation(lab, stepper, 4, sockets)
    talk.listen()
    talk.connect()
    stepper.next_segment().drop()
    assert stepper.settle() == []
    assert stepper.states()[CLIENT].state is TcpState.SYN_SENT
    assert stepper.states()[SERVER].state is TcpState.LISTEN


def test_stepping_leaves_nothing_behind(no_leaks: None) -> None:
    with Lab("dual-stack") as lab:
        open_and_close(lab, 6)
