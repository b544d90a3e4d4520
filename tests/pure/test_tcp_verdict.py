"""Judging synthetic timelines against the documented scenarios: every rule, one test each."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest
from timelines import (
    CLOSE,
    CLOSE_FINAL,
    OPEN,
    SPEC,
    TIME_WAIT_TIMER,
    act,
    as_documented,
    judged,
    replaced,
    seg,
    snaps,
)

from lab.tcp import (
    ActionStep,
    CoverageStatus,
    DocumentedSegment,
    Observation,
    ObservedSegment,
    Role,
    Scenario,
    ScenarioVerdict,
    Spec,
    TcpFlag,
    TcpState,
    coverage,
    judge,
)
from lab.tcp._observed import StateSnapshot
from lab.tcp._verdict import NOT_OBSERVED

# --- all as documented --------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SPEC.scenarios))
def test_a_kernel_that_does_what_is_documented_passes_every_scenario(name: str) -> None:
    scenario = SPEC.scenarios[name]
    timeline = as_documented(scenario)
    # Every run waits out a timer of at most 3 s (the runner's SHORT_TIMER); so does this one.
    short = {t.role: t for t in scenario.timers if t.lasts is not None and t.lasts <= 3}
    waited = {role: timer.lasts or 0.0 for role, timer in short.items()}
    segments = [item for item in timeline if isinstance(item, ObservedSegment)]
    final: dict[str, StateSnapshot] | None = None
    if short:
        final = {**segments[-1].after, **{r: StateSnapshot(t.then) for r, t in short.items()}}
    verdict = judged(name, timeline, final=final, waited=waited)
    assert verdict.ok, verdict.problems
    assert verdict.unseen_states == ()
    assert set(verdict.seen_states) == set(SPEC.scenarios[name].documented_states)


def test_open_as_linux_does_it() -> None:
    verdict = judged("open", OPEN, family="IPv4")
    assert verdict.ok
    assert [s.ok for s in verdict.steps] == [True, True, True]
    assert verdict.problems == ()
    assert verdict.label == "open (IPv4)"
    assert verdict.id == "open-ipv4"
    assert verdict.seen_flags == TcpFlag.SYN | TcpFlag.ACK
    assert verdict.seen_states == (
        TcpState.LISTEN,
        TcpState.SYN_SENT,
        TcpState.SYN_RECEIVED,
        TcpState.ESTABLISHED,
    )
    assert verdict.unseen_states == ()


def test_step_records_both_moments_and_the_compared_states() -> None:
    step = judged("open", OPEN).steps[1]
    assert (step.n, step.sender, step.receiver) == (2, "server", "client")
    assert step.expected_flags == TcpFlag.SYN | TcpFlag.ACK
    assert step.observed_flags == TcpFlag.SYN | TcpFlag.ACK
    assert step.expected_states == {"server": TcpState.SYN_RECEIVED}
    assert step.observed_states == {"server": TcpState.SYN_RECEIVED}
    assert step.observed_before == snaps("SYN-SENT SYN-RECEIVED")
    assert step.observed_after == snaps("ESTABLISHED SYN-RECEIVED")
    assert step.documented
    assert step.segment is OPEN[3]


def test_sender_is_compared_in_flight_and_receiver_once_processed() -> None:
    step = judged("open", OPEN).steps[2]  # client -> server ACK, both ESTABLISHED
    assert step.observed_states == {
        "client": TcpState.ESTABLISHED,  # from before: the client moved when it sent
        "server": TcpState.ESTABLISHED,  # from after: SYN-RECEIVED while in flight
    }
    assert step.observed_before[Role.SERVER].state is TcpState.SYN_RECEIVED


def test_title_and_name_come_from_the_scenario() -> None:
    verdict = judged("open", OPEN)
    assert (verdict.name, verdict.title, verdict.family) == (
        "open",
        "Three-way open, server in LISTEN first",
        "",
    )
    assert verdict.label == verdict.id == "open"


# --- flags --------------------------------------------------------------------------------------


def test_extra_flags_are_shown_not_failed() -> None:
    verdict = judged("close", CLOSE, final=CLOSE_FINAL)
    assert verdict.ok, verdict.problems
    assert verdict.steps[0].expected_flags == TcpFlag.FIN
    assert verdict.steps[0].observed_flags == TcpFlag.FIN | TcpFlag.ACK


def test_strict_flags_fail_extra_flags() -> None:
    verdict = judged("close", CLOSE, final=CLOSE_FINAL, strict_flags=True)
    assert not verdict.ok
    assert verdict.strict_flags
    assert [s.ok for s in verdict.steps] == [False, True, False, True]
    assert verdict.steps[0].problems == ("ACK is set but not documented (flags are strict)",)
    assert not verdict.steps[0].flags_ok


def test_strict_flags_pass_exact_flags() -> None:
    assert judged("open", OPEN, strict_flags=True).ok


NO_ACK_SYN = seg(2, "server -> client S", "SYN-SENT SYN-RECEIVED", "SYN-RECEIVED SYN-RECEIVED")


def test_missing_flag_fails_the_step() -> None:
    timeline = replaced(OPEN, 3, NO_ACK_SYN)
    step = judged("open", timeline).steps[1]
    assert not step.ok
    assert not step.flags_ok
    assert step.problems == ("documented SYN+ACK, but ACK is not set (on the wire: SYN)",)


def test_wrong_flags_fail_the_step() -> None:
    timeline = replaced(OPEN, 3, seg(2, "server -> client R.", "SYN-SENT CLOSED", "CLOSED CLOSED"))
    verdict = judged("open", timeline)
    assert not verdict.ok
    assert verdict.steps[1].observed_flags == TcpFlag.RST | TcpFlag.ACK
    assert verdict.steps[1].problems == (
        "documented SYN+ACK, but SYN is not set (on the wire: RST+ACK)",
        "RST is set but not documented (on the wire: RST+ACK); "
        "only ACK, PSH on data, and ECN's ECE and CWR may go unwritten",
        "server is CLOSED while the segment is in flight, documented SYN-RECEIVED",
    )
    assert TcpFlag.SYN in verdict.seen_flags  # step 1 showed it


def test_two_missing_flags_are_named_together() -> None:
    timeline = replaced(OPEN, 3, seg(2, "server -> client R", "SYN-SENT SYN-RECEIVED", "- -"))
    assert judged("open", timeline).steps[1].problems[0] == (
        "documented SYN+ACK, but SYN+ACK are not set (on the wire: RST)"
    )


# --- states and direction -------------------------------------------------------------------------


def test_wrong_state_of_the_receiver() -> None:
    timeline = replaced(
        OPEN,
        4,
        seg(3, "client -> server A", "ESTABLISHED SYN-RECEIVED", "ESTABLISHED SYN-RECEIVED"),
    )
    verdict = judged("open", timeline)
    step = verdict.steps[2]
    assert not step.ok
    assert step.flags_ok
    assert step.state_ok(Role.CLIENT)
    assert not step.state_ok(Role.SERVER)
    assert step.observed_states[Role.SERVER] is TcpState.SYN_RECEIVED
    assert step.problems == (
        "server is SYN-RECEIVED once it has processed the segment, documented ESTABLISHED",
    )
    assert TcpState.ESTABLISHED in verdict.seen_states  # the client's was as documented


def test_wrong_state_of_the_sender() -> None:
    timeline = replaced(
        CLOSE, 1, seg(1, "client -> server FA", "ESTABLISHED ESTABLISHED", "FIN-WAIT-1 CLOSE-WAIT")
    )
    step = judged("close", timeline, final=CLOSE_FINAL).steps[0]
    assert step.problems == (
        "client is ESTABLISHED while the segment is in flight, documented FIN-WAIT-1",
    )


def test_unobserved_state_is_a_problem() -> None:
    timeline = replaced(OPEN, 2, seg(1, "client -> server S", "- LISTEN", "- SYN-RECEIVED"))
    step = judged("open", timeline).steps[0]
    assert step.observed_states == {"client": None}
    assert step.problems == (
        "client's state was not observed while the segment is in flight; documented SYN-SENT",
    )


def test_swapped_direction_fails_the_step() -> None:
    timeline = replaced(
        OPEN, 3, seg(2, "client -> server SA", "SYN-SENT SYN-RECEIVED", "ESTABLISHED SYN-RECEIVED")
    )
    step = judged("open", timeline).steps[1]
    assert not step.ok
    assert not step.direction_ok
    assert step.flags_ok
    assert (step.sender, step.receiver) == ("server", "client")  # as documented
    assert step.problems == ("documented server → client, but client sent it to server",)


# --- missing and extra segments -------------------------------------------------------------------


def test_missing_segment_is_not_observed() -> None:
    verdict = judged("open", OPEN[:-1])
    assert not verdict.ok
    step = verdict.steps[2]
    assert not step.ok
    assert not step.observed
    assert step.observed_flags is None
    assert step.observed_states == {"client": None, "server": None}
    assert step.observed_before == step.observed_after == {}
    assert step.problems == (NOT_OBSERVED,)
    assert NOT_OBSERVED == "not observed: the kernel sent nothing more"
    assert verdict.unseen_states == (TcpState.ESTABLISHED,)


def test_no_segment_at_all() -> None:
    verdict = judged("open", OPEN[:2])
    assert [s.problems for s in verdict.steps] == [(NOT_OBSERVED,)] * 3
    assert verdict.seen_flags == TcpFlag(0)


def test_extra_segment_is_shown_and_fails() -> None:
    extra = seg(4, "server -> client A", "ESTABLISHED ESTABLISHED", "ESTABLISHED ESTABLISHED")
    verdict = judged("open", [*OPEN, extra])
    assert not verdict.ok
    assert [s.ok for s in verdict.steps] == [True, True, True, False]
    step = verdict.steps[3]
    assert not step.documented
    assert (step.n, step.sender, step.receiver) == (4, "server", "client")
    assert step.expected_flags == TcpFlag(0)
    assert step.observed_flags == TcpFlag.ACK
    assert step.expected_states == step.observed_states == {}
    assert step.problems == ("not in the documentation: server → client ACK, after step 3",)
    assert verdict.problems == (
        "step 4: not in the documentation: server → client ACK, after step 3",
    )


CLOSE_WITHOUT_THE_SERVERS_ACK = [*CLOSE[:2], *CLOSE[3:]]
WINDOW_UPDATE = seg(9, "server -> client A", "FIN-WAIT-2 CLOSE-WAIT", "FIN-WAIT-2 CLOSE-WAIT")


def test_a_missing_segment_in_the_middle_is_reported_once_and_the_rest_stays_aligned() -> None:
    verdict = judged("close", CLOSE_WITHOUT_THE_SERVERS_ACK, final=CLOSE_FINAL)
    assert verdict.problems == (
        "step 2: not observed: documented server → client ACK; "
        "the kernel sent nothing of the kind here",
    )
    assert [s.observed for s in verdict.steps] == [True, False, True, True]
    assert [s.segment for s in verdict.steps if s.segment] == [
        CLOSE_WITHOUT_THE_SERVERS_ACK[1],
        CLOSE_WITHOUT_THE_SERVERS_ACK[3],
        CLOSE_WITHOUT_THE_SERVERS_ACK[4],
    ]


def test_an_extra_segment_in_the_middle_is_reported_once_where_it_came() -> None:
    timeline = [*CLOSE[:3], WINDOW_UPDATE, *CLOSE[3:]]
    verdict = judged("close", timeline, final=CLOSE_FINAL)
    assert verdict.problems == (
        "step 3: not in the documentation: server → client ACK, between steps 2 and 4",
    )
    assert [(s.n, s.documented, s.ok) for s in verdict.steps] == [
        (1, True, True),
        (2, True, True),
        (3, False, False),
        (4, True, True),
        (5, True, True),
    ]
    # "server closes" came after the extra segment: shown before step 4.
    assert [(a.verb, a.before_step) for a in verdict.actions if not a.setup] == [
        ("closes", 1),
        ("closes", 4),
    ]


def test_an_extra_segment_after_an_action_is_shown_after_it() -> None:
    timeline = [*CLOSE[:4], WINDOW_UPDATE, *CLOSE[4:]]
    verdict = judged("close", timeline, final=CLOSE_FINAL)
    assert [(a.verb, a.before_step) for a in verdict.actions if not a.setup] == [
        ("closes", 1),
        ("closes", 3),
    ]


def test_linuxs_three_segment_close_against_four_documented_misses_one_ack() -> None:
    three: list[Observation] = [
        act("client closes", "FIN-WAIT-1 ESTABLISHED", "closed"),
        seg(1, "client -> server FA", "FIN-WAIT-1 ESTABLISHED", "FIN-WAIT-1 CLOSE-WAIT"),
        act("server closes", "FIN-WAIT-1 LAST-ACK", "closed"),
        seg(2, "server -> client FA", "FIN-WAIT-1 LAST-ACK", "TIME-WAIT LAST-ACK"),
        seg(3, "client -> server A", "TIME-WAIT LAST-ACK", "TIME-WAIT CLOSED"),
    ]
    verdict = judged("close", three, final=CLOSE_FINAL)
    assert [s.observed for s in verdict.steps] == [True, False, True, True]
    assert verdict.problems == (
        "step 2: not observed: documented server → client ACK; "
        "the kernel sent nothing of the kind here",
    )


def test_an_unrecorded_action_places_nothing() -> None:
    """A timeline built without its actions still pairs by direction and flags alone."""
    assert judged("close", [item for item in CLOSE if isinstance(item, ObservedSegment)]).ok


# --- flags the documentation leaves out -----------------------------------------------------------


def scenario_of(*segments: str) -> Scenario:
    """``scenario_of("client -> server SYN", ...)``: documented segments alone."""
    script = []
    for line in segments:
        sender, _, receiver, flags = line.split()
        script.append(DocumentedSegment(Role(sender), Role(receiver), TcpFlag.parse(flags)))
    return Scenario("made", "made by hand", (), tuple(script))


def test_an_omitted_fin_fails() -> None:
    three_way_close = [CLOSE[1], seg(2, "server -> client FA", "- -", "- -"), CLOSE[5]]
    documented = scenario_of("client -> server FIN", "server -> client ACK", "client -> server ACK")
    verdict = judge(documented, three_way_close)
    assert verdict.steps[1].problems == (
        "FIN is set but not documented (on the wire: FIN+ACK); "
        "only ACK, PSH on data, and ECN's ECE and CWR may go unwritten",
    )
    assert len(verdict.steps) == 3  # paired, not one missing and one extra


def test_a_bare_ack_answering_a_syn_fails() -> None:
    documented = scenario_of("client -> server SYN", "server -> client ACK", "client -> server ACK")
    verdict = judge(documented, OPEN)
    assert [s.ok for s in verdict.steps] == [True, False, True]
    assert verdict.steps[1].problems[0].startswith("SYN is set but not documented")


def test_an_omitted_psh_is_tolerated_on_data_only() -> None:
    documented = scenario_of("client -> server ACK")
    data = ObservedSegment(1, Role.CLIENT, Role.SERVER, TcpFlag.parse("PA"), 1, 1, 5)
    assert judge(documented, [data]).ok
    empty = dataclasses.replace(data, length=0)
    assert judge(documented, [empty]).steps[0].problems == (
        "PSH is set but not documented (on the wire: PSH+ACK); "
        "only ACK, PSH on data, and ECN's ECE and CWR may go unwritten",
    )
    assert not judge(documented, [data], strict_flags=True).ok


# --- timers ---------------------------------------------------------------------------------------


def test_timer_running_at_the_end_is_ok_without_waiting() -> None:
    verdict = judged("close", CLOSE, final=CLOSE_FINAL)
    (timer,) = verdict.timers
    assert timer.ok
    assert (timer.role, timer.state, timer.then) == ("client", TcpState.TIME_WAIT, TcpState.CLOSED)
    assert timer.timer == TIME_WAIT_TIMER
    assert timer.observed_state is TcpState.TIME_WAIT
    assert not timer.waited
    assert timer.seconds is None


def test_final_snapshot_defaults_to_the_last_in_the_timeline() -> None:
    assert judged("close", CLOSE).timers[0].ok


def test_timer_waited_out_ends_in_the_next_state() -> None:
    verdict = judged("close", CLOSE, final=snaps("CLOSED CLOSED"), waited={"client": 59.8})
    (timer,) = verdict.timers
    assert timer.ok
    assert timer.waited
    assert timer.seconds == 59.8
    assert timer.timer == TIME_WAIT_TIMER  # as it was when the script ended
    assert timer.observed_state is TcpState.CLOSED


def test_timer_that_never_fires_fails_when_waited() -> None:
    verdict = judged("close", CLOSE, final=CLOSE_FINAL, waited={"client": 75.0})
    assert not verdict.ok
    assert verdict.timers[0].problems == (
        "client is still TIME-WAIT after waiting 75.0 s; documented CLOSED once its timer fires",
    )
    assert verdict.problems == (f"client's timer: {verdict.timers[0].problems[0]}",)


def test_timer_waited_into_another_state_fails() -> None:
    verdict = judged("close", CLOSE, final=snaps("LISTEN CLOSED"), waited={"client": 1.0})
    assert verdict.timers[0].problems == ("client is LISTEN after its timer, documented CLOSED",)


def test_wrong_state_at_the_end_fails_the_timer() -> None:
    verdict = judged("close", CLOSE, final=snaps("FIN-WAIT-2 CLOSED"))
    assert not verdict.ok
    assert all(s.ok for s in verdict.steps)
    assert verdict.timers[0].problems == (
        "client is FIN-WAIT-2 when the script ends, documented TIME-WAIT "
        "(until a timer moves it to CLOSED)",
    )


def test_timed_state_without_a_timer_fails() -> None:
    verdict = judged("close", CLOSE, final=snaps("TIME-WAIT CLOSED", timer=""))
    assert verdict.timers[0].problems == ("client is TIME-WAIT, but no timer runs to end it",)


def test_timer_without_any_observation_fails() -> None:
    verdict = judged("close", [], final={})
    assert verdict.timers[0].problems == ("client's state was not observed when the script ended",)
    assert verdict.timers[0].observed_state is None


# --- actions --------------------------------------------------------------------------------------


def test_actions_without_documented_states_are_shown_in_place_not_judged() -> None:
    verdict = judged("close", CLOSE, final=CLOSE_FINAL)
    assert verdict.actions == (
        ActionStep(Role.SERVER, "listens", setup=True, before_step=1),
        ActionStep(Role.CLIENT, "connects", setup=True, before_step=1),
        ActionStep(Role.SERVER, "accepts", setup=True, before_step=1),
        ActionStep(
            Role.CLIENT,
            "closes",
            setup=False,
            before_step=1,
            result="closed",
            states=snaps("FIN-WAIT-1 ESTABLISHED"),
        ),
        ActionStep(
            Role.SERVER,
            "closes",
            setup=False,
            before_step=3,
            result="closed",
            states=snaps("FIN-WAIT-2 LAST-ACK"),
        ),
    )


def test_an_action_the_runner_did_not_record_is_shown_bare() -> None:
    timeline = replaced(CLOSE, 3, act("server aborts", "FIN-WAIT-2 CLOSED", "closed"))
    server_closes = judged("close", timeline, final=CLOSE_FINAL).actions[4]
    assert (server_closes.result, server_closes.states) == ("", {})


def test_a_documented_state_after_an_action_is_judged() -> None:
    listens = judged("open", OPEN).actions[0]
    assert (listens.verb, listens.expected_states) == ("listens", {"server": TcpState.LISTEN})
    assert listens.ok
    assert listens.state_ok(Role.SERVER)


def test_a_wrong_state_after_an_action_fails_the_scenario() -> None:
    timeline = replaced(OPEN, 0, act("server listens", "CLOSED CLOSED", "listening on port 8080"))
    verdict = judged("open", timeline)
    assert not verdict.ok
    assert verdict.problems == (
        "after 'server listens': server is CLOSED right after the action, documented LISTEN",
    )
    assert TcpState.LISTEN in verdict.unseen_states


def test_a_documented_state_after_an_action_that_never_ran_is_not_observed() -> None:
    verdict = judged("open", [])
    assert verdict.actions[0].problems == (
        "server's state was not observed right after the action (the run did not get as far "
        "as the action); documented LISTEN",
    )


def test_listen_documented_after_an_action_is_covered() -> None:
    status = rows_by_name(SPEC, [judged("open", OPEN)])
    assert status["LISTEN"] is CoverageStatus.OBSERVED
    wrong = replaced(OPEN, 0, act("server listens", "CLOSED CLOSED"))
    assert rows_by_name(SPEC, [judged("open", wrong)])["LISTEN"] is CoverageStatus.MISSED


# --- coverage -------------------------------------------------------------------------------------


def rows_by_name(spec: Spec, verdicts: Sequence[ScenarioVerdict]) -> dict[str, CoverageStatus]:
    found = coverage(spec, verdicts)
    return {row.name: row.status for row in (*found.states, *found.flags)}


def test_coverage_of_states_and_flags() -> None:
    verdicts = [judged("open", OPEN, family="IPv4"), judged("close", CLOSE, family="IPv4")]
    found = coverage(SPEC, verdicts)
    status = {row.name: row for row in (*found.states, *found.flags)}
    assert status["SYN-SENT"].status is CoverageStatus.OBSERVED
    assert status["SYN-SENT"].observed_in == ("open (IPv4)",)
    assert status["SYN-SENT"].documented_in[:5] == (
        "open",
        "refused",
        "ecn-open",
        "syn-sent-close",
        "syn-retransmit",
    )
    assert "simultaneous-open" in status["SYN-SENT"].documented_in
    assert status["TIME-WAIT"].status is CoverageStatus.OBSERVED
    assert status["LISTEN"].status is CoverageStatus.OBSERVED  # after "server listens"
    assert status["CLOSING"].status is CoverageStatus.NOT_RUN  # simultaneous-close did not run
    assert status["SYN"].status is CoverageStatus.OBSERVED
    assert status["FIN"].observed_in == ("close (IPv4)",)
    assert status["URG"].status is CoverageStatus.NOT_RUN
    assert status["URG"].meaning.startswith("urgent data")
    assert status["RST"].status is CoverageStatus.NOT_RUN
    assert not found.complete


def test_coverage_names_what_was_documented_but_not_observed() -> None:
    no_fin: list[Observation] = [
        act("client closes", "FIN-WAIT-1 ESTABLISHED"),
        seg(1, "client -> server A", "FIN-WAIT-1 ESTABLISHED", "FIN-WAIT-1 ESTABLISHED"),
    ]
    status = rows_by_name(SPEC, [judged("close", no_fin)])
    assert status["FIN"] is CoverageStatus.MISSED
    assert status["FIN-WAIT-1"] is CoverageStatus.OBSERVED
    assert status["CLOSE-WAIT"] is CoverageStatus.MISSED


def test_a_flag_counts_only_in_its_shown_by_scenarios() -> None:
    status = rows_by_name(SPEC, [judged("open", OPEN)])
    assert status["ACK"] is CoverageStatus.OBSERVED  # shown_by: [open, close]
    assert status["FIN"] is CoverageStatus.NOT_RUN


def test_all_scenarios_as_documented_cover_everything_documented() -> None:
    verdicts = [
        judge(scenario, as_documented(scenario), final=None, waited=None)
        for scenario in SPEC.scenarios.values()
    ]
    found = coverage(SPEC, verdicts)
    assert found.complete
    assert {row.name for row in found.states if row.status is CoverageStatus.UNDOCUMENTED} == set()
