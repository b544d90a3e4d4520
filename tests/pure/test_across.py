"""Results of lab check on several kernels, merged (lab._across): rows, marks, settings, errors.

The fixtures are real ``lab check --json`` outputs, trimmed (tests/pure/results/):
lab's tables (open, close, listen-connect over IPv4 and IPv6) and a note's
claims. Another kernel is the same JSON with a few observations changed.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lab._across import DIFFERS, FAILS, NOT_RUN, Across, label_for, merge_results, read_results
from lab._errors import InputError, LabError

RESULTS = Path(__file__).parent / "results"


@pytest.fixture
def tables() -> dict[str, Any]:
    """lab's tables as checked on the host (all as documented)."""
    found: dict[str, Any] = json.loads((RESULTS / "tables.json").read_text())
    return found


@pytest.fixture
def note() -> dict[str, Any]:
    """A note's claims as checked on the host (ok, and two timer lines)."""
    found: dict[str, Any] = json.loads((RESULTS / "note.json").read_text())
    return found


def another(result: dict[str, Any], change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """A copy of `result` with `change` made to it: another kernel's."""
    copied = copy.deepcopy(result)
    change(copied)
    return copied


def run(result: dict[str, Any], name: str, family: str = "IPv4") -> dict[str, Any]:
    """The run of scenario `name` over `family` in `result`."""
    found: dict[str, Any]
    (found,) = [s for s in result["scenarios"] if (s["name"], s["family"]) == (name, family)]
    return found


def fin_without_ack(result: dict[str, Any]) -> None:
    """close's first segment without ACK: a difference the documentation allows."""
    run(result, "close")["steps"][0]["observed_flags"] = ["FIN"]


def listener_connects(result: dict[str, Any]) -> None:
    """listen-connect's connect() succeeds, where EISCONN is documented: a failure."""
    scenario = run(result, "listen-connect")
    (action,) = [a for a in scenario["actions"] if a["expected_result"]]
    problem = "the call returned ok, documented EISCONN"
    action.update(result="ok", ok=False, problems=[problem])
    scenario.update(ok=False, problems=[problem, "server kept listening"])
    result["ok"] = False


def cubic(result: dict[str, Any]) -> None:
    for role in ("client", "server", "machine"):
        result["tcp_settings"]["net.ipv4.tcp_congestion_control"][role] = "cubic"


def row(across: Across, kind: str, **where: str) -> Any:
    (found,) = [r for r in across.rows if r.kind == kind and where.items() <= dict(r.where).items()]
    return found


# --- tables ------------------------------------------------------------------------------------


def test_the_same_result_twice_agrees_everywhere(tables: dict[str, Any]) -> None:
    across = merge_results([("host", tables), ("6.12", tables)])
    assert (across.ok, across.exit_status, across.differences, across.failures) == (True, 0, 0, 0)
    steps = [r for r in across.rows if r.kind == "step"]
    assert len(steps) == sum(len(s["steps"]) for s in tables["scenarios"])
    assert not [r for r in across.rows if r.kind == "run"]  # shown only when it holds a problem
    report = across.report()
    assert report.splitlines()[-1] == (
        "ok: every kernel agrees with the documentation, and with each other"
    )
    assert DIFFERS not in report.split("\n\n(")[0]
    assert "TCP settings: the same on every kernel" in report


def test_a_step_row_shows_the_documentation_and_each_kernels_flags_and_states(
    tables: dict[str, Any],
) -> None:
    across = merge_results([("host", tables), ("6.1", another(tables, fin_without_ack))])
    close = row(across, "step", scenario="close", family="IPv4", n="1")
    assert close.documented == "FIN; client FIN-WAIT-1"
    assert [c.text for c in close.cells] == ["FIN+ACK; FIN-WAIT-1", "FIN; FIN-WAIT-1"]
    assert (close.differs, close.ok) == (True, True)
    assert close.marked(1) == f"FIN; FIN-WAIT-1 {DIFFERS}"
    assert close.marked(0) == "FIN+ACK; FIN-WAIT-1"


def test_kernels_that_differ_as_the_documentation_allows_exit_0(tables: dict[str, Any]) -> None:
    across = merge_results([("host", tables), ("6.1", another(tables, fin_without_ack))])
    assert (across.exit_status, across.differences, across.failures) == (0, 1, 0)
    assert across.report().splitlines()[-1] == (
        "ok: every kernel agrees with the documentation; 1 row differs between them, "
        "as the documentation allows"
    )


def test_a_kernel_that_disagrees_with_the_documentation_exits_1_and_says_why(
    tables: dict[str, Any],
) -> None:
    across = merge_results([("host", tables), ("6.1", another(tables, listener_connects))])
    assert (across.ok, across.exit_status) == (False, 1)
    (action,) = [r for r in across.rows if r.documented.startswith("server connects") and not r.ok]
    assert dict(action.where) == {"scenario": "listen-connect", "family": "IPv4", "n": "-"}
    assert action.documented == "server connects its listener: returns EISCONN, server LISTEN"
    assert action.marked(1) == f"ok; LISTEN {FAILS}{DIFFERS}"
    leftover = row(across, "run", scenario="listen-connect", family="IPv4")
    assert leftover.cells[1].problems == ("server kept listening",)  # not the action's again
    lines = across.report().splitlines()
    at = next(i for i, line in enumerate(lines) if "server connects its listener" in line)
    assert lines[at + 1].split() == ["6.1", FAILS, "the", "call", "returned", "ok,", "documented",
                                     "EISCONN"]  # fmt: skip
    assert lines[-1] == "FAIL: 6.1 disagrees with the documentation; 2 rows differ between kernels"
    assert "2 rows: " not in lines[5]
    assert lines[5].endswith("2 disagree with the documentation (on 6.1)")


def test_only_differences_leaves_out_the_rows_alike_and_as_documented(
    tables: dict[str, Any],
) -> None:
    across = merge_results([("host", tables), ("6.1", another(tables, fin_without_ack))])
    full, short = across.report(), across.report(only_differences=True)
    assert "SYN; client SYN-SENT" in full
    assert "SYN; client SYN-SENT" not in short
    assert "FIN; client FIN-WAIT-1" in short
    hidden = len(across.rows) - 1
    assert f"({hidden} rows alike on every kernel and as documented not shown)" in short


def test_a_run_a_kernel_lacks_reads_not_run(tables: dict[str, Any]) -> None:
    def without_close_ipv6(result: dict[str, Any]) -> None:
        result["scenarios"].remove(run(result, "close", "IPv6"))

    across = merge_results([("host", tables), ("6.1", another(tables, without_close_ipv6))])
    close = row(across, "step", scenario="close", family="IPv6", n="1")
    assert close.cells[1] is None
    assert close.marked(1) == f"{NOT_RUN} {DIFFERS}"
    assert across.exit_status == 0  # the kernel's own result says whether that is a failure
    # Its rows stay in their place among the others, in the first kernel's order.
    order = [dict(r.where)["scenario"] for r in across.rows]
    assert order == sorted(order, key=["open", "close", "listen-connect"].index)


def test_a_run_only_a_later_kernel_has_comes_in_its_place(tables: dict[str, Any]) -> None:
    def without_close(result: dict[str, Any]) -> None:
        result["scenarios"] = [s for s in result["scenarios"] if s["name"] != "close"]

    across = merge_results([("old", another(tables, without_close)), ("new", tables)])
    order = list(dict.fromkeys(dict(r.where)["scenario"] for r in across.rows))
    assert order == ["open", "close", "listen-connect"]


def test_settings_that_differ_are_listed_with_each_kernels_value(tables: dict[str, Any]) -> None:
    def older(result: dict[str, Any]) -> None:
        cubic(result)
        del result["tcp_settings"]["net.ipv4.tcp_rto_min_us"]

    across = merge_results([("host", tables), ("6.1", another(tables, older))])
    assert across.settings() == [
        ("net.ipv4.tcp_congestion_control", ("bbr", "cubic")),
        ("net.ipv4.tcp_rto_min_us", ("200000", None)),
    ]
    report = across.report()
    assert f"congestion_control  bbr     cubic {DIFFERS}" in report
    assert f"rto_min_us          200000  (absent) {DIFFERS}" in report
    assert across.exit_status == 0


def test_a_setting_a_scenario_sets_is_shown_with_it(tables: dict[str, Any]) -> None:
    merged = merge_results([("a", tables)]).to_json()
    assert merged["settings"] == []
    across = merge_results([("a", tables), ("b", another(tables, cubic))])
    values = dict(across.settings())
    assert "net.ipv4.tcp_ecn" not in values
    assert "(ecn-open 1, ce-echo 1)" not in across.report()


def test_vm_facts_and_kernel_strings_head_the_columns(tables: dict[str, Any]) -> None:
    def in_a_vm(result: dict[str, Any]) -> None:
        result["kernel"] = "Linux 6.1.120 x86_64"
        result["vm"] = {"accel": "tcg", "boot_seconds": 12.34, "check_seconds": 40.1}

    across = merge_results([("host", tables), ("6.1", another(tables, in_a_vm))])
    lines = across.report().splitlines()
    assert lines[0] == "lab diff: lab's tables, on 2 kernels"
    assert lines[2].split()[:4] == ["host", "Linux", "6.18.44-fc-v1098", "x86_64"]
    assert "Linux 6.1.120 x86_64 (VM: tcg, boot 12.3 s, check 40.1 s)" in lines[3]
    assert "ok: 6 of 6 runs" in lines[3]
    assert across.to_json()["kernels"][1]["vm"] == {  # type: ignore[index]
        "accel": "tcg",
        "boot_seconds": 12.34,
        "check_seconds": 40.1,
    }


def test_coverage_and_deviations_per_kernel(tables: dict[str, Any]) -> None:
    def not_shown(result: dict[str, Any]) -> None:
        result["coverage"]["deviations"][0].update(shown=False, agreed=[])

    across = merge_results([("host", tables), ("6.1", another(tables, not_shown))])
    coverage = dict(across.coverage())
    assert coverage["documented states seen"] == ("11 of 11", "11 of 11")
    assert coverage["deviation time-wait-length"] == ("shown", "not shown")
    short = across.report(only_differences=True)
    (line,) = [line for line in short.splitlines() if line.startswith("deviation")]
    assert line.split() == ["deviation", "time-wait-length", "shown", "not", "shown", DIFFERS]
    assert "documented states seen" not in short


def test_the_merged_json_keeps_each_result_and_says_what_differs(tables: dict[str, Any]) -> None:
    changed = another(tables, listener_connects)
    merged = merge_results([("host", tables), ("6.1", changed)]).to_json()
    assert json.loads(json.dumps(merged)) == merged
    assert (merged["check"], merged["ok"], merged["differences"], merged["failures"]) == (
        "tables",
        False,
        2,
        2,
    )
    assert merged["results"] == {"host": tables, "6.1": changed}
    kernels: Any = merged["kernels"]
    assert [(k["label"], k["ok"], k["agree"], k["disagree"]) for k in kernels] == [
        ("host", True, 6, 0),
        ("6.1", False, 5, 1),
    ]
    rows: Any = merged["rows"]
    (failed,) = [r for r in rows if r["kind"] == "action" and not r["ok"]]
    assert failed["where"] == {"scenario": "listen-connect", "family": "IPv4", "n": "-"}
    assert failed["cells"]["6.1"]["problems"] == ["the call returned ok, documented EISCONN"]
    assert failed["differs"] is True


# --- notes -------------------------------------------------------------------------------------


def test_a_note_row_is_a_claim_its_families_together(note: dict[str, Any]) -> None:
    across = merge_results([("host", note), ("6.1", note)])
    assert across.check == "notes"
    lines = {dict(r.where)["line"] for r in across.rows}
    assert lines == {"21", "28", "48", "56", "58"}
    established = [r for r in across.rows if dict(r.where)["line"] == "28"]
    assert [r.documented for r in established] == ["client ESTABLISHED", "server ESTABLISHED"]
    timer = row(across, "claim", line="58")
    assert (timer.cells[0].text, timer.ok) == ("timer", True)  # a timer line is no failure
    assert across.agreement(0) == (6, 0)


def test_a_claim_that_fails_on_one_family_of_one_kernel(note: dict[str, Any]) -> None:
    def fails(result: dict[str, Any]) -> None:
        for claim in result["claims"]:
            if (claim["line"], claim["family"]) == (56, "IPv6"):
                claim.update(verdict="fail", observed="FIN-WAIT-2", detail="client is FIN-WAIT-2")
        result["ok"] = False

    across = merge_results([("host", note), ("6.1", another(note, fails))])
    claim = row(across, "claim", line="56")
    assert claim.marked(1) == f"IPv4 ok, IPv6 fail {FAILS}{DIFFERS}"
    assert claim.cells[1].problems == ("IPv6: client is FIN-WAIT-2",)
    report = across.report(only_differences=True)
    assert "did IPv4 TIME-WAIT, IPv6 FIN-WAIT-2" in report
    assert f"{FAILS} IPv6: client is FIN-WAIT-2" in report
    assert across.exit_status == 1
    assert across.agreement(1) == (5, 1)


def test_the_same_verdict_with_another_observation_differs(note: dict[str, Any]) -> None:
    def fin_alone(result: dict[str, Any]) -> None:
        for claim in result["claims"]:
            if claim["line"] == 48:
                claim["observed"] = "client → server FIN (seq 6, ack 1)"

    across = merge_results([("host", note), ("6.1", another(note, fin_alone))])
    claim = row(across, "claim", line="48")
    assert (claim.marked(1), claim.ok) == (f"ok {DIFFERS}", True)
    assert across.exit_status == 0


def test_what_is_left_of_a_timer_is_not_a_difference(note: dict[str, Any]) -> None:
    """ss shows 1min on one kernel and 59sec on the next: the same timer, seen a moment later."""

    def a_second_later(result: dict[str, Any]) -> None:
        for claim in result["claims"]:
            claim["observed"] = claim["observed"].replace("timewait,1min,0", "timewait,59sec,0")

    across = merge_results([("host", note), ("6.1", another(note, a_second_later))])
    assert across.differences == 0


def test_several_notes_in_one_result_name_each_line_with_its_note(note: dict[str, Any]) -> None:
    several = {"ok": True, "notes": [note, dict(note, note="other/second.md")]}
    across = merge_results([("a", several), ("b", several)])
    lines = [dict(r.where)["line"] for r in across.rows]
    assert "tcp-connection.md:21" in lines
    assert "second.md:21" in lines


# --- labels and bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "label"),
    [
        ({"kernel_name": "6.1", "kernel": "Linux 6.1.120 x86_64"}, "6.1"),
        ({"kernel": "Linux 6.18.44-fc-v1098 x86_64"}, "6.18.44-fc-v1098"),
        ({"kernel": "something else"}, "result-host"),
        ({}, "result-host"),
    ],
)
def test_a_files_label_is_its_kernel_name_else_its_release_else_its_stem(
    data: dict[str, Any], label: str
) -> None:
    assert label_for(data, "ci/result-host.json") == label


