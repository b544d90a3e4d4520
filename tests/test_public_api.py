"""The public API is what lab/__init__.py lists, nothing more; every name is documented."""

from __future__ import annotations

import lab
import lab.topology

EXPECTED = {
    "BuildError",
    "CheckResult",
    "InputError",
    "ScenarioCheck",
    "SpecError",
    "SteppingError",
    "TcpFlag",
    "TcpState",
    "check_scenario",
    "load_spec",
    "run_check",
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
}


def test_public_names_are_curated_and_documented() -> None:
    assert set(lab.__all__) == EXPECTED
    for name in lab.__all__:
        obj = getattr(lab, name)
        assert obj.__doc__, f"lab.{name} has no docstring"
        module = obj.__module__.rsplit(".", 1)[-1]
        assert module.startswith("_"), f"lab.{name} is defined in public module {obj.__module__}"


def test_errors_form_one_tree() -> None:
    for name in (
        "BuildError",
        "HostError",
        "InputError",
        "LabNotFoundError",
        "PrivilegeError",
        "SpecError",
        "SteppingError",
        "TopologyError",
    ):
        assert issubclass(getattr(lab, name), lab.LabError)


def test_topology_package_exports_are_importable() -> None:
    for name in lab.topology.__all__:
        assert hasattr(lab.topology, name), name
