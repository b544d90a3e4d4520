"""A state machine of TCP states as claims: each arrow an edge, judged at its line.

    compiled = compile_state_machine(graph, fence, markdown, warnings)  # NoteStateDiagram, or None

A mermaid ``stateDiagram`` (or a flowchart whose nodes are TCP states) claims
the transitions it draws: each arrow between two nodes that name TCP states
becomes an `EdgeClaim` (from, to, its label read by `read_edge_label`). A
node names a state when its label (``state "SYN-RECEIVED" as S3``,
``3[FIN_WAIT_1]``), else its id (``SYN_RCVD``), names exactly one, in any
spelling `TcpState` reads; a misspelling is read as the nearest state, with a
warning. Arrows to or from the markers ``[*]`` are claims too (a connection
starts and ends CLOSED). Arrows with an end that names no state (a choice, a
composite of several states, ``start``), or with no one direction (``---``),
are unchecked with why. A block with no arrow between two TCP states is none
of this: the caller skips it. Pure: no kernel access.
"""

from __future__ import annotations

from typing import Final

from lab.notes._claims import find_states
from lab.notes._edge_labels import read_edge_label
from lab.notes._markdown import Fence, Markdown
from lab.notes._mermaid_graph import MARKER, Arrow, Graph, Node
from lab.notes._note import NoteStateDiagram, NoteWarning
from lab.tcp._edge_claims import EdgeClaim
from lab.tcp._names import TcpState
from lab.tcp._spec import Source

__all__ = ["compile_state_machine", "node_state"]

_NO_WAY: Final = (
    "a link with no one direction (---, <-->, ~~~) draws no transition from one state to "
    "another; write --> to have it judged"
)


def compile_state_machine(
    graph: Graph, fence: Fence, markdown: Markdown, warnings: list[NoteWarning]
) -> NoteStateDiagram | None:
    """The edges `graph` draws between TCP states, or None when it draws none; `warnings` grows."""
    states: dict[str, tuple[TcpState | None, str | None]] = {
        ident: node_state(node) for ident, node in graph.nodes.items()
    }
    if not any(
        arrow.directed
        and states.get(arrow.source, (None, None))[0] is not None
        and states.get(arrow.target, (None, None))[0] is not None
        for arrow in graph.arrows
    ):
        return None
    for problem in graph.problems:
        warnings.append(NoteWarning(problem.line, problem.message))
    warned: set[tuple[int, str]] = set()
    edges: list[EdgeClaim] = []
    for arrow in graph.arrows:
        for end in (arrow.source, arrow.target):
            warning = states.get(end, (None, None))[1]
            if warning is not None and (arrow.line, end) not in warned:
                warned.add((arrow.line, end))
                warnings.append(NoteWarning(arrow.line, warning))
        edges.append(_edge(arrow, graph, states, Source(arrow.line, markdown.line(arrow.line))))
    return NoteStateDiagram(fence.first, fence.last, graph.kind, tuple(edges))


def node_state(node: Node) -> tuple[TcpState | None, str | None]:
    """The state a node names (its label, else its id, else its description), and the warning
    of a misspelling.

    A choice and a composite (a state holding states: ``state Closing {``) name none.
    """
    if node.decision or node.composite:
        return None, None
    for text in dict.fromkeys((node.label, node.id, node.description)):
        named = [m for m in find_states(text) if m.state is not None]
        if len({m.state for m in named}) == 1:
            return named[0].state, next((m.warning for m in named if m.warning), None)
    return None, None


def _edge(
    arrow: Arrow,
    graph: Graph,
    states: dict[str, tuple[TcpState | None, str | None]],
    source: Source,
) -> EdgeClaim:
    """The claim of one arrow: its two states and label, or why it is unchecked."""
    label = " ".join(arrow.label.split())
    ends: list[TcpState | None] = []
    for end in (arrow.source, arrow.target):
        if end == MARKER:
            ends.append(None)
            continue
        state = states.get(end, (None, None))[0]
        if state is None:
            return EdgeClaim(source, None, None, label=label, unchecked=_not_a_state(end, graph))
        ends.append(state)
    before, after = ends
    if not arrow.directed:
        return EdgeClaim(source, before, after, label=label, unchecked=_NO_WAY)
    if before is None and after is None:
        return EdgeClaim(source, None, None, label=label, unchecked="from [*] to [*]: no state")
    return EdgeClaim(source, before, after, read_edge_label(arrow.label), label)


def _not_a_state(ident: str, graph: Graph) -> str:
    """Why the node `ident` is no TCP state, for an unchecked arrow."""
    node = graph.nodes.get(ident)
    shown = graph.label(ident)
    if node is not None and node.decision:
        return f"{shown!r} is a choice or a junction, not a TCP state, so the arrow is not judged"
    if node is not None and node.composite:
        return (
            f"{shown!r} is a composite state, not one TCP state, so the arrow is not judged; "
            "draw it to the state inside that it means"
        )
    named = {m.state for m in find_states(shown) if m.state is not None}
    if len(named) > 1:
        states = " and ".join(sorted(named))
        return f"{shown!r} names {states}, not one TCP state, so the arrow is not judged"
    return f"{shown!r} is not a TCP state, so the arrow is not judged"
