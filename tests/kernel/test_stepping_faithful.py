"""Stepping reports what the kernel did when it did it, and discloses every setting it needed."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from lab import Lab, SpecError, SteppingError, check_scenario
from lab.cli import main
from lab.stepping import Stepper
from lab.tcp import Role, TcpFlag, TcpState, load_spec, loads_spec

PORT = 8080


@pytest.fixture
def sockets() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


def established(
    lab: Lab, stepper: Stepper, sockets: ExitStack
) -> tuple[socket.socket, socket.socket]:
    server, client = lab["server"], lab["client"]
    listener = sockets.enter_context(server.listen(PORT, server.address()))
    sock = sockets.enter_context(client.open_socket())
    sock.setblocking(False)
    stepper.act("client", lambda: sock.connect_ex((server.address(), PORT)))
    stepper.settle()
    return sock, sockets.enter_context(listener.accept()[0])


def test_an_action_never_overtakes_a_segment_the_kernel_already_sent(
    lab: Lab, sockets: ExitStack
) -> None:
    with Stepper(lab, port=PORT) as stepper:
        client, server = established(lab, stepper, sockets)
        stepper.act("client", lambda: client.send(b"data"))
        stepper.settle()
        assert server.recv(16) == b"data"  # read, or the server's close would send RST
        stepper.act("client", client.close)
        fin = stepper.next_segment()
        assert fin is not None
        fin.release()
        time.sleep(0.1)  # the server's delayed ACK (~40 ms) is sent while nobody looks
        stepper.act("server", server.close)  # and only then does the server close
        ack = stepper.next_segment(sender="server")
        assert ack is not None
        assert ack.flags == TcpFlag.ACK
        assert ack.before[Role.SERVER].state is TcpState.CLOSE_WAIT  # as sent, not LAST-ACK
        server_fin = stepper.next_segment(sender="server")
        assert server_fin is not None
        assert server_fin.flags == TcpFlag.FIN | TcpFlag.ACK
        assert server_fin.before[Role.SERVER].state is TcpState.LAST_ACK
        assert server_fin.time is not None
        assert ack.time is not None
        assert ack.time <= server_fin.time


def test_next_segment_from_one_sender_keeps_the_others_in_order(
    lab: Lab, sockets: ExitStack
) -> None:
    with Stepper(lab, port=PORT) as stepper:
        client, server = established(lab, stepper, sockets)
        stepper.act("client", lambda: client.send(b"one"))
        stepper.act("server", lambda: server.send(b"two"))
        from_server = stepper.next_segment(sender="server")
        from_client = stepper.next_segment()
        assert from_server is not None
        assert from_client is not None
        assert (from_server.sender, from_server.segment.length) == (Role.SERVER, 3)
        assert (from_client.sender, from_client.segment.length) == (Role.CLIENT, 3)
        assert stepper.poll(0.05, sender="server") is None
        with pytest.raises(SteppingError, match=r"sent no segment from the server within 0\.05 s"):
            stepper.next_segment(0.05, sender="server")
        for held in (from_client, from_server):
            held.release()
        stepper.settle()


SPEC_WITH_A_SETTING = (Path(load_spec().source).read_text()).replace(
    "  data:\n    title: Data sets PSH\n",
    "  data:\n    title: Data sets PSH\n    sysctls: {net.ipv4.tcp_autocorking: 0}\n",
)


def test_a_scenario_setting_is_applied_to_both_hosts_and_disclosed(
    lab: Lab, tmp_path: Path
) -> None:
    spec = loads_spec(SPEC_WITH_A_SETTING, source="with-a-setting.yaml")
    assert spec.scenarios["data"].sysctls == {"net.ipv4.tcp_autocorking": "0"}
    check = check_scenario(lab, "data", spec=spec, pcap=tmp_path / "data.pcap")
    check.assert_documented()
    for host in ("client", "server"):
        assert lab[host].sysctl("net.ipv4.tcp_autocorking") == 0
    assert check.run.settings == {"net.ipv4.tcp_autocorking": "0"}
    assert check.verdict.settings == {"net.ipv4.tcp_autocorking": "0"}


def test_the_report_and_the_json_show_the_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec_file = tmp_path / "with-a-setting.yaml"
    spec_file.write_text(SPEC_WITH_A_SETTING)
    out = tmp_path / "check.json"
    args = ["check", "--spec", str(spec_file), "--family", "IPv4", "--json", str(out)]
    assert main([*args, "--scenario", "data", "--scenario", "open"]) == 0
    report = capsys.readouterr().out
    assert "settings beyond the kernel's defaults: net.ipv4.tcp_autocorking=0" in report
    assert "TCP settings beyond the kernel's defaults: data: net.ipv4.tcp_autocorking=0" in report
    scenarios = {s["name"]: s for s in json.loads(out.read_text())["scenarios"]}
    assert scenarios["data"]["settings"] == {"net.ipv4.tcp_autocorking": "0"}
    assert scenarios["open"]["settings"] == {}


def test_the_packaged_scenarios_set_only_what_they_show_or_holding_two_segments_needs() -> None:
    # Stepping needs none but where two segments of one end are unacknowledged at once
    # (reordering, two writes with TCP_NODELAY): a held one would race the tail loss probe.
    # A scenario sets one to show what it changes: ECN, off by default for the side that
    # connects, where a scenario shows its flags; RFC 1337's fix; a shortened timer, where a
    # scenario shows the timer end its state; the SYN's retries cut to one, where a
    # scenario waits them out (3 s, not the default's 2 minutes).
    needed = {name: s.sysctls for name, s in load_spec().scenarios.items() if s.sysctls}
    assert needed == {
        "ecn-open": {"net.ipv4.tcp_ecn": "1"},
        "fin-wait-2-timeout": {"net.ipv4.tcp_fin_timeout": "1"},
        "syn-retries-exhausted": {"net.ipv4.tcp_syn_retries": "1"},
        "time-wait-rst-rfc1337": {"net.ipv4.tcp_rfc1337": "1"},
        "ce-echo": {"net.ipv4.tcp_ecn": "1"},
        "out-of-order-sack": {"net.ipv4.tcp_early_retrans": "0"},
        "nodelay": {"net.ipv4.tcp_early_retrans": "0"},
        "syn-user-timeout": {"net.ipv4.tcp_syn_retries": "1"},
    }


def test_an_action_the_runner_cannot_perform_is_refused_before_any_lab_is_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = Path(load_spec().source).read_text()
    text = text.replace(
        "  aborts: the role closes", "  jumps: the role jumps\n  aborts: the role closes"
    )
    text = text.replace("      - client aborts\n", "      - client jumps\n      - client aborts\n")
    spec_file = tmp_path / "jumps.yaml"
    spec_file.write_text(text)
    with pytest.raises(SpecError, match=r"cannot perform 'client jumps'"):
        check_scenario(Lab(), "abort", spec=loads_spec(text, source=str(spec_file)))
    assert main(["check", "--spec", str(spec_file)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"lab: error: {spec_file}: scenarios.abort: the runner cannot perform")
