"""An assertion for pytest users: a failed scenario shows its side-by-side table.

    verdict = judge(spec.scenarios["open"], run.timeline, family="IPv4", final=run.final)
    assert_verdict(verdict, pcap=run.pcap)

The traceback points at the test, not here (``__tracebackhide__``).
"""

from __future__ import annotations

import os

from lab.tcp._report import Pcap, render_scenario
from lab.tcp._verdict import ScenarioVerdict

__all__ = ["assert_verdict", "mismatch_message"]


def mismatch_message(verdict: ScenarioVerdict, *, pcap: Pcap = None) -> str:
    """What `assert_verdict` says: a sentence, the table, and where the capture is."""
    count = len(verdict.problems)
    lines = [
        f"the kernel differs from the documentation of {verdict.label} "
        f"({count} difference{'' if count == 1 else 's'}, marked ✗):",
        render_scenario(verdict, pcap=pcap),
    ]
    if pcap is not None:
        lines.append(
            f"the segments are in {os.fspath(pcap)} (open it with wireshark or tcpdump -r)"
        )
    return "\n".join(lines)


def assert_verdict(verdict: ScenarioVerdict, *, pcap: Pcap = None) -> None:
    """Raise AssertionError with the side-by-side table unless `verdict` is ok."""
    __tracebackhide__ = True
    if not verdict.ok:
        raise AssertionError(mismatch_message(verdict, pcap=pcap))
