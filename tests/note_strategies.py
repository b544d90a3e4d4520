"""Hypothesis strategies for study notes: the example notes mutated, and pieces to splice in.

Shared by the pure property tests (reading) and the kernel ones (checking).
"""

from __future__ import annotations

from hypothesis import strategies as st
from support import REPO

EXAMPLES = [
    path.read_text(encoding="utf-8") for path in sorted((REPO / "tests/pure/notes").glob("*.md"))
]

# Pieces that make Markdown and mermaid interesting to a reader, to mutate notes with.
PIECES = [
    "```mermaid\n",
    "```\n",
    "~~~\n",
    "sequenceDiagram\n",
    "Note over A,B: ",
    "Note left of A: ",
    "A->>B: ",
    "B-->>A: ",
    "participant A as ",
    "| a | b |\n|---|---|\n",
    "|",
    "alt x\n",
    "else\n",
    "end\n",
    "---\n",
    "%%",
    "#59;",
    "&gt;",
    "<br/>",
    "SYN",
    "ACK",
    "FIN",
    "RST",
    "seq=x+1",
    "ACK=0",
    "SYN_SEND",
    "→",
    "2MSL",
    "클라이언트",
    "> ",
    "- ",
    "    ",
    "\n",
    " ",
]


@st.composite
def mutated_notes(draw: st.DrawFn) -> str:
    """An example note with a few lines deleted, repeated, swapped or spliced with pieces."""
    lines = draw(st.sampled_from(EXAMPLES)).splitlines()
    for _ in range(draw(st.integers(1, 8))):
        if not lines:
            lines = [""]
        at = draw(st.integers(0, len(lines) - 1))
        other = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "repeat", "swap", "splice", "cut"]))
        if action == "delete":
            del lines[at]
        elif action == "repeat":
            lines.insert(at, lines[other])
        elif action == "swap":
            lines[at], lines[other] = lines[other], lines[at]
        else:
            line = lines[at]
            cut = draw(st.integers(0, len(line)))
            piece = draw(st.sampled_from(PIECES) | st.text(max_size=4))
            lines[at] = line[:cut] + (piece if action == "splice" else "") + line[cut + 1 :]
    return "\n".join(lines)
