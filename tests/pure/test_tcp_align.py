"""Aligning two sequences as a diff does (the documented and the observed segments, table rows)."""

from __future__ import annotations

from lab.tcp._align import Cost, align


def same(a: str, b: str) -> Cost | None:
    return (0, 0) if a == b else None


def test_what_one_side_lacks_is_left_out_and_the_rest_stays_paired() -> None:
    assert align("abc", "ac", same, gap=(1, 0), keep="second") == [(0, 0), (1, None), (2, 1)]
    assert align("ac", "abc", same, gap=(1, 0), keep="second") == [(0, 0), (None, 1), (1, 2)]
    assert align("", "ab", same, gap=(1, 0), keep="first") == [(None, 0), (None, 1)]


def test_keep_says_which_side_keeps_its_earlier_items_paired() -> None:
    assert align("ab", "bb", same, gap=(1, 0), keep="second") == [(0, None), (1, 0), (None, 1)]
    assert align("ba", "ab", same, gap=(1, 0), keep="first") == [(None, 0), (0, 1), (1, None)]
    assert align("ba", "ab", same, gap=(1, 0), keep="second") == [(0, None), (1, 0), (None, 1)]


def test_a_pair_that_differs_beats_two_gaps_when_it_costs_less() -> None:
    def near(a: str, b: str) -> Cost:
        return (0, 0) if a == b else (3, 0)

    assert align("xay", "xby", near, gap=(2, 0), keep="second") == [(0, 0), (1, 1), (2, 2)]
    assert align("xay", "xby", near, gap=(1, 0), keep="second") == [
        (0, 0),
        (1, None),
        (None, 1),
        (2, 2),
    ]


def test_the_second_number_breaks_ties() -> None:
    def prefer_upper(a: str, b: str) -> Cost | None:
        return None if a.lower() != b.lower() else (0, int(b.islower()))

    assert align("a", "aA", prefer_upper, gap=(1, 0), keep="second") == [(None, 0), (0, 1)]
