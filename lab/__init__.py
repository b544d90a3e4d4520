"""lab: check documented TCP behaviour against the real Linux kernel, in namespace labs.

    from lab import Lab, check_scenario

    with Lab("two-hosts") as lab:
        check_scenario(lab, "close", family="IPv6").assert_documented()

The names below are the public API, with `lab.stepping` (segments held in
flight), `lab.tcp` (states, flags, the documented tables, verdicts),
`lab.notes` (study notes read into the same model: ``check_note`` checks one)
and `lab.topology`; everything in underscore modules may change.

Each name is imported when it is first used, so ``import lab.cli`` costs
milliseconds and the `lab` command can answer Ctrl-C from its first moment.
"""

import importlib
import typing

_EXPORTS: dict[str, str] = {
    "BuildError": "lab._errors",
    "CheckEvent": "lab._check",
    "CheckInterrupted": "lab._check",
    "CheckResult": "lab._check",
    "CheckStarted": "lab._check",
    "Family": "lab._addresses",
    "Host": "lab.kernel",
    "HostError": "lab._errors",
    "InputError": "lab._errors",
    "Lab": "lab.kernel",
    "LabError": "lab._errors",
    "LabNotFoundError": "lab._errors",
    "NoteCheck": "lab._notecheck",
    "NoteError": "lab._errors",
    "NoteInterrupted": "lab._notecheck",
    "NothingToCheckError": "lab._errors",
    "PlannedRun": "lab._check",
    "Privilege": "lab.kernel",
    "PrivilegeError": "lab._errors",
    "Process": "lab.kernel",
    "Role": "lab.tcp",
    "RunFinished": "lab._check",
    "RunStarted": "lab._check",
    "ScenarioCheck": "lab._check",
    "SpecError": "lab._errors",
    "SteppingError": "lab._errors",
    "TcpFlag": "lab.tcp",
    "TcpState": "lab.tcp",
    "TimerWaiting": "lab._check",
    "Topology": "lab.topology",
    "TopologyError": "lab._errors",
    "UnknownNameError": "lab._errors",
    "check_note": "lab._notecheck",
    "check_scenario": "lab._check",
    "ensure_privileges": "lab.kernel",
    "from_dict": "lab.topology",
    "load": "lab.topology",
    "load_spec": "lab.tcp",
    "run_check": "lab._check",
}
"""Each public name and the module that defines it."""

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
    "NoteCheck",
    "NoteError",
    "NoteInterrupted",
    "NothingToCheckError",
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
    "check_note",
    "check_scenario",
    "ensure_privileges",
    "from_dict",
    "load",
    "load_spec",
    "run_check",
]

if typing.TYPE_CHECKING:
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
        NoteError,
        NothingToCheckError,
        PrivilegeError,
        SpecError,
        SteppingError,
        TopologyError,
        UnknownNameError,
    )
    from lab._notecheck import NoteCheck, NoteInterrupted, check_note
    from lab.kernel import Host, Lab, Privilege, Process, ensure_privileges
    from lab.tcp import Role, TcpFlag, TcpState, load_spec
    from lab.topology import Topology, from_dict, load
else:

    def __getattr__(name: str) -> object:
        """Import a public name on first use (PEP 562)."""
        module = _EXPORTS.get(name)
        if module is None:
            raise AttributeError(f"module 'lab' has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *_EXPORTS})
