"""Human escalation: acknowledge the ticket, brief the reviewer, and wait for their decision.

This node only computes: it re-runs from its start when the run resumes, so every side effect (the
write-back, the store) happens in later nodes. With a checkpointer it pauses with `interrupt()`; the
reviewer resumes with `Command(resume={"decision": "approve" | "edit" | "reassign" | "take_over", ...})`.
Without one (the batch CLI) it cannot pause, so it goes straight to writing the acknowledgement.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from graph.context import Context
from graph.state import CATEGORY_AGENT, HelpdeskState
from nodes.timing import timed
from tools.screening import FINDING_GROUPS, redact

ACKS_FILE = Path(__file__).resolve().parent.parent / "data" / "acknowledgements.json"
DECISIONS = ("approve", "edit", "reassign", "take_over")
SPECIALIST_NODES = {"network": "jon", "software_cloud": "june", "hardware": "maya"}


@lru_cache(maxsize=1)
def _acks() -> dict[str, Any]:
    return json.loads(ACKS_FILE.read_text(encoding="utf-8"))


def acknowledgement(ticket_id: str, codes: list[str], language: str) -> str:
    """The customer-visible "received; needs human review because ..." in the ticket's language."""
    acks = _acks()
    lang = acks.get(language) or acks["en"]
    phrases = list(dict.fromkeys(lang["reasons"].get(code, lang["reasons"]["low_confidence"]) for code in codes))
    because = "; ".join(phrases) or lang["reasons"]["low_confidence"]
    return lang["template"].format(ticket_id=ticket_id, because=because)


def internal_note(state: HelpdeskState) -> str:
    """The reviewer's briefing: reasons, Lola's decision, the specialist's draft, what screening found."""
    escalation = state.get("escalation", {})
    routing = state.get("routing", {})
    screening = state.get("screening", {})
    specialist = state.get("specialist") or {}
    lines = ["Needs human review.", "Reasons:"]
    lines += [f"- {r}" for r in escalation.get("reasons", [])]
    if routing:
        lines.append(
            f"Lola: {routing.get('category')} ({routing.get('confidence', 0):.2f}, threshold "
            f"{routing.get('threshold', 0):.2f}, {routing.get('model')}); runner-up {routing.get('runner_up')}."
        )
    if specialist:
        lines.append(f"{specialist.get('agent')}: {specialist.get('outcome')} ({specialist.get('why', '')}).")
        if specialist.get("resolution"):
            lines += ["Draft note:", specialist["resolution"]]
    found = [f"{len(screening.get(k, []))} {k}" for k in FINDING_GROUPS if screening.get(k)]
    if found:
        lines.append("Screening found: " + ", ".join(found) + " (values never shown).")
    lines.append(f"Language: {screening.get('language', 'unknown')}.")
    return redact("\n".join(lines))


@timed("human_escalation")
def human_escalation(
    state: HelpdeskState, runtime: Runtime[Context]
) -> Command[Literal["jon", "june", "maya", "plan_writeback"]]:
    """Pause for the reviewer (when the run can be resumed), then follow their decision."""
    ctx = runtime.context or Context()
    ticket = state["ticket"]
    escalation = dict(state.get("escalation", {}))
    escalation["acknowledgement"] = acknowledgement(
        ticket["id"], escalation.get("codes", []), state.get("screening", {}).get("language", "en")
    )
    escalation["internal_note"] = internal_note({**state, "escalation": escalation})
    can_pause = ctx.review_with_interrupt and runtime.execution_info.thread_id is not None
    if not can_pause:
        return Command(goto="plan_writeback", update={"escalation": escalation})

    answer = interrupt(
        {
            "ticket_id": ticket["id"],
            "source": ticket["source"],
            "reasons": escalation.get("reasons", []),
            "acknowledgement": escalation["acknowledgement"],
            "internal_note": escalation["internal_note"],
            "draft_note": (state.get("specialist") or {}).get("resolution"),
            "routing": state.get("routing"),
            "decisions": list(DECISIONS),
        }
    )
    decision = normalise_decision(answer)
    escalation["decision"] = decision
    message = {"agent": "reviewer", "node": "human_escalation", "content": _describe(decision)}
    update: dict[str, Any] = {"escalation": escalation, "messages": [message]}
    if decision["decision"] == "reassign":
        category = decision["category"]
        routing = {
            **state.get("routing", {}),
            "category": category,
            "confidence": 1.0,
            "reason": f"reassigned by reviewer {decision.get('reviewer') or ''}".strip(),
        }
        update |= {"routing": routing, "route_history": [*state.get("route_history", []), category]}
        return Command(goto=SPECIALIST_NODES[category], update=update)  # type: ignore[arg-type]
    return Command(goto="plan_writeback", update=update)


def normalise_decision(answer: Any) -> dict[str, Any]:
    """Accept a decision string or dict; anything unusable becomes "take_over" so a person keeps it."""
    if isinstance(answer, str):
        answer = {"decision": answer}
    if not isinstance(answer, dict) or answer.get("decision") not in DECISIONS:
        return {"decision": "take_over", "note": f"unrecognised review decision: {str(answer)[:200]}"}
    decision = dict(answer)
    if decision["decision"] == "edit" and not str(decision.get("note") or "").strip():
        return {**decision, "decision": "take_over", "note": "edit without a note"}
    if decision["decision"] == "reassign" and decision.get("category") not in CATEGORY_AGENT:
        return {
            **decision,
            "decision": "take_over",
            "note": f"reassign to unknown category {decision.get('category')}",
        }
    return decision


def _describe(decision: dict[str, Any]) -> str:
    who = decision.get("reviewer") or "reviewer"
    extra = decision.get("category") or decision.get("note") or ""
    return redact(f"{who}: {decision['decision']} {extra}".strip())
