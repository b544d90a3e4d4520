"""`Lab`: a topology built in the kernel, as a context manager.

    with Lab("routed") as lab:
        server = lab["server"].listen(8080)
        client = lab["client"].connect(lab["server"].address(), 8080)

Works without pytest; the pytest fixtures are a few lines around it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from types import TracebackType

from lab._errors import LabError
from lab.kernel._build import build
from lab.kernel._host import Host
from lab.kernel._netns import NetNamespace
from lab.topology import DEFAULT_TOPOLOGY, Topology, load


class Lab:
    """A running lab: one `Host` per host of the topology."""

    def __init__(self, topology: Topology | str | os.PathLike[str] = DEFAULT_TOPOLOGY) -> None:
        self.topology = topology if isinstance(topology, Topology) else load(topology)
        self.hosts: dict[str, Host] = {}
        self.bridges: dict[str, NetNamespace] = {}
        """The namespaces that hold the topology's bridges, by bridge name."""
        self._stack = ExitStack()
        self._started = False

    @property
    def name(self) -> str:
        return self.topology.name

    def start(self) -> Lab:
        """Build the topology; on failure, whatever was made is torn down again."""
        if self._started:
            raise LabError(f"lab {self.name} is already started; build a new Lab to start again")
        self._started = True
        try:
            made = build(self.topology, self._stack)
            self.bridges = made.bridges
            for spec in self.topology.hosts:
                host = Host(spec, made.hosts[spec.name], self.topology.addresses(spec.name))
                self._stack.callback(host.close)
                self.hosts[spec.name] = host
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Stop every program and release every namespace; safe to call twice."""
        self._stack.close()

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __getitem__(self, name: str) -> Host:
        try:
            return self.hosts[name]
        except KeyError:
            known = ", ".join(self.hosts) or "none (is the lab started?)"
            raise KeyError(f"lab {self.name} has no host {name!r}; hosts: {known}") from None

    def __iter__(self) -> Iterator[Host]:
        return iter(self.hosts.values())

    def __len__(self) -> int:
        return len(self.hosts)

    def __repr__(self) -> str:
        return f"<Lab {self.name} hosts={list(self.hosts)}>"
