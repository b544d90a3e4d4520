"""The `lab` command with labs: demo, the up/ls/exec/down/cleanup life cycle, up's refusal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support import lab_cli, lab_cli_into_a_closed_pipe, real_root


def test_demo_without_client_and_server_takes_the_first_two_neighbours() -> None:
    done = lab_cli("demo", "lan")
    assert done.returncode == 0, done.stderr
    assert "alice -> bob [203.0.113.2]:8080" in done.stdout
    assert "exchange ok" in done.stdout


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


@needs_real_root
def test_up_ls_exec_down_cleanup(tmp_path: Path) -> None:
    # A private mount namespace and run dir: a crash of this test can leave nothing behind.
    script = f"""
        set -e
        lab() {{ {sys.executable} -m lab "$@"; }}
        lab up lan --name class1
        lab up two-hosts
        lab ls
        lab ls --json > {tmp_path}/ls.json
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
    listed = json.loads((tmp_path / "ls.json").read_text())
    assert [(lab["name"], lab["topology"], lab["status"]) for lab in listed] == [
        ("class1", "lan", "up"),
        ("two-hosts", "two-hosts", "up"),
    ]
    assert listed[0]["hosts"] == ["alice", "bob", "carol"]
    assert listed[0]["namespaces"]["bridge lan0"] == "lab-class1.bridge-lan0"
    assert listed[0]["addresses"]["alice"] == ["203.0.113.1/24"]
    assert "class1           lan              up" in out
    assert "\nup\n" in out  # alice's eth0 operstate, read from the lab's own /sys
    assert "status 7" in out  # lab exec passes the command's exit status through
    assert "lab class1 is down" in out
    assert "removed netns lab-torn.client" in out  # a lab whose record was lost
    assert "removed record two-hosts.json" in out
    assert out.rstrip().endswith("no lab is up")
    assert not list((tmp_path / "netns").iterdir())


def test_up_refuses_without_real_root(tmp_path: Path) -> None:
    # Root only inside user, network and mount namespaces of its own, as labs run for an
    # unprivileged user: lab up builds the lab, then refuses to keep it. Real root gets there
    # through unshare too.
    in_a_user_namespace = ["unshare", "--user", "--map-root-user", "--net", "--mount"]
    done = subprocess.run(
        [*in_a_user_namespace, sys.executable, "-m", "lab", "up", "two-hosts"],
        capture_output=True,
        text=True,
        env={**os.environ, "LAB_RUN_DIR": str(tmp_path)},
        check=False,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (2, ""), done.stderr
    assert done.stderr.startswith(
        "lab: error: lab up keeps namespaces after it exits, which needs real root; "
        "run it with sudo"
    ), done.stderr
    assert list(tmp_path.iterdir()) == []


def test_demo_piped_into_a_reader_that_goes_away_ends_with_status_141() -> None:
    assert lab_cli_into_a_closed_pipe("demo") == (141, "")  # lab demo | head -1


@needs_real_root
def test_down_stops_what_ip_netns_exec_started_and_tells_other_users_to_use_sudo() -> None:
    # A private mount namespace with a /run of its own: `ip netns exec` finds the pins in
    # /run/netns, and a crash of this test leaves nothing on the machine.
    script = f"""
        set -e
        mount -t tmpfs lab-test /run
        lab() {{ {sys.executable} -m lab "$@"; }}
        as_user() {{ setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }}
        lab up two-hosts --name t1
        ip netns exec lab-t1.client sleep 300 &
        sleeper=$!
        ip netns exec lab-t1.server sh -c 'trap "" TERM; exec sleep 300' &
        stubborn=$!
        sleep 0.3
        for verb in "exec --lab t1 client -- true" "down t1" "cleanup"; do
            as_user {sys.executable} -m lab $verb || echo "status $?"
        done
        lab down t1
        wait $sleeper || echo "sleeper: status $?"
        wait $stubborn || echo "stubborn: status $?"
        ls /run/netns
    """
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    refusals = done.stderr.splitlines()
    assert refusals == [
        "lab: error: entering host client of lab t1 needs root, as lab up did (unshare: "
        "Operation not permitted); run it with sudo: sudo lab exec --lab t1 client -- true",
        "lab: error: taking down lab t1 needs root, as lab up did (umount /run/netns/"
        "lab-t1.client: Operation not permitted); run it with sudo: sudo lab down t1",
        "lab: error: removing what lab up left needs root, as lab up did (umount /run/netns/"
        "lab-t1.client: Operation not permitted); run it with sudo: sudo lab cleanup",
    ]
    out = done.stdout.splitlines()
    assert out.count("status 2") == 3
    (down,) = [line for line in out if line.startswith("lab t1 is down")]
    assert down.startswith("lab t1 is down; stopped 2 processes running in it (sleep (pid ")
    assert down.endswith("; 1 needed SIGKILL")
    assert out[-2:] == [
        "sleeper: status 143",  # ended on SIGTERM
        "stubborn: status 137",  # SIGKILL, after the grace period; and /run/netns is empty
    ]
