"""Reports of verdicts: the side-by-side table, the summary, the JSON, and the assertion."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from pathlib import Path

import pytest
from timelines import CLOSE, CLOSE_FINAL, OPEN, SPEC, TIME_WAIT_TIMER, act, judged, replaced, seg

from lab.tcp import (
    ScenarioVerdict,
    assert_verdict,
    coverage,
    mismatch_message,
    render_scenario,
    render_scenario_list,
    render_summary,
    to_json,
)

PCAP = "/tmp/lab/open-ipv4.pcap"
NO_ACK = replaced(
    OPEN, 3, seg(2, "server -> client S", "SYN-SENT SYN-RECEIVED", "SYN-RECEIVED SYN-RECEIVED")
)

# The table for an open whose SYN+ACK lacks its ACK, exactly as people will see it.
NO_ACK_TABLE = """\
open (IPv4): Three-way open, server in LISTEN first                                                                            pcap: /tmp/lab/open-ipv4.pcap
 n  segment          documented flags  on the wire  documented states                       client (in flight → after)  server (in flight → after)   verdict
 -  server listens: listening on port 8080 (documented: server LISTEN)                      → CLOSED                    → LISTEN                     ok
 -  client connects: EINPROGRESS                                                            → SYN-SENT                  → LISTEN
 1  client → server  SYN               SYN          client SYN-SENT                         SYN-SENT → SYN-SENT         LISTEN → SYN-RECEIVED        ok
 2  server → client  SYN+ACK           ✗ SYN        server SYN-RECEIVED                     SYN-SENT → SYN-RECEIVED     SYN-RECEIVED → SYN-RECEIVED  FAIL
    ✗ documented SYN+ACK, but ACK is not set (on the wire: SYN)
 3  client → server  ACK               ACK          client ESTABLISHED, server ESTABLISHED  ESTABLISHED → ESTABLISHED   SYN-RECEIVED → ESTABLISHED   ok
