"""Other kernels: fetched into a cache, booted under qemu, one command run inside each.

The guest boots on this machine's own root filesystem (shared read-only over 9p,
with a throwaway writable layer on top), so the same ``lab`` runs inside with the
same arguments; what it writes to the shared directory comes back.
"""

from __future__ import annotations

from lab.vm._image import GuestRun, KernelImage

__all__ = ["GuestRun", "KernelImage"]
