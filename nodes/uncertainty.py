"""The uncertainty node: gather every reason a person must look, and decide where the ticket goes.

It never guesses. Low router confidence, out-of-scope, a specialist's hand-back (after one re-route),
a ticket its specialist owns but has no runbook for, low specialist confidence, missing information,
prompt injection, a reported security incident, an unsupported language or an empty ticket each
become a stated reason; any reason means human escalation.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import CATEGORY_AGENT, HelpdeskState
from nodes.specialists.shape import runbook_threshold
from nodes.timing import timed

MAX_ROUTES = 2
"""Lola routes at most twice: the first decision and one re-route after a hand-back."""


@timed("uncertainty")
def uncertainty(state: HelpdeskState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Record the escalation reasons (none when the ticket may be written back or re-routed)."""
    ctx = runtime.context or Context()
    found = escalation_reasons(state, ctx)
    specialist = _current_specialist(state) or {}
    handed_back = _hand_back_reason(specialist)
    if handed_back and specialist.get("check") == "unfit_with_details":
        # The ticket is this specialist's (no domain check fired); it lacks a runbook, not an owner.
        # Re-routing would hand it to a domain that is not the ticket's: a person of this team takes it.
        found.append(("no_runbook", _no_runbook_reason(specialist)))
        handed_back = None
    if handed_back and not found and len(state.get("route_history", [])) < MAX_ROUTES:
        content = f"{handed_back}; Lola re-routes once"
    else:
        if handed_back:
            found.append(("handed_back", handed_back))
        content = "escalate: " + "; ".join(t for _, t in found) if found else "confident: write back"
    return {
        "escalated": bool(found),
        "escalation": {
            **state.get("escalation", {}),
            "codes": [code for code, _ in found],
            "reasons": [text for _, text in found],
        },
        "messages": [{"agent": "system", "node": "uncertainty", "content": content}],
    }


def escalation_reasons(state: HelpdeskState, ctx: Context) -> list[tuple[str, str]]:
    """Every signal, other than a hand-back, that the ticket needs a person: (code, reason)."""
    reasons: list[tuple[str, str]] = []
    screening = state.get("screening", {})
    routing = state.get("routing", {})
    category = routing.get("category")
    if (state.get("escalation") or {}).get("decision"):
        # A reviewer already decided (a reassignment): only the new specialist's own result counts.
        return _specialist_reasons(state, ctx)
    if "empty ticket" in " ".join(screening.get("warnings", [])):
        reasons.append(("empty", "the ticket has no text to act on"))
    if not screening.get("supported_language", True):
        reasons.append(
            (
                "unsupported_language",
                f"language '{screening.get('language', 'unknown')}' is not one the agents write in",
            )
        )
    if screening.get("injection"):
        kinds = sorted({f["kind"] for f in screening["injection"]})
        reasons.append(("injection", f"the ticket text contains instructions aimed at the system ({', '.join(kinds)})"))
    if screening.get("security"):
        kinds = sorted({f["kind"] for f in screening["security"]})
        reasons.append(
            (
                "security_incident",
                f"the ticket reports a possible security incident ({', '.join(kinds)}): the security team "
                "must see it before any self-help advice",
            )
        )
    if earlier := _earlier_hand_back(state):
        reasons.append(("handed_back", earlier))
    if category == "out_of_scope":
        reasons.append(("out_of_scope", f"out of scope for IT support automation ({routing.get('reason', '')})"))
    elif routing and routing.get("confidence", 0.0) < routing.get("threshold", 1.0):
        reasons.append(
            (
                "low_confidence",
                f"routing confidence {routing.get('confidence', 0.0):.2f} is below the auto-route threshold "
                f"{routing.get('threshold', 0.0):.2f} ({routing.get('reason', '')})",
            )
        )
    return reasons + _specialist_reasons(state, ctx)


def _specialist_reasons(state: HelpdeskState, ctx: Context) -> list[tuple[str, str]]:
    reasons: list[tuple[str, str]] = []
    specialist = _current_specialist(state)
    if specialist and not specialist.get("handed_back"):
        agent = specialist.get("agent", "specialist")
        if specialist.get("outcome") == "ask":
            # With `ask_requester` a validated question goes to the requester instead of a reviewer.
            if not (ctx.ask_requester and specialist.get("resolution")):
                missing = ", ".join(specialist.get("needs_info", [])) or "details"
                reasons.append(("missing_info", f"information is missing ({missing}); {agent} drafted the questions"))
        elif specialist.get("confidence", 0.0) < runbook_threshold(ctx):
            confidence = specialist.get("confidence", 0.0)
            reasons.append(("weak_match", f"{agent}'s best runbook fits weakly (probability {confidence:.2f})"))
    return reasons


def route_from_uncertainty(
    state: HelpdeskState,
) -> Literal["coordinator", "human_escalation", "plan_writeback"]:
    """Escalate on any reason; a hand-back with no other reason returns to Lola; otherwise write back."""
    if state.get("escalated"):
        return "human_escalation"
    if _hand_back_reason(_current_specialist(state)):
        return "coordinator"
    return "plan_writeback"


def _current_specialist(state: HelpdeskState) -> dict[str, Any] | None:
    """The specialist result that belongs to the current routing decision (not a stale one)."""
    specialist = state.get("specialist") or {}
    category = (state.get("routing") or {}).get("category", "")
    return specialist if specialist and specialist.get("agent") == CATEGORY_AGENT.get(category) else None


def _earlier_hand_back(state: HelpdeskState) -> str | None:
    """The hand-back that led to this re-route, when the new route never reached its specialist: the
    reviewer should read why the first specialist declined, not only the re-route's low confidence."""
    specialist = state.get("specialist") or {}
    if specialist.get("handed_back") and _current_specialist(state) is None and len(state.get("route_history", [])) > 1:
        return f"{specialist.get('agent')} handed the ticket back: {specialist.get('why', '')}"
    return None


def _no_runbook_reason(specialist: dict[str, Any]) -> str:
    """Why a person of the specialist's own team takes the ticket, said for that person."""
    agent = specialist.get("agent", "the specialist")
    return (
        f"the ticket is {agent}'s and gives its details, but no runbook fits it (best fit probability "
        f"{float(specialist.get('confidence', 0.0)):.2f}): a person of {agent}'s team takes it"
    )


def _hand_back_reason(specialist: dict[str, Any] | None) -> str | None:
    """Why the current route's specialist handed the ticket back, or None when it did not."""
    if specialist and specialist.get("handed_back"):
        return f"{specialist.get('agent')} handed the ticket back: {specialist.get('why', '')}"
    return None
