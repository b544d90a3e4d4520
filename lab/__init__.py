"""lab: check documented TCP behaviour against the real Linux kernel, in namespace labs.

    from lab import Lab

    with Lab("two-hosts") as lab:
        listener = lab["server"].listen(8080)
        conn = lab["client"].connect(lab["server"].address(), 8080)
        check_scenario(lab, "close", family="IPv6").assert_documented()

The names below are the public API; everything in underscore modules may change.
"""

from lab._check import CheckResult, ScenarioCheck, check_scenario, run_check
from lab._errors import (
    BuildError,
    HostError,
    InputError,
    LabError,
    LabNotFoundError,
    PrivilegeError,
    SpecError,
    SteppingError,
    TopologyError,
)
from lab.kernel._host import Host
from lab.kernel._lab import Lab
from lab.kernel._privileges import Privilege, ensure_privileges
from lab.kernel._process import Process
from lab.kernel._snapshot import MachineSnapshot, take_snapshot
from lab.tcp import TcpFlag, TcpState, load_spec
from lab.topology import Topology, from_dict, load

__all__ = [
    "BuildError",
    "CheckResult",
    "Host",
    "HostError",
    "InputError",
    "Lab",
    "LabError",
    "LabNotFoundError",
    "MachineSnapshot",
    "Privilege",
    "PrivilegeError",
    "Process",
    "ScenarioCheck",
    "SpecError",
    "SteppingError",
    "TcpFlag",
    "TcpState",
    "Topology",
    "TopologyError",
    "check_scenario",
    "ensure_privileges",
    "from_dict",
    "load",
    "load_spec",
    "run_check",
    "take_snapshot",
]
