"""`lab check` as a command: where its results and pcaps go, progress, interrupts, JUnit XML."""

from __future__ import annotations

import json
from pathlib import Path

from support import lab_cli, lab_cli_into_a_closed_pipe

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
    done = lab_cli(
        "check", "--spec", str(wrong_spec(tmp_path)), *OPEN_IPV4, env={"TMPDIR": str(temporary)}
    )
    assert done.returncode == 1, done.stderr
    (kept,) = temporary.iterdir()
    assert kept.name.startswith("lab-check-")
    assert [p.name for p in kept.iterdir()] == ["open-ipv4.pcap"]
    assert done.stdout.rstrip().endswith(f"pcaps kept in {kept} (something failed)")
    assert f"pcap: {kept}/open-ipv4.pcap" in done.stdout


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


def test_a_report_reader_that_goes_away_costs_neither_the_json_nor_the_status(
    tmp_path: Path,
) -> None:
    out = tmp_path / "check.json"
    assert lab_cli_into_a_closed_pipe("check", *OPEN_IPV4, "--json", str(out)) == (141, "")
    assert json.loads(out.read_text())["ok"] is True
