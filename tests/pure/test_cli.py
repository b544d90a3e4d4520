"""The `lab` command without labs: output, exit statuses, and one-line errors for bad input."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest
from support import lab_cli, lab_cli_into_a_closed_pipe, one_error_line

from lab.cli import main
from lab.tcp import load_spec


def test_show_prints_hosts_links_and_addresses(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "routed"]) == 0
    out = capsys.readouterr().out
    for word in ("client", "router", "server", "192.0.2.", "198.51.100.", "default"):
        assert word in out


def test_show_without_a_name_lists_the_topologies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show"]) == 0
    assert {"two-hosts", "routed", "lan", "dual-stack"} <= set(capsys.readouterr().out.split())


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["show", "no-such-topology"], "no-such-topology"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        (["show", "--bogus"], "unrecognized arguments: --bogus"),
        (["up"], "the following arguments are required: topology"),
        (["up", "two-hosts", "--name", "Bad Name"], "not a valid lab name"),
        (["demo", "lan", "--server", "dave"], "lan.yaml) has no host 'dave' to be the server"),
        (["check", "--topology", "lan", "--client", "dave"], "no host 'dave' to be the client"),
        (
            ["check", "--json", "-", "--junit-xml", "-"],
            "--json - and --junit-xml - both ask for standard output; send one to a file",
        ),
        (
            ["check", "--pcap-dir", "/etc/passwd"],
            "--pcap-dir /etc/passwd: cannot make the folder: it is a file, not a folder",
        ),
        (["check", "--family", "ipv7"], "--family: 'ipv7' is not an address family; did you mean"),
        (["check", "--jobs", "0"], "--jobs: '0' is not a number of runs at once; give a whole"),
        (["check", "-j", "two"], "--jobs: 'two' is not a number of runs at once; give a whole"),
        (
            ["check", "--topology", "routed", "--family", "ipv6"],  # any case
            "IPv6 cannot run between client and server in topology routed "
            "(topologies/routed.yaml): neither client nor server has an IPv6 address; the "
            "families they share: IPv4; leave the family out, or choose hosts that have IPv6",
        ),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_status_2(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    assert says in one_error_line(capsys)


def test_bad_topology_file_names_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "typo.yaml"
    bad.write_text("hosts:\n  a: {}\n  b: {}\nlinks:\n  - endpoints: [{host: a}, {host: c}]\n")
    done = lab_cli("show", str(bad))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert str(bad) in done.stderr
    assert "links[0].endpoints[1].host" in done.stderr
    assert "Traceback" not in done.stderr


def test_down_and_exec_without_a_lab_up(tmp_path: Path) -> None:
    env = {"LAB_RUN_DIR": str(tmp_path)}
    done = lab_cli("down", env=env)
    assert (done.returncode, done.stderr.strip()) == (
        2,
        "lab: error: no lab is up; start one with: lab up TOPOLOGY",
    )
    assert lab_cli("exec", "client", "--", "true", env=env).returncode == 2
    assert lab_cli("ls", env=env).stdout.strip() == "no lab is up"


def test_version_comes_from_the_installed_distribution(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--version"]) == 0
    version = importlib.metadata.version("netns-lab")
    assert capsys.readouterr().out == f"lab {version} (netns-lab)\n"


def test_check_list_shows_each_scenario_and_what_it_documents(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check", "--list"]) == 0  # no privileges, no lab
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["scenario", "title", "documented", "flags", "documented", "states"]
    spec = load_spec()
    assert [line.split()[0] for line in lines[1:]] == list(spec.scenarios)
    (close,) = [line for line in lines if line.startswith("close ")]
    assert spec.scenarios["close"].title in close
    assert "FIN, ACK, FIN, ACK" in close
    assert "FIN-WAIT-1, CLOSE-WAIT, FIN-WAIT-2, LAST-ACK, TIME-WAIT, CLOSED" in close


def test_ls_json_without_a_lab_is_an_empty_list(tmp_path: Path) -> None:
    done = lab_cli("ls", "--json", env={"LAB_RUN_DIR": str(tmp_path)})
    assert (done.returncode, json.loads(done.stdout), done.stderr) == (0, [], "")


@pytest.mark.parametrize(
    ("path", "says"),
    [
        (
            "/nonexistent/x.json",
            "lab: error: --json /nonexistent/x.json: cannot write there: the folder /nonexistent "
            "does not exist; create it first, or choose another path",
        ),
        (
            "{tmp}",
            "lab: error: --json {tmp}: cannot write there: it is a folder; name a file in it, "
            "such as {tmp}/check.json",
        ),
        (
            "/nonexistent/x.xml",
            "lab: error: --junit-xml /nonexistent/x.xml: cannot write there: the folder "
            "/nonexistent does not exist; create it first, or choose another path",
        ),
    ],
)
def test_an_output_path_that_cannot_be_written_is_refused_before_anything_runs(
    path: str, says: str, tmp_path: Path
) -> None:
    # TMPDIR: where the pcap folder would go, which must not be made either.
    option = "--junit-xml" if path.endswith(".xml") else "--json"
    done = lab_cli("check", option, path.format(tmp=tmp_path), env={"TMPDIR": str(tmp_path)})
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == says.format(tmp=tmp_path) + "\n"
    assert list(tmp_path.iterdir()) == []


def test_bad_input_leaves_no_pcap_folder_and_no_output_file(tmp_path: Path) -> None:
    out = tmp_path / "check.json"
    done = lab_cli("check", "--scenario", "nope", "--json", str(out), env={"TMPDIR": str(tmp_path)})
    assert done.returncode == 2
    assert "no scenario 'nope'" in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", [["show", "routed"], ["check", "--list"], ["--version"]])
def test_a_reader_that_goes_away_ends_the_command_quietly_with_status_141(
    args: list[str],
) -> None:
    assert lab_cli_into_a_closed_pipe(*args) == (141, "")
