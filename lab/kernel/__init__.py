"""Labs in the kernel: namespaces held by descriptors, links built over netlink, hosts, programs.

Needs privileges (root, or a user namespace: see `ensure_privileges`).
Watching TCP inside a running lab is `lab.stepping`, which builds on this.
"""

from lab.kernel._host import Host
from lab.kernel._lab import Lab
from lab.kernel._netns import NetNamespace
from lab.kernel._privileges import Privilege, ensure_privileges
from lab.kernel._process import Process

__all__ = ["Host", "Lab", "NetNamespace", "Privilege", "Process", "ensure_privileges"]
