"""Real programs inside lab hosts, and the testinfra view of a host."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from lab import HostError, Lab
from lab._pace import slowdown
from lab.kernel._process import entry_argv


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except (FileNotFoundError, ProcessLookupError):  # gone before, or while, it was read
        return False


def wait_gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_http_server_and_curl_across_the_link(lab: Lab) -> None:
    server, client = lab["server"], lab["client"]
    web = server.popen(["python3", "-m", "http.server", "8000", "--bind", server.address()])
    server.wait_listening(8000)
    done = client.exec(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", f"http://{server.address()}:8000/"]
    )
    assert done.stdout == "200"
    web.stop()
    assert '"GET / HTTP/1.1" 200' in web.stderr  # http.server logs requests to stderr


def test_netcat_pair(lab: Lab) -> None:
    server, client = lab["server"], lab["client"]
    listener = server.popen(["nc", "-l", "-N", server.address(), "7000"])
    server.wait_listening(7000)
    client.exec(["nc", "-N", server.address(), "7000"], input="over the veth\n")
    assert listener.wait(timeout=5) == 0
    assert listener.stdout == "over the veth\n"


def test_wait_listening_says_at_once_that_the_server_died(lab: Lab) -> None:
    server = lab["server"]
    server.popen(["python3", "-m", "http.server", "eighty"])
    started = time.monotonic()
    with pytest.raises(HostError) as caught:
        server.wait_listening(8000, timeout=10 * slowdown())
    assert time.monotonic() - started < 5 * slowdown()  # no need to wait the timeout out
    message = str(caught.value)
    assert message.startswith(
        "nothing listens on TCP port 8000 on host server, and no program started there runs any "
        "more: 'python3 -m http.server eighty' (pid "
    )
    assert ") died with exit status 2; its stderr: usage: " in message
    assert "argument port: invalid int value: 'eighty'" in message


def test_wait_listening_names_the_dead_program_beside_one_that_runs(lab: Lab) -> None:
    server = lab["server"]
    sleeper = server.popen(["sleep", "600"])
    server.popen(["sh", "-c", "echo cannot bind >&2; exit 3"])
    waited = 0.3 * slowdown()
    with pytest.raises(HostError) as caught:
        server.wait_listening(8000, timeout=waited)
    assert str(caught.value).startswith(
        f"nothing listens on TCP port 8000 on host server after {waited} s; "
        "\"sh -c 'echo cannot bind >&2; exit 3'\" (pid "
    )
    assert str(caught.value).endswith(") died with exit status 3; its stderr: cannot bind")
    sleeper.stop()
    assert ") was stopped by the test (exit status 143); its stderr: " in sleeper.describe_exit()


def pids_running(argv: list[str]) -> list[int]:
    """Host PIDs of the processes whose command line is exactly `argv`."""
    wanted = "\0".join(argv).encode() + b"\0"
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if f.read() == wanted:
                        found.append(int(entry))
            except OSError:
                continue
    return found


def test_teardown_stops_programs_and_their_children() -> None:
    marker = ["sleep", "600.25"]  # a command line nothing else runs
    with Lab("two-hosts") as lab:
        leader = lab["server"].popen(["sh", "-c", f"{' '.join(marker)} & wait"])
        deadline = time.monotonic() + 5
        while not pids_running(marker) and time.monotonic() < deadline:
            time.sleep(0.01)
        [child] = pids_running(marker)
        assert alive(leader.pid)
    assert wait_gone(leader.pid)
    assert wait_gone(child)


def test_a_killed_test_process_takes_the_programs_children_along() -> None:
    marker = ["sleep", "600.5"]
    code = textwrap.dedent(
        f"""
        import time
        from lab import Lab
        lab = Lab("two-hosts").start()
        lab["server"].popen(["sh", "-c", "{" ".join(marker)} & wait"])
        print("started", flush=True)
        time.sleep(600)
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        if proc.stdout.readline() != "started\n":
            pytest.fail(f"the lab process died early: {proc.stderr.read()}")
        deadline = time.monotonic() + 5
        while not pids_running(marker) and time.monotonic() < deadline:
            time.sleep(0.01)
        [grandchild] = pids_running(marker)
        proc.send_signal(signal.SIGKILL)
    assert wait_gone(grandchild), f"{marker} {grandchild} outlived the killed test process"


