"""Topologies: what a lab is made of, loaded from YAML or Python and fully checked.

    from lab.topology import load, describe

    topology = load("routed")          # topologies/routed.yaml
    print(describe(topology))

Pure code: nothing here touches the kernel or needs privileges. A bad topology
raises one `TopologyError` naming the file, the field path and the fix.
"""

from lab.topology._chain import chain
from lab.topology._describe import describe
from lab.topology._load import DEFAULT_TOPOLOGY, available, from_dict, load, loads
from lab.topology._model import Address, Bridge, Endpoint, HostSpec, Link, Route, Topology

__all__ = [
    "DEFAULT_TOPOLOGY",
    "Address",
    "Bridge",
    "Endpoint",
    "HostSpec",
    "Link",
    "Route",
    "Topology",
    "available",
    "chain",
    "describe",
    "from_dict",
    "load",
    "loads",
]
