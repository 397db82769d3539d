"""Finalize: every run ends here with one terminal record, whatever happened before."""

from __future__ import annotations

import uuid
from typing import Any

from langgraph.runtime import Runtime

from graph.context import Context
from graph.recording import record_run
from graph.state import CATEGORY_AGENT, HelpdeskState
from nodes.timing import timed


@timed("finalize")
def finalize(state: HelpdeskState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Build the `helpdesk triage` record (the contract other tools read) and keep the run in the store."""
    ctx = runtime.context or Context()
    result = triage_record(state)
    message = {"agent": "system", "node": "finalize", "content": _summary(result)}
    info = runtime.execution_info
    final = {**state, "result": result, "messages": [*state.get("messages", []), message]}
    problem = record_run(final, ctx, run_id=str(info.run_id or uuid.uuid4()), thread_id=info.thread_id)
    if problem:
        result["warnings"] = [problem]
    return {"result": result, "messages": [message]}


def triage_record(state: HelpdeskState) -> dict[str, Any]:
    """The terminal record: id, category, route, agent, confidence, escalated, reasons, resolution, writeback.

    `category` is the run's final reading: Lola's, or out_of_scope where screening reported a security
    incident (the label policy); `router` keeps the model's first reading either way.
    """
    ticket = state.get("ticket") or {}
    if state.get("error"):
        return error_record(ticket, state["error"])
    routing = state.get("routing") or {}
    specialist = state.get("specialist") or {}
    escalation = state.get("escalation") or {}
    writeback = state.get("writeback") or {}
    escalated = bool(state.get("escalated"))
    decision = (escalation.get("decision") or {}).get("decision")
    if escalated and decision != "reassign" and specialist.get("outcome") != "resolve":
        # A hand-back re-route that no specialist confirmed does not overwrite Lola's first reading.
        routing = state.get("initial_routing") or routing
    category = routing.get("category", "out_of_scope")
    if escalated and decision != "reassign" and "security_incident" in escalation.get("codes", []):
        category = "out_of_scope"  # the label policy: a security incident is the security team's, not IT support's
    resolution = specialist.get("resolution") if specialist.get("outcome") == "resolve" else None
    if escalated and decision not in {"approve", "edit"}:
        resolution = None
    elif decision == "edit":
        resolution = escalation["decision"].get("note")
    reasons = (
        escalation.get("reasons", []) if escalated else [r for r in (routing.get("reason"), specialist.get("why")) if r]
    )
    flagged = [a for a in writeback.get("actions", []) if a.get("status") == "flagged"]
    return {
        "id": ticket.get("id"),
        "source": ticket.get("source"),
        "category": category,
        "route": "human" if escalated else category,
        "agent": "human" if escalated else CATEGORY_AGENT.get(category, "human"),
        "confidence": routing.get("confidence", 0.0),
        "escalated": escalated,
        "reasons": reasons,
        "resolution": resolution,
        "writeback": {k: writeback.get(k) for k in ("system", "field", "body", "status")}
        | {k: writeback[k] for k in ("attempts", "marker", "marker_count", "error", "actions") if k in writeback},
        "language": (state.get("screening") or {}).get("language"),
        "outcome": specialist.get("outcome"),
        "outcome_rule": specialist.get("check"),  # the specialist's rule behind the outcome (`shape.Check`)
        "article_id": specialist.get("article_id"),
        "escalation_codes": escalation.get("codes", []) if escalated else [],
        "review_decision": decision,
        "needs_review": escalated or bool(flagged),
        "router": {
            k: (state.get("initial_routing") or routing).get(k) for k in ("category", "confidence", "threshold")
        },
        "model": routing.get("model"),
        "llm_calls": routing.get("llm_calls", 0),
    }


def error_record(ticket: Any, error: str) -> dict[str, Any]:
    """The terminal record of a ticket that could not be handled: a person must take it."""
    raw_id = ticket.get("id") if isinstance(ticket, dict) else None
    return {
        "id": str(raw_id) if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else None,
        "error": error,
        "category": "out_of_scope",
        "route": "human",
        "agent": "human",
        "confidence": 0.0,
        "escalated": True,
        "reasons": [error],
        "resolution": None,
        "writeback": None,
        "needs_review": True,
    }


def _summary(result: dict[str, Any]) -> str:
    if result.get("error"):
        return f"ended with error: {result['error']}"
    wb = result.get("writeback") or {}
    return f"route {result['route']} ({result['agent']}), write-back {wb.get('field')}: {wb.get('status')}"
