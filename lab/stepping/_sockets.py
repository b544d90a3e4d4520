"""The application side of a scenario: its sockets, and one method per verb of the tables.

`ScenarioSockets.perform` turns an `Action` (``client sets TCP_USER_TIMEOUT 500``)
into a call on real sockets in the role's host, and the call says what came of it
in the one vocabulary the tables document (`lab.tcp._actions`): ``ok`` (or the
count of bytes sent or read), ``EOF`` for a read that found the peer's FIN, or
the errno name of a call that failed (``EPIPE``, ``ECONNREFUSED``, ``EINPROGRESS``).
`VERBS` maps each verb of tables.yaml's ``actions:`` to its method, and
`SETTERS` each socket option a script may set to the setsockopt() call.

Every socket is non-blocking: a call that waited for the network would wait for
a segment the stepper holds. Only the two ``waits for`` verbs block, with a
bound, and only for what the kernel's timers decide (nothing is delivered then).
"""

from __future__ import annotations

import errno
import select
import socket
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Final

from lab._addresses import Family
from lab._errors import SteppingError
from lab.kernel._lab import Lab
from lab.tcp._actions import OK, READ_EOF, SocketOption
from lab.tcp._names import Role
from lab.tcp._spec import Action

__all__ = ["DATA", "MAX_DATA", "SETTERS", "VERBS", "WAIT_LIMIT", "ScenarioSockets"]

DATA = b"hello"
URGENT = b"!"
MAX_DATA = 1400
"""The most bytes one "sends data" sends: what one segment carries over IPv4 and IPv6 on the
lab's links (MTU 1500, timestamps on), so that a documented len=100 stays one segment."""
TWO_SEGMENTS = 2000
"""Bytes "sends two segments" writes at once: more than one segment (at most 1448 bytes over
IPv4, 1428 over IPv6, timestamps on) and less than two."""
READ_SIZE = 65536
"""Bytes asked for by each read of "reads data" and "reads" (they read until nothing is left)."""
WAIT_LIMIT = 10.0
"""Seconds "waits for the connection" and "waits for an error" wait at most: enough for a
connect() with net.ipv4.tcp_syn_retries 1 or 2 (3 s, 7 s) to give up, or a user timeout."""


@dataclass(frozen=True)
class Setter:
    """How a socket option is set: setsockopt(level, name, what `encode` makes of the value)."""

    level: int
    name: int
    encode: Callable[[int], int | bytes] = int


SETTERS: Final[Mapping[SocketOption, Setter]] = {
    SocketOption.TCP_NODELAY: Setter(socket.IPPROTO_TCP, socket.TCP_NODELAY),
    SocketOption.TCP_CORK: Setter(socket.IPPROTO_TCP, socket.TCP_CORK),
    SocketOption.TCP_USER_TIMEOUT: Setter(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT),
    SocketOption.TCP_SYNCNT: Setter(socket.IPPROTO_TCP, socket.TCP_SYNCNT),
    # struct linger {l_onoff, l_linger}: on, for that many seconds.
    SocketOption.SO_LINGER: Setter(
        socket.SOL_SOCKET, socket.SO_LINGER, lambda seconds: struct.pack("ii", 1, seconds)
    ),
}
"""Every option of `lab.tcp._actions.OPTIONS`, as setsockopt() sets it."""


def _errno_name(code: int) -> str:
    return errno.errorcode.get(code, str(code))


