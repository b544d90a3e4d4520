"""The pytest plugin building labs: fixtures, marker, option, privileges, in pytester sessions."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import real_root

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
