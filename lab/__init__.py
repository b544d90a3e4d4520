"""lab: check documented TCP behaviour against the real Linux kernel, in namespace labs.

    from lab import Lab

    with Lab("two-hosts") as lab:
        listener = lab["server"].listen(8080)
        conn = lab["client"].connect(lab["server"].address(), 8080)

The names below are the public API; everything in underscore modules may change.
"""

from lab._errors import (
    BuildError,
    HostError,
    LabError,
    LabNotFoundError,
    PrivilegeError,
    TopologyError,
)
from lab.kernel._host import Host
from lab.kernel._lab import Lab
from lab.kernel._privileges import Privilege, ensure_privileges
from lab.kernel._process import Process
from lab.kernel._snapshot import MachineSnapshot, take_snapshot
from lab.topology import Topology, from_dict, load

__all__ = [
    "BuildError",
    "Host",
    "HostError",
    "Lab",
    "LabError",
    "LabNotFoundError",
    "MachineSnapshot",
    "Privilege",
    "PrivilegeError",
    "Process",
    "Topology",
    "TopologyError",
    "ensure_privileges",
    "from_dict",
    "load",
    "take_snapshot",
]