(✗ marks what differs. States: the sender's while its segment is in flight, the receiver's once it has processed it; after an action, each role's right after it. Flags: the documented ones must be set; ACK, and PSH on data, may go unwritten.)
FAILED: 1 difference from the documentation"""  # noqa: E501


def lines_of(verdict: ScenarioVerdict, pcap: str | None = None) -> list[str]:
    return render_scenario(verdict, pcap=pcap).splitlines()


def row(lines: list[str], start: str) -> str:
    """The one line that starts with `start` (after the table's leading space)."""
    (found,) = [line for line in lines if line.startswith(f" {start}")]
    return found


# --- the side-by-side table ----------------------------------------------------------------------


def test_failed_scenario_table_exactly() -> None:
    assert render_scenario(judged("open", NO_ACK, family="IPv4"), pcap=PCAP) == NO_ACK_TABLE


def test_a_wrong_state_after_an_action_is_marked_in_its_row() -> None:
    timeline = replaced(OPEN, 0, act("server listens", "CLOSED CLOSED", "listening on port 8080"))
    lines = lines_of(judged("open", timeline, family="IPv4"))
    listens = row(lines, "-  server listens")
    assert "(documented: server LISTEN)" in listens
    assert "✗ → CLOSED" in listens  # the server's cell: CLOSED, documented LISTEN
    assert listens.endswith("FAIL")
    problem = lines[lines.index(listens) + 1]
    assert problem.strip() == "✗ server is CLOSED right after the action, documented LISTEN"


def test_table_has_documented_and_observed_columns_aligned() -> None:
    lines = lines_of(judged("close", CLOSE, family="IPv6", final=CLOSE_FINAL))
    header = lines[1]
    for column in ("documented flags", "on the wire", "documented states", "verdict"):
        assert column in header
    assert "client (in flight → after)" in header
    assert "server (in flight → after)" in header
    first = row(lines, "1 ")
    assert first.index("FIN ") == header.index("documented flags")
    assert first.index("FIN+ACK") == header.index("on the wire")
    assert first.index("client FIN-WAIT-1") == header.index("documented states")
    assert first.index("FIN-WAIT-1 → FIN-WAIT-1") == header.index("client (in flight")
    assert first.index("ESTABLISHED → CLOSE-WAIT") == header.index("server (in flight")
    assert first.endswith("ok")
    assert row(lines, "4 ").index("ok") == header.index("verdict")


def test_ok_table_ends_with_the_verdict_and_no_colour() -> None:
    text = render_scenario(judged("open", OPEN, family="IPv4"))
    assert text.splitlines()[0] == "open (IPv4): Three-way open, server in LISTEN first"
    assert text.endswith("ok: every segment, state and timer as documented")
    assert "✗" not in text.split("(✗ marks")[0]
    assert "\x1b" not in text


def test_actions_and_setup_are_shown_in_order() -> None:
    lines = lines_of(judged("close", CLOSE, final=CLOSE_FINAL))
    starts = [line.split("  ")[0].strip() for line in lines[2:9]]
    assert starts == ["-", "-", "-", "-", "1", "2", "-"]
    assert row(lines, "-  server listens (setup)")
    closes = row(lines, "-  client closes: closed")
    assert "→ FIN-WAIT-1" in closes
    assert "→ ESTABLISHED" in closes
    assert row(lines, "-  server closes: closed")


def test_timer_row_shows_the_observed_timer() -> None:
    lines = lines_of(judged("close", CLOSE, final=CLOSE_FINAL))
    timer = row(lines, "-  client's timer: TIME-WAIT until it fires, then CLOSED")
    assert f"TIME-WAIT ({TIME_WAIT_TIMER})" in timer
    assert timer.endswith("ok")


def test_failed_timer_is_marked() -> None:
    verdict = judged("close", CLOSE, final=CLOSE_FINAL, waited={"client": 75.0})
    lines = lines_of(verdict)
    timer = row(lines, "-  client's timer")
    assert "✗ TIME-WAIT after 75.0 s" in timer
    assert timer.endswith("FAIL")
    assert "    ✗ client is still TIME-WAIT after waiting 75.0 s" in "\n".join(lines)


def test_wrong_state_marks_the_role_cell() -> None:
    timeline = replaced(
        OPEN,
        4,
        seg(3, "client -> server A", "ESTABLISHED SYN-RECEIVED", "ESTABLISHED SYN-RECEIVED"),
    )
    lines = lines_of(judged("open", timeline))
    third = row(lines, "3 ")
    assert "✗ SYN-RECEIVED → SYN-RECEIVED" in third
    assert "✗ ESTABLISHED" not in third  # the client was as documented
    assert third.endswith("FAIL")
    problem = lines[lines.index(third) + 1]
    assert problem == (
        "    ✗ server is SYN-RECEIVED once it has processed the segment, documented ESTABLISHED"
    )


def test_missing_extra_and_swapped_segments_are_marked() -> None:
    swapped = seg(2, "client -> server SA", "SYN-SENT SYN-RECEIVED", "ESTABLISHED SYN-RECEIVED")
    extra = seg(4, "server -> client R", "- -", "- -")
    lines = lines_of(judged("open", [*replaced(OPEN, 3, swapped), extra]))
    assert "✗ server → client" in row(lines, "2 ")
    assert "(undocumented)" in row(lines, "4 ")
    assert "✗ RST" in row(lines, "4 ")
    text = "\n".join(lines)
    assert "✗ documented server → client, but client sent it to server" in text
    assert "✗ not in the documentation: server → client RST, after step 3" in text

    missing = lines_of(judged("open", OPEN[:-1]))
    assert "✗ nothing" in row(missing, "3 ")
    assert "✗ not observed: the kernel sent nothing more" in "\n".join(missing)
    assert missing[-1].endswith("documented but never observed: ESTABLISHED")


def test_missing_and_extra_rows_are_shown_in_place() -> None:
    # The server's ACK of the FIN never comes; its FIN comes twice.
    again = seg(9, "server -> client FA", "FIN-WAIT-2 LAST-ACK", "TIME-WAIT LAST-ACK")
    timeline = [*CLOSE[:2], *CLOSE[3:5], again, CLOSE[5]]
    lines = lines_of(judged("close", timeline, final=CLOSE_FINAL))
    starts = [line.strip().split("  ")[0] for line in lines[6:13]]
    assert starts == [
        "1",
        "2",
        "✗ not observed: documented server → client ACK; the kernel sent nothing of the kind here",
        "-",
        "3",
        "4",
        "✗ not in the documentation: server → client FIN+ACK, between steps 3 and 5",
    ]
    assert "-  server closes: closed" in lines[9]
    assert "✗ nothing" in row(lines, "2 ")
    assert "(undocumented)" in row(lines, "4 ")
    assert row(lines, "5 ").endswith("ok")
    assert lines[-1] == (
        "FAILED: 2 differences from the documentation; "
        "documented but never observed: CLOSE-WAIT, FIN-WAIT-2"
    )


def test_strict_flags_are_named_in_the_legend() -> None:
    text = render_scenario(judged("close", CLOSE, final=CLOSE_FINAL, strict_flags=True))
    assert "Flags: exactly the documented ones (strict)." in text
    assert "✗ FIN+ACK" in text


# --- the summary ---------------------------------------------------------------------------------


def test_summary_lists_runs_and_coverage() -> None:
    verdicts = [
        judged("open", OPEN, family="IPv4"),
        judged("open", NO_ACK, family="IPv6"),
        judged("close", CLOSE, family="IPv4", final=CLOSE_FINAL),
    ]
    text = render_summary(verdicts, coverage(SPEC, verdicts))
    lines = text.splitlines()[: text.splitlines().index("documented flags") + 12]  # no edges
    assert lines[0] == "3 scenario runs: 2 agree with the documentation, 1 does not"
    assert lines[1].split() == ["ok", "open", "(IPv4)", *SPEC.scenarios["open"].title.split()]
    assert lines[2].startswith("  FAIL  open (IPv6)")
    assert lines[2].endswith("(1 difference)")
    assert "documented states" in lines
    assert "documented flags" in lines
    assert row(lines, " SYN-SENT").split()[1:] == ["observed", "open", "(IPv4),", "open", "(IPv6)"]
    assert row(lines, " LISTEN").split()[1:] == ["observed", "open", "(IPv4),", "open", "(IPv6)"]
    assert row(lines, " CLOSING").split()[1:] == [
        "not",
        "run",
        "documented",
        "in",
        "simultaneous-close,",
        "closing-rst",
    ]
    assert row(lines, " URG").split()[1:] == ["not", "run", "documented", "in", "urgent-data"]


def test_summary_without_coverage() -> None:
    assert render_summary([judged("open", OPEN)]) == (
        "1 scenario run: 1 agrees with the documentation\n"
        "  ok  open  Three-way open, server in LISTEN first\n"
        "\n"
        "TCP settings: the kernel's defaults in every run (stepping changes none)"
    )


def test_the_summary_names_the_runs_that_changed_tcp_settings() -> None:
    changed = dataclasses.replace(judged("open", OPEN), settings={"net.ipv4.tcp_autocorking": "0"})
    assert render_summary([changed]).endswith(
        "TCP settings beyond the kernel's defaults: open: net.ipv4.tcp_autocorking=0"
    )
    assert render_scenario(changed).splitlines()[1] == (
        "settings beyond the kernel's defaults: net.ipv4.tcp_autocorking=0"
    )


def test_an_interrupted_summary_names_the_runs_that_did_not_run() -> None:
    lines = render_summary([judged("open", OPEN, family="IPv4")], not_run=["open (IPv6)"])
    assert "interrupted (Ctrl-C) after 1 finished run; not run: open (IPv6)" in lines.splitlines()
    done = render_summary([judged("open", OPEN, family="IPv4")], not_run=[])
    assert "interrupted (Ctrl-C) after 1 finished run; every planned run had finished" in done


def test_the_scenario_list_names_the_settings_a_scenario_sets() -> None:
    data = dataclasses.replace(SPEC.scenarios["data"], sysctls={"net.ipv4.tcp_autocorking": "0"})
    spec = dataclasses.replace(SPEC, scenarios={"data": data})
    assert render_scenario_list(spec).splitlines() == [
        "scenario  title                                            documented flags  "
        "documented states",
        "data      Data sets PSH (sets net.ipv4.tcp_autocorking=0)  PSH, ACK          ESTABLISHED",
    ]


# --- JSON ----------------------------------------------------------------------------------------

TOP_KEYS = {"ok", "kernel", "scenarios"}
SCENARIO_KEYS = {
    "name",
    "family",
    "title",
    "ok",
    "pcap",
    "strict_flags",
    "settings",
    "cites",
    "actions",
    "steps",
    "timers",
    "seen_states",
    "unseen_states",
    "problems",
}
STEP_KEYS = {
    "n",
    "from",
    "to",
    "documented",
    "expected_flags",
    "observed_flags",
    "expected_states",
    "observed_states",
    "observed_from",
    "observed_to",
    "observed_before",
    "observed_after",
    "seq",
    "ack",
    "length",
    "injected",
    "overtakes",
    "expected_absent_flags",
    "expected_ce",
    "ecn",
    "expected_after",
    "elapsed",
    "expected_options",
    "options",
    "problems",
    "ok",
}


def test_json_shape_key_by_key() -> None:
    verdicts = [
        judged("open", NO_ACK, family="IPv4"),
        judged("close", CLOSE, family="IPv4", final=CLOSE_FINAL),
    ]
    data = to_json(verdicts, kernel="Linux 6.1.0 x86_64", pcaps={"open-ipv4": PCAP})
    assert json.loads(json.dumps(data)) == data
    assert set(data) == TOP_KEYS
    assert data["ok"] is False
    assert data["kernel"] == "Linux 6.1.0 x86_64"
    scenarios = data["scenarios"]
    assert isinstance(scenarios, list)
    opened, closed = scenarios
    assert set(opened) == SCENARIO_KEYS
    assert (opened["name"], opened["family"], opened["ok"], opened["pcap"]) == (
        "open",
        "IPv4",
        False,
        PCAP,
    )
    assert closed["pcap"] is None
    assert opened["title"] == "Three-way open, server in LISTEN first"
    assert opened["problems"] == [
        "step 2: documented SYN+ACK, but ACK is not set (on the wire: SYN)"
    ]
    first, second, _ = opened["steps"]
    assert set(first) == STEP_KEYS
    assert first == {
        "n": 1,
        "from": "client",
        "to": "server",
        "documented": True,
        "expected_flags": ["SYN"],
        "observed_flags": ["SYN"],
        "expected_states": {"client": "SYN-SENT"},
        "observed_states": {"client": "SYN-SENT"},
        "observed_from": "client",
        "observed_to": "server",
        "observed_before": {
            "client": {"state": "SYN-SENT", "timer": ""},
            "server": {"state": "LISTEN", "timer": ""},
        },
        "observed_after": {
            "client": {"state": "SYN-SENT", "timer": ""},
            "server": {"state": "SYN-RECEIVED", "timer": ""},
        },
        "seq": 1001,
        "ack": 2001,
        "length": 0,
        "injected": False,
        "overtakes": 0,
        "expected_absent_flags": [],
        "expected_ce": False,
        "ecn": None,
        "expected_after": None,
        "elapsed": None,
        "expected_options": [],
        "options": [],
        "problems": [],
        "ok": True,
    }
    assert (second["expected_flags"], second["observed_flags"], second["ok"]) == (
        ["SYN", "ACK"],
        ["SYN"],
        False,
    )
    assert closed["steps"][0]["observed_flags"] == ["FIN", "ACK"]
    assert closed["timers"] == [
        {
            "role": "client",
            "state": "TIME-WAIT",
            "then": "CLOSED",
            "observed": TIME_WAIT_TIMER,
            "observed_state": "TIME-WAIT",
            "waited": False,
            "seconds": None,
            "lasts": 60.0,
            "left": 59.0,
            "problems": [],
            "ok": True,
        }
    ]
    assert closed["actions"][0] == {
        "actor": "server",
        "verb": "listens",
        "setup": True,
        "before_step": 1,
        "result": "",
        "states": {},
        "expected_states": {},
        "expected_result": None,
        "problems": [],
        "ok": True,
    }


def test_json_of_a_missing_segment_has_nulls() -> None:
    data = to_json([judged("open", OPEN[:-1])], kernel="k")
    scenarios = data["scenarios"]
    assert isinstance(scenarios, list)
    step = scenarios[0]["steps"][2]
    assert step["observed_flags"] is None
    assert step["observed_states"] == {"client": None, "server": None}
    assert (step["seq"], step["observed_from"]) == (None, None)


def test_json_pcap_by_bare_name_and_coverage() -> None:
    verdicts = [judged("open", OPEN)]
    data = to_json(
        verdicts,
        kernel="k",
        pcaps={"open": Path("/tmp/open.pcap")},
        coverage=coverage(SPEC, verdicts),
    )
    assert data["ok"] is True
    scenarios = data["scenarios"]
    assert isinstance(scenarios, list)
    assert scenarios[0]["pcap"] == "/tmp/open.pcap"
    cov = data["coverage"]
    assert isinstance(cov, dict)
    assert cov["complete"] is False
    assert cov["flags"][0] == {  # the table's order: URG first
        "name": "URG",
        "meaning": SPEC.flags[next(iter(SPEC.flags))].meaning,
        "status": "not run",
        "documented_in": ["urgent-data"],
        "observed_in": [],
    }
    assert {s["name"]: s["status"] for s in cov["states"]}["SYN-SENT"] == "observed"


# --- the assertion -------------------------------------------------------------------------------


def test_assert_verdict_passes_an_ok_verdict() -> None:
    assert_verdict(judged("open", OPEN))


def test_wrong_expectation_gives_a_side_by_side_diff() -> None:
    verdict = judged("open", NO_ACK, family="IPv4")
    with pytest.raises(AssertionError) as caught:
        assert_verdict(verdict, pcap=PCAP)
    message = str(caught.value)
    assert message == mismatch_message(verdict, pcap=PCAP)
    assert message.splitlines()[0] == (
        "the kernel differs from the documentation of open (IPv4) (1 difference, marked ✗):"
    )
    assert NO_ACK_TABLE in message
    assert message.endswith(f"the segments are in {PCAP} (open it with wireshark or tcpdump -r)")


def test_assertion_points_at_the_test_not_the_helper(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_handshake=textwrap.dedent(
            """
            from lab.tcp import ObservedSegment, TcpFlag, assert_verdict, judge, load_spec

            def test_open():
                scenario = load_spec().scenarios["open"]
                syn = ObservedSegment(1, "client", "server", TcpFlag.RST, 1, 0, 0)
                assert_verdict(judge(scenario, [syn]), pcap="open.pcap")
            """
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert 'assert_verdict(judge(scenario, [syn]), pcap="open.pcap")' in output
    assert "raise AssertionError" not in output  # the helper's frame is hidden
    assert "✗ documented SYN, but SYN is not set (on the wire: RST)" in output
    assert "the segments are in open.pcap" in output
