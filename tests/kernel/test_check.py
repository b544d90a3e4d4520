"""The documented tables on the kernel: every row, pcaps against JSON, failures that explain."""

from __future__ import annotations

import dataclasses
import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from support import lab_cli, spec_with_half_close

from lab import (
    CheckEvent,
    CheckInterrupted,
    CheckResult,
    CheckStarted,
    Lab,
    RunFinished,
    RunStarted,
    ScenarioCheck,
    TimerWaiting,
    check_scenario,
    from_dict,
    run_check,
)
from lab._pace import slowdown
from lab.cli import main
from lab.stepping import tcp_flags_in_pcap
from lab.tcp import TCP_SETTINGS, DocumentedSegment, Role, TcpState, load_spec

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
    slow = {name for name, scenario in SPEC.scenarios.items() if scenario.slow}
    assert set(result.slow_left_out) == slow  # they run under --wait-timers
    runs = (len(SPEC.scenarios) - len(slow)) * len(FAMILIES)
    assert len(result.runs) == runs
    assert result.to_json()["slow_left_out"] == result.slow_left_out
    assert f"{runs} scenario runs: {runs} agree with the documentation" in result.report()
    data = result.to_json()
    assert data["ok"] is True
    scenarios = data["scenarios"]
    assert isinstance(scenarios, list)
    for scenario, run, verdict in zip(scenarios, result.runs, result.verdicts, strict=True):
        on_the_wire = [flag.label for flag in tcp_flags_in_pcap(Path(scenario["pcap"]))]
        # A segment documented lost is dropped at its sender, so it never reaches the pcap.
        stepped = [
            "+".join(step["observed_flags"])
            for step, judged in zip(scenario["steps"], verdict.steps, strict=True)
            if judged.segment is None or not judged.segment.dropped
        ]
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


