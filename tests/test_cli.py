"""The `lab` command: output, exit statuses, and the up/ls/exec/down/cleanup life cycle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import real_root

from lab.cli import main


def lab_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lab", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=60,
    )


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
        (["demo", "lan"], "lab demo needs a host named 'client'"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_status_2(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("lab: error: ")
    assert says in lines[0]


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


@pytest.mark.kernel
def test_demo_runs_a_real_exchange_and_prints_both_ends_ss() -> None:
    done = lab_cli("demo")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("ESTAB") >= 2
    assert "# on client" in done.stdout
    assert "# on server" in done.stdout
    assert "exchange ok" in done.stdout


needs_real_root = pytest.mark.skipif(
    not real_root() or shutil.which("unshare") is None,
    reason="lab up pins namespaces with mounts, which needs real root (run: sudo make test)",
)


@pytest.mark.kernel
@needs_real_root
def test_up_ls_exec_down_cleanup(tmp_path: Path) -> None:
    # A private mount namespace and run dir: a crash of this test can leave nothing behind.
    script = f"""
        set -e
        lab() {{ {sys.executable} -m lab "$@"; }}
        lab up lan --name class1
        lab up two-hosts
        lab ls
        lab exec --lab class1 alice -- cat /sys/class/net/eth0/operstate
        lab exec --lab two-hosts client -- sh -c 'exit 7' || echo "status $?"
        lab down class1
        lab ls
        lab up routed --name torn
        rm {tmp_path}/lab/torn.json
        lab cleanup
        lab ls
    """
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "LAB_RUN_DIR": str(tmp_path)},
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "lab class1 is up (lan)" in out
    assert "class1           lan              up" in out
    assert "\nup\n" in out  # alice's eth0 operstate, read from the lab's own /sys
    assert "status 7" in out  # lab exec passes the command's exit status through
    assert "lab class1 is down" in out
    assert "removed netns lab-torn.client" in out  # a lab whose record was lost
    assert "removed record two-hosts.json" in out
    assert out.rstrip().endswith("no lab is up")
    assert not list((tmp_path / "netns").iterdir())


@pytest.mark.kernel
def test_up_refuses_without_real_root() -> None:
    if real_root():
        pytest.skip("as real root, lab up is allowed; this checks the refusal in a user namespace")
    assert main(["up", "two-hosts"]) == 2
