"""Captured frames written as a classic pcap file (Ethernet, microseconds), without scapy.

A pcap file is a 24-byte header and one 16-byte header per frame: writing it
directly takes microseconds per frame, where scapy dissects every frame first.
Wireshark, tcpdump and scapy's rdpcap read it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from pathlib import Path
from typing import Final

from lab._errors import SteppingError
from lab.stepping._capture import Frame

_MAGIC: Final = 0xA1B2C3D4  # microsecond timestamps, in this machine's byte order
_VERSION: Final = (2, 4)
_SNAPLEN: Final = 1 << 18
LINKTYPE_ETHERNET: Final = 1


def write_pcap(path: Path, frames: Iterable[Frame]) -> int:
    """Write `frames` to `path` as pcap (an empty file has just the header); returns how many."""
    records = [_HEADER]
    for frame in frames:
        microseconds = round(frame.time * 1_000_000)
        seconds, fraction = divmod(microseconds, 1_000_000)
        size = len(frame.data)
        records += [struct.pack("=IIII", seconds, fraction, size, size), frame.data]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"".join(records))
    except OSError as error:
        raise SteppingError(f"cannot write the capture to {path}: {error}") from error
    return len(records) // 2


_HEADER: Final = struct.pack("=IHHiIII", _MAGIC, *_VERSION, 0, 0, _SNAPLEN, LINKTYPE_ETHERNET)
