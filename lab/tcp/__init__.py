"""Pure TCP vocabulary, the documented tables, and judging observations against them.

    spec = load_spec()                                    # the packaged tables.yaml
    verdict = judge(spec.scenarios["open"], timeline)     # timeline: what stepping observed
    print(render_scenario(verdict, pcap="open-ipv4.pcap"))
    claims = judge_scenario_claims(record, verdict)       # a note's lines, each judged
    claims += judge_edges(note_edges, runs, family="IPv4")  # a state machine's arrows
    assert_verdict(verdict)                               # in a test: the same table on failure

No kernel access: the timeline comes from `lab.stepping` (the stepper), or is
built by hand in tests.
"""

from lab._errors import SpecError
from lab.tcp._actions import Arguments, SocketOption
from lab.tcp._assertions import assert_verdict, mismatch_message
from lab.tcp._claims import (
    VERDICTS,
    ClaimKind,
    ClaimVerdict,
    Verdict,
    claims_ok,
    count_claims,
    judge_flags,
    judge_orders,
    judge_scenario_claims,
    line_verdicts,
    worst,
)
from lab.tcp._coverage import Coverage, CoverageRow, CoverageStatus, coverage
from lab.tcp._edge_claims import EdgeClaim, LabelPart, PartKind, judge_edges
from lab.tcp._names import Role, TcpFlag, TcpState, UnknownNameError
from lab.tcp._observed import Observation, ObservedAction, ObservedSegment, StateSnapshot
from lab.tcp._record import RunRecord
from lab.tcp._report import (
    render_header,
    render_scenario,
    render_scenario_list,
    render_summary,
    to_json,
)
from lab.tcp._settings import TCP_SETTINGS, TcpSetting, TcpSettings
from lab.tcp._spec import ROLES, Action, DocumentedSegment, FlagDoc, Scenario, Spec, Timer
from lab.tcp._spec_load import load_spec, loads_spec, spec_from_dict
from lab.tcp._verdict import ActionStep, ScenarioVerdict, StepVerdict, TimerVerdict, judge

__all__ = [
    "ROLES",
    "TCP_SETTINGS",
    "VERDICTS",
    "Action",
    "ActionStep",
    "Arguments",
    "ClaimKind",
    "ClaimVerdict",
    "Coverage",
    "CoverageRow",
    "CoverageStatus",
    "DocumentedSegment",
    "EdgeClaim",
    "FlagDoc",
    "LabelPart",
    "Observation",
    "ObservedAction",
    "ObservedSegment",
    "PartKind",
    "Role",
    "RunRecord",
    "Scenario",
    "ScenarioVerdict",
    "SocketOption",
    "Spec",
    "SpecError",
    "StateSnapshot",
    "StepVerdict",
    "TcpFlag",
    "TcpSetting",
    "TcpSettings",
    "TcpState",
    "Timer",
    "TimerVerdict",
    "UnknownNameError",
    "Verdict",
    "assert_verdict",
    "claims_ok",
    "count_claims",
    "coverage",
    "judge",
    "judge_edges",
    "judge_flags",
    "judge_orders",
    "judge_scenario_claims",
    "line_verdicts",
    "load_spec",
    "loads_spec",
    "mismatch_message",
    "render_header",
    "render_scenario",
    "render_scenario_list",
    "render_summary",
    "spec_from_dict",
    "to_json",
    "worst",
]
