"""The `lab` command: a thin edge over the library.

    lab check [--json FILE] [--junit-xml FILE]
                                 verify the documented TCP tables, segment by segment
    lab check --list             the scenarios, and the flags and states each documents
    lab check [NOTE] --kernels host,6.1,6.12
                                 the same check on each kernel (others booted under qemu),
                                 side by side
    lab diff A.json B.json ...   results of lab check --json made anywhere, side by side
    lab kernels ls               the kernels fetched into the cache, and those that can be
    lab kernels fetch NAME ...   fetch Debian's kernel packages (6.1, 6.12, 5.10) into it
    lab show [TOPOLOGY]          hosts, links, addresses (no TOPOLOGY: list them)
    lab demo [TOPOLOGY]          build, one real TCP exchange, both ends' ss, tear down
    lab up TOPOLOGY [--name N]   build and keep it, for interactive exercises (root)
    lab ls [--json]              labs that are up
    lab exec [--lab N] HOST -- CMD ...
    lab down [NAME]              take a lab down, and stop what still runs in it
    lab cleanup                  remove whatever a crashed `lab up` left
    lab --version

Bad input prints one line on stderr and exits with status 2. A reader of
standard output that goes away (``lab demo | head -1``) ends the command
quietly with status 141, as SIGPIPE ends other tools. Ctrl-C ends any verb
with status 130 and the word "interrupted" (lab check first prints what finished).

One module per group of verbs: `_check_command` (lab check) and
`_lab_commands` (the labs: show, demo, up, ls, exec, down, cleanup); this
module holds the parser and the one place errors become exit statuses.
"""

from __future__ import annotations

import importlib.metadata
import os
import signal
import sys
from collections.abc import Sequence

from lab._errors import LabError
from lab.cli._parser import EXIT_INTERRUPTED, EXIT_USAGE, Parser, UsageError

__all__ = ["main"]


EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE
"""Exit status when standard output's reader went away (see `_reader_gone`)."""

DISTRIBUTION = "netns-lab"
"""The name lab is installed under (``pip install netns-lab``); the import package is lab."""


def _version() -> str:
    """``lab 0.1.0 (netns-lab)``, from the installed distribution's metadata."""
    try:
        version = importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        version = "(not installed: no metadata)"
    return f"lab {version} ({DISTRIBUTION})"


def _parser() -> Parser:
    # The verbs bring in the library (the kernel side, stepping, pyroute2: ~0.3 s); imported
    # here, inside main's handlers, so that a Ctrl-C from the first moment ends with
    # "interrupted" and 130, not a traceback.
    from lab.cli import (  # noqa: PLC0415
        _check_command,
        _diff_command,
        _kernel_commands,
        _lab_commands,
    )

    parser = Parser(prog="lab", description="Network-namespace labs for checking TCP behaviour.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="verb", required=True, parser_class=Parser)
    _lab_commands.add_show_and_demo(sub)
    _check_command.add_check(sub)
    _diff_command.add_diff(sub)
    _kernel_commands.add_kernel_verbs(sub)
    _lab_commands.add_lab_verbs(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on `argv` (None: the program's own arguments); returns the exit status."""
    status = _run(argv)
    if argv is None:
        # The program's work and output are complete; what remains is the interpreter's own
        # teardown (about 0.1 s of freeing memory). A Ctrl-C there would only turn the status
        # just decided into a death by SIGINT, so it is ignored from here on.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    return status


def _run(argv: Sequence[str] | None) -> int:
    """Parse, run the verb, and turn what ends it into an exit status."""
    try:
        args = _parser().parse_args(argv)
        args.argv = list(sys.argv[1:] if argv is None else argv)  # as typed: --kernels reruns it
        status: int = args.run(args)
        sys.stdout.flush()  # a reader that went away fails here, not in the interpreter's exit
    except BrokenPipeError:
        return _reader_gone()
    except KeyboardInterrupt:  # lab check reports what finished itself; here nothing had
        print("lab: interrupted (Ctrl-C)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except (UsageError, LabError) as error:
        print(f"lab: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except SystemExit as done:  # --help and --version print, then exit
        return done.code if isinstance(done.code, int) else EXIT_USAGE
    return status


def _reader_gone() -> int:
    """Standard output's reader went away (``lab demo | head -1``): stop without a word.

    Exit status 141 (128 + SIGPIPE) is what the shell reports for cat or seq
    killed by SIGPIPE at the same point: a pipeline without pipefail still ends
    with head's status, and a script with pipefail sees that the output was cut
    short, rather than a 0 that claims the whole report was read, a 1 that
    claims the kernel disagreed, or a 2 that claims bad input. Standard output
    is pointed at /dev/null so that the interpreter's last flush cannot fail again.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return EXIT_BROKEN_PIPE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