def test_lab_check_on_a_lan_runs_between_the_first_two_hosts_or_the_ones_named(
    tmp_path: Path,
) -> None:
    out = tmp_path / "lan.json"
    done = lab_cli("check", "--topology", "lan", "--scenario", "open", "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(out.read_text())
    assert (data["client"], data["server"], data["families"]) == ("alice", "bob", ["IPv4"])
    assert "IPv6 left out: neither alice nor bob has an IPv6 address" in done.stdout
    argv = ["check", "--topology", "lan", "--scenario", "refused", "--server", "carol"]
    done = lab_cli(*argv, "--json", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(out.read_text())
    assert (data["client"], data["server"]) == ("alice", "carol")


def test_lab_check_through_a_router_runs_the_family_the_ends_share(tmp_path: Path) -> None:
    out = tmp_path / "routed.json"
    pcaps = tmp_path / "pcaps"
    junit = tmp_path / "routed.xml"
    argv = ["check", "--topology", "routed", "--scenario", "close", "--pcap-dir", str(pcaps)]
    done = lab_cli(*argv, "--json", str(out), "--junit-xml", str(junit))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PcapWriter" not in done.stderr  # scapy's warning of an empty capture
    assert "WARNING" not in done.stderr
    assert "IPv6 left out: neither client nor server has an IPv6 address" in done.stdout
    data = json.loads(out.read_text())
    assert data["families"] == ["IPv4"]
    assert data["left_out"] == {"IPv6": "neither client nor server has an IPv6 address"}
    assert [(s["name"], s["family"]) for s in data["scenarios"]] == [("close", "IPv4")]
    assert sorted(p.name for p in pcaps.iterdir()) == ["close-ipv4.pcap"]
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert cases["close (IPv4)"].find("failure") is None
    left_out = cases["close (IPv6)"].find("skipped")
    assert left_out is not None
    assert left_out.get("message") == "IPv6 left out: neither client nor server has an IPv6 address"


def test_the_tcp_settings_are_read_in_the_lab_hosts_and_disclosed() -> None:
    topology = from_dict(
        {
            "name": "ecn-server",
            "hosts": {"client": {}, "server": {"sysctls": {"net.ipv4.tcp_ecn": 1}}},
            "links": [
                {
                    "endpoints": [
                        {"host": "client", "addresses": ["192.0.2.1/24"]},
                        {"host": "server", "addresses": ["192.0.2.2/24"]},
                    ]
                }
            ],
        }
    )
    result = run_check(topology, scenarios=["open"])
    assert result.tcp_settings is not None
    found = {s.name: s for s in result.tcp_settings.settings}
    assert set(TCP_SETTINGS) <= set(found)  # every one of them exists on this kernel
    machine = Path("/proc/sys/net/ipv4/tcp_congestion_control").read_text().strip()
    congestion = found["net.ipv4.tcp_congestion_control"]
    assert congestion.values == {"client": machine, "server": machine}  # the machine's own
    assert congestion.source == "inherited"
    assert found["net.ipv4.tcp_ecn"].values == {"client": "2", "server": "1"}
    assert found["net.ipv4.tcp_ecn"].set_by_topology == ("server",)
    header = result.report().split("\n\n")[0]
    assert f"congestion_control={machine}" in header
    assert "set by the topology: ecn=client 2/server 1 (in server)" in header
    data = result.to_json()["tcp_settings"]
    assert isinstance(data, dict)
    assert data["net.ipv4.tcp_ecn"]["source"] == "topology"


def test_run_check_reports_its_progress_and_counts_a_timer_down(tmp_path: Path) -> None:
    events: list[CheckEvent] = []
    spec = spec_with_half_close(tmp_path)
    result = run_check(
        scenarios=["half-close"],
        families=["IPv4"],
        spec=spec,
        wait_timers=True,
        progress=events.append,
    )
    assert result.ok, result.report()
    kinds = [type(e) for e in events]
    assert kinds[:2] == [CheckStarted, RunStarted]
    assert kinds[-1] is RunFinished
    waits = [e.wait for e in events if isinstance(e, TimerWaiting)]
    assert set(kinds[2:-1]) == {TimerWaiting}
    assert len(waits) >= (3 if slowdown() == 1 else 1)  # about four a second, for a second
    assert {(w.role, w.state) for w in waits} == {("client", TcpState.FIN_WAIT_2)}
    assert waits[0].left is not None
    assert 0 < waits[0].left <= 1  # the kernel's own countdown
    assert [w.waited for w in waits] == sorted(w.waited for w in waits)
    assert str(events[0]) == "lab check: 1 run on two-hosts, client -> server, IPv4"
    assert str(events[-1]).startswith("[1/1] half-close (IPv4) ok in ")


@pytest.mark.usefixtures("no_leaks")
def test_ctrl_c_during_run_check_raises_what_finished() -> None:
    def interrupt_the_second_run(event: CheckEvent) -> None:
        if isinstance(event, RunStarted) and event.run.n == 2:
            raise KeyboardInterrupt

    with pytest.raises(CheckInterrupted) as interrupted:  # one run at a time: in plan order
        run_check(scenarios=["open", "close"], progress=interrupt_the_second_run, jobs=1)
    assert isinstance(interrupted.value, KeyboardInterrupt)  # callers that know nothing of it
    result = interrupted.value.result
    assert result.interrupted
    assert not result.ok
    assert [v.label for v in result.verdicts] == ["open (IPv4)"]
    assert result.not_run == ("open (IPv6)", "close (IPv4)", "close (IPv6)")
    assert (
        "interrupted (Ctrl-C) after 1 finished run; not run: open (IPv6), close (IPv4), "
        "close (IPv6)"
    ) in result.report()
    data = result.to_json()
    assert (data["interrupted"], data["ok"]) == (True, False)
    assert data["not_run"] == ["open (IPv6)", "close (IPv4)", "close (IPv6)"]


def observed(result: CheckResult) -> list[tuple[str, bool, list[str], list[str]]]:
    """Per run, in the result's order: its label, verdict, and the flags and states it saw."""
    return [
        (
            v.label,
            v.ok,
            [s.observed_flags.label for s in v.steps if s.observed_flags is not None],
            [str(s.observed_states) for s in v.steps],
        )
        for v in result.verdicts
    ]


def json_runs(result: CheckResult) -> list[tuple[object, ...]]:
    """Per run, in the JSON's order: scenario, family, verdict."""
    scenarios = result.to_json()["scenarios"]
    assert isinstance(scenarios, list)
    return [(s["name"], s["family"], s["ok"]) for s in scenarios]


def test_runs_side_by_side_observe_what_runs_one_at_a_time_do_in_plan_order(
    tmp_path: Path,
) -> None:
    # The retransmissions wait longest, so side by side they start first: the order of
    # starting must not leak into the results.
    scenarios = ["open", "close", "fin-retransmit-last-ack", "syn-retransmit"]
    scenarios += ["three-segment-close"]
    events: list[CheckEvent] = []
    alone = run_check(scenarios=scenarios, jobs=1, pcap_dir=tmp_path / "alone")
    together = run_check(
        scenarios=scenarios, jobs=4, pcap_dir=tmp_path / "together", progress=events.append
    )
    assert alone.ok, alone.report()
    assert together.ok, together.report()
    planned = [f"{s} ({f})" for s in scenarios for f in FAMILIES]
    assert [v.label for v in together.verdicts] == planned
    assert observed(together) == observed(alone)
    assert json_runs(together) == json_runs(alone)
    tables = [line.split(":")[0] for line in together.report().splitlines()]
    assert [line for line in tables if line in planned] == planned  # the report's tables
    assert list(together.pcaps) == list(alone.pcaps)
    assert len(list((tmp_path / "together").iterdir())) == len(planned)
    for scenario_id, pcap in together.pcaps.items():  # a file each, none written twice
        assert Path(pcap).name == f"{scenario_id}.pcap"
        assert tcp_flags_in_pcap(Path(pcap)) == tcp_flags_in_pcap(Path(alone.pcaps[scenario_id]))
    # Every run is started, then finished, once, each event naming its run.
    runs: dict[str, list[type]] = {e.run.label: [] for e in events if isinstance(e, RunStarted)}
    for event in events:
        if isinstance(event, RunStarted | RunFinished):
            runs[event.run.label].append(type(event))
    assert runs == {label: [RunStarted, RunFinished] for label in planned}
    assert {e.run.n for e in events if isinstance(e, RunFinished)} == set(range(1, 11))


@pytest.mark.usefixtures("no_leaks")
def test_ctrl_c_side_by_side_keeps_the_runs_heard_finished_and_tears_down_the_rest() -> None:
    finished: list[str] = []

    def interrupt_at_the_first_end(event: CheckEvent) -> None:
        if isinstance(event, RunFinished):
            finished.append(event.run.label)
            raise KeyboardInterrupt

    planned = ["open (IPv4)", "open (IPv6)", "close (IPv4)", "close (IPv6)"]
    with pytest.raises(CheckInterrupted) as interrupted:
        run_check(scenarios=["open", "close"], progress=interrupt_at_the_first_end, jobs=4)
    result = interrupted.value.result
    assert result.interrupted
    assert [v.label for v in result.verdicts] == finished  # the one whose end was heard
    assert result.not_run == tuple(label for label in planned if label not in finished)
    assert f"interrupted (Ctrl-C) after 1 finished run; not run: {', '.join(result.not_run)}" in (
        result.report()
    )


@pytest.mark.usefixtures("no_leaks")
def test_ctrl_c_while_runs_side_by_side_wait_out_timers_stops_their_waits() -> None:
    waiting: set[str] = set()

    def interrupt_once_all_wait(event: CheckEvent) -> None:
        if isinstance(event, TimerWaiting):
            waiting.add(event.run.label)
            if len(waiting) == 4:  # every run waits out TIME-WAIT (60 s), side by side
                raise KeyboardInterrupt

    started = time.monotonic()
    with pytest.raises(CheckInterrupted) as interrupted:
        run_check(
            scenarios=["close", "three-segment-close"],
            wait_timers=True,
            progress=interrupt_once_all_wait,
            jobs=2,
        )
    # Not a timing test: the waits last 60 s, and stopping them must not wait them out.
    assert time.monotonic() - started < 30
    result = interrupted.value.result
    assert result.runs == ()
    assert result.not_run == (
        "close (IPv4)",
        "close (IPv6)",
        "three-segment-close (IPv4)",
        "three-segment-close (IPv6)",
    )
