"""`lab diff A.json B.json ...`: results of lab check on several kernels, side by side."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from lab._across import read_results
from lab.cli._outputs import OutputFile
from lab.cli._parser import add_verb


def run(args: argparse.Namespace) -> int:
    """Merge the results; exit 0 when every kernel agrees with the documentation, else 1.

    Bad input (a file that is not a lab check JSON, results of different checks)
    is a LabError: one line, exit status 2.
    """
    across = read_results(args.results)
    output = None
    if args.json is not None:
        output = OutputFile(args.json, "--json", example="diff.json", what="JSON")
        output.write(json.dumps(across.to_json(), indent=2, ensure_ascii=False) + "\n")
    report = sys.stderr if output is not None and output.to_stdout else sys.stdout
    print(across.report(only_differences=args.only_differences), file=report)
    if output is not None:
        print(f"JSON written to {output.where}", file=report)
    return across.exit_status


def add_diff(sub: Any) -> None:
    """The `diff` verb and its options."""
    p = add_verb(
        sub,
        "diff",
        run,
        "put results of lab check --json from several kernels (or machines) side by side: "
        "what differs between them, and where one disagrees with the documentation",
    )
    p.add_argument(
        "results",
        nargs="+",
        metavar="RESULT.json",
        help="a file lab check --json wrote, one per kernel, all of the same check (lab's "
        "tables, or the same note); each column is named by the kernel the file names",
    )
    p.add_argument(
        "--json",
        metavar="FILE",
        help="also write the merged results as JSON (-: to standard output, and the report "
        "to stderr)",
    )
    p.add_argument(
        "--only-differences",
        action="store_true",
        help="show only the rows that differ between kernels or from the documentation",
    )
