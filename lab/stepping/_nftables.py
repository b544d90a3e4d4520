"""The stepper's queueing rules, written straight to nf_tables over netlink.

The rules queue with the native nft_queue expression where the kernel has it,
else with xtables' NFQUEUE target through nft_compat (kernels built without
CONFIG_NFT_QUEUE, where ``nft`` cannot write such a rule at all); both are
written over netlink, so no ``nft`` binary is needed. Which one works is
learnt once per process (a failed native try costs ~15 ms of modprobe).

Per namespace, one table per address family (``ip labstep``, ``ip6 labstep``:
nft_compat serves the ip/ip6/arp/bridge families, not inet), each with

    chain egress  { type filter hook output priority 0;
                    ip saddr ME ip daddr PEER meta l4proto tcp queue num 1 }
    chain ingress { type filter hook input priority 0;
                    ip saddr PEER ip daddr ME meta l4proto tcp queue num 2 }

No `bypass`: with nobody bound to a queue its packets are dropped, never let
through unobserved. Installing flushes the chains first, so it can be done
again (a second Stepper on the same lab) without doubling rules.
"""

from __future__ import annotations

import errno
import socket
import struct
from dataclasses import dataclass

from lab._addresses import IP
from lab._errors import SteppingError
from lab.kernel._netns import NetNamespace
from lab.kernel._rawnetlink import NLM_F_ACK, attr, nest
from lab.stepping._nfnetlink import NO_NETFILTER_NETLINK, NfnetlinkSocket

NLM_F_CREATE = 0x400
NLM_F_APPEND = 0x800

NFNL_SUBSYS_NFTABLES = 10
NFNL_MSG_BATCH_BEGIN = 16
NFNL_MSG_BATCH_END = 17
NFT_MSG_NEWTABLE = 0
NFT_MSG_DELTABLE = 2
NFT_MSG_NEWCHAIN = 3
NFT_MSG_NEWRULE = 6
NFT_MSG_DELRULE = 8

NFPROTO_IPV4 = 2
NFPROTO_IPV6 = 10
NF_INET_LOCAL_IN = 1
NF_INET_LOCAL_OUT = 3
NF_ACCEPT = 1

NFT_REG_1 = 1  # a 16-byte register: holds an IPv6 address
NFT_CMP_EQ = 0
NFT_META_L4PROTO = 16
NFT_PAYLOAD_NETWORK_HEADER = 1

TABLE = "labstep"
EGRESS_QUEUE = 1
INGRESS_QUEUE = 2

# Where the source and destination addresses sit in each family's header.
_ADDRESS_OFFSETS = {NFPROTO_IPV4: (12, 16, 4), NFPROTO_IPV6: (8, 24, 16)}

_NO_QUEUE = (
    "this kernel cannot queue packets from nf_tables: it has neither the nft_queue "
    "expression (CONFIG_NFT_QUEUE) nor xtables' NFQUEUE target through nft_compat "
    "(CONFIG_NFT_COMPAT and CONFIG_NETFILTER_XT_TARGET_NFQUEUE); build one of them "
    "(as modules: modprobe nft_queue, or modprobe nft_compat xt_NFQUEUE)"
)


@dataclass(frozen=True)
class AddressPair:
    """One host's address and its peer's, of one family: the traffic to hold."""

    me: IP
    peer: IP

    @property
    def family(self) -> int:
        return NFPROTO_IPV4 if self.me.version == 4 else NFPROTO_IPV6


def _str(kind: int, value: str) -> bytes:
    return attr(kind, value.encode() + b"\0")


def _be32(kind: int, value: int) -> bytes:
    return attr(kind, struct.pack(">I", value))


def _be16(kind: int, value: int) -> bytes:
    return attr(kind, struct.pack(">H", value))


def _expr(name: str, *data: bytes) -> bytes:
    return nest(1, _str(1, name), nest(2, *data))  # NFTA_LIST_ELEM{NFTA_EXPR_NAME, _DATA}


