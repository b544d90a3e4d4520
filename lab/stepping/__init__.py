"""Stepping: every TCP segment between two lab hosts held in flight, one at a time.

    from lab import Lab
    from lab.stepping import Stepper

    with Lab("two-hosts") as lab, Stepper(lab, port=8080) as stepper:
        listener = lab["server"].listen(8080, "192.0.2.2")
        client = lab["client"].open_socket()          # a socket inside the client's namespace
        client.setblocking(False)                     # nothing may wait for the network
        stepper.act("client", lambda: client.connect_ex(("192.0.2.2", 8080)))
        syn = stepper.next_segment()       # the SYN, held at the client's output
        syn.before["client"].state         # TcpState.SYN_SENT: the sender has already moved
        observed = syn.release()           # delivered, and processed by the server
        observed.after["server"].state     # TcpState.SYN_RECEIVED
        stepper.settle()                   # the SYN+ACK and the ACK
        client.close(), listener.close()   # (their FINs are let go when the stepper closes)

Where the segments are held
---------------------------
Each host gets two NFQUEUE queues (see `_nftables`):

* **egress**, on the *output* hook of the sender: TCP has already changed
  state when it hands a segment to IP (tcp_connect() sets SYN-SENT before the
  SYN is transmitted, tcp_conn_request() hashes the request socket before
  sending the SYN+ACK, tcp_close() sets FIN-WAIT-1 or LAST-ACK before the
  FIN). So while the segment sits here the *sender is already in its new
  state and the receiver has seen nothing*;
* **ingress**, on the *input* hook of the receiver: the last netfilter hook
  before tcp_v4_rcv()/tcp_v6_rcv(). Its verdict runs the rest of the receive
  path synchronously inside our sendmsg() (nf_reinject -> okfn under
  local_bh_disable), including any answer the receiver sends at once, which
  lands in the receiver's egress queue before the verdict call returns. So
  when the ingress verdict returns, the receiver *has processed the segment*.
  No sleep, no polling of states.

The egress verdict is usually synchronous too (veth_xmit -> netif_rx ->
softirq on local_bh_enable), but that is not guaranteed (ksoftirqd may take
the softirq), so the stepper blocks on the ingress queue instead of assuming it.

When the states are read
------------------------
A segment's `before` states are read when the stepper takes it from the
egress queue: as soon as it arrives while the stepper waits for it, and in
any case before the next application action (`act`) and before any release or
drop. TCP counts every segment it sends (OutSegs + RetransSegs, see
`_counters`), so before an action the stepper also waits for segments the
kernel counted but has not queued yet. An action therefore never overtakes a
segment the kernel already emitted: an ACK made in CLOSE-WAIT is reported as
sent in CLOSE-WAIT even if the test closes the socket before looking at it.
Only a timer that changes a state between the emission and that moment (a
TIME-WAIT running out) could slip in between. The `after` states are read
once the receiver has processed the segment.

The kernel as it is
-------------------
Stepping changes no TCP setting: no quick ACKs, no longer RTO. A delayed ACK
is a segment that comes later (about 40 ms once data has flowed), and
`next_segment` waits for it up to its `timeout`; an application that closes
within that time sends its ACK on its FIN, as Linux does. Holding a segment
costs well under a millisecond (sock_diag reads take ~60 us), far below the
kernel's timers (200 ms minimum RTO, tail-loss probes of 2 RTT + 200 ms for a
single segment in flight). What a scenario needs beyond the kernel's defaults
it declares as `sysctls` (``Stepper(..., sysctls={...})``, or ``sysctls:``
in the tables), which are set in both hosts and shown in reports and JSON.

Settling
--------
`settle` releases until nothing is held, then checks with the kernel's
counters that every segment TCP transmitted has been seen, and that neither
end owes an acknowledgement: an end that received data or a FIN it has not
yet acknowledged is waited for (its delayed ACK, up to `ACK_DELAY_LIMIT`).
Only then may the scenario's next application action happen. Segments are
released in the order they were queued (collected client first, then
server, when both hold some).

Injected, reordered and marked segments
---------------------------------------
`Stepper.inject` sends a crafted segment (`_inject.craft`: a TCP header and
payload with its checksum) from a raw socket in a role's host, as if that end had
sent it: it leaves through the host's output path, so the egress queue holds it
like the kernel's own, and it is returned at once, ahead of what waits, marked
``injected`` and not counted as a segment TCP sent. `poll(skip=N)` takes a
sender's segment after its next N, which stay held in order: the one taken
overtakes them (reordering). `release(ce=True)` lets a segment go with its IP
ECN bits set to CE, as a congested router marks it (an NFQUEUE verdict with the
changed packet; IPv4's header checksum is computed again). Every observed segment
carries its TCP options and the ECN bits it arrived with.

Which socket is "the connection"
--------------------------------
A Stepper follows one connection, whose addresses it learns from the first
held segment (`ConnectionTracker`). A role's state is the state of its socket
with those addresses. Until the server has had such a socket, it is LISTEN if
it listens on the connection's port (on `port` while no segment has been
held), and again once a request it answered (SYN-RECEIVED) is forgotten; a
role with no matching socket is CLOSED, which is also how the kernel's
sock_diag shows a socket that was reset or refused (see `_diag`).

Plain mode (`Observer`) captures the same segments without holding anything,
and reads states only between application actions. `LabCapture` records every
frame on every interface of a lab, one pcap per interface (what the pytest
plugin's ``--lab-capture`` keeps for failed tests).
"""

from lab.stepping._capture import tcp_flags_in_pcap
from lab.stepping._lab_capture import LabCapture
from lab.stepping._observer import Observer
from lab.stepping._runner import ScenarioRun, TimerWait, run_scenario
from lab.stepping._segment import Connection, ConnectionTracker, Segment
from lab.stepping._sockets import VERBS, ScenarioSockets
from lab.stepping._stepper import HeldSegment, Stepper

__all__ = [
    "VERBS",
    "Connection",
    "ConnectionTracker",
    "HeldSegment",
    "LabCapture",
    "Observer",
    "ScenarioRun",
    "ScenarioSockets",
    "Segment",
    "Stepper",
    "TimerWait",
    "run_scenario",
    "tcp_flags_in_pcap",
]
