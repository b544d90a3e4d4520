"""The verbs about other kernels: ``lab kernels ls`` and ``lab kernels fetch NAME...``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lab._columns import align_columns
from lab.cli._parser import Parser, add_verb
from lab.vm._cache import CachedKernel, cache_dir, read_cache
from lab.vm._catalog import SERIES, Series, kernel_from_path, parse_name
from lab.vm._fetch import Fetched, fetch_kernel

_MB = 1_000_000


def _megabytes(size: int) -> str:
    return f"{size / _MB:.0f} MB"


def _not_fetched(kernels: Sequence[CachedKernel]) -> list[Series]:
    """The series lab knows of which no kernel is cached."""
    have = {kernel.series for kernel in kernels}
    return [series for series in SERIES if series.name not in have]


def render_kernels(kernels: Sequence[CachedKernel], cache: Path, host: str) -> str:
    """What ``lab kernels ls`` prints: the cached kernels, the series still to fetch, host."""
    lines = []
    if kernels:
        rows = [("KERNEL", "SERIES", "PACKAGE", "VERSION", "SIZE", "FETCHED")]
        rows += [
            (
                k.image.release,
                k.series or "-",
                k.image.package or "-",
                k.image.version or "-",
                _megabytes(k.size),
                k.fetched_at.replace("T", " ")[:16],
            )
            for k in kernels
        ]
        lines += align_columns(rows)
    else:
        lines.append(f"no kernel is cached in {cache}")
    lines += [
        f"not fetched: {s.name} (Debian {s.suite}); fetch it with: lab kernels fetch {s.name}"
        for s in _not_fetched(kernels)
    ]
    lines.append(f"host: {host} (the running kernel; run directly, nothing to fetch)")
    if kernels:
        lines.append(f"cache: {cache} ({_megabytes(sum(k.size for k in kernels))})")
    return "\n".join(lines) + "\n"


def kernels_json(kernels: Sequence[CachedKernel], cache: Path, host: str) -> dict[str, Any]:
    """What ``lab kernels ls --json`` prints."""
    return {
        "cache": str(cache),
        "host": host,
        "kernels": [kernel.to_json() for kernel in kernels],
        "not_fetched": [
            {"series": s.name, "suite": s.suite, "fetch": f"lab kernels fetch {s.name}"}
            for s in _not_fetched(kernels)
        ],
    }


def ls(args: argparse.Namespace) -> int:
    cache = cache_dir()
    kernels = read_cache(cache)
    host = os.uname().release
    if args.json:
        print(json.dumps(kernels_json(kernels, cache, host), indent=2))
    else:
        print(render_kernels(kernels, cache, host), end="")
    return 0


def fetched_line(name: str, fetched: Fetched | None) -> str:
    """One line on what fetching `name` gave: where it is and how long it took."""
    if fetched is None:
        return f"{name}: the running kernel ({os.uname().release}); nothing to fetch"
    image = fetched.image
    if fetched.folder is None:
        return f"{name}: {image.release}, used where it is (modules: {image.modules})"
    how = "cached already in" if fetched.cached else "fetched into"
    package = f"{image.package} {image.version}"
    return f"{name}: {image.release} ({package}) {how} {fetched.folder} ({fetched.seconds:.1f} s)"


def fetch(args: argparse.Namespace) -> int:
    cached = [kernel.image.release for kernel in read_cache()]
    for name in args.names:  # every name checked before the first download starts
        parsed = parse_name(name, cached)
        if isinstance(parsed, Path):
            kernel_from_path(parsed, name)
    for name in args.names:

        def progress(line: str, name: str = name) -> None:
            print(f"{name}: {line}", file=sys.stderr, flush=True)

        fetched = fetch_kernel(name, refresh=args.refresh, progress=progress)
        print(fetched_line(name, fetched), flush=True)
    return 0


def add_kernel_verbs(sub: Any) -> None:
    """The `kernels` verb and its own verbs: ls, fetch."""
    text = "the kernels lab can boot besides the running one: list them, fetch them"
    group: Parser = sub.add_parser("kernels", help=text, description=text)
    kinds = group.add_subparsers(
        dest="kernels_verb", metavar="{ls,fetch}", required=True, parser_class=Parser
    )
    p = add_verb(kinds, "ls", ls, "list the cached kernels and the series not fetched yet")
    p.add_argument("--json", action="store_true", help="as JSON: the cache, its kernels")
    p = add_verb(
        kinds,
        "fetch",
        fetch,
        "download Debian kernels into the cache (nothing when cached already)",
    )
    p.add_argument(
        "names",
        nargs="+",
        metavar="NAME",
        help="a series (6.1, 6.12, 5.10), a release (6.1.0-57-amd64), a package "
        "(linux-image-6.1.0-57-amd64) or the path of a vmlinuz",
    )
    p.add_argument(
        "--refresh",
        action="store_true",
        help="ask the archive for newer packages even when the lists are fresh and "
        "the kernel is cached",
    )