def _meta(key: int) -> bytes:
    return _expr("meta", _be32(1, NFT_REG_1), _be32(2, key))  # NFTA_META_DREG, NFTA_META_KEY


def _payload(offset: int, length: int) -> bytes:
    # NFTA_PAYLOAD_DREG, NFTA_PAYLOAD_BASE, NFTA_PAYLOAD_OFFSET, NFTA_PAYLOAD_LEN
    return _expr(
        "payload",
        _be32(1, NFT_REG_1),
        _be32(2, NFT_PAYLOAD_NETWORK_HEADER),
        _be32(3, offset),
        _be32(4, length),
    )


def _cmp_eq(value: bytes) -> bytes:
    # NFTA_CMP_SREG, NFTA_CMP_OP, NFTA_CMP_DATA{NFTA_DATA_VALUE}
    return _expr("cmp", _be32(1, NFT_REG_1), _be32(2, NFT_CMP_EQ), nest(3, attr(1, value)))


def _queue_native(num: int) -> bytes:
    return _expr("queue", _be16(1, num), _be16(2, 1), _be16(3, 0))  # NUM, TOTAL, FLAGS


def _queue_compat(num: int) -> bytes:
    # xtables target NFQUEUE revision 0: struct xt_NFQ_info { __u16 queuenum; } (host order)
    return _expr("target", _str(1, "NFQUEUE"), _be32(2, 0), attr(3, struct.pack("=H", num)))


_native_queue: bool | None = None
"""Whether this kernel has nft_queue: None until the first install in this process tells."""


QUEUE_PATHS = {True: "nft_queue", False: "NFQUEUE through nft_compat"}
"""How the rules queue, as reports name it: the native expression, or xtables' target."""


def queue_path() -> str | None:
    """How this process's queue rules were written (`QUEUE_PATHS`); None before the first."""
    return None if _native_queue is None else QUEUE_PATHS[_native_queue]


