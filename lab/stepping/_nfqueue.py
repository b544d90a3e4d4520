"""A pure-Python NFQUEUE client: nfnetlink_queue over a raw netlink socket.

No libnetfilter_queue, no compiled code. The protocol
(include/uapi/linux/netfilter/nfnetlink_queue.h):

* setup: CONFIG with NFQA_CFG_CMD {BIND} takes the queue, then CONFIG with
  NFQA_CFG_PARAMS {copy_range, COPY_PACKET} asks for whole packets; both with
  NLM_F_ACK so errors surface (EPERM: another socket has the queue);
* the kernel then sends NFQNL_MSG_PACKET for every queued packet:
  NFQA_PACKET_HDR {be32 id, be16 hw_protocol, u8 hook} and NFQA_PAYLOAD (the
  IP packet, starting at the network header);
* we answer NFQNL_MSG_VERDICT with NFQA_VERDICT_HDR {be32 verdict, be32 id}, and
  NFQA_PAYLOAD when the packet goes on changed (a CE mark). Verdicts may come in
  any order; the packet stays in the kernel until then.

Two kernel behaviours matter to a stepper, both tied to *not* setting
NFQA_CFG_F_GSO: a GSO super-packet is segmented before it is queued (one queue
entry per wire segment), and a CHECKSUM_PARTIAL packet gets its checksum
computed (skb_checksum_help), so the payload we read, and the frame a capture
sees afterwards, carry a valid TCP checksum.

Queue numbers are per network namespace, so the socket is created inside the
namespace whose queue it serves. The kernel processes a verdict synchronously
inside our sendmsg(): the packet re-enters the stack (next hooks, routing,
veth xmit, and usually the peer's receive softirq) before send() returns.
"""

from __future__ import annotations

import contextlib
import errno
import select
import struct
from collections import deque
from dataclasses import dataclass

from lab._errors import SteppingError
from lab.kernel._netns import NetNamespace
from lab.kernel._rawnetlink import NLM_F_ACK, Message, attr
from lab.stepping._nfnetlink import NO_NETFILTER_NETLINK, NfnetlinkSocket, nfnetlink_body

NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET = 0
NFQNL_MSG_VERDICT = 1
NFQNL_MSG_CONFIG = 2

NFQA_CFG_CMD = 1
NFQA_CFG_PARAMS = 2
NFQA_CFG_QUEUE_MAXLEN = 3
NFQNL_CFG_CMD_BIND = 1
NFQNL_CFG_CMD_UNBIND = 2
NFQNL_COPY_PACKET = 2

NFQA_PACKET_HDR = 1
NFQA_VERDICT_HDR = 2
NFQA_PAYLOAD = 10

NF_DROP = 0
NF_ACCEPT = 1

