"""Property tests: any input gets a Topology or a TopologyError; valid ones load consistently."""

from __future__ import annotations

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import in_documentation_ranges
from topology_strategies import mutated_topology_dicts, topology_texts, valid_topology_dicts

from lab._errors import TopologyError
from lab.topology import Topology, from_dict, loads

# Enough examples to find crashes in the shapes above, few enough for < 10 s in all.
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_well_formed(error: TopologyError, source: str = "<python>") -> None:
    """An error a person can act on: its source, a problem and a fix, in one line."""
    __tracebackhide__ = True
    assert error.source == source
    assert error.problem
    assert error.fix
    assert str(error).startswith(error.source)


@FAST
@given(mutated_topology_dicts())
def test_from_dict_answers_a_topology_or_a_topology_error(data: dict[str, object]) -> None:
    try:
        topology = from_dict(data)
    except TopologyError as error:
        assert_well_formed(error)
    else:
        assert isinstance(topology, Topology)


@FAST
@given(topology_texts())
def test_loads_answers_a_topology_or_a_topology_error(text: str) -> None:
    try:
        topology = loads(text, source="fuzz.yaml")
    except TopologyError as error:
        assert_well_formed(error, source="fuzz.yaml")
    else:
        assert isinstance(topology, Topology)


@FAST
@given(st.one_of(st.none(), st.integers(), st.text(), st.lists(st.none()), st.binary()))
def test_from_dict_refuses_anything_that_is_not_a_mapping(data: object) -> None:
    try:
        from_dict(data)
    except TopologyError as error:
        assert_well_formed(error)


@FAST
@given(valid_topology_dicts())
def test_valid_topologies_load_consistently(data: dict[str, object]) -> None:
    topology = from_dict(data)
    # YAML is just another way to write the same data.
    assert loads(yaml.safe_dump(data, sort_keys=False), source="<python>") == topology
    for name in topology.host_names:
        ifnames = [e.ifname for e in topology.endpoints(name)]
        assert len(set(ifnames)) == len(ifnames)
    addresses = [a for e in topology.endpoints() for a in e.addresses]
    assert len({a.ip for a in addresses}) == len(addresses)
    for address in addresses:
        assert in_documentation_ranges(address.network), address
    for host in topology.hosts:
        automatic = [r for r in host.routes if r.automatic]
        assert not (host.router and automatic)
        # Explicit routes first, then at most one automatic default route per family.
        assert host.routes[len(host.routes) - len(automatic) :] == tuple(automatic)
        assert len({r.to.version for r in automatic}) == len(automatic)
