"""The pytest plugin's help: its markers are registered and its fixtures documented."""

from __future__ import annotations

import pytest


def test_markers_are_registered_and_fixtures_documented(pytester: pytest.Pytester) -> None:
    markers = pytester.runpytest_subprocess("--markers")
    markers.stdout.fnmatch_lines(["*@pytest.mark.topology(name_or_path)*", "*@pytest.mark.kernel*"])
    fixtures = pytester.runpytest_subprocess("--fixtures")
    fixtures.stdout.fnmatch_lines(
        ["lab -- *", "*A started lab*", "lab_factory -- *", "*Start labs on demand*"]
    )