@dataclass
class ScenarioSockets:
    """The sockets of one scenario: listeners, each role's connection, its bound port."""

    lab: Lab
    hosts: Mapping[Role, str]
    """The lab host that plays each role."""
    family: Family
    port: int
    """Where a role that listens listens, and where `connects` goes unless the peer bound a
    port of its own."""
    listeners: dict[Role, socket.socket] = field(default_factory=dict)
    conn: dict[Role, socket.socket] = field(default_factory=dict)
    """Each role's connection: connected, accepted, or bound and about to connect."""
    bound: dict[Role, int] = field(default_factory=dict)
    """The port each role bound (``binds port P``, ``connects from port P``)."""
    pending: dict[Role, list[tuple[SocketOption, int]]] = field(default_factory=dict)
    """Options a role set before it had a socket, set on the next one it opens."""

    def address(self, role: Role) -> str:
        return self.lab[self.hosts[role]].address(self.family.version)

    def close(self) -> None:
        for sock in [*self.conn.values(), *self.listeners.values()]:
            sock.close()
        self.conn.clear()
        self.listeners.clear()

    def perform(self, action: Action) -> Callable[[], str]:
        """A call that does `action` and says what came of it (``ok``, ``5``, ``EPIPE``)."""
        verb = VERBS.get(action.verb)
        if verb is None:
            raise SteppingError(
                f"the runner cannot perform {action.verb!r}; it knows: {', '.join(VERBS)}"
            )

        def call() -> str:
            try:
                return verb(self, action)
            except OSError as error:
                return _errno_name(error.errno) if error.errno else str(error)

        return call

    # --- the action vocabulary of tables.yaml, one method per verb (see VERBS) --------

    def listens(self, action: Action) -> str:
        role = action.actor
        sock = self._open(role)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.address(role), self.port))
        sock.listen(8)
        self.listeners[role] = sock
        return OK

    def connects_its_listener(self, action: Action) -> str:
        """connect() on the role's listening socket (RFC 9293's LISTEN → SYN-SENT on a send):
        Linux refuses it; the result is the errno, and no SYN leaves."""
        role = action.actor
        code = self._listener(role).connect_ex((self.address(role.peer), self.port))
        return _errno_name(code) if code else OK

    def binds_port(self, action: Action) -> str:
        """bind() a socket to the role's address and the given port, to connect from it."""
        role, port = action.actor, action.arguments.port
        if port is None:
            raise SteppingError(f"'{action}' names no port; write e.g. {role} binds port 40000")
        sock = self.conn.pop(role, None) or self._open(role)
        self.conn[role] = sock  # recorded before bind() may fail, so that it is closed
        sock.bind((self.address(role), port))
        self.bound[role] = port
        return OK

    def connects(self, action: Action) -> str:
        """connect() to the peer: to the port it bound, if it did, else to the scenario's port."""
        return self._connect(action.actor, self.bound.get(action.actor.peer, self.port))

    def connects_from_port(self, action: Action) -> str:
        """binds port P, then connects (a fixed source port, as a simultaneous open needs)."""
        bound = self.binds_port(action)
        return self.connects(action) if bound == OK else bound

    def connects_to_a_closed_port(self, action: Action) -> str:
        return self._connect(action.actor, self.port + 1)

    def accepts(self, action: Action) -> str:
        role = action.actor
        listener = self._listener(role)
        listener.settimeout(2.0)
        sock, _peer = listener.accept()
        sock.setblocking(False)
        self.conn[role] = sock
        return OK

    def sends_data(self, action: Action) -> str:
        """Send a few bytes, or `size` (at most `MAX_DATA`, so that they fit one segment)."""
        data = DATA if action.size is None else b"x" * min(action.size, MAX_DATA)
        return str(self._sock(action.actor).send(data))

    def sends_two_segments(self, action: Action) -> str:
        """One write of `TWO_SEGMENTS` bytes: more than one segment holds on the lab's links,
        so two leave at once (a full one, then the rest), neither waiting for an ACK."""
        return str(self._sock(action.actor).send(b"x" * TWO_SEGMENTS))

    def sends_urgent_data(self, action: Action) -> str:
        return str(self._sock(action.actor).send(URGENT, socket.MSG_OOB))

    def reads_data(self, action: Action) -> str:
        """Read all that arrived, urgent byte included, so that a later close sends FIN, not RST.

        Urgent data stays out of band (no SO_OOBINLINE: the socket behaves as the kernel's
        defaults make it), so it is read with MSG_OOB, first: once an ordinary read has
        passed the urgent byte, the kernel forgets it. An ordinary read skips that byte
        and frees the buffer that held it, so nothing is left unread either way. The
        result counts both.
        """
        sock = self._sock(action.actor)
        urgent = _read_urgent(sock)
        read, _ended = _read_all(sock)
        return str(read + urgent)

    def reads(self, action: Action) -> str:
        """Read what is queued: the count; ``EOF`` if nothing was and the peer's FIN (or
        SHUT_RD) ended the stream; else the errno (EAGAIN: nothing yet, ECONNRESET)."""
        read, ended = _read_all(self._sock(action.actor))
        if read:
            return str(read)
        return READ_EOF if ended else _errno_name(errno.EAGAIN)

    def writes_data(self, action: Action) -> str:
        """write() a few bytes: the count, or the errno (EPIPE after SHUT_WR, ECONNRESET...)."""
        return str(self._sock(action.actor).send(DATA))

    def closes(self, action: Action) -> str:
        role = action.actor
        if role in self.conn:
            self.conn.pop(role).close()
        elif role in self.listeners:
            self.listeners.pop(role).close()
        return OK

    def shuts_down_writing(self, action: Action) -> str:
        """shutdown(SHUT_WR): a FIN goes, and the socket still reads what the peer sends."""
        self._sock(action.actor).shutdown(socket.SHUT_WR)
        return OK

    def shuts_down_reading(self, action: Action) -> str:
        """shutdown(SHUT_RD): no segment goes; reads return EOF from now on."""
        self._sock(action.actor).shutdown(socket.SHUT_RD)
        return OK

    def aborts(self, action: Action) -> str:
        role = action.actor
        sock = self._sock(role)
        del self.conn[role]
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        return OK

    def sets_option_value(self, action: Action) -> str:
        """setsockopt() on the role's connection, else its listener (accepted connections
        inherit it), else on the next socket the role opens."""
        role, option, value = action.actor, action.arguments.option, action.arguments.value
        if option is None or value is None:
            raise SteppingError(f"'{action}' names no option; write e.g. {role} sets TCP_NODELAY 1")
        sock = self.conn.get(role) or self.listeners.get(role)
        if sock is None:
            self.pending.setdefault(role, []).append((option, value))
            return OK
        _set(sock, option, value)
        return OK

    def waits_for_the_connection(self, action: Action) -> str:
        """Wait (up to `WAIT_LIMIT`) until a non-blocking connect() is decided, then say how:
        ``ok``, or SO_ERROR's errno (ECONNREFUSED, ETIMEDOUT); EINPROGRESS if still undecided."""
        return self._wait(action, select.POLLOUT)

    def waits_for_an_error(self, action: Action) -> str:
        """Wait (up to `WAIT_LIMIT`) until the connection fails, then SO_ERROR's errno
        (ETIMEDOUT once TCP_USER_TIMEOUT ran out); ``ok`` if it was still up at the limit."""
        return self._wait(action, 0)  # poll() reports POLLERR and POLLHUP unasked

    # --- helpers --------------------------------------------------------------------------

    def _wait(self, action: Action, events: int) -> str:
        sock = self._sock(action.actor)
        poller = select.poll()
        poller.register(sock, events)
        decided = poller.poll(WAIT_LIMIT * 1000)
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            return _errno_name(code)
        if not decided and events:
            return _errno_name(errno.EINPROGRESS)
        return OK

    def _open(self, role: Role) -> socket.socket:
        """A new non-blocking socket in the role's host, with the options it set before."""
        sock = self.lab[self.hosts[role]].open_socket(self.family.af)
        sock.setblocking(False)
        for option, value in self.pending.pop(role, []):
            _set(sock, option, value)
        return sock

    def _connect(self, role: Role, port: int) -> str:
        sock = self.conn.get(role) if role in self.bound else None
        if sock is None:
            if role in self.conn:  # connecting again: the earlier socket is closed first
                self.conn.pop(role).close()
            sock = self._open(role)
            self.conn[role] = sock
        code = sock.connect_ex((self.address(role.peer), port))
        return _errno_name(code) if code else OK

    def _listener(self, role: Role) -> socket.socket:
        try:
            return self.listeners[role]
        except KeyError:
            raise SteppingError(
                f"{role} has no listening socket: add '{role} listens' before it"
            ) from None

    def _sock(self, role: Role) -> socket.socket:
        try:
            return self.conn[role]
        except KeyError:
            raise SteppingError(f"{role} has no connection yet: connect or accept first") from None


