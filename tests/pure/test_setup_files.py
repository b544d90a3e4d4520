"""Checks on the setup files: Makefile, install-deps, .ci/run, Vagrantfile, README, CHANGELOG.

None of these need root. scripts/install-deps runs against stand-in `dpkg-query`,
`apt-get`, `apt-cache` and `id` commands, so nothing is installed. The tools they
run (ruby, shellcheck) are in install-deps' list, so `make test` has them; where
it has not run, those checks skip naming the package to install.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import stat
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest
from support import REPO

# Make passes its jobserver, flags and command-line variables (PYTEST_ARGS=...) down
# through the environment; a make started from a test run under `make test` must not
# inherit them.
_MAKE_ENV_VARS = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "PYTEST_ARGS")

REQUIRED_PACKAGES = (
    "iproute2",
    "nftables",
    "libpcap0.8",
    "python3",
    "python3-venv",
    "util-linux",
    "procps",
    "ruby",
    "shellcheck",
    "netcat-openbsd",
    "curl",
    "git",
)


def run(args: Sequence[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command in the repository root and capture its output."""
    base = {k: v for k, v in os.environ.items() if k not in _MAKE_ENV_VARS}
    return subprocess.run(
        args, cwd=REPO, env={**base, **(env or {})}, capture_output=True, text=True, check=False
    )


