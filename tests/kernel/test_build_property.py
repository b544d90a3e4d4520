"""Property tests on the kernel side: random topologies build cleanly or not at all.

For any input, building either works (and every host can use its addresses),
or stops with a TopologyError before anything exists, or with a BuildError
when the kernel refuses what the loader cannot know (a misspelt sysctl);
whatever happens, nothing is left: no descriptor, thread or child process in
this process. That the machine's own namespace never changes is checked once
for the whole run (the `machine_unchanged` fixture in tests/conftest.py).
"""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from support import Resources, leaks_since
from topology_strategies import mutated_topology_dicts, valid_topology_dicts

from lab import BuildError, Lab, TopologyError, from_dict

KERNEL = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@KERNEL
@given(data=mutated_topology_dicts())
def test_malformed_topologies_build_nothing(data: dict[str, Any]) -> None:
    before = Resources.now()
    # Refused by the loader before anything exists, or by the kernel (a sysctl name the loader
    # cannot know is wrong) and torn down again: either way one LabError, nothing left.
    with contextlib.suppress(TopologyError, BuildError):
        Lab(from_dict(data)).start().close()
    assert leaks_since(before) == []


@KERNEL
@given(data=valid_topology_dicts())
def test_valid_topologies_build_and_tear_down_cleanly(data: dict[str, Any]) -> None:
    before = Resources.now()
    topology = from_dict(data)
    with Lab(topology) as lab:
        for host in lab:
            expected = {str(a.ip) for a in host.addresses}
            assert expected <= set(host.kernel_addresses())
    assert leaks_since(before) == []
