"""Verdicts as JUnit XML, the test report every CI system shows (one test case per run).

    cases = [scenario_case(verdict, pcap="open-ipv4.pcap", seconds=0.2)]
    xml = render_junit(cases, properties={"kernel": "Linux 6.1.0 x86_64"})

Each scenario over each family is a test case named like the report names
it (``open (IPv4)``). A case that disagrees with the documentation fails,
with its problems as the message and the side-by-side table as the text;
its pcap is a property and is named in its output (with the
``[[ATTACHMENT|path]]`` line that Jenkins and GitLab turn into a link).
Runs that did not happen (a family the hosts lack, an interrupted check)
are skipped cases that say why. Pure: text in, text out.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from lab.tcp._coverage import Coverage, CoverageRow, CoverageStatus
from lab.tcp._report import render_scenario
from lab.tcp._verdict import ScenarioVerdict

__all__ = ["JunitCase", "coverage_case", "render_junit", "scenario_case"]

SUITE: Final = "lab check"
FAILURE_TYPE: Final = "documentation mismatch"


@dataclass(frozen=True)
class JunitCase:
    """One test case: passed, failed (`failure`) or skipped (`skipped`)."""

    name: str
    classname: str = SUITE
    seconds: float = 0.0
    failure: tuple[str, str] | None = None
    """The failure's one-line message and its full text."""
    skipped: str | None = None
    """Why it did not run."""
    output: str = ""
    """Its ``system-out``: what CI systems show beside the case."""
    properties: Mapping[str, str] = field(default_factory=dict)


def scenario_case(
    verdict: ScenarioVerdict,
    *,
    pcap: str | None = None,
    seconds: float = 0.0,
    output: str = "",
    classname: str = SUITE,
) -> JunitCase:
    """The test case of one run: failed with the side-by-side table if it disagrees."""
    failure = None
    if not verdict.ok:
        problems = "; ".join(verdict.problems)
        failure = (problems, render_scenario(verdict, pcap=pcap))
    properties = {"scenario": verdict.name, "family": verdict.family}
    properties |= {f"sysctl {name}": value for name, value in verdict.settings.items()}
    lines = []
    if pcap is not None:
        properties["pcap"] = pcap
        lines += [f"pcap: {pcap}", f"[[ATTACHMENT|{pcap}]]"]
    return JunitCase(
        verdict.label,
        classname=classname,
        seconds=seconds,
        failure=failure,
        output="\n".join([*lines, output] if output else lines),
        properties=properties,
    )


def coverage_case(coverage: Coverage, *, classname: str = SUITE) -> JunitCase:
    """A case for the coverage: it fails when a documented state or flag was never observed."""
    rows = [*coverage.states, *coverage.flags]
    missed = [row for row in rows if row.status is CoverageStatus.MISSED]
    text = "\n".join(_coverage_line(row) for row in rows)
    failure = None
    if missed:
        names = ", ".join(row.name for row in missed)
        failure = (f"documented, its scenarios ran, never observed: {names}", text)
    return JunitCase(
        "coverage of the documented states and flags",
        classname=classname,
        failure=failure,
        output=text,
    )


def render_junit(
    cases: Sequence[JunitCase],
    *,
    name: str = SUITE,
    properties: Mapping[str, str] | None = None,
    seconds: float | None = None,
    hostname: str | None = None,
) -> str:
    """The cases as a JUnit XML document (one ``testsuite`` in ``testsuites``)."""
    counts = {
        "tests": str(len(cases)),
        "failures": str(sum(c.failure is not None for c in cases)),
        "errors": "0",
        "skipped": str(sum(c.skipped is not None for c in cases)),
        "time": f"{sum(c.seconds for c in cases) if seconds is None else seconds:.3f}",
    }
    root = ET.Element("testsuites", {"name": name, **counts})
    suite = ET.SubElement(root, "testsuite", {"name": name, **counts})
    if hostname is not None:
        suite.set("hostname", hostname)
    _properties(suite, properties or {})
    for case in cases:
        element = ET.SubElement(
            suite,
            "testcase",
            {"classname": case.classname, "name": case.name, "time": f"{case.seconds:.3f}"},
        )
        _properties(element, case.properties)
        if case.failure is not None:
            message, text = case.failure
            failure = ET.SubElement(element, "failure", {"message": message, "type": FAILURE_TYPE})
            failure.text = text
        if case.skipped is not None:
            ET.SubElement(element, "skipped", {"message": case.skipped})
        if case.output:
            ET.SubElement(element, "system-out").text = case.output
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _properties(parent: ET.Element, properties: Mapping[str, str]) -> None:
    if properties:
        holder = ET.SubElement(parent, "properties")
        for key, value in properties.items():
            ET.SubElement(holder, "property", {"name": key, "value": value})


def _coverage_line(row: CoverageRow) -> str:
    where = ", ".join(row.observed_in) or ", ".join(row.documented_in)
    return f"{row.name}: {row.status.value}" + (f" ({where})" if where else "")
