"""Human review over the API: what waits for a person, and handing their decision back to the run.

A paused ticket is a thread in status `interrupted` whose pending interrupt carries the briefing that
`nodes.human_escalation` prepared. The decision resumes it with `Command(resume=...)`: approve and edit
lead to the write-back, reassign re-enters a specialist, take over writes the hand-over note.
"""

from __future__ import annotations

from typing import Any

from langgraph_sdk.client import LangGraphClient

from graph.server.runs import GRAPH_ID
from graph.state import CATEGORY_AGENT
from nodes.human_escalation import DECISIONS

MAX_LISTED = 100


class DecisionError(ValueError):
    """A decision the run could not act on (answered with 422 instead of silently taking over)."""


def check_decision(body: Any) -> dict[str, Any]:
    """The resume value: `decision`, plus `note` for edit and `category` for reassign; `reviewer` optional."""
    if not isinstance(body, dict):
        raise DecisionError("the body must be a JSON object with a 'decision'")
    decision = body.get("decision")
    if decision not in DECISIONS:
        raise DecisionError(f"decision must be one of {', '.join(DECISIONS)}")
    if decision == "edit" and not str(body.get("note") or "").strip():
        raise DecisionError("edit needs a non-empty 'note'")
    if decision == "reassign" and body.get("category") not in CATEGORY_AGENT:
        raise DecisionError(f"reassign needs 'category' in {', '.join(CATEGORY_AGENT)}")
    keep = ("decision", "note", "category", "reviewer")
    return {k: str(body[k]) for k in keep if body.get(k) is not None}


def review_item(thread: dict[str, Any]) -> dict[str, Any] | None:
    """One waiting ticket as a reviewer sees it; None when the thread holds no review interrupt."""
    for interrupts in (thread.get("interrupts") or {}).values():
        for pending in interrupts or []:
            value = pending.get("value") if isinstance(pending, dict) else None
            if isinstance(value, dict) and "decisions" in value:
                routing = value.get("routing") or {}
                return {
                    "thread_id": thread["thread_id"],
                    "ticket_key": (thread.get("metadata") or {}).get("ticket_key"),
                    "ticket_id": value.get("ticket_id"),
                    "source": value.get("source"),
                    "reasons": value.get("reasons") or [],
                    "draft_note": value.get("draft_note"),
                    "internal_note": value.get("internal_note"),
                    "acknowledgement": value.get("acknowledgement"),
                    "routing": {k: routing.get(k) for k in ("category", "confidence", "reason") if k in routing},
                    "decisions": value.get("decisions") or [],
                    "waiting_since": thread.get("updated_at"),
                }
    return None


async def pending_reviews(client: LangGraphClient, limit: int = MAX_LISTED) -> list[dict[str, Any]]:
    """Every thread paused for a person, oldest first."""
    threads = await client.threads.search(
        status="interrupted", limit=min(max(limit, 1), MAX_LISTED), sort_by="updated_at", sort_order="asc"
    )
    return [item for thread in threads if (item := review_item(thread)) is not None]


async def resume(client: LangGraphClient, thread_id: str, decision: dict[str, Any]) -> dict[str, Any]:
    """Resume the paused run with the decision and wait for the outcome.

    `status` is `done` (with the triage record in `result`), `waiting_for_review` when the run paused
    again (a reassigned specialist can escalate too; `review` holds the new briefing) or `error`.
    """
    values = await client.runs.wait(thread_id, GRAPH_ID, command={"resume": decision}, raise_error=False)
    values = values if isinstance(values, dict) else {}
    outcome: dict[str, Any] = {"thread_id": thread_id, "decision": decision, "result": values.get("result")}
    if values.get("__error__"):
        return {**outcome, "status": "error", "error": values["__error__"]}
    if values.get("__interrupt__"):
        briefing = review_item({"thread_id": thread_id, "interrupts": {"pending": values["__interrupt__"]}})
        return {**outcome, "status": "waiting_for_review", "review": briefing}
    return {**outcome, "status": "done"}