_PACKET = (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET

_BIND_HINTS = {
    errno.EPERM: "another socket (a second Stepper on this lab, or a program such as "
    "suricata) has bound it; close that first",
    errno.EINVAL: "this kernel has no nfnetlink_queue: build it with "
    "CONFIG_NETFILTER_NETLINK_QUEUE (or modprobe nfnetlink_queue)",
    errno.EOPNOTSUPP: "this kernel has no nfnetlink_queue: build it with "
    "CONFIG_NETFILTER_NETLINK_QUEUE (or modprobe nfnetlink_queue)",
}


@dataclass(frozen=True)
class QueuedPacket:
    """One packet the kernel holds for us until we give a verdict."""

    queue: int
    packet_id: int
    hook: int
    """The netfilter hook it was queued at: 1 input, 3 output."""
    payload: bytes
    """The IP packet, from the network header on."""


class NfQueue:
    """One NFQUEUE queue number in one namespace, bound to a netlink socket.

    ``fileno()`` works with select/poll, `receive` gives the next queued packet
    and `verdict` lets it go or drops it.
    """

    def __init__(self, netns: NetNamespace, queue: int, *, label: str, maxlen: int = 1024) -> None:
        self.queue = queue
        self.label = label
        """What the queue is for, for error messages (``egress queue of host client``)."""
        try:
            # If this buffer overflows the kernel drops the packet and our next recv() fails
            # with ENOBUFS: keep it large.
            self._sock = NfnetlinkSocket(netns, rcvbuf=1 << 20)
        except OSError as error:
            if error.errno in NO_NETFILTER_NETLINK:
                raise SteppingError(
                    f"cannot open {label}: this kernel has no nfnetlink; build it with "
                    "CONFIG_NETFILTER_NETLINK and CONFIG_NETFILTER_NETLINK_QUEUE"
                ) from error
            raise SteppingError(f"cannot open {label}: {error}") from error
        # Packets that arrived while we waited for an acknowledgement, in arrival order.
        self._pending: deque[QueuedPacket] = deque()
        try:
            self._config(attr(NFQA_CFG_CMD, struct.pack(">BxH", NFQNL_CFG_CMD_BIND, 0)))
            self._config(attr(NFQA_CFG_PARAMS, struct.pack(">IB", 0xFFFF, NFQNL_COPY_PACKET)))
            self._config(attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack(">I", maxlen)))
        except OSError as error:
            self._sock.close()
            hint = _BIND_HINTS.get(error.errno or 0, "see the kernel log (dmesg)")
            raise SteppingError(f"cannot bind {label}: {error.strerror}; {hint}") from error
        except BaseException:
            self._sock.close()
            raise

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        """Unbind (the kernel drops what is still queued) and close; safe to call twice."""
        if not self._sock.closed:
            with contextlib.suppress(OSError):
                self._config(attr(NFQA_CFG_CMD, struct.pack(">BxH", NFQNL_CFG_CMD_UNBIND, 0)))
            self._sock.close()

    def _config(self, attrs: bytes) -> None:
        seq, data = self._sock.request(
            NFNL_SUBSYS_QUEUE, NFQNL_MSG_CONFIG, attrs, res_id=self.queue, flags=NLM_F_ACK
        )
        self._sock.send(data)
        self._wait_ack(seq)

    def _wait_ack(self, seq: int) -> None:
        others: list[Message] = []
        try:
            self._sock.wait_acks({seq}, others)
        finally:
            self._keep_packets(others)

    def _keep_packets(self, messages: list[Message]) -> None:
        for message in messages:
            if message.kind == _PACKET:
                self._pending.append(_parse_packet(message))

    def _read(self, *, block: bool) -> None:
        try:
            self._keep_packets(self._sock.read(block=block))
        except OSError as error:
            if error.errno == errno.ENOBUFS:
                raise SteppingError(
                    f"{self.label} overran its socket buffer and the kernel dropped packets; "
                    "release segments as they come instead of letting thousands pile up"
                ) from error
            raise SteppingError(f"reading {self.label} failed: {error}") from error

    def receive(self, timeout: float | None = None) -> QueuedPacket | None:
        """The next queued packet; None if none came within `timeout` seconds (0: don't wait)."""
        if not self._pending:
            self._read(block=False)
        if not self._pending and timeout != 0:
            ready, _, _ = select.select([self._sock], [], [], timeout)
            if ready:
                self._read(block=False)
        return self._pending.popleft() if self._pending else None

    def drain(self) -> list[QueuedPacket]:
        """Every packet already queued, in queue order, without blocking."""
        while True:
            before = len(self._pending)
            self._read(block=False)
            if len(self._pending) == before:
                break
        out = list(self._pending)
        self._pending.clear()
        return out

    def verdict(
        self, packet: QueuedPacket, *, accept: bool = True, payload: bytes | None = None
    ) -> None:
        """Let `packet` go on (accept) or drop it, and wait for the kernel's acknowledgement.

        With `payload`, the packet goes on with these bytes instead (same length; the
        caller fixes the checksums it changes). An unknown id (released already, or
        flushed by an unbind) raises SteppingError instead of passing silently. Packets
        queued meanwhile are kept for `receive`.
        """
        header = struct.pack(">II", NF_ACCEPT if accept else NF_DROP, packet.packet_id)
        attrs = attr(NFQA_VERDICT_HDR, header)
        if payload is not None:
            attrs += attr(NFQA_PAYLOAD, payload)
        seq, data = self._sock.request(
            NFNL_SUBSYS_QUEUE,
            NFQNL_MSG_VERDICT,
            attrs,
            res_id=self.queue,
            flags=NLM_F_ACK,
        )
        try:
            self._sock.send(data)
            self._wait_ack(seq)
        except OSError as error:
            raise SteppingError(
                f"the verdict on packet {packet.packet_id} of {self.label} failed: "
                f"{error.strerror}; it was released or dropped already"
            ) from error


def _parse_packet(message: Message) -> QueuedPacket:
    queue, attrs = nfnetlink_body(message)
    packet_id, _hw_protocol, hook = struct.unpack(">IHB", attrs[NFQA_PACKET_HDR][:7])
    return QueuedPacket(queue, packet_id, hook, attrs.get(NFQA_PAYLOAD, b""))
