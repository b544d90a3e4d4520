"""`lab diff`: results from several kernels side by side, as a command (no lab, no privileges)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from support import REPO, one_error_line

from lab.cli import main

RESULTS = Path(__file__).parent / "results"


def result(name: str, kernel_name: str, *, fails: bool = False) -> dict[str, Any]:
    """The trimmed real tables result under `kernel_name`; `fails`: close's first step fails."""
    data: dict[str, Any] = json.loads((RESULTS / name).read_text())
    data = copy.deepcopy(data)
    data["kernel_name"] = kernel_name
    if fails:
        step = data["scenarios"][2]["steps"][0]  # close (IPv4)
        step.update(observed_flags=["RST"], ok=False, problems=["flags RST, documented FIN"])
        data["scenarios"][2]["ok"] = data["ok"] = False
    return data


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """Result files: host and 6.12 as documented, 6.1 with a failure, and a note's."""
    made = {
        "host": result("tables.json", "host"),
        "6.12": result("tables.json", "6.12"),
        "6.1": result("tables.json", "6.1", fails=True),
        "note": result("note.json", "host"),
    }
    paths = {}
    for name, data in made.items():
        path = tmp_path / f"result-{name}.json"
        path.write_text(json.dumps(data))
        paths[name] = str(path)
    return paths


def test_kernels_that_agree_exit_0_with_the_report_on_stdout(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", files["host"], files["6.12"]]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("lab diff: lab's tables, on 2 kernels\n")
    assert out.splitlines()[2].split()[0] == "host"  # labelled by kernel_name
    assert out.rstrip().endswith(
        "ok: every kernel agrees with the documentation, and with each other"
    )


def test_a_kernel_that_disagrees_exits_1_and_only_differences_shows_that_row(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", files["host"], files["6.1"], files["6.12"], "--only-differences"]) == 1
    out = capsys.readouterr().out
    table = out[out.index("\nscenario") :]
    assert "close     IPv4    1  FIN; client FIN-WAIT-1" in table
    assert "RST; FIN-WAIT-1 ✗≠" in table
    assert "✗ flags RST, documented FIN" in table
    assert "SYN; client SYN-SENT" not in table
    assert out.rstrip().endswith(
        "FAIL: 6.1 disagrees with the documentation; 1 row differs between kernels"
    )


def test_json_to_stdout_sends_the_report_to_stderr(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", files["host"], files["6.1"], "--json", "-"]) == 1
    out, err = capsys.readouterr()
    merged = json.loads(out)
    assert [k["label"] for k in merged["kernels"]] == ["host", "6.1"]
    assert (merged["ok"], merged["differences"], merged["failures"]) == (False, 1, 1)
    assert set(merged["results"]) == {"host", "6.1"}
    assert err.startswith("lab diff: ")
    assert err.rstrip().endswith("JSON written to standard output")


def test_json_to_a_file(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    written = tmp_path / "diff.json"
    assert main(["diff", files["host"], files["6.12"], "--json", str(written)]) == 0
    assert json.loads(written.read_text())["ok"] is True
    assert capsys.readouterr().out.rstrip().endswith(f"JSON written to {written}")


def test_merged_files_are_unpacked_a_column_per_kernel(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What lab check --kernels --json (or lab diff --json) wrote is read back kernel by kernel."""
    merged = tmp_path / "two.json"
    assert main(["diff", files["host"], files["6.1"], "--json", str(merged)]) == 1
    capsys.readouterr()
    assert main(["diff", str(merged), files["6.12"]]) == 1
    out = capsys.readouterr().out
    header = out.splitlines()[:5]
    assert header[0] == "lab diff: lab's tables, on 3 kernels"
    assert [line.split()[0] for line in header[2:5]] == ["host", "6.1", "6.12"]
    assert f"{merged} (kernel 6.1)" in header[3]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["diff"], "the following arguments are required: RESULT.json"),
        (["diff", "/nonexistent/result.json"], "/nonexistent/result.json: no such file"),
    ],
)
def test_bad_input_is_one_line_and_status_2(
    args: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 2
    assert says in one_error_line(capsys)


def test_tables_and_a_note_together_are_bad_input(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", files["host"], files["note"]]) == 2
    line = one_error_line(capsys)
    assert f"{files['note']}: is a result of note tcp-connection.md, where {files['host']}" in line
    assert "run lab check the same way" in line


def test_a_json_file_that_cannot_be_written_is_bad_input(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["diff", files["host"], "--json", "/nonexistent/diff.json"]) == 2
    assert "--json /nonexistent/diff.json: cannot write there" in one_error_line(capsys)


KERNELS_RECIPE = REPO / "examples" / "ci" / "github-actions-kernels.yml"


def test_the_kernels_recipe_is_a_valid_workflow_that_diffs_what_its_matrix_uploads() -> None:
    checker = Path(sys.executable).parent / "check-jsonschema"
    done = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", str(KERNELS_RECIPE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    jobs = yaml.safe_load(KERNELS_RECIPE.read_text())["jobs"]
    assert "host" in jobs["check"]["strategy"]["matrix"]["kernel"]
    runs = [" ".join(s["run"].split()) for s in jobs["diff"]["steps"] if "run" in s]
    diffs = [line for run in runs for line in run.split("; ") if "lab diff" in line]
    assert diffs
    for command in diffs:
        words = command[command.index("lab diff") :].split()
        options = [w for w in words if w.startswith("--")]
        assert set(options) <= {"--json", "--only-differences"}, command
        assert "result-*.json" in words
