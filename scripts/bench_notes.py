#!/usr/bin/env python3
"""Benchmark: reading study notes (Markdown to compiled claims), beside markdown-it alone.

    .venv/bin/python scripts/bench_notes.py [--notes N] [--rounds N] [NOTE.md ...]

Times, in the same run, the median over --rounds of reading --notes notes
(default 100) cycled from the example notes in tests/pure/notes/ (or the
files given), each a copy with its own text (a number in a heading), so no
cache of earlier notes helps:
  markdown-it   markdown-it-py parsing each note's text, tables enabled: the
                baseline, what any reader built on it pays;
  read_note     lab.notes.read_note: Markdown, mermaid, claims, scenarios, tables
                (it keeps the reading of each word it has seen, as in real use);
and their ratio. Target: --notes 100 in under 1 s; the exit status is 1 when missed.
Pure: no kernel access, no privileges.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from markdown_it import MarkdownIt

from lab.notes import read_note

EXAMPLES = Path(__file__).resolve().parents[1] / "tests" / "pure" / "notes"
TARGET_SECONDS = 1.0
"""100 notes must be read within this many seconds."""


def notes_to_read(paths: Sequence[Path], count: int) -> list[str]:
    """`count` texts cycled from `paths`, each made distinct by a number in a heading."""
    texts = [path.read_text(encoding="utf-8") for path in paths]
    return [f"{texts[i % len(texts)]}\n\n## copy {i}\n" for i in range(count)]


def timed(work: Callable[[], object], rounds: int) -> float:
    """The median wall time of `work` over `rounds` runs, after one untimed run."""
    work()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=100, help="notes per round (default 100)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds, median taken (default 7)")
    parser.add_argument("paths", nargs="*", type=Path, help="notes to read (default: examples)")
    options = parser.parse_args(argv)
    paths = options.paths or sorted(EXAMPLES.glob("*.md"))
    texts = notes_to_read(paths, options.notes)
    lines = sum(text.count("\n") for text in texts) / len(texts)
    markdown_it = MarkdownIt("commonmark").enable("table")

    def baseline() -> None:
        for text in texts:
            markdown_it.parse(text)

    def reader() -> None:
        for i, text in enumerate(texts):
            read_note(text, f"note-{i}.md")

    base = timed(baseline, options.rounds)
    ours = timed(reader, options.rounds)
    print(
        f"{options.notes} notes of {lines:.0f} lines on average "
        f"(cycled from {len(paths)} files), median of {options.rounds} rounds:"
    )
    print(f"  markdown-it   {base * 1000:8.1f} ms   ({base / options.notes * 1000:.2f} ms a note)")
    print(f"  read_note     {ours * 1000:8.1f} ms   ({ours / options.notes * 1000:.2f} ms a note)")
    print(f"  read_note / markdown-it: {ours / base:.1f}x")
    per_hundred = ours / options.notes * 100
    verdict = "ok" if per_hundred < TARGET_SECONDS else "MISSED"
    print(f"  target: 100 notes in under {TARGET_SECONDS:.0f} s: {per_hundred:.3f} s, {verdict}")
    return 0 if per_hundred < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
