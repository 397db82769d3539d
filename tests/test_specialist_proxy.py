"""The written-corpus proxy for the specialists' checks: routing from held-out probabilities, outcomes by kind."""

from __future__ import annotations

from evals.specialist_proxy import shown, specialist_decisions, specialist_outcomes
from tools.store.metrics import outcome_tag

EXPENSE_APP = "Die Reisekosten-App bleibt beim Hochladen der Belege hängen, Fehler 500."


def probabilities(routed: str, confidence: float, out_of_scope: float) -> dict[str, float]:
    rest = (1.0 - confidence - out_of_scope) / 2
    p = {c: rest for c in ("network", "software_cloud", "hardware") if c != routed}
    return {**p, routed: confidence, "out_of_scope": out_of_scope}


ROWS = [
    {"id": "a", "label": "software_cloud", "subject": "Reisekosten-App hängt", "description": EXPENSE_APP},
    {"id": "b", "label": "out_of_scope", "subject": "Laptop order", "description": "Please order a laptop for Ana."},
    {"id": "c", "label": "network", "subject": "VPN", "description": "The VPN drops every hour since Monday."},
]
PROBABILITIES = {
    "a": probabilities("software_cloud", 0.99, 0.0),
    "b": probabilities("hardware", 0.95, 0.02),
    "c": probabilities("network", 0.60, 0.01),  # under the threshold: never reaches a specialist
}


def test_only_confident_routes_reach_a_specialist_and_are_counted_by_kind() -> None:
    result = specialist_outcomes(ROWS, PROBABILITIES, threshold=0.855)
    assert result["own"]["routed"] == 1 and result["out_of_scope"]["routed"] == 1
    assert result["wrong_specialist"] == {}


def test_the_router_floor_can_be_switched_off_to_compare() -> None:
    with_floor = specialist_outcomes(ROWS[:1], PROBABILITIES, threshold=0.855)["own"]
    without = specialist_outcomes(ROWS[:1], PROBABILITIES, threshold=0.855, router_floor=False)["own"]
    assert "hand_back:non_it_mixed" not in with_floor
    assert without.get("hand_back:non_it_mixed") == 1


def test_outcomes_are_counted_by_the_rule_that_gave_them() -> None:
    result = specialist_outcomes(ROWS[:1], PROBABILITIES, threshold=0.855, router_floor=False)["own"]
    assert result["hand_back"] == 1 and result["hand_back:non_it_mixed"] == 1
    assert outcome_tag("ask", "weak_fit") == "ask:weak_fit"
    assert outcome_tag("resolve", None) == "resolve:unknown"  # a run recorded before rules were


def test_the_tickets_behind_a_count_can_be_listed_by_kind_outcome_and_rule() -> None:
    decisions = list(specialist_decisions(ROWS, PROBABILITIES, threshold=0.855, router_floor=False))
    assert [(d.ticket_id, d.kind, d.routed) for d in decisions] == [
        ("a", "own", "software_cloud"),
        ("b", "out_of_scope", "hardware"),
    ]
    mixed = decisions[0]
    assert shown(mixed, "own") and shown(mixed, "own:hand_back") and shown(mixed, "own:hand_back:non_it_mixed")
    assert not shown(mixed, "own:resolve") and not shown(mixed, "out_of_scope")
    assert mixed.why.startswith("domain check failed")
