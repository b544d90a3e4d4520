"""Other kernels: fetched into a cache, booted under qemu, one command run inside each.

The guest boots on this machine's own root filesystem (shared read-only over 9p,
with a throwaway writable layer on top), so the same ``lab`` runs inside with the
same arguments; what it writes to the shared directory comes back.
"""

from __future__ import annotations

from lab.vm._cache import cache_dir, cached_kernels
from lab.vm._fetch import Fetched, fetch_kernel, resolve_kernel
from lab.vm._image import GuestRun, KernelImage
from lab.vm._qemu import run_in_guest
from lab.vm._share import GuestShare, guest_share

__all__ = [
    "Fetched",
    "GuestRun",
    "GuestShare",
    "KernelImage",
    "cache_dir",
    "cached_kernels",
    "fetch_kernel",
    "guest_share",
    "resolve_kernel",
    "run_in_guest",
]
