"""Aligning two sequences as a diff does: pairs in order, and what is left out on each side.

    align("abc", "ac", same, gap=(1, 0), keep="second")   # [(0, 0), (1, None), (2, 1)]

The alignment with the smallest total cost wins; costs are tuples compared in
order, so a second number breaks the ties of the first. `pair_cost` returns
None for two items that may never be paired. Among equal alignments, pairs are
made as early as possible, and `keep` says which sequence keeps its earlier
items paired: with ``keep="second"``, ``align("ab", "bb")`` pairs the first
``b``s; with ``keep="first"``, ``align("ba", "ab")`` keeps ``b``. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, TypeVar

__all__ = ["Cost", "Pair", "align"]

A = TypeVar("A")
B = TypeVar("B")

Cost = tuple[int, int]
"""How bad a pair or a gap is: the first number decides, the second breaks ties."""
Pair = tuple[int | None, int | None]
"""Indexes into the two sequences; None on the side that has no counterpart."""


def _plus(a: Cost, b: Cost) -> Cost:
    return (a[0] + b[0], a[1] + b[1])


def align(
    first: Sequence[A],
    second: Sequence[B],
    pair_cost: Callable[[A, B], Cost | None],
    *,
    gap: Cost,
    keep: Literal["first", "second"],
) -> list[Pair]:
    """The cheapest alignment of `first` and `second`, in order (see the module docstring)."""
    m, n = len(first), len(second)
    costs = [[pair_cost(a, b) for b in second] for a in first]
    # best[i][j]: the cheapest alignment of first[i:] with second[j:].
    best: list[list[Cost]] = [[(0, 0)] * (n + 1) for _ in range(m + 1)]
    for i in range(m, -1, -1):
        for j in range(n, -1, -1):
            options: list[Cost] = []
            if i < m and j < n and (cost := costs[i][j]) is not None:
                options.append(_plus(cost, best[i + 1][j + 1]))
            if i < m:
                options.append(_plus(gap, best[i + 1][j]))
            if j < n:
                options.append(_plus(gap, best[i][j + 1]))
            if options:
                best[i][j] = min(options)
    pairs: list[Pair] = []
    i = j = 0
    while i < m or j < n:
        cost = costs[i][j] if i < m and j < n else None
        if cost is not None and _plus(cost, best[i + 1][j + 1]) == best[i][j]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif keep == "second" and i < m and _plus(gap, best[i + 1][j]) == best[i][j]:
            pairs.append((i, None))
            i += 1
        elif j < n and _plus(gap, best[i][j + 1]) == best[i][j]:
            pairs.append((None, j))
            j += 1
        else:
            pairs.append((i, None))
            i += 1
    return pairs
