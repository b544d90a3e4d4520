"""The argument parser of every verb: errors become one line, not argparse's usage block."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, NoReturn

from lab._addresses import Family
from lab._errors import UnknownNameError

EXIT_USAGE = 2
"""Exit status for bad input, as argparse uses it."""
EXIT_INTERRUPTED = 130
"""Exit status after Ctrl-C (128 + SIGINT), as shells report it."""

Verb = Callable[[argparse.Namespace], int]
"""What a verb runs: the parsed arguments in, the exit status out."""


class UsageError(Exception):
    """Bad command-line input: printed as one ``lab: error:`` line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse, with its errors raised as `UsageError` (one line that names --help)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message}; see: {self.prog} --help")


def add_verb(sub: Any, name: str, run: Verb, text: str) -> Parser:
    """A sub-command `name` of `sub` (argparse's untyped subparsers action) that runs `run`."""
    parser: Parser = sub.add_parser(name, help=text, description=text)
    parser.set_defaults(run=run)
    return parser


def family(text: str) -> Family:
    """An argparse type: ``IPv4``, ``ipv6``, ``6`` (any case) as a `Family`."""
    try:
        return Family.parse(int(text) if text.isdigit() else text)
    except UnknownNameError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def jobs(text: str) -> int:
    """An argparse type: how many runs side by side, a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of runs at once; give a whole number of at least 1 "
            "(1: one run at a time)"
        )
    return value
