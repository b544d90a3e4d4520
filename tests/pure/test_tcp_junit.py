"""Verdicts as JUnit XML: a case per run, failures with the table, skipped runs that say why."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from timelines import OPEN, SPEC, judged, replaced, seg

from lab.tcp import coverage
from lab.tcp._junit import JunitCase, coverage_case, render_junit, scenario_case

PCAP = "/tmp/lab/open-ipv4.pcap"
NO_ACK = replaced(
    OPEN, 3, seg(2, "server -> client S", "SYN-SENT SYN-RECEIVED", "SYN-RECEIVED SYN-RECEIVED")
)


def parsed(cases: list[JunitCase], **properties: str) -> ET.Element:
    """The document `render_junit` makes of `cases`, parsed back."""
    return ET.fromstring(render_junit(cases, properties=properties, seconds=1.5, hostname="h"))


def attribute(element: ET.Element, path: str, name: str) -> str | None:
    """Attribute `name` of the first element at `path` under `element`."""
    found = element.find(path)
    assert found is not None, path
    return found.get(name)


def test_a_failing_run_carries_its_problems_the_table_and_the_pcap() -> None:
    verdict = judged("open", NO_ACK, family="IPv4")
    case = scenario_case(verdict, pcap=PCAP, seconds=0.25, output="$ ss -tanoi")
    (element,) = parsed([case]).iter("testcase")
    assert element.attrib == {"classname": "lab check", "name": "open (IPv4)", "time": "0.250"}
    failure = element.find("failure")
    assert failure is not None
    assert failure.get("message") == (
        "step 2: documented SYN+ACK, but ACK is not set (on the wire: SYN)"
    )
    assert failure.text is not None
    assert "✗ SYN" in failure.text  # the side-by-side table
    assert f"pcap: {PCAP}" in failure.text
    properties = {p.get("name"): p.get("value") for p in element.iter("property")}
    assert properties == {"scenario": "open", "family": "IPv4", "pcap": PCAP}
    assert element.findtext("system-out") == f"pcap: {PCAP}\n[[ATTACHMENT|{PCAP}]]\n$ ss -tanoi"


def test_the_suite_counts_passes_failures_and_skips() -> None:
    cases = [
        scenario_case(judged("open", OPEN, family="IPv4")),
        scenario_case(judged("open", NO_ACK, family="IPv6")),
        JunitCase("close (IPv6)", skipped="interrupted (Ctrl-C) before it finished"),
    ]
    root = parsed(cases, kernel="Linux 6.1.0 x86_64")
    (suite,) = root.iter("testsuite")
    counts = {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped", "time")}
    assert counts == {"tests": "3", "failures": "1", "errors": "0", "skipped": "1", "time": "1.500"}
    assert root.get("tests") == "3"
    assert suite.get("hostname") == "h"
    assert attribute(suite, "properties/property[@name='kernel']", "value") == "Linux 6.1.0 x86_64"
    passed, failed, skipped = suite.iter("testcase")
    assert passed.find("failure") is None
    assert failed.find("failure") is not None
    assert attribute(skipped, "skipped", "message") == "interrupted (Ctrl-C) before it finished"


def test_the_coverage_case_fails_when_a_documented_state_was_never_observed() -> None:
    ran = [judged("open", OPEN, family="IPv4")]
    assert coverage_case(coverage(SPEC, ran)).failure is None
    missing_ack = [judged("open", OPEN[:-1], family="IPv4")]
    failure = coverage_case(coverage(SPEC, missing_ack)).failure
    assert failure is not None
    assert failure[0] == "documented, its scenarios ran, never observed: ESTABLISHED"