def test_labels_read_from_files_are_made_unique(tmp_path: Path, tables: dict[str, Any]) -> None:
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.json").write_text(json.dumps(tables))
    across = read_results([tmp_path / "a.json", tmp_path / "b.json", tmp_path / "b.json"])
    assert across.labels == ("6.18.44-fc-v1098", "6.18.44-fc-v1098 (b)", "6.18.44-fc-v1098#3")


def test_labels_given_twice_are_refused(tables: dict[str, Any]) -> None:
    with pytest.raises(
        LabError, match=re.escape("kernel label '6.1' is given to more than one result")
    ):
        merge_results([("6.1", tables), ("6.1", tables)])


def test_nothing_to_merge_is_refused() -> None:
    with pytest.raises(LabError, match="no result to merge"):
        merge_results([])


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content)
    return path


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("<testsuites/>", "line 1, column 1: is not JSON (Expecting value); give the file that "
         "lab check --json FILE wrote, unchanged"),
        ("[]", ": is a list in JSON, not a lab check result"),
        ('{"ok": true}', ": is not a lab check result: it has no 'scenarios' (lab's tables), "
         "'claims' (a note) or 'notes' (several notes)"),
        ('{"kernels": [], "results": {}}', ": results: holds no kernel's result"),
        ('{"ok": true, "kernel": "Linux 6.1 x86_64", "scenarios": [{"name": "open"}]}',
         ": scenarios[0].family: is missing"),
        ('{"ok": "yes", "kernel": "Linux", "scenarios": []}', ": ok: is a string, not true or "
         "false"),
        ('{"ok": true, "kernel": "Linux", "scenarios": [{"name": "a", "family": "IPv4", '
         '"ok": true, "steps": [{"n": 1, "expected_flags": "SYN"}]}]}',
         ": scenarios[0].steps[0].expected_flags: is a string, not a list"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_a_lab_check_result_is_named_with_what_is_wrong(
    tmp_path: Path, tables: dict[str, Any], content: str, says: str
) -> None:
    good = write(tmp_path, "good.json", json.dumps(tables))
    bad = write(tmp_path, "bad.json", content)
    with pytest.raises(InputError) as raised:
        read_results([good, bad])
    assert str(raised.value).startswith(f"{bad}")
    assert says in str(raised.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(
        InputError, match=re.escape("nowhere.json: no such file; name a file that lab")
    ):
        read_results([tmp_path / "nowhere.json"])


def test_tables_and_a_note_are_not_merged(
    tmp_path: Path, tables: dict[str, Any], note: dict[str, Any]
) -> None:
    a = write(tmp_path, "a.json", json.dumps(tables))
    b = write(tmp_path, "b.json", json.dumps(note))
    with pytest.raises(InputError) as raised:
        read_results([a, b])
    assert str(raised.value) == (
        f"{b}: is a result of note tcp-connection.md, where {a} is of lab's tables; compare "
        "results of the same check: run lab check the same way (the same tables, or the same "
        "note) on each kernel"
    )


def test_two_notes_that_differ_are_not_merged(note: dict[str, Any]) -> None:
    other = dict(note, note="notes/other.md")
    with pytest.raises(
        InputError, match=re.escape("is a result of note other.md, where the result of ")
    ):
        merge_results([("host", note), ("6.1", other)])


def test_the_same_note_from_another_folder_is_merged(note: dict[str, Any]) -> None:
    moved = dict(note, note="/home/ci/checkout/examples/notes/tcp-connection.md")
    assert merge_results([("host", note), ("6.1", moved)]).differences == 0
