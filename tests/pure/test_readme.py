"""The README's Python examples are the tested files under tests/examples/, word for word."""

from __future__ import annotations

import re

from support import REPO


def test_readme_python_blocks_are_tested_examples() -> None:
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.DOTALL)
    examples = {p.name: p.read_text() for p in (REPO / "tests" / "examples").glob("test_*.py")}
    assert blocks, "the README shows no Python example"
    for block in blocks:
        assert any(block == text for text in examples.values()), (
            "this README example is not a file of tests/examples/ (copy it from there):\n" + block
        )
