"""The pytest plugin building labs: fixtures, marker, option, privileges, in pytester sessions."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from scapy.layers.l2 import ARP
from scapy.utils import rdpcap
from support import real_root

from lab.stepping import tcp_flags_in_pcap

USING_FIXTURES = """
    import pytest

    def test_default_is_two_hosts(lab):
        assert sorted(lab.hosts) == ["client", "server"]

    @pytest.mark.topology("routed")
    def test_marker_picks_the_topology(lab):
        assert "router" in lab.hosts

    def test_factory_builds_several(lab_factory):
        first, second = lab_factory("two-hosts"), lab_factory("lan")
        assert first["client"].netns.inode != second["alice"].netns.inode

    def test_pure():  # the one test that needs no lab: it still runs where labs are skipped
        assert True
"""


def test_fixtures_marker_and_factory(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(USING_FIXTURES)
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=4)


def test_option_chooses_the_default_topology(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_default(lab):
            assert lab.name == "dual-stack"
        """
    )
    result = pytester.runpytest_subprocess("--lab-topology", "dual-stack")
    result.assert_outcomes(passed=1)


def test_bad_topology_fails_the_test_with_the_message(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.topology("no-such-topology")
        def test_x(lab):
            pass
        """
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no-such-topology*"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_xdist_workers_build_labs_without_collisions(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(8))
        def test_many(lab, n):
            with lab["server"].listen(8080):
                lab["client"].connect(lab["server"].address(), 8080).close()
        """
    )
    pytester.runpytest_subprocess("-n", "2", "-p", "no:cacheprovider").assert_outcomes(passed=8)


# --- finding topologies: ini options, the rootdir's topologies/, the shipped ones ---------

MINI = """\
hosts: {{{a}: {{}}, {b}: {{}}}}
links:
  - endpoints:
      - {{host: {a}, addresses: [198.51.100.1/24]}}
      - {{host: {b}, addresses: [198.51.100.2/24]}}
"""


def write_topology(directory: Path, name: str, a: str = "left", b: str = "right") -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.yaml").write_text(MINI.format(a=a, b=b))