class QueueRules:
    """The stepper's tables in one namespace, over one nf_tables netlink socket."""

    def __init__(self, netns: NetNamespace, *, label: str) -> None:
        self.label = label
        """Whose rules these are, for error messages (a host name)."""
        try:
            self._sock = NfnetlinkSocket(netns)
        except OSError as error:
            if error.errno in NO_NETFILTER_NETLINK:
                raise SteppingError(
                    f"cannot write nf_tables rules in host {label}: this kernel has no "
                    "nfnetlink; build it with CONFIG_NETFILTER_NETLINK and CONFIG_NF_TABLES"
                ) from error
            raise SteppingError(f"cannot open nf_tables in host {label}: {error}") from error
        self._families: set[int] = set()

    def install(self, pairs: list[AddressPair]) -> None:
        """Queue TCP from each pair's `me` to `peer` at output, and back at input."""
        global _native_queue  # noqa: PLW0603 - a fact about the kernel, learnt once
        if _native_queue is not False:
            try:
                self._install(pairs, native=True)
                _native_queue = True
                return
            except OSError as error:
                if error.errno not in (errno.ENOENT, errno.EOPNOTSUPP):
                    raise self._error("installing the queue rules", error) from error
                # No nft_queue in this kernel: the batch was rolled back as a whole.
                _native_queue = False
        try:
            self._install(pairs, native=False)
        except OSError as error:
            if error.errno in (errno.ENOENT, errno.EOPNOTSUPP):
                raise SteppingError(f"host {self.label}: {_NO_QUEUE}") from error
            raise self._error("installing the queue rules", error) from error

    def remove(self) -> None:
        """Delete the tables (and with them the rules); nothing to do when none were made."""
        if not self._families:
            return
        messages = [
            (NFT_MSG_DELTABLE, family, 0, _str(1, TABLE)) for family in sorted(self._families)
        ]
        try:
            self._batch(messages)
        except OSError as error:
            if error.errno != errno.ENOENT:  # already gone
                raise self._error("removing the queue rules", error) from error
        self._families.clear()

    def close(self) -> None:
        """Close the netlink socket; the tables stay until `remove` or the namespace goes."""
        self._sock.close()

    def _error(self, what: str, error: OSError) -> SteppingError:
        hint = {
            errno.EAFNOSUPPORT: "this kernel lacks nf_tables for that family: build it with "
            "CONFIG_NF_TABLES_IPV4 / CONFIG_NF_TABLES_IPV6",
            errno.EINVAL: "this kernel has no nf_tables: build it with CONFIG_NF_TABLES",
            errno.EPERM: "the process lacks CAP_NET_ADMIN in the lab's namespace",
        }.get(error.errno or 0, "see the kernel log (dmesg)")
        return SteppingError(f"host {self.label}: {what} failed: {error.strerror}; {hint}")

    def _install(self, pairs: list[AddressPair], *, native: bool) -> None:
        queue = _queue_native if native else _queue_compat
        messages: list[tuple[int, int, int, bytes]] = []
        families = sorted({pair.family for pair in pairs})
        for family in families:
            messages.append((NFT_MSG_NEWTABLE, family, NLM_F_CREATE, _str(1, TABLE)))
            for chain, hook in (("egress", NF_INET_LOCAL_OUT), ("ingress", NF_INET_LOCAL_IN)):
                chain_attrs = (
                    _str(1, TABLE)
                    + _str(3, chain)
                    + nest(4, _be32(1, hook), _be32(2, 0))  # NFTA_CHAIN_HOOK{HOOKNUM, PRIORITY}
                    + _be32(5, NF_ACCEPT)  # NFTA_CHAIN_POLICY
                    + _str(7, "filter")  # NFTA_CHAIN_TYPE
                )
                messages.append((NFT_MSG_NEWCHAIN, family, NLM_F_CREATE, chain_attrs))
                # A DELRULE naming only the chain flushes it: installing twice replaces.
                messages.append((NFT_MSG_DELRULE, family, 0, _str(1, TABLE) + _str(2, chain)))
        for pair in pairs:
            src_offset, dst_offset, length = _ADDRESS_OFFSETS[pair.family]
            for chain, src, dst, num in (
                ("egress", pair.me, pair.peer, EGRESS_QUEUE),
                ("ingress", pair.peer, pair.me, INGRESS_QUEUE),
            ):
                expressions = (
                    _payload(src_offset, length)
                    + _cmp_eq(src.packed)
                    + _payload(dst_offset, length)
                    + _cmp_eq(dst.packed)
                    + _meta(NFT_META_L4PROTO)
                    + _cmp_eq(bytes([socket.IPPROTO_TCP]))
                    + queue(num)
                )
                rule = _str(1, TABLE) + _str(2, chain) + nest(4, expressions)  # NFTA_RULE_EXPR..
                messages.append((NFT_MSG_NEWRULE, pair.family, NLM_F_CREATE | NLM_F_APPEND, rule))
        self._batch(messages)
        self._families.update(families)

    def _batch(self, messages: list[tuple[int, int, int, bytes]]) -> None:
        """Send one transaction (BATCH_BEGIN ... BATCH_END); raise the first error."""
        _, begin = self._sock.request(
            0, NFNL_MSG_BATCH_BEGIN, b"", family=socket.AF_UNSPEC, res_id=NFNL_SUBSYS_NFTABLES
        )
        out = [begin]
        seqs: set[int] = set()
        for kind, family, flags, attrs in messages:
            seq, data = self._sock.request(
                NFNL_SUBSYS_NFTABLES, kind, attrs, family=family, flags=flags | NLM_F_ACK
            )
            out.append(data)
            seqs.add(seq)
        _, end = self._sock.request(
            0, NFNL_MSG_BATCH_END, b"", family=socket.AF_UNSPEC, res_id=NFNL_SUBSYS_NFTABLES
        )
        out.append(end)
        self._sock.send(b"".join(out))
        self._sock.wait_acks(seqs)
