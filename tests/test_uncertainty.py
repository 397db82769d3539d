"""The uncertainty node's reasons and the routing functions around it, on hand-built states."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from graph.context import Context
from nodes.coordinator import route_from_coordinator
from nodes.uncertainty import escalation_reasons, route_from_uncertainty, uncertainty

CTX = Context(specialist_min_confidence=0.35)


def state(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ticket": {"id": "T1", "source": "jira"},
        "screening": {"language": "en", "supported_language": True, "injection": [], "warnings": []},
        "routing": {"category": "network", "confidence": 0.9, "threshold": 0.6, "reason": "vpn"},
        "route_history": ["network"],
        "specialist": {"agent": "Jon", "outcome": "resolve", "confidence": 0.8, "handed_back": False},
    }
    base.update(overrides)
    return base


def codes(s: dict[str, Any]) -> list[str]:
    return [code for code, _ in escalation_reasons(s, CTX)]


def test_confident_resolution_has_no_reason_and_writes_back() -> None:
    s = state()
    assert codes(s) == []
    assert route_from_uncertainty({**s, "escalated": False}) == "plan_writeback"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"routing": {"category": "out_of_scope", "confidence": 0.99, "threshold": 0.6}}, "out_of_scope"),
        ({"routing": {"category": "network", "confidence": 0.4, "threshold": 0.6}}, "low_confidence"),
        (
            {"specialist": {"agent": "Jon", "outcome": "ask", "needs_info": ["OS"], "confidence": 0.7}},
            "missing_info",
        ),
        ({"specialist": {"agent": "Jon", "outcome": "resolve", "confidence": 0.1}}, "weak_match"),
        (
            {"screening": {"supported_language": False, "language": "it", "injection": [], "warnings": []}},
            "unsupported_language",
        ),
        (
            {
                "screening": {
                    "supported_language": True,
                    "injection": [{"kind": "role_hijack", "start": 0, "end": 3}],
                    "warnings": [],
                }
            },
            "injection",
        ),
        (
            {
                "screening": {
                    "supported_language": True,
                    "injection": [],
                    "warnings": ["empty ticket: no words"],
                }
            },
            "empty",
        ),
        (
            {
                "screening": {
                    "supported_language": True,
                    "injection": [],
                    "security": [{"kind": "phishing", "start": 0, "end": 8}],
                    "warnings": [],
                }
            },
            "security_incident",
        ),
    ],
)
def test_each_signal_is_a_reason(overrides: dict[str, Any], expected: str) -> None:
    assert expected in codes(state(**overrides))


def test_stale_specialist_result_does_not_count_for_a_new_route() -> None:
    s = state(routing={"category": "hardware", "confidence": 0.9, "threshold": 0.6})
    assert codes(s) == []


def test_a_re_route_that_escalates_still_names_the_hand_back() -> None:
    declined = {"agent": "June", "outcome": "hand_back", "handed_back": True, "why": "network matches better"}
    s = state(
        routing={"category": "network", "confidence": 0.01, "threshold": 0.6, "reason": "re-routed"},
        route_history=["software_cloud", "network"],
        specialist=declined,
    )
    reasons = escalation_reasons(s, CTX)
    assert [code for code, _ in reasons] == ["handed_back", "low_confidence"]
    assert "June handed the ticket back: network matches better" in reasons[0][1]


def test_hand_back_returns_to_lola_when_nothing_else_is_wrong() -> None:
    s = state(specialist={"agent": "Jon", "outcome": "hand_back", "handed_back": True, "confidence": 0.1})
    assert route_from_uncertainty({**s, "escalated": False}) == "coordinator"
    assert route_from_uncertainty({**s, "escalated": True}) == "human_escalation"


@pytest.mark.parametrize(("check", "escalated"), [("unfit_with_details", True), ("other_domain", False)])
def test_a_ticket_its_specialist_owns_but_has_no_runbook_for_goes_to_a_person(check: str, escalated: bool) -> None:
    """A hand-back for want of a runbook is escalated (`no_runbook`); one because the ticket belongs to
    another domain still returns to Lola for her one re-route."""
    declined = {"agent": "Jon", "outcome": "hand_back", "handed_back": True, "confidence": 0.2, "check": check}
    out = uncertainty(state(specialist=declined), SimpleNamespace(context=CTX))
    assert out["escalated"] is escalated
    assert ("no_runbook" in out["escalation"]["codes"]) is escalated
    if escalated:
        assert out["escalation"]["reasons"] == [
            "the ticket is Jon's and gives its details, but no runbook fits it (best fit probability 0.20): "
            "a person of Jon's team takes it"
        ]
    assert route_from_uncertainty({**state(specialist=declined), **out}) == (
        "human_escalation" if escalated else "coordinator"
    )


@pytest.mark.parametrize(
    ("routing", "expected"),
    [
        ({"category": "network", "confidence": 0.9, "threshold": 0.6}, "jon"),
        ({"category": "software_cloud", "confidence": 0.9, "threshold": 0.6}, "june"),
        ({"category": "hardware", "confidence": 0.61, "threshold": 0.6}, "maya"),
        ({"category": "hardware", "confidence": 0.59, "threshold": 0.6}, "uncertainty"),
        ({"category": "out_of_scope", "confidence": 0.99, "threshold": 0.6}, "uncertainty"),
    ],
)
def test_coordinator_edges(routing: dict[str, Any], expected: str) -> None:
    assert route_from_coordinator({"routing": routing}) == expected


def test_a_question_goes_to_the_requester_only_when_asked_for_and_drafted() -> None:
    asking = {"agent": "Jon", "outcome": "ask", "needs_info": ["host"], "confidence": 0.5, "resolution": "Which?"}
    direct = Context(ask_requester=True)
    assert [c for c, _ in escalation_reasons(state(specialist=asking), direct)] == []
    assert "missing_info" in codes(state(specialist=asking))  # the default: a reviewer sees it first
    undrafted = {**asking, "resolution": None}  # the question failed validation
    assert "missing_info" in [c for c, _ in escalation_reasons(state(specialist=undrafted), direct)]