def start_then_die(code: str, marker: list[str]) -> None:
    """Run `code` (which starts `marker` and prints "started") in a Python process; SIGKILL it."""
    with subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), marker[1]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        if proc.stdout.readline() != "started\n":
            pytest.fail(f"the lab process died early: {proc.stderr.read()}")
        deadline = time.monotonic() + 5
        while not pids_running(marker) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert pids_running(marker), f"{marker} never started"
        proc.send_signal(signal.SIGKILL)


def test_programs_die_with_a_killed_test_process() -> None:
    marker = ["sleep", "600.75"]
    start_then_die(
        """
        import sys, time
        from lab import Lab
        lab = Lab("two-hosts").start()
        lab["server"].popen(["sleep", sys.argv[1]])
        print("started", flush=True)
        time.sleep(600)
        """,
        marker,
    )
    deadline = time.monotonic() + 5
    while pids_running(marker) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not pids_running(marker), f"{marker} outlived its killed parent"


def test_an_init_orphaned_before_its_parent_death_signal_does_not_start_the_program() -> None:
    # unshare's child, orphaned between fork() and prctl(): simulated by an init whose
    # recorded unshare PID is not its parent's. It must stop before the program starts.
    marker = ["sleep", "600.875"]
    argv = entry_argv(0, None)
    init = argv[argv.index("/bin/sh", argv.index("--kill-child=KILL")) :]
    done = subprocess.run(
        ["unshare", "--pid", "--fork", "--", *init, *marker],
        env={**os.environ, "LAB_UNSHARE": "1"},  # PID 1 is nobody's unshare
        check=False,
        timeout=10,
    )
    assert done.returncode == 137
    assert not pids_running(marker)


def test_an_init_whose_unshare_lives_starts_the_program_without_the_check_in_its_way(
    lab: Lab,
) -> None:
    assert "LAB_UNSHARE" not in lab["client"].exec(["env"]).stdout
    assert lab["client"].exec(["sh", "-c", "exit 3"], check=False).returncode == 3


def test_stop_escalates_to_sigkill(lab: Lab) -> None:
    stubborn = lab["client"].popen(["sh", "-c", "trap '' TERM; sleep 600 & wait"])
    time.sleep(0.05 * slowdown())  # until the shell has set its trap
    assert stubborn.stop(timeout=0.2 * slowdown()) == -signal.SIGKILL


def test_exec_reports_failures_with_output(lab: Lab) -> None:
    with pytest.raises(HostError, match=r"'ls /nonexistent' on host client exited with status 2"):
        lab["client"].exec(["ls", "/nonexistent"])
    assert lab["client"].exec(["false"], check=False).returncode == 1


def test_popen_refuses_a_string(lab: Lab) -> None:
    with pytest.raises(TypeError, match="list of arguments"):
        lab["client"].popen("sleep 1")  # a str is a Sequence[str] to mypy: refused at run time


def test_ss_shows_the_hosts_own_sockets(lab: Lab) -> None:
    server, client = lab["server"], lab["client"]
    with server.listen(8080), client.connect(server.address(), 8080):
        assert f"{server.address()}:8080" in client.ss()
        listening = server.ss("-tln")
        assert "LISTEN" in listening
        assert ":8080" in listening
    assert ":8080" not in lab["client"].ss("-tln")


def test_testinfra_modules_look_inside_the_host(lab: Lab) -> None:
    server, client = lab["server"], lab["client"]
    with server.listen(8080, server.address()):
        assert server.socket(f"tcp://{server.address()}:8080").is_listening
        assert not client.socket("tcp://0.0.0.0:8080").is_listening
    addresses = client.interface("eth0").addresses
    assert client.address() in addresses
    assert client.interface("eth0").speed == 10000  # veth, read from the host's own /sys
    assert client.sysctl("net.ipv4.ip_forward") == 0
    result = client.run("hostname -I")
    assert result.succeeded
    assert client.address() in result.stdout
    assert client.backend.get_pytest_id() == "lab:client"


def test_process_output_is_readable_while_it_runs(lab: Lab) -> None:
    proc = lab["client"].popen(["sh", "-c", "echo first; echo oops >&2; sleep 600"])
    deadline = time.monotonic() + 5
    while "first" not in proc.stdout and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.stdout == "first\n"
    assert proc.stderr == "oops\n"
    assert proc.running
    proc.stop()
    assert not proc.running
    assert os.path.exists(f"/proc/{os.getpid()}")
