"""The documented tables on the kernel: every row, pcaps against JSON, failures that explain."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from lab import Lab, ScenarioCheck, check_scenario, run_check
from lab.cli import main
from lab.stepping import tcp_flags_in_pcap
from lab.tcp import DocumentedSegment, Role, TcpState, load_spec

FAMILIES = ["IPv4", "IPv6"]
SPEC = load_spec()


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("scenario", list(SPEC.scenarios))
def test_every_documented_scenario_holds(
    tcp_scenario: Callable[..., ScenarioCheck], scenario: str, family: str
) -> None:
    tcp_scenario(scenario, family).assert_documented()


@pytest.mark.parametrize("family", FAMILIES)
def test_open_state_by_state(tcp_scenario: Callable[..., ScenarioCheck], family: str) -> None:
    check = tcp_scenario("open", family)
    steps = check.verdict.steps
    assert [s.observed_flags.label for s in steps if s.observed_flags is not None] == [
        "SYN",
        "SYN+ACK",
        "ACK",
    ]
    assert steps[0].observed_before[Role.CLIENT].state is TcpState.SYN_SENT
    assert steps[1].observed_before[Role.SERVER].state is TcpState.SYN_RECEIVED
    assert steps[2].observed_after[Role.SERVER].state is TcpState.ESTABLISHED
    assert steps[1].observed_states["server"] == "SYN-RECEIVED"  # states equal their names


def test_a_wrong_expectation_fails_with_a_side_by_side_diff(lab: Lab, tmp_path: Path) -> None:
    documented = SPEC.scenarios["close"]
    wrong = [
        dataclasses.replace(item, states={Role.CLIENT: TcpState.CLOSING})
        if isinstance(item, DocumentedSegment)
        and item.states.get(Role.CLIENT) is TcpState.FIN_WAIT_2
        else item
        for item in documented.script
    ]
    scenario = dataclasses.replace(documented, script=tuple(wrong))
    check = check_scenario(lab, scenario, pcap=tmp_path / "close.pcap")
    with pytest.raises(AssertionError) as failure:
        check.assert_documented()
    message = str(failure.value)
    assert "CLOSING" in message  # documented
    assert "FIN-WAIT-2" in message  # observed, beside it
    assert "✗" in message
    assert str(tmp_path / "close.pcap") in message


def test_json_and_pcaps_agree(tmp_path: Path) -> None:
    # The one full run of the suite (the CLI test runs one scenario): a module-scoped result
    # shared by two tests would still run once per pytest-xdist worker that runs one of them.
    result = run_check(pcap_dir=tmp_path)
    runs = len(SPEC.scenarios) * len(FAMILIES)
    assert len(result.runs) == runs
    assert f"{runs} scenario runs: {runs} agree with the documentation" in result.report()
    data = result.to_json()
    assert data["ok"] is True
    scenarios = data["scenarios"]
    assert isinstance(scenarios, list)
    for scenario, run in zip(scenarios, result.runs, strict=True):
        on_the_wire = [flag.label for flag in tcp_flags_in_pcap(Path(scenario["pcap"]))]
        stepped = ["+".join(step["observed_flags"]) for step in scenario["steps"]]
        setup = len(on_the_wire) - len(stepped)
        assert setup >= 0
        assert on_the_wire[setup:] == stepped, scenario["name"]
        assert len(run.timeline) >= len(stepped)


def test_lab_check_cli_writes_the_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "check.json"
    argv = ["check", "--scenario", "open", "--family", "IPv4", "--json", str(out)]
    assert main([*argv, "--pcap-dir", str(tmp_path / "pcaps")]) == 0
    data = json.loads(out.read_text())
    assert set(data) >= {"ok", "kernel", "scenarios"}
    assert [(s["name"], s["family"]) for s in data["scenarios"]] == [("open", "IPv4")]
    step = data["scenarios"][0]["steps"][0]
    assert set(step) >= {
        "n",
        "from",
        "to",
        "expected_flags",
        "observed_flags",
        "expected_states",
        "observed_states",
        "ok",
    }
    assert "1 scenario run: 1 agrees with the documentation" in capsys.readouterr().out


def test_plain_mode_sees_the_segments_and_names_the_states_it_missed(
    lab: Lab, tmp_path: Path
) -> None:
    check = check_scenario(lab, "open", pcap=tmp_path / "open.pcap", stepping=False)
    steps = check.verdict.steps
    assert [s.observed_flags.label for s in steps if s.observed_flags is not None] == [
        "SYN",
        "SYN+ACK",
        "ACK",
    ]
    assert all(s.flags_ok and s.direction_ok for s in steps)
    assert not check.ok  # nothing was held, so the transient states went unseen
    assert "client's state was not observed while the segment is in flight" in " ".join(
        check.verdict.problems
    )
