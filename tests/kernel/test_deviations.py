"""Linux against RFC 9293: each deviation of the tables is shown by its scenarios, over
IPv4 and IPv6, and the RFC's version of the same scenario fails where Linux differs."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lab import Lab, check_scenario, run_check
from lab.tcp import Action, DocumentedSegment, Role, TcpFlag, TcpState, load_spec
from lab.tcp._transitions import edges_shown

FAMILIES = ["IPv4", "IPv6"]
SPEC = load_spec()


def test_every_deviation_is_shown_in_both_families() -> None:
    names = sorted({name for d in SPEC.deviations.values() for name in d.shown_by})
    result = run_check(scenarios=names)
    rows = {row.deviation.name: row for row in result.coverage.deviations}
    assert set(rows) == set(SPEC.deviations)
    for name, row in rows.items():
        assert row.shown, f"{name}: {row.status}"
        for scenario in SPEC.deviations[name].shown_by:
            assert {f"{scenario} ({family})" for family in FAMILIES} <= set(row.agreed)
    assert "Linux vs RFC 9293" in result.report()
    assert result.to_json()["coverage"]["deviations"][0]["shown"] is True  # type: ignore[index]


@pytest.mark.parametrize("family", FAMILIES)
def test_time_wait_documented_as_two_msl_fails_at_the_timer(
    lab: Lab, tmp_path: Path, family: str
) -> None:
    close = SPEC.scenarios["close"]
    (timer,) = close.timers
    textbook = dataclasses.replace(close, timers=(dataclasses.replace(timer, lasts=240.0),))
    check = check_scenario(lab, textbook, family=family, pcap=tmp_path / "c.pcap")
    assert all(step.ok for step in check.verdict.steps)
    (problem,) = check.verdict.problems
    assert problem.startswith("client's timer: the kernel's TIME-WAIT timer had ")
    assert "documented to last 240 s" in problem
    assert 54 <= (check.verdict.timers[0].left or 0) <= 60


@pytest.mark.parametrize("family", FAMILIES)
def test_an_orphan_fin_wait_2_ends_after_tcp_fin_timeout_not_never(
    lab: Lab, tmp_path: Path, family: str
) -> None:
    scenario = SPEC.scenarios["fin-wait-2-timeout"]
    check = check_scenario(lab, scenario, family=family, pcap=tmp_path / "f.pcap")
    check.assert_documented()
    (timer,) = check.verdict.timers
    assert timer.waited
    assert timer.observed_state is TcpState.CLOSED
    assert timer.seconds is not None
    assert timer.seconds < 2.5
    assert "fin-wait-2-timeout" in {edge.id for edge in edges_shown(check.verdict)}  # Linux's own
    # The RFC's FIN-WAIT-2 has no timer: documented as lasting as long as TIME-WAIT, it fails.
    textbook = dataclasses.replace(
        scenario, timers=(dataclasses.replace(scenario.timers[0], lasts=60.0),)
    )
    wrong = check_scenario(lab, textbook, family=family, pcap=tmp_path / "w.pcap")
    (problem,) = wrong.verdict.problems
    assert "FIN-WAIT-2 timer had" in problem
    assert "documented to last 60 s" in problem


@pytest.mark.parametrize("family", FAMILIES)
def test_data_after_close_documented_as_delivered_fails_at_the_reset(
    lab: Lab, tmp_path: Path, family: str
) -> None:
    scenario = SPEC.scenarios["data-after-close-reset"]
    *script, last = scenario.script
    assert isinstance(last, DocumentedSegment)
    assert last.flags == TcpFlag.RST
    delivered = DocumentedSegment(
        Role.CLIENT, Role.SERVER, TcpFlag.ACK, states={Role.CLIENT: TcpState.FIN_WAIT_2}
    )
    textbook = dataclasses.replace(scenario, script=(*script, delivered))
    check = check_scenario(lab, textbook, family=family, pcap=tmp_path / "d.pcap")
    assert [step.n for step in check.verdict.steps if not step.ok] == [4]
    problems = " ".join(check.verdict.steps[3].problems)
    assert "RST" in problems, problems
    assert "CLOSED" in problems, problems


@pytest.mark.parametrize("family", FAMILIES)
def test_a_reset_in_syn_received_documented_as_refused_fails_at_the_wait(
    lab: Lab, tmp_path: Path, family: str
) -> None:
    scenario = SPEC.scenarios["syn-received-rst-active"]
    *script, wait = scenario.script
    assert isinstance(wait, Action)
    assert wait.result == "ECONNRESET"
    refused = dataclasses.replace(wait, result="ECONNREFUSED")  # RFC 9293's "refused"
    textbook = dataclasses.replace(scenario, script=(*script, refused))
    check = check_scenario(lab, textbook, family=family, pcap=tmp_path / "r.pcap")
    assert all(step.ok for step in check.verdict.steps)
    assert check.verdict.problems == (
        "after 'client waits for the connection': the call returned ECONNRESET, "
        "documented ECONNREFUSED",
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_a_reset_before_accept_documented_as_aborted_fails_at_the_accept(
    lab: Lab, tmp_path: Path, family: str
) -> None:
    scenario = SPEC.scenarios["reset-before-accept"]
    *before, accept, read = scenario.script
    assert isinstance(accept, Action)
    assert accept.verb == "accepts"
    aborted = dataclasses.replace(accept, result="ECONNABORTED")  # what BSD may answer
    textbook = dataclasses.replace(scenario, script=(*before, aborted, read))
    check = check_scenario(lab, textbook, family=family, pcap=tmp_path / "a.pcap")
    assert all(step.ok for step in check.verdict.steps)
    assert check.verdict.problems == (
        "after 'server accepts': the call succeeded, documented ECONNABORTED",
    )
