"""`lab check` as a command: where its results and pcaps go, progress, interrupts, JUnit XML."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from support import (
    REPO,
    lab_cli,
    lab_cli_into_a_closed_pipe,
    lab_cli_on_a_terminal,
    real_root,
    spec_with_half_close,
)

from lab.tcp import load_spec

OPEN_IPV4 = ("--scenario", "open", "--family", "IPv4")


def wrong_spec(tmp_path: Path) -> Path:
    """The packaged tables with one wrong state: the open's SYN documented as sent in LISTEN."""
    text = Path(load_spec().source).read_text()
    wrong = text.replace(
        "        states: {client: SYN-SENT}\n", "        states: {client: LISTEN}\n"
    )
    assert wrong != text
    path = tmp_path / "wrong.yaml"
    path.write_text(wrong)
    return path


def test_a_check_that_passes_removes_its_temporary_pcaps(tmp_path: Path) -> None:
    done = lab_cli("check", *OPEN_IPV4, env={"TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []
    assert done.stdout.rstrip().endswith(
        "pcaps not kept (nothing failed; --pcap-dir DIR keeps them)"
    )
    assert "pcap:" not in done.stdout  # no table names a file that is gone


def test_a_check_that_fails_keeps_its_pcaps_and_says_where(tmp_path: Path) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    junit = tmp_path / "check.xml"
    argv = ["check", "--spec", str(wrong_spec(tmp_path)), *OPEN_IPV4, "--junit-xml", str(junit)]
    done = lab_cli(*argv, env={"TMPDIR": str(temporary)})
    assert done.returncode == 1, done.stderr
    (kept,) = temporary.iterdir()
    assert kept.name.startswith("lab-check-")
    assert [p.name for p in kept.iterdir()] == ["open-ipv4.pcap"]
    assert f"pcaps kept in {kept} (something failed)" in done.stdout
    assert f"pcap: {kept}/open-ipv4.pcap" in done.stdout
    # CI systems show the run as a failed test, with the table and the pcap.
    suite = ET.parse(junit).getroot()
    (case,) = [c for c in suite.iter("testcase") if c.get("name") == "open (IPv4)"]
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith("step 1: ")
    assert "✗" in (failure.text or "")
    pcaps = [p.get("value") for p in case.iter("property") if p.get("name") == "pcap"]
    assert pcaps == [f"{kept}/open-ipv4.pcap"]
    assert f"[[ATTACHMENT|{kept}/open-ipv4.pcap]]" in (case.findtext("system-out") or "")
    assert done.stdout.rstrip().endswith(f"JUnit XML written to {junit}")


def test_pcaps_asked_for_are_kept(tmp_path: Path) -> None:
    pcaps = tmp_path / "new" / "pcaps"
    done = lab_cli("check", *OPEN_IPV4, "--pcap-dir", str(pcaps))
    assert done.returncode == 0, done.stderr
    assert [p.name for p in pcaps.iterdir()] == ["open-ipv4.pcap"]
    assert done.stdout.rstrip().endswith(f"pcaps in {pcaps}")


def test_json_to_standard_output_sends_the_report_to_stderr(tmp_path: Path) -> None:
    done = lab_cli("check", *OPEN_IPV4, "--json", "-", env={"TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)  # nothing else on standard output
    assert [(s["name"], s["family"]) for s in data["scenarios"]] == [("open", "IPv4")]
    assert "1 scenario run: 1 agrees with the documentation" in done.stderr
    assert done.stderr.rstrip().endswith("JSON written to standard output")


def test_lab_check_judges_listen_after_server_listens(tmp_path: Path) -> None:
    done = lab_cli("check", "--scenario", "open", "--json", "-", env={"TMPDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    for scenario in data["scenarios"]:
        listens = scenario["actions"][0]
        assert (listens["verb"], listens["expected_states"]) == ("listens", {"server": "LISTEN"})
        assert listens["states"]["server"]["state"] == "LISTEN"
        assert listens["ok"] is True
        assert "LISTEN" in scenario["seen_states"]
    (listen,) = [row for row in data["coverage"]["states"] if row["name"] == "LISTEN"]
    assert (listen["status"], listen["observed_in"]) == ("observed", ["open (IPv4)", "open (IPv6)"])
    assert "server listens: ok (documented: server LISTEN)" in done.stderr
    edges = {edge["id"]: edge for edge in data["coverage"]["edges"]}
    assert edges["passive-open"]["shown_in"] == ["open (IPv4)", "open (IPv6)"]
    assert edges["listen-send"]["shown_in"] == []
    assert "EISCONN" in edges["listen-send"]["unreachable"]


def test_a_report_reader_that_goes_away_costs_neither_the_json_nor_the_status(
    tmp_path: Path,
) -> None:
    out = tmp_path / "check.json"
    assert lab_cli_into_a_closed_pipe("check", *OPEN_IPV4, "--json", str(out)) == (141, "")
    assert json.loads(out.read_text())["ok"] is True


HALF_CLOSE = ("--scenario", "half-close", "--family", "IPv4", "--wait-timers")
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def colours(text: str) -> list[str]:
    """The colour parameters of the SGR escapes in `text` (bold or reset are not colour)."""
    found = []
    for params in SGR.findall(text):
        codes = [int(c) for c in params.split(";") if c]
        found += [str(c) for c in codes if 30 <= c <= 49 or 90 <= c <= 107]
    return found


def test_on_a_terminal_the_check_shows_its_progress_and_counts_the_timer_down(
    tmp_path: Path,
) -> None:
    spec = spec_with_half_close(tmp_path)
    status, seen = lab_cli_on_a_terminal("check", "--spec", str(spec), *HALF_CLOSE)
    assert status == 0, seen
    progress, _, report = seen.partition("lab check on Linux")
    assert "half-close (IPv4)" in progress
    assert "client in FIN-WAIT-2 until its timer fires" in progress
    assert re.search(r"[01] s left", progress), progress
    assert "1/1 runs" in progress
    assert colours(progress)  # rich's colours, unless NO_COLOR
    assert "1 scenario run: 1 agrees with the documentation" in report


def test_no_color_keeps_the_progress_without_colour_and_quiet_drops_it(tmp_path: Path) -> None:
    argv = ["check", *OPEN_IPV4]
    status, seen = lab_cli_on_a_terminal(*argv, env={"NO_COLOR": "1"})
    assert status == 0, seen
    progress = seen.partition("lab check on Linux")[0]
    assert "open (IPv4)" in progress
    assert colours(progress) == []
    status, seen = lab_cli_on_a_terminal(*argv, "--quiet")
    assert status == 0, seen
    assert seen.startswith("lab check on Linux")  # the report, and nothing before it


def test_off_a_terminal_the_check_is_silent_on_stderr_unless_verbose(tmp_path: Path) -> None:
    done = lab_cli("check", *OPEN_IPV4, env={"TMPDIR": str(tmp_path)})
    assert (done.returncode, done.stderr) == (0, "")
    spec = spec_with_half_close(tmp_path)
    done = lab_cli("check", "--spec", str(spec), *HALF_CLOSE, "--verbose")
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines[:2] == [
        "lab check: 1 run on two-hosts, client -> server, IPv4",
        "[1/1] half-close (IPv4) The client closes, the server never does; FIN-WAIT-2 ends by "
        "the client's timer",
    ]
    assert re.fullmatch(
        r"\[1/1\] half-close \(IPv4\) waiting for the client's timer to end FIN-WAIT-2, "
        r"[01] s left \(waited 0 s\)",
        lines[2],
    ), lines[2]
    assert re.fullmatch(r"\[1/1\] half-close \(IPv4\) ok in \d+\.\d\d s", lines[3]), lines[3]
    assert len(lines) == 4


def test_ctrl_c_prints_what_finished_says_interrupted_and_exits_130(tmp_path: Path) -> None:
    out = tmp_path / "check.json"
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    junit = tmp_path / "check.xml"
    argv = ["check", "--scenario", "open", "--scenario", "close", "--family", "IPv4"]
    argv += ["--wait-timers", "--verbose", "--json", str(out), "--junit-xml", str(junit)]
    with subprocess.Popen(
        [sys.executable, "-m", "lab", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(temporary)},
    ) as lab:
        assert lab.stdout is not None
        assert lab.stderr is not None
        # Side by side: once the open has finished and the close waits out TIME-WAIT (60 s),
        # in whichever order the two lines come.
        awaited = {"[1/2] open (IPv4) ok", "waiting for the client's timer to end TIME-WAIT"}
        for line in lab.stderr:
            awaited -= {text for text in awaited if text in line}
            if not awaited:
                break
        lab.send_signal(signal.SIGINT)
        report, error = lab.stdout.read(), lab.stderr.read()
    assert lab.returncode == 130, error
    assert error.splitlines()[-1] == (
        "lab: interrupted (Ctrl-C) after 1 of 2 scenario runs; the report shows those that finished"
    )
    assert "open (IPv4): Three-way open" in report  # the finished run's table
    assert "close (IPv4):" not in report
    assert "interrupted (Ctrl-C) after 1 finished run; not run: close (IPv4)" in report
    data = json.loads(out.read_text())
    assert (data["interrupted"], data["not_run"]) == (True, ["close (IPv4)"])
    skipped = {c.get("name"): c.find("skipped") for c in ET.parse(junit).getroot().iter("testcase")}
    assert skipped["open (IPv4)"] is None
    closing = skipped["close (IPv4)"]
    assert closing is not None
    assert closing.get("message") == "interrupted (Ctrl-C) before it finished"
    assert list(temporary.iterdir()) == []  # nothing failed: the pcaps went


def test_ctrl_c_twice_while_runs_wait_side_by_side_still_reports_what_finished() -> None:
    argv = ["check", "--scenario", "open", "--scenario", "close", "--wait-timers", "--verbose"]
    with subprocess.Popen(
        [sys.executable, "-m", "lab", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as lab:
        assert lab.stdout is not None
        assert lab.stderr is not None
        waiting = set()
        for line in lab.stderr:  # both closes wait out TIME-WAIT (60 s), side by side
            if "to end TIME-WAIT" in line:
                waiting.add(line.split(" ")[0])
                if len(waiting) == 2:
                    break
        lab.send_signal(signal.SIGINT)
        lab.send_signal(signal.SIGINT)  # impatient: the labs are still torn down first
        report, error = lab.stdout.read(), lab.stderr.read()
    assert lab.returncode == 130, error
    assert error.splitlines()[-1].startswith("lab: interrupted (Ctrl-C) after ")
    (summary,) = [line for line in report.splitlines() if "interrupted (Ctrl-C) after" in line]
    not_run = summary.split("; not run: ")[1].split(", ")
    assert not_run[-2:] == ["close (IPv4)", "close (IPv6)"]  # the opens may have finished


@pytest.mark.skipif(not real_root(), reason="scripts/interrupt.py reads every process (root)")
def test_the_interrupt_script_counts_nothing_left_behind() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "interrupt.py"), "--runs", "1", "--seed", "7"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (row,) = [line for line in done.stdout.splitlines() if line.split()[:1] == ["1"]]
    assert row.split()[2:8] == ["130", "yes", "yes", "0", "0", "0"]
    assert done.stdout.rstrip().endswith("0 of 1 runs had a problem")


def test_one_job_runs_one_at_a_time_in_plan_order() -> None:
    done = lab_cli("check", "--scenario", "open", "--scenario", "close", "--jobs", "1", "-v")
    assert done.returncode == 0, done.stderr
    said = [line.split(" ok in ")[0] for line in done.stderr.splitlines()[1:]]
    labels = ["[1/4] open (IPv4)", "[2/4] open (IPv6)", "[3/4] close (IPv4)", "[4/4] close (IPv6)"]
    # Each run's start (its label, then its title), then its end, before the next one starts.
    assert [start[: len(label)] for start, label in zip(said[0::2], labels, strict=True)] == labels
    assert said[1::2] == labels


def test_the_benchmark_prints_both_ways_and_how_many_failed() -> None:
    bench = [sys.executable, str(REPO / "scripts" / "bench_check.py"), "--rounds", "1"]
    done = subprocess.run(
        [*bench, "--", *OPEN_IPV4], capture_output=True, text=True, check=False, timeout=120
    )
    first, alone, together, *_, target = done.stdout.splitlines()
    assert first == (
        "`lab check -q --scenario open --family IPv4`, 1 rounds, wall time of the whole command"
    )
    assert re.match(r"  one at a time .* 1 runs  0 of 1 checks failed$", alone), done.stdout
    assert re.match(r"  side by side .* 1 runs  0 of 1 checks failed  \(--jobs 1\)$", together)
    assert target.startswith("target: side by side within 3 s: ")  # met or not: no timing here