def test_topologies_next_to_the_rootdir_are_found_from_a_subdirectory(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\n")  # the rootdir
    write_topology(pytester.path / "topologies", "mine")
    pytester.mkdir("sub").joinpath("test_sub.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.mark.topology("mine")
            def test_own(lab):
                assert sorted(lab.hosts) == ["left", "right"]

            @pytest.mark.topology("lan")  # shipped with lab
            def test_shipped(lab):
                assert "alice" in lab.hosts
            """
        )
    )
    os.chdir(pytester.path / "sub")  # pytester restores the working directory
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_ini_options_choose_directories_and_the_default_topology(
    pytester: pytest.Pytester,
) -> None:
    write_topology(pytester.path / "shared" / "labs", "mine", "one", "two")
    write_topology(pytester.path / "topologies", "mine", "shadowed", "out")
    write_topology(pytester.path / "topologies", "other", "x", "y")
    pytester.makeini("[pytest]\nlab_topologies = shared/labs\nlab_topology = mine\n")
    pytester.makepyfile(
        """
        def test_default(lab):
            assert sorted(lab.hosts) == ["one", "two"]  # lab_topologies before topologies/

        def test_factory(lab_factory):
            assert sorted(lab_factory("other").hosts) == ["x", "y"]
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=2)
    # The command line wins over the ini file.
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--lab-topology", "other")
    result.assert_outcomes(passed=1, failed=1)
    assert "AssertionError: assert ['x', 'y'] == ['one', 'two']" in result.stdout.str()


def test_an_ini_topology_path_is_relative_to_the_ini_file(pytester: pytest.Pytester) -> None:
    write_topology(pytester.path / "conf", "special", "p", "q")
    pytester.makeini("[pytest]\nlab_topology = conf/special.yaml\n")
    test_file = pytester.makepyfile("def test_default(lab):\n    assert lab.name == 'special'\n")
    os.chdir(pytester.mkdir("elsewhere"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", test_file)
    result.assert_outcomes(passed=1)


def test_an_unknown_name_says_where_it_looked(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nlab_topologies = mine\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.topology("routd")
        def test_x(lab):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"*there is no topology called 'routd' (looked in {pytester.path / 'mine'}, "
            f"{pytester.path / 'topologies'}, *topologies); "
            "did you mean 'routed'? available: dual-stack, lan, routed, two-hosts*"
        ]
    )


# --- pcaps: every lab captured, failed tests keep theirs, also under pytest-xdist ----------

CAPTURED = """
    import pytest

    def talk(lab, sender, receiver):
        address = lab[receiver].address()
        with lab[receiver].listen(8080, address) as listener, lab[sender].connect(address, 8080):
            listener.accept()[0].close()

    def test_passes(lab):
        talk(lab, "client", "server")

    def test_fails(lab):
        talk(lab, "client", "server")
        assert False, "deliberately"

    def test_factory_fails(lab_factory):
        lab_factory("two-hosts"), lab_factory("two-hosts")
        talk(lab_factory("lan"), "alice", "bob")
        assert False, "deliberately"

    def test_scenario_passes(tcp_scenario):
        tcp_scenario("open").assert_documented()

    def test_scenario_fails(tcp_scenario):
        tcp_scenario("open")
        assert False, "deliberately"
"""
FAILED_PCAPS = {
    "test_fails": ["test_fails-two-hosts-client-eth0", "test_fails-two-hosts-server-eth0"],
    "test_factory_fails": [
        "test_factory_fails-two-hosts-client-eth0",
        "test_factory_fails-two-hosts-server-eth0",
        "test_factory_fails-two-hosts2-client-eth0",
        "test_factory_fails-two-hosts2-server-eth0",
        "test_factory_fails-lan-alice-eth0",
        "test_factory_fails-lan-bob-eth0",
        "test_factory_fails-lan-carol-eth0",
    ],
    "test_scenario_fails": [
        "test_scenario_fails-open-IPv4",
        "test_scenario_fails-two-hosts-client-eth0",
        "test_scenario_fails-two-hosts-server-eth0",
    ],
}


def test_capture_keeps_and_names_the_pcaps_of_failed_tests_under_xdist(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    pytester.makepyfile(CAPTURED)
    pcaps, junit = tmp_path / "pcaps", tmp_path / "junit.xml"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--lab-capture", "--lab-pcap-dir", pcaps,
        "--junit-xml", junit,
    )  # fmt: skip
    result.assert_outcomes(passed=2, failed=3)
    expected = {
        test: [f"{pcaps / name}.pcap" for name in names] for test, names in FAILED_PCAPS.items()
    }
    every = sorted(path for paths in expected.values() for path in paths)
    assert sorted(map(str, pcaps.iterdir())) == every
    # Each failure names its pcaps in a section of its own, and the run lists them all.
    output = result.stdout.str()
    sections = re.findall(r"^-+ lab pcaps -+\n((?:/.*\n)+)", output, flags=re.MULTILINE)
    assert sorted(block.splitlines() for block in sections) == sorted(expected.values())
    [summary] = re.findall(r"=+ lab: pcaps of failed tests =+\n(.*?)\n=", output, flags=re.DOTALL)
    module = "test_capture_keeps_and_names_the_pcaps_of_failed_tests_under_xdist.py"
    assert sorted(summary.splitlines()) == sorted(
        f"{module}::{test}: {path}" for test, paths in expected.items() for path in paths
    )
    # Every frame, not only TCP: the connection, and the ARP exchange before it.
    client = pcaps / "test_fails-two-hosts-client-eth0.pcap"
    assert [f.label for f in tcp_flags_in_pcap(client)][:3] == ["SYN", "SYN+ACK", "ACK"]
    assert any(ARP in frame for frame in rdpcap(str(client)))
    properties = ElementTree.parse(junit).getroot().iter("property")
    assert sorted(p.get("value", "") for p in properties if p.get("name") == "lab_pcap") == every


def test_keep_pcaps_keeps_passing_tests_too_and_the_ini_turns_capture_on(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    pytester.makeini("[pytest]\nlab_capture = true\nlab_pcap_dir = pcaps\n")
    pytester.makepyfile("def test_passes(lab):\n    pass\n")
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "--lab-keep-pcaps")
    assert sorted(p.name for p in (pytester.path / "pcaps").iterdir()) == [
        "test_passes-two-hosts-client-eth0.pcap",
        "test_passes-two-hosts-server-eth0.pcap",
    ]
    # The command line wins over the ini file.
    pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--no-lab-capture", "--lab-keep-pcaps", "--lab-pcap-dir", tmp_path
    )
    assert list(tmp_path.iterdir()) == []


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]


@functools.cache
def nobody_can_run_python() -> bool:
    if not real_root():
        return False
    done = subprocess.run([*NOBODY, sys.executable, "-c", ""], capture_output=True, check=False)
    return done.returncode == 0


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory user nobody can read, with a small test file in it; skips where nobody can't.

    Function scope. Asks once per process whether user nobody can run our Python.
    """
    if not nobody_can_run_python():
        pytest.skip(
            "needs real root to switch to user nobody, and a Python that nobody may run "
            "(make builds .venv on /usr/bin/python3 for that)"
        )
    path = Path(tempfile.mkdtemp(prefix="lab-unpriv-"))
    path.chmod(0o755)
    (path / "test_example.py").write_text(textwrap.dedent(USING_FIXTURES))
    yield path
    shutil.rmtree(path)


def as_nobody(directory: Path, *pytest_args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*NOBODY, sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *pytest_args],
        cwd=directory,
        env={**os.environ, "HOME": str(directory)},  # the shipped topologies are found as they are
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_unprivileged_user_runs_labs_in_a_user_namespace(shared_dir: Path) -> None:
    done = as_nobody(shared_dir)
    assert "4 passed" in done.stdout, done.stdout + done.stderr


def test_without_privileges_kernel_tests_skip_with_the_fix(shared_dir: Path) -> None:
    done = as_nobody(shared_dir, "--lab-no-userns", "-rs")
    assert "1 passed, 3 skipped" in done.stdout, done.stdout + done.stderr
    assert "needs network namespaces" in done.stdout
    assert "run as root (sudo make test)" in done.stdout
