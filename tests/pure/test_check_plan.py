"""What `lab check` plans to run: a slow scenario only when timers are waited for, or named."""

from __future__ import annotations

from lab._check import plan_check
from lab.tcp import load_spec
from lab.tcp._report import render_summary

SPEC = load_spec()
SLOW_NAMES = {name for name, scenario in SPEC.scenarios.items() if scenario.slow}


def names(**options: object) -> list[str]:
    return [s.name for s in plan_check(**options).scenarios]  # type: ignore[arg-type]


def test_a_slow_scenario_is_left_out_of_the_default_check_and_says_why() -> None:
    assert {"syn-retries-exhausted"} == SLOW_NAMES
    plan = plan_check()
    assert names() == [name for name in SPEC.scenarios if name not in SLOW_NAMES]
    assert plan.slow_left_out == {
        "syn-retries-exhausted": SPEC.scenarios["syn-retries-exhausted"].slow
    }
    assert "3 s" in plan.slow_left_out["syn-retries-exhausted"]


def test_waiting_for_timers_or_naming_it_runs_a_slow_scenario() -> None:
    assert names(wait_timers=True) == list(SPEC.scenarios)
    assert plan_check(wait_timers=True).slow_left_out == {}
    assert names(scenarios=["syn-retries-exhausted", "open"]) == ["syn-retries-exhausted", "open"]
    assert plan_check(scenarios=["open"]).slow_left_out == {}  # named: nothing left out


def test_the_summary_says_which_slow_scenario_was_left_out_and_how_to_run_it() -> None:
    text = render_summary([], slow_left_out={"syn-retries-exhausted": "it waits 3 s"})
    assert (
        "  syn-retries-exhausted left out: slow (it waits 3 s); --wait-timers, or "
        "--scenario syn-retries-exhausted, runs it"
    ) in text.splitlines()
