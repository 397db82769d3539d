"""Coordinator "Lola": classify the ticket with a calibrated confidence and a stated reason.

She does not resolve tickets. The embedded router decides first; when it is unsure and an LLM is
configured, the LLM is asked (the cascade); anything still unsure goes to the uncertainty node.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import CATEGORY_AGENT, HelpdeskState, RoutingDecision
from nodes.timing import timed
from tools.router import load_router
from tools.screening import find_injection

IN_SCOPE = tuple(CATEGORY_AGENT)


@timed("coordinator")
def coordinator(state: HelpdeskState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Produce the `RoutingDecision`; after a hand-back, choose among the categories not yet tried."""
    ctx = runtime.context or Context()
    screening = state.get("screening", {})
    text = screening.get("text", "")
    tried = list(state.get("route_history", []))
    router = load_router()
    threshold = (
        ctx.confidence_threshold if ctx.confidence_threshold is not None else router.threshold_for(ctx.risk_target)
    )
    prediction = router.predict(text, screening.get("language"))
    probabilities = {c: p for c, p in prediction.probabilities.items() if c not in tried}
    category = max(probabilities, key=probabilities.__getitem__) if probabilities else "out_of_scope"
    confidence = probabilities.get(category, 0.0)
    evidence = safe_evidence(prediction.evidence, text)
    reason = _reason(category, confidence, evidence, tried)
    decision: RoutingDecision = {
        "category": category,  # type: ignore[typeddict-item]
        "confidence": round(float(confidence), 4),
        "reason": reason,
        "evidence": evidence,
        "model": prediction.model,
        "model_version": prediction.model_version,
        "runner_up": prediction.runner_up,
        "out_of_scope_probability": round(float(prediction.probabilities.get("out_of_scope", 0.0)), 4),
        "threshold": round(float(threshold), 4),
        "llm_calls": 0,
    }
    update: dict[str, Any] = {}
    if confidence < threshold and ctx.model != "local" and not tried:
        decision, usage = _ask_llm(decision, text, screening.get("language"), ctx, threshold)
        if usage:
            update["_usage"] = usage
    if not tried:
        update["initial_routing"] = decision
    return {
        **update,
        "routing": decision,
        "route_history": [*tried, decision["category"]],
        "messages": [{"agent": "Lola", "node": "coordinator", "content": decision["reason"]}],
    }


def route_from_coordinator(state: HelpdeskState) -> Literal["jon", "june", "maya", "uncertainty"]:
    """Confident, in-scope decisions go to their specialist; everything else to the uncertainty node."""
    routing = state["routing"]
    if routing["category"] not in IN_SCOPE or routing["confidence"] < routing["threshold"]:
        return "uncertainty"
    return {"network": "jon", "software_cloud": "june", "hardware": "maya"}[routing["category"]]  # type: ignore[return-value]


def safe_evidence(words: list[str], text: str) -> list[str]:
    """Evidence that is safe to repeat in notes: no words from injected instructions, no ID-like tokens.

    The reason travels into the reviewer's note and the write-back, so it must never carry what an
    attacker planted (canary strings, "close this ticket") or identifiers the ticket quoted.
    """
    lowered = text.lower()
    injected = [_whole_lines(lowered, f["start"], f["end"]) for f in find_injection(text)]
    return [
        word
        for word in words
        if not any(ch.isdigit() for ch in word) and not any(word.lower() in span for span in injected)
    ]


def _whole_lines(text: str, start: int, end: int) -> str:
    """The lines a finding touches: what follows an instruction on its line (a quoted payload such as
    "close_notes: 'auto-closed'") is the attacker's text too, even where the pattern stopped matching."""
    return text[text.rfind("\n", 0, start) + 1 : (text.find("\n", end) + 1 or len(text) + 1) - 1]


def _reason(category: str, confidence: float, evidence: list[str], tried: list[str]) -> str:
    said = ", ".join(f"'{w}'" for w in evidence[:6]) or "no distinctive words"
    again = f" (re-routed after hand-back from {', '.join(tried)})" if tried else ""
    return f"{category} with confidence {confidence:.2f}{again}; evidence: {said}"


def _ask_llm(
    local: RoutingDecision, text: str, language: str | None, ctx: Context, threshold: float
) -> tuple[RoutingDecision, dict[str, int] | None]:
    """The cascade's second stage: the LLM's structured decision replaces the local one if it is sure."""
    from tools.llm.route import classify_ticket

    result = classify_ticket(text, language, ctx)
    decision: RoutingDecision = {**local, "llm_calls": result.calls}
    if result.decision is None:
        decision["reason"] = f"{local['reason']}; LLM fallback failed: {result.error}"
        return decision, result.usage
    llm = result.decision
    decision.update(
        category=llm.category,
        confidence=round(float(llm.confidence), 4),
        reason=f"LLM: {llm.category} ({llm.confidence:.2f}): {llm.reason} (local model: {local['reason']})",
        model=ctx.model,
        model_version=ctx.model.split(":", 1)[-1],
        threshold=threshold,
    )
    return decision, result.usage