def require_tool(name: str, package: str) -> str:
    """Return the path of a tool, or skip saying which Debian package provides it."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed; apt-get install {package} to run this check")
    return path


def make_dry_run(*targets: str) -> str:
    """Return the commands `make -n TARGETS` would run."""
    require_tool("make", "make")
    result = run(["make", "--no-print-directory", "-n", *targets])
    assert result.returncode == 0, result.stderr
    return result.stdout


# --- Makefile ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def install_deps_script() -> str:
    """The script `make deps` runs, as make itself expands it (path relative to the root)."""
    lines = make_dry_run("deps").splitlines()
    assert len(lines) == 1, f"make deps should run one command, not {lines}"
    words = shlex.split(lines[0])
    return words[1] if words[0] in {"bash", "sh"} else words[0]


def test_make_deps_runs_an_executable_bash_script(install_deps_script: str) -> None:
    script = REPO / install_deps_script
    assert script.is_file(), f"make deps runs {install_deps_script}, which does not exist"
    assert script.stat().st_mode & stat.S_IXUSR, f"{install_deps_script} is not executable"
    assert script.read_text().startswith("#!/usr/bin/env bash\n")


def test_make_test_installs_then_lints_then_runs_pytest(install_deps_script: str) -> None:
    commands = make_dry_run("test").splitlines()
    expected = [
        install_deps_script,
        ".venv/bin/ruff check .",
        ".venv/bin/ruff format --check .",
        ".venv/bin/mypy",
        ".venv/bin/pytest -n 2",
    ]
    stripped = [command.strip() for command in commands]
    missing = [step for step in expected if step not in stripped]
    assert not missing, f"make -n test should run {missing}, got:\n" + "\n".join(commands)
    order = [stripped.index(step) for step in expected]
    assert order == sorted(order), "make test runs its steps out of order:\n" + "\n".join(commands)


def test_make_test_passes_pytest_args() -> None:
    assert ".venv/bin/pytest -n 2 -k smoke" in make_dry_run("test", "PYTEST_ARGS=-k smoke")


def test_make_lab_runs_the_check(install_deps_script: str) -> None:
    commands = make_dry_run("lab")
    assert install_deps_script in commands
    assert ".venv/bin/lab check" in commands


def test_make_targets_are_phony() -> None:
    # `lab` is also a directory: were it not phony, make could call it up to date.
    database = make_dry_run("-p", "help")
    [phony] = re.findall(r"^\.PHONY: (.*)$", database, re.MULTILINE)
    for target in ("deps", "venv", "lab", "test", "lint", "bench", "chaos", "clean", "help"):
        assert target in phony.split(), f"{target} is not in .PHONY"


def test_make_without_a_target_lists_the_targets() -> None:
    require_tool("make", "make")
    result = run(["make", "--no-print-directory"])
    assert result.returncode == 0, result.stderr
    for target in ("deps", "lab", "test", "lint", "bench", "chaos", "clean", "help"):
        assert re.search(rf"^\s+{target}\s", result.stdout, re.MULTILINE), target


def test_makefile_never_uses_sudo() -> None:
    commands = make_dry_run("deps", "venv", "lab", "test", "lint", "bench", "chaos", "clean")
    assert "sudo" not in commands


# --- scripts/install-deps --------------------------------------------------------------


def test_install_deps_passes_bash_n(install_deps_script: str) -> None:
    result = run(["bash", "-n", install_deps_script])
    assert result.returncode == 0, result.stderr


def test_shell_scripts_pass_shellcheck(install_deps_script: str) -> None:
    shellcheck = require_tool("shellcheck", "shellcheck")
    result = run([shellcheck, install_deps_script, ".ci/run"])
    assert result.returncode == 0, result.stdout


def package_entries(script: str) -> list[str]:
    """The PACKAGES entries of install-deps ("a|b" where a package was renamed)."""
    result = run(
        ["bash", "-c", f'source {shlex.quote(script)} && printf "%s\\n" "${{PACKAGES[@]}}"']
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_install_deps_lists_the_packages_lab_needs(install_deps_script: str) -> None:
    names = {name for entry in package_entries(install_deps_script) for name in entry.split("|")}
    assert set(REQUIRED_PACKAGES) <= names, (
        f"missing from PACKAGES: {set(REQUIRED_PACKAGES) - names}"
    )


FAKE_COMMANDS = {
    # Installed packages are the lines of $FAKE_DB; the package name is the last argument.
    "dpkg-query": """
        name=${!#}
        if grep -qx -- "$name" "$FAKE_DB"; then echo installed; exit 0; fi
        echo "dpkg-query: no packages found matching $name" >&2; exit 1
    """,
    "id": 'echo "$FAKE_UID"',
    # Logs each call; `install` marks its packages installed unless FAKE_APT_BROKEN is set.
    "apt-get": """
        echo "DEBIAN_FRONTEND=${DEBIAN_FRONTEND:-} $*" >>"$FAKE_LOG"
        if [[ " $* " == *" install "* && -z ${FAKE_APT_BROKEN:-} ]]; then
            for arg; do
                [[ $arg == -* || $arg == install || $arg == *=* ]] || echo "$arg" >>"$FAKE_DB"
            done
        fi
    """,
    # Purely virtual names (FAKE_VIRTUAL) have no candidate, as on Ubuntu 24.04.
    "apt-cache": """
        echo "${!#}:"
        if [[ " ${FAKE_VIRTUAL:-} " == *" ${!#} "* ]]; then echo "  Candidate: (none)"
        else echo "  Candidate: 1.0-1"; fi
    """,
}


class FakeSystem:
    """A stand-in Debian system: which packages are installed, and what apt was asked."""

    def __init__(self, tmp_path: Path, script: str, installed: list[str]) -> None:
        self.script = script
        self.db = tmp_path / "installed"
        self.log = tmp_path / "apt.log"
        self.db.write_text("".join(f"{name}\n" for name in installed))
        self.log.touch()
        self.bin = tmp_path / "bin"
        self.bin.mkdir()
        for name, body in FAKE_COMMANDS.items():
            path = self.bin / name
            path.write_text(
                "#!/usr/bin/env bash\n" + "\n".join(s.strip() for s in body.splitlines())
            )
            path.chmod(0o755)

    def run(self, uid: int, **env: str) -> subprocess.CompletedProcess[str]:
        return run(
            [self.script],
            env={
                "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
                "FAKE_DB": str(self.db),
                "FAKE_LOG": str(self.log),
                "FAKE_UID": str(uid),
                **env,
            },
        )

    def apt_calls(self) -> list[str]:
        return self.log.read_text().splitlines()


@pytest.fixture
def all_present(install_deps_script: str) -> list[str]:
    """The first name of every PACKAGES entry, i.e. a system with everything installed."""
    return [entry.split("|")[0] for entry in package_entries(install_deps_script)]


@pytest.fixture
def fake_system(tmp_path: Path, install_deps_script: str, all_present: list[str]) -> FakeSystem:
    """A FakeSystem missing nftables, curl and libpcap (under either name)."""
    missing = {"nftables", "curl", "libpcap0.8"}
    return FakeSystem(tmp_path, install_deps_script, [n for n in all_present if n not in missing])


def test_install_deps_is_quiet_when_everything_is_present(
    tmp_path: Path, install_deps_script: str, all_present: list[str]
) -> None:
    system = FakeSystem(tmp_path, install_deps_script, all_present)
    for uid in (0, 1000):
        result = system.run(uid)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert system.apt_calls() == []


def test_install_deps_accepts_a_renamed_package(
    tmp_path: Path, install_deps_script: str, all_present: list[str]
) -> None:
    installed = ["libpcap0.8t64" if n == "libpcap0.8" else n for n in all_present]
    result = FakeSystem(tmp_path, install_deps_script, installed).run(uid=1000)
    assert (result.returncode, result.stderr) == (0, "")


def test_install_deps_tells_a_non_root_user_what_to_run(fake_system: FakeSystem) -> None:
    result = fake_system.run(uid=1000)
    assert result.returncode == 2
    assert fake_system.apt_calls() == []
    [line] = result.stderr.splitlines()
    assert "nftables libpcap0.8 curl" in line
    assert "sudo apt-get install -y --no-install-recommends nftables libpcap0.8 curl" in line
    assert "sudo make deps" in line


def test_install_deps_as_root_updates_then_installs_only_what_is_missing(
    fake_system: FakeSystem,
) -> None:
    result = fake_system.run(uid=0, FAKE_VIRTUAL="libpcap0.8")
    assert result.returncode == 0, result.stderr
    calls = fake_system.apt_calls()
    assert len(calls) == 2, calls
    assert calls[0].startswith("DEBIAN_FRONTEND=noninteractive ")
    assert calls[0].endswith(" update -q")
    assert calls[1].startswith("DEBIAN_FRONTEND=noninteractive ")
    # libpcap0.8 is only a virtual name here, so the real package is installed.
    assert calls[1].endswith(" install -y --no-install-recommends nftables libpcap0.8t64 curl")
    assert fake_system.run(uid=1000).returncode == 0, "a second run should find everything"
    assert len(fake_system.apt_calls()) == 2


def test_install_deps_fails_when_apt_leaves_a_package_missing(fake_system: FakeSystem) -> None:
    result = fake_system.run(uid=0, FAKE_APT_BROKEN="1")
    assert result.returncode == 1
    assert "still not installed: nftables libpcap0.8|libpcap0.8t64 curl" in result.stderr


# --- .ci/run ---------------------------------------------------------------------------


def test_ci_runs_make_test_and_nothing_else() -> None:
    lines = [line.strip() for line in (REPO / ".ci/run").read_text().splitlines()]
    commands = [
        line
        for line in lines
        if line and not line.startswith(("#", "set ", "cd ")) and line not in {"set", "cd"}
    ]
    assert commands == ["make test"]
    assert run(["bash", "-n", ".ci/run"]).returncode == 0


# --- Vagrantfile -----------------------------------------------------------------------

# Loads the Vagrantfile with a stand-in `Vagrant.configure` that records every call
# made on the config as {"key": "vm.box=", "args": ["debian/bookworm64"], ...}.
RECORD_VAGRANTFILE = r"""
require "json"

class Recorder
  def initialize(calls, key)
    @calls = calls
    @key = key
  end

  def method_missing(name, *args, **kwargs, &block)
    return super if name.to_s.start_with?("to_")
    key = [@key, name.to_s].compact.join(".")
    @calls << { "key" => key, "args" => args, "kwargs" => kwargs }
    key += "(#{args.first})" if block && args.first.is_a?(String)
    child = Recorder.new(@calls, key)
    block&.call(child)
    child
  end

  def respond_to_missing?(name, include_private = false)
    !name.to_s.start_with?("to_")
  end
end

module Vagrant
  def self.configure(_version)
    calls = []
    yield Recorder.new(calls, nil)
    puts JSON.generate(calls)
  end
end

load File.expand_path(ARGV.fetch(0))
"""

Call = dict[str, object]


@pytest.fixture(scope="module")
def vagrant_calls() -> list[Call]:
    """Every call the Vagrantfile makes on its config, in order."""
    ruby = require_tool("ruby", "ruby")
    result = run([ruby, "-e", RECORD_VAGRANTFILE, "Vagrantfile"])
    assert result.returncode == 0, result.stderr
    calls: list[Call] = json.loads(result.stdout)
    return calls


def args_of(calls: list[Call], key: str) -> list[object]:
    """The arguments of the calls named KEY."""
    return [call["args"] for call in calls if call["key"] == key]


def test_vagrantfile_parses() -> None:
    ruby = require_tool("ruby", "ruby")
    result = run([ruby, "-c", "Vagrantfile"])
    assert result.returncode == 0, result.stderr


def test_vagrantfile_describes_the_debian_machine(vagrant_calls: list[Call]) -> None:
    assert args_of(vagrant_calls, "vm.box=") == [["debian/bookworm64"]]
    folders = args_of(vagrant_calls, "vm.synced_folder")
    assert [".", "/vagrant"] in folders, folders


def test_vagrantfile_provisions_with_the_makefile_script(
    vagrant_calls: list[Call], install_deps_script: str
) -> None:
    provisions = [call for call in vagrant_calls if call["key"] == "vm.provision"]
    assert len(provisions) == 1, f"expected one provisioner, the deps script: {provisions}"
    [provision] = provisions
    assert provision["args"] == ["shell"]
    kwargs = provision["kwargs"]
    assert isinstance(kwargs, dict)
    assert kwargs.get("privileged") is True
    command = shlex.split(str(kwargs["inline"]))
    # The same two steps as CI: the Debian packages, then the virtualenv with the package.
    assert command == [
        "bash",
        f"/vagrant/{install_deps_script}",
        "&&",
        "make",
        "-C",
        "/vagrant",
        "venv",
    ]


# --- README and CHANGELOG --------------------------------------------------------------


def test_readme_gives_the_quick_start_and_vagrant_commands() -> None:
    readme = (REPO / "README.md").read_text()
    for text in (
        "make lab",
        "make test",
        "vagrant up",
        "vagrant ssh -c 'cd /vagrant && sudo make test'",
    ):
        assert text in readme, text


def test_changelog_has_an_unreleased_section() -> None:
    changelog = (REPO / "CHANGELOG.md").read_text()
    assert re.search(r"^## \[Unreleased\]$", changelog, re.MULTILINE)