def _set(sock: socket.socket, option: SocketOption, value: int) -> None:
    setter = SETTERS[option]
    sock.setsockopt(setter.level, setter.name, setter.encode(value))


def _read_all(sock: socket.socket) -> tuple[int, bool]:
    """Read until nothing is left: the bytes read, and whether the stream has ended (EOF).

    A read that fails with anything but EAGAIN before any byte came raises it."""
    read = 0
    while True:
        try:
            chunk = sock.recv(READ_SIZE, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return read, False
        except OSError:
            if read:
                return read, False
            raise
        if not chunk:
            return read, True  # the peer's FIN: nothing more will come
        read += len(chunk)


def _read_urgent(sock: socket.socket) -> int:
    """Read the urgent byte if one is waiting (MSG_OOB); how many were read (0 or 1)."""
    try:
        return len(sock.recv(1, socket.MSG_OOB | socket.MSG_DONTWAIT))
    except OSError:  # EINVAL: no urgent byte (or read already); EAGAIN: not arrived yet
        return 0


VERBS: Final[dict[str, Callable[[ScenarioSockets, Action], str]]] = {
    "listens": ScenarioSockets.listens,
    "connects": ScenarioSockets.connects,
    "connects to a closed port": ScenarioSockets.connects_to_a_closed_port,
    "connects its listener": ScenarioSockets.connects_its_listener,
    "connects from port PORT": ScenarioSockets.connects_from_port,
    "binds port PORT": ScenarioSockets.binds_port,
    "accepts": ScenarioSockets.accepts,
    "sends data": ScenarioSockets.sends_data,
    "sends two segments": ScenarioSockets.sends_two_segments,
    "sends urgent data": ScenarioSockets.sends_urgent_data,
    "writes data": ScenarioSockets.writes_data,
    "reads data": ScenarioSockets.reads_data,
    "reads": ScenarioSockets.reads,
    "closes": ScenarioSockets.closes,
    "shuts down writing": ScenarioSockets.shuts_down_writing,
    "shuts down reading": ScenarioSockets.shuts_down_reading,
    "aborts": ScenarioSockets.aborts,
    "sets OPTION VALUE": ScenarioSockets.sets_option_value,
    "waits for the connection": ScenarioSockets.waits_for_the_connection,
    "waits for an error": ScenarioSockets.waits_for_an_error,
}
"""Every action verb a scenario may use (placeholders in capitals), and its method."""
