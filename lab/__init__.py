"""lab: check documented TCP behaviour against the real Linux kernel, in namespace labs.

    from lab import Lab, check_scenario

    with Lab("two-hosts") as lab:
        check_scenario(lab, "close", family="IPv6").assert_documented()

The names below are the public API, with `lab.stepping` (segments held in
flight), `lab.tcp` (states, flags, the documented tables, verdicts) and
`lab.topology`; everything in underscore modules may change.
"""

from lab._addresses import Family
from lab._check import (
    CheckEvent,
    CheckInterrupted,
    CheckResult,
    CheckStarted,
    PlannedRun,
    RunFinished,
    RunStarted,
    ScenarioCheck,
    TimerWaiting,
    check_scenario,
    run_check,
)
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
    UnknownNameError,
)
from lab.kernel import Host, Lab, Privilege, Process, ensure_privileges
from lab.tcp import Role, TcpFlag, TcpState, load_spec
from lab.topology import Topology, from_dict, load

__all__ = [
    "BuildError",
    "CheckEvent",
    "CheckInterrupted",
    "CheckResult",
    "CheckStarted",
    "Family",
    "Host",
    "HostError",
    "InputError",
    "Lab",
    "LabError",
    "LabNotFoundError",
    "PlannedRun",
    "Privilege",
    "PrivilegeError",
    "Process",
    "Role",
    "RunFinished",
    "RunStarted",
    "ScenarioCheck",
    "SpecError",
    "SteppingError",
    "TcpFlag",
    "TcpState",
    "TimerWaiting",
    "Topology",
    "TopologyError",
    "UnknownNameError",
    "check_scenario",
    "ensure_privileges",
    "from_dict",
    "load",
    "load_spec",
    "run_check",
]
