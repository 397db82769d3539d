"""Write-back: plan what to write (pure), then one tool node per ITSM performs it.

`plan_writeback` decides the writes from the outcome (a specialist's resolution, an escalation, a
reviewer's decision); the tool nodes hand them to `tools.itsm.execute_writeback`, which validates,
marks, writes exactly once, reads back and audits. Planning never touches the network.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from langgraph.runtime import Runtime

from graph.context import Context
from graph.recording import audit_to_store
from graph.state import HelpdeskState
from nodes.timing import timed
from tools.itsm import PlannedWrite, execute_writeback

WRITEBACK_NODES = {
    "servicenow": "servicenow_writeback",
    "jira": "jira_writeback",
    "freshservice": "freshservice_writeback",
}


@timed("plan_writeback")
def plan_writeback(state: HelpdeskState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Turn the outcome into planned writes: the internal note first, then replies and status."""
    ctx = runtime.context or Context()
    writes = planned_writes(state, ctx)
    summary = "; ".join(f"{w.action}{'=' + w.status if w.status else ''}" for w in writes)
    return {
        "planned_writes": [w.__dict__ for w in writes],
        "messages": [{"agent": "system", "node": "plan_writeback", "content": f"planned: {summary}"}],
    }


def planned_writes(state: HelpdeskState, ctx: Context) -> list[PlannedWrite]:
    """What to write for this outcome. The internal note always comes first (the main write)."""
    escalation = state.get("escalation") or {}
    specialist = state.get("specialist") or {}
    decision = escalation.get("decision") or {}
    kind = decision.get("decision")
    if not state.get("escalated") and specialist.get("outcome") == "ask":
        question = specialist.get("resolution")
        note = f"{specialist.get('agent')} asked the requester for: {', '.join(specialist.get('needs_info', []))}."
        return [
            PlannedWrite("internal_note", body=f"{note}\n{question}"),
            PlannedWrite("public_reply", body=question),
            PlannedWrite("set_status", status="pending_info"),
        ]
    if not state.get("escalated") or (kind in {"approve", "edit"} and specialist.get("resolution")):
        body = decision.get("note") if kind == "edit" else specialist.get("resolution")
        writes = [PlannedWrite("internal_note", body=body), PlannedWrite("set_status", status="in_progress")]
        if ctx.customer_visible_ack:
            writes.append(PlannedWrite("public_reply", body=body))
        return writes
    if kind == "edit":
        return [
            PlannedWrite("internal_note", body=decision["note"]),
            PlannedWrite("set_status", status="in_progress"),
        ]
    if kind == "take_over":
        who = decision.get("reviewer") or "a reviewer"
        note = f"Taken over by {who}. {decision.get('note') or ''}".strip()
        return [PlannedWrite("internal_note", body=note), PlannedWrite("set_status", status="in_progress")]
    note = escalation.get("internal_note", "Needs human review.")
    ack = escalation.get("acknowledgement", "")
    if kind == "approve":
        note = f"Escalation approved by {decision.get('reviewer') or 'a reviewer'}.\n{note}"
    if ctx.customer_visible_ack:
        return [PlannedWrite("internal_note", body=note), PlannedWrite("public_reply", body=ack)]
    return [PlannedWrite("internal_note", body=f"{note}\nAcknowledgement prepared for the requester:\n{ack}")]


def route_to_itsm(
    state: HelpdeskState,
) -> Literal["servicenow_writeback", "jira_writeback", "freshservice_writeback"]:
    """The ticket's source picks the ITSM tool node."""
    return WRITEBACK_NODES[state["ticket"]["source"]]  # type: ignore[return-value]


def _writeback_node(system: str) -> Callable[[HelpdeskState, Runtime[Context]], dict[str, Any]]:
    """One tool node per ITSM, so the graph shows where each platform is written."""

    @timed(f"{system}_writeback")
    def node(state: HelpdeskState, runtime: Runtime[Context]) -> dict[str, Any]:
        ctx = runtime.context or Context()
        writes = [PlannedWrite(**w) for w in state.get("planned_writes", [])]
        agent = (state.get("specialist") or {}).get("agent") if not state.get("escalated") else "human"
        with audit_to_store(ctx):
            result = execute_writeback(
                state["ticket"],
                writes,
                agent=agent or "human",
                mode=ctx.writeback_mode,
                ticket_text=state.get("screening", {}).get("text", ""),
                run_id=runtime.execution_info.run_id,
            )
        content = f"{system} {result.get('field')}: {result.get('status')}" + (
            f" ({result['error']})" if result.get("error") else ""
        )
        return {
            "writeback": result,
            "messages": [{"agent": "system", "node": node.__name__, "content": content}],
        }

    node.__name__ = f"{system}_writeback"
    return node


servicenow_writeback = _writeback_node("servicenow")
jira_writeback = _writeback_node("jira")
freshservice_writeback = _writeback_node("freshservice")
