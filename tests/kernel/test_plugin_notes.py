"""Study notes as pytest items (``--lab-notes``, ``lab_notes``) and the `tcp_note` fixture."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import REPO, real_root

SHARED = REPO / "tests" / "pure" / "notes" / "tcp-open-close-en.md"
RIGHT = "Note left of Alice: SYN-SENT"
WRONG = "Note left of Alice: ESTABLISHED"  # line 19: Alice is SYN-SENT there

ITEMS = ["L12-25 open", "L27-32 table", "L36-52 close", "L54-61 table", "L65-72 table"]

COUNTING = """
    import os
    from pathlib import Path

    import lab._pytest_notes as notes

    real = notes.check_note

    def counting(note, *args, **kwargs):
        with Path(__file__).with_name("checked.txt").open("a") as log:
            log.write(f"{os.getpid()} {Path(str(note.source)).name}\\n")
        return real(note, *args, **kwargs)

    notes.check_note = counting
"""
"""A conftest that logs each note check of each process, to count them."""


def write_notes(root: Path) -> Path:
    """docs/ with the shared note, a wrong copy, a note with nothing TCP and a JSON file."""
    docs = root / "docs"
    docs.mkdir()
    text = SHARED.read_text()
    (docs / "tcp.md").write_text(text)
    assert text.count(RIGHT) == 1
    (docs / "wrong.md").write_text(text.replace(RIGHT, WRONG))
    (docs / "prose.md").write_text("# HTTP\n\nA browser asks, a server answers.\n")
    (docs / "data.json").write_text('{"not": "a note"}\n')
    return docs


def checks_per_process(root: Path) -> Counter[tuple[str, str]]:
    lines = (root / "checked.txt").read_text().splitlines()
    return Counter((pid, name) for pid, name in (line.split() for line in lines))


def test_each_diagram_and_table_is_an_item_and_a_wrong_one_fails_with_its_lines(
    pytester: pytest.Pytester,
) -> None:
    write_notes(pytester.path)
    pytester.makeconftest(COUNTING)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--lab-notes", "docs", "-v")
    result.assert_outcomes(passed=9, failed=1)
    result.stdout.fnmatch_lines(
        [f"docs/tcp.md::{item} PASSED*" for item in ITEMS]
        + ["docs/wrong.md::L12-25 open FAILED*", "docs/wrong.md::L27-32 table PASSED*"],
        consecutive=False,
    )
    output = result.stdout.str()
    # The failure is the report of its diagram: the line quoted, FAIL, what the kernel did.
    result.stdout.re_match_lines([r"^_+ L12-25 open _+$"])
    assert re.search(r"^ +19 +FAIL +Note left of Alice: ESTABLISHED .*SYN-SENT$", output, re.M)
    assert "FAIL: the note and the kernel disagree at line(s) 19" in output
    assert "lines 36-52" not in output  # only the failing block's report
    assert "Traceback" not in output
    assert "_pytest_notes.py" not in output
    assert "prose.md" not in output
    assert "data.json" not in output
    # One check per note in the process, however many items it has.
    assert sorted(checks_per_process(pytester.path).values()) == [1, 1]


def test_notes_collect_under_xdist_once_per_note_and_worker(pytester: pytest.Pytester) -> None:
    write_notes(pytester.path)
    pytester.makeconftest(COUNTING)
    argv = ["-p", "no:cacheprovider", "-p", "xdist", "-n", "2", "--lab-notes", "docs"]
    result = pytester.runpytest_subprocess(*argv)
    result.assert_outcomes(passed=9, failed=1)
    assert "19  FAIL" in result.stdout.str()
    checks = checks_per_process(pytester.path)
    assert set(checks.values()) == {1}
    assert {name for _, name in checks} == {"tcp.md", "wrong.md"}


def test_the_ini_option_and_a_note_named_directly(pytester: pytest.Pytester) -> None:
    write_notes(pytester.path)
    pytester.makeini("[pytest]\nlab_notes = docs\n")
    os.chdir(pytester.mkdir("elsewhere"))  # the ini's paths are relative to the ini file
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "..").assert_outcomes(
        passed=9, failed=1
    )
    os.chdir(pytester.path)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--lab-notes", "docs/tcp.md", "--collect-only", "-q"
    )
    assert result.stdout.lines[: len(ITEMS)] == [f"docs/tcp.md::{item}" for item in ITEMS]
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--lab-notes", "docs/tcp.md")
    result.assert_outcomes(passed=5)


def test_a_note_with_nothing_tcp_collects_nothing_and_is_no_error(
    pytester: pytest.Pytester,
) -> None:
    docs = write_notes(pytester.path)
    for name in ("tcp.md", "wrong.md"):
        (docs / name).unlink()
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--lab-notes", "docs")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    result.assert_outcomes()


def test_a_note_that_is_not_utf8_is_a_collection_error_naming_file_and_line(
    pytester: pytest.Pytester,
) -> None:
    docs = write_notes(pytester.path)
    (docs / "latin1.md").write_bytes("# Café\n\nOuverture\n".encode("latin-1"))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--lab-notes", "docs")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*ERROR collecting docs/latin1.md*", "*docs/latin1.md: line 1, column 6: *UTF-8*"]
    )
    assert "Traceback" not in result.stdout.str()


def test_not_kernel_deselects_the_note_items(pytester: pytest.Pytester) -> None:
    write_notes(pytester.path)
    pytester.makepyfile("def test_pure():\n    pass\n")
    argv = ["-p", "no:cacheprovider", "--lab-notes", "docs", "-m", "not kernel"]
    pytester.runpytest_subprocess(*argv).assert_outcomes(passed=1, deselected=10)


# --- the tcp_note fixture ---------------------------------------------------------------

USING_TCP_NOTE = """
    def test_right(tcp_note):
        result = tcp_note("docs/tcp.md")
        assert result.ok

    def test_wrong(tcp_note):
        tcp_note("docs/wrong.md")

    def test_wrong_returned(tcp_note):
        result = tcp_note("docs/wrong.md", check=False, families=["IPv6"])
        assert not result.ok
        assert {c.line for c in result.claims if c.verdict == "fail"} == {19}
        assert {c.family for c in result.claims} == {"IPv6"}

    def test_missing(tcp_note):
        tcp_note("docs/absent.md")
"""


def test_tcp_note_passes_fails_with_the_report_and_keeps_a_failures_pcaps(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    write_notes(pytester.path)
    pytester.makeini("[pytest]\n")  # the rootdir, which relative notes are read from
    tests = pytester.mkdir("tests")
    (tests / "test_notes.py").write_text(USING_TCP_NOTE.replace("\n    ", "\n"))
    os.chdir(tests)
    pcaps = tmp_path / "pcaps"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--lab-pcap-dir", pcaps)
    result.assert_outcomes(passed=2, failed=2)
    output = result.stdout.str()
    assert "Traceback" not in output
    assert re.search(r"^ +19 +FAIL +Note left of Alice: ESTABLISHED", output, re.M)
    assert "docs/absent.md: there is no such file" in output
    # The failing test's pcaps are kept and named; the passing tests' are gone.
    kept = sorted(p.relative_to(pcaps) for p in pcaps.rglob("*") if p.is_file())
    assert [str(p) for p in kept] == [
        f"test_wrong-wrong/{name}-{family}.pcap"
        for name in ("L12-25", "L36-52", "data", "refused", "urgent-data")
        for family in ("ipv4", "ipv6")
    ]
    assert sorted(p.name for p in pcaps.iterdir()) == ["test_wrong-wrong"]
    [section] = re.findall(r"^-+ lab pcaps -+\n((?:/.*\n)+)", output, flags=re.MULTILINE)
    assert sorted(section.split()) == sorted(str(pcaps / p) for p in kept)
    assert f"L12-25-ipv4: {pcaps}/test_wrong-wrong/L12-25-ipv4.pcap" in output  # the report's
    assert "During handling" not in output
    assert output.count("- lab pcaps -") == 1  # a failure without pcaps gets no section


# --- without root --------------------------------------------------------------------------

LABTESTER = ["setpriv", "--reuid=labtester", "--regid=labtester", "--clear-groups", "--"]


@functools.cache
def labtester_can_run_python() -> bool:
    if not real_root() or shutil.which("setpriv") is None:
        return False
    try:
        done = subprocess.run(
            [*LABTESTER, sys.executable, "-c", "import lab"], capture_output=True, check=False
        )
    except OSError:
        return False
    return done.returncode == 0


@pytest.fixture
def notes_for_labtester() -> Iterator[Path]:
    """A project user labtester may read, with docs/; skips where labtester cannot run us.

    Function scope. Asks once per process whether labtester can run our Python.
    """
    if not labtester_can_run_python():
        pytest.skip(
            "needs real root, a user labtester, and a Python that labtester may run "
            "(make builds .venv on /usr/bin/python3 for that)"
        )
    path = Path(tempfile.mkdtemp(prefix="lab-notes-unpriv-"))
    write_notes(path)
    for item in [path, *path.rglob("*")]:
        item.chmod(0o755 if item.is_dir() else 0o644)
    yield path
    shutil.rmtree(path)


def as_labtester(directory: Path, *pytest_args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LABTESTER, sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *pytest_args],
        cwd=directory,
        env={**os.environ, "HOME": str(directory)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_without_root_notes_run_in_a_user_namespace_or_skip_with_the_reason(
    notes_for_labtester: Path,
) -> None:
    done = as_labtester(notes_for_labtester, "--lab-notes", "docs", "-rs")
    output = done.stdout + done.stderr
    if "skipped" in done.stdout:  # no user namespaces here: every item says why
        assert "10 skipped" in done.stdout, output
        assert "needs network namespaces" in done.stdout, output
    else:
        assert "1 failed, 9 passed" in done.stdout, output
        assert "19  FAIL" in done.stdout, output
    done = as_labtester(notes_for_labtester, "--lab-notes", "docs", "-rs", "--lab-no-userns")
    assert "10 skipped" in done.stdout, done.stdout + done.stderr
    assert "needs network namespaces" in done.stdout
    assert "run as root (sudo make test)" in done.stdout


def test_notes_outside_the_collected_folders_are_collected_too(pytester: pytest.Pytester) -> None:
    docs = write_notes(pytester.path)
    (docs / "wrong.md").unlink()
    pytester.makeini("[pytest]\ntestpaths = tests\nlab_notes = docs\n")
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_plain.py").write_text("def test_plain():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*tests/test_plain.py::test_plain PASSED*"], consecutive=False)
    result.stdout.fnmatch_lines(["*docs/tcp.md::L12-25 open PASSED*"], consecutive=False)
    # Named on the command line, next to a test folder, a note is collected once.
    again = pytester.runpytest_subprocess("-p", "no:cacheprovider", "tests", "docs/tcp.md")
    again.assert_outcomes(passed=6)


def test_the_short_summary_names_the_lines_that_disagree(pytester: pytest.Pytester) -> None:
    write_notes(pytester.path)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--lab-notes", "docs/wrong.md", "-rf"
    )
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        ["FAILED docs/wrong.md::L12-25 open - line(s) 19 disagree with the kernel"]
    )
