"""The one shape every specialist shares: diagnose, then exactly one of resolve, ask or hand_back.

`diagnose` retrieves the specialist's own runbooks, extracts entities and checks the domain; the
decision itself is the pure function `decide`, and the edge out of `diagnose` only reads the
outcome it stored (`route_after_diagnosis`), so routing never depends on a model call. The subgraph
reads `ticket`, `screening` and `routing` and returns only `specialist` and its own `messages`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from graph.context import Context
from graph.state import Agent, HelpdeskState, SpecialistInput, SpecialistOutput, SpecialistResult
from nodes.timing import timed
from tools.knowledge import (
    OUT_OF_SCOPE,
    Article,
    Domain,
    Entities,
    Hit,
    KnowledgeBase,
    Match,
    extract_entities,
    retrieve,
)
from tools.knowledge.fit import RunbookFit, load_fit
from tools.knowledge.private import private_device
from tools.notes import render_hand_back, render_note, render_question, ungrounded_commands, validate_note
from tools.screening import mask, redact

log = logging.getLogger(__name__)

HAND_BACK_BELOW = 0.2
"""Below this match confidence none of the specialist's runbooks fits: not my domain."""
OTHER_DOMAIN_RATIO = 0.75
"""If another domain's best runbook (or a non-IT topic) scores 1/0.75 ≈ 1.33× ours, the ticket is theirs."""
OWN_SIMILARITY_LEAD = 0.05
"""...unless the ticket sits this much closer to our runbooks than to theirs in the encoder: then the
other domain won on a shared word, not on what the ticket is about."""
MIXED_OUT_OF_SCOPE_RATIO = 0.6
"""A non-IT topic (security, HR, purchasing) scoring 60 % of our best runbook means part of the ticket is
not IT support ("I clicked a phishing link; also OneDrive does not sync"): a person must see it."""
NON_IT_ROUTER_FLOOR = 0.05
"""Non-IT topics (mixed in, or outscoring every runbook domain) hand a ticket back only when the router
gives out_of_scope at least this probability: below it the non-IT words are the ticket's context ("the
expense app", "the purchasing portal"), not its request."""
VAGUE_SHARE_MIN = 0.5
"""A weak match is asked about only if our domain holds at least this share of all domains' best scores."""
GENERIC_FACTS: dict[str, tuple[str, ...]] = {
    "network": ("error", "since", "host"),
    "software_cloud": ("application", "error", "since"),
    "hardware": ("device", "error", "since"),
}
"""What to ask for when the ticket is ours but too vague to pick a runbook with confidence."""
GENERIC_ANSWERED_BY: dict[str, str] = {"host": "location"}
"""A generic question the ticket already answers another way: where a floor, room or site is named
("3. OG, Zimmer 312", "escritório de Campinas"), the place is what the question for a host is after."""

Outcome = Literal["resolve", "ask", "hand_back"]
Check = Literal[
    "no_text",
    "no_runbook_term",
    "other_domain",
    "non_it_domain",
    "non_it_mixed",
    "building_equipment",
    "private_device",
    "vague",
    "unfit_with_details",
    "weak_fit",
    "required_facts",
    "fits",
]
"""The rule in `decide` that produced the outcome, so evaluations count outcomes by rule, not by wording."""
HandBackReason = Literal["low_match", "other_domain", "no_text"]
HAND_BACK_REASONS: dict[Check, HandBackReason] = {
    "no_text": "no_text",
    "no_runbook_term": "low_match",
    "vague": "low_match",
    "unfit_with_details": "low_match",
    "other_domain": "other_domain",
    "non_it_domain": "other_domain",
    "non_it_mixed": "other_domain",
    "building_equipment": "other_domain",
    "private_device": "other_domain",
}
"""Each hand-back rule's wording: no runbook fits, another domain (or nobody in IT) owns it, or no text."""


@dataclass(frozen=True)
class Diagnosis:
    """The decision `diagnose` takes, and the facts it was taken on."""

    outcome: Outcome
    article: Article | None
    confidence: float  # probability that `article` fits the ticket (the fit gate)
    needs_info: tuple[str, ...]
    other_domain: str | None
    why: str
    check: Check

    @property
    def hand_back_reason(self) -> HandBackReason | None:
        """How the hand-back is worded to Lola (`tools.notes.render_hand_back`), from the rule that gave it."""
        return HAND_BACK_REASONS.get(self.check) if self.outcome == "hand_back" else None


def runbook_threshold(ctx: Context) -> float:
    """The fit probability a runbook needs before a specialist resolves with it."""
    if ctx.specialist_min_confidence is not None:
        return ctx.specialist_min_confidence
    return load_fit().threshold_for(ctx.runbook_precision_target)


def _not_it_support(best: Hit, confidence: float, check: Check, why: str) -> Diagnosis:
    """Hand a ticket back as not IT support (Lola then sends it to a person, never to a specialist)."""
    return Diagnosis("hand_back", best.article, confidence, (), OUT_OF_SCOPE, f"domain check failed: {why}", check)


def decide(
    domain: Domain,
    match: Match,
    entities: Entities,
    min_fit: float,
    fit: RunbookFit | None = None,
    private: str | None = None,
    router_out_of_scope: float | None = None,
) -> Diagnosis:
    """Resolve, ask or hand back, from the retrieval match and the facts the ticket gives.

    Another domain (or a non-IT topic) matching clearly better means hand back (another domain only
    when the encoder does not put the ticket clearly closer to our runbooks), and so does a ticket
    about building equipment (a fridge, a lift) that names no IT device or application, or about a
    private device the desk does not support (`private`: the phrase that marks it). Non-IT topics
    count only where the router did not rule them out (`router_out_of_scope`, its P(out_of_scope);
    None, when no router decided, keeps both checks). A weak match is
    still ours to ask about when our vocabulary dominates the ticket ("VPN geht nicht"); otherwise
    it is handed back. The best runbook is resolved with only when the fit gate (`tools.knowledge.fit`)
    gives it at least `min_fit` and the article's required facts are present.
    """
    best = match.best
    confidence = (fit or load_fit()).probability(match)
    if best is None:
        return Diagnosis(
            "hand_back", None, 0.0, (), None, "low domain match: no runbook term in the ticket", "no_runbook_term"
        )
    non_it_heard = router_out_of_scope is None or router_out_of_scope >= NON_IT_ROUTER_FLOOR
    if (
        match.best_domain not in (None, domain)
        and match.domain_ratio < OTHER_DOMAIN_RATIO
        and match.rival_similarity_lead < OWN_SIMILARITY_LEAD
        and (match.best_domain != OUT_OF_SCOPE or non_it_heard)
    ):
        return Diagnosis(
            "hand_back", best.article, confidence, (), match.best_domain,
            f"domain check failed: {match.best_domain} matches better "
            f"(ratio {match.domain_ratio:.2f}, best own {best.article.id})",
            "non_it_domain" if match.best_domain == OUT_OF_SCOPE else "other_domain",
        )  # fmt: skip
    if match.equipment and not (entities.it_devices() or entities.applications):
        return _not_it_support(
            best, confidence, "building_equipment",
            f"the ticket is about building equipment ({', '.join(match.equipment[:3])}) "
            "and names no IT device or application",
        )  # fmt: skip
    if match.out_of_scope_ratio >= MIXED_OUT_OF_SCOPE_RATIO and non_it_heard:
        return _not_it_support(
            best, confidence, "non_it_mixed",
            f"part of the ticket is not IT support "
            f"(non-IT topic at {match.out_of_scope_ratio:.2f} of {best.article.id})",
        )  # fmt: skip
    if private:
        return _not_it_support(
            best, confidence, "private_device",
            f"the ticket is about a private device, line or account ('{private}') and gives no work link; "
            "this desk does not support private equipment",
        )  # fmt: skip
    facts = entities.facts()
    vague = match.match_confidence < HAND_BACK_BELOW
    if vague and (match.domain_ratio < 1.0 or match.domain_share < VAGUE_SHARE_MIN):
        return Diagnosis(
            "hand_back", best.article, confidence, (), None,
            f"low domain match: best runbook {best.article.id} at {match.match_confidence:.2f} "
            f"and the ticket is not mostly {domain} vocabulary (share {match.domain_share:.2f})",
            "vague",
        )  # fmt: skip
    missing = [f for f in best.article.requires if f not in facts]
    weak = vague or confidence < min_fit
    if weak:
        missing += [
            f
            for f in GENERIC_FACTS[domain]
            if f not in facts and GENERIC_ANSWERED_BY.get(f) not in facts and f not in missing
        ]
        if not missing:
            return Diagnosis(
                "hand_back", best.article, confidence, (), None,
                f"low domain match: best runbook {best.article.id} fits with probability {confidence:.2f} "
                f"although the ticket gives its details",
                "unfit_with_details",
            )  # fmt: skip
    terms = ", ".join(match.matched_terms[:8]) or "none"
    if missing:
        return Diagnosis(
            "ask", best.article, confidence, tuple(missing), None,
            f"best runbook {best.article.id} (fit {confidence:.2f}, terms: {terms}) "
            f"needs: {', '.join(missing)}",
            "weak_fit" if weak else "required_facts",
        )  # fmt: skip
    return Diagnosis(
        "resolve", best.article, confidence, (), None,
        f"matched {best.article.id} '{best.article.title['en']}' (fit {confidence:.2f}, terms: {terms})",
        "fits",
    )  # fmt: skip


def examine(
    domain: Domain, text: str, language: str | None, ctx: Context, router_out_of_scope: float | None = None
) -> tuple[Diagnosis, Match | None, Entities]:
    """Everything a specialist's diagnosis reads for a (masked) ticket text, and the decision: the node's
    work without the graph, so evaluations on labeled tickets decide exactly as the specialists do."""
    if not any(ch.isalnum() for ch in text):
        no_text = Diagnosis("hand_back", None, 0.0, (), None, "no ticket text to work with", "no_text")
        return no_text, None, Entities()
    match = retrieve(domain, text, language)
    entities = extract_entities(text)
    private = None if ctx.support_private_devices else private_device(text)
    threshold = runbook_threshold(ctx)
    diagnosis = decide(domain, match, entities, threshold, private=private, router_out_of_scope=router_out_of_scope)
    return diagnosis, match, entities


def route_after_diagnosis(state: HelpdeskState) -> Literal["resolve", "ask", "hand_back"]:
    """Follow the outcome `diagnose` recorded; anything unexpected is handed back, never resolved."""
    outcome = (state.get("specialist") or {}).get("outcome")
    return outcome if outcome in ("resolve", "ask") else "hand_back"


def _ticket_text(state: HelpdeskState) -> str:
    """What the specialist reads: screening's masked text, or the masked ticket when called directly."""
    screening = state.get("screening") or {}
    if screening.get("text"):
        return screening["text"]
    ticket = state.get("ticket") or {}
    return mask(f"{ticket.get('subject') or ''}\n{ticket.get('description') or ''}".strip())


def _raw_ticket_text(state: HelpdeskState) -> str:
    """The ticket as received (secrets already masked by intake) for the note validator's echo checks."""
    ticket = state.get("ticket") or {}
    raw = f"{ticket.get('subject') or ''}\n{ticket.get('description') or ''}".strip()
    return raw or _ticket_text(state)


def _language(state: HelpdeskState) -> str:
    screening = state.get("screening") or {}
    return screening.get("language") or (state.get("ticket") or {}).get("language") or "en"


def _recognised(entities: Entities) -> list[str]:
    """Entity values worth repeating to the requester (never free text from the ticket)."""
    return [*entities.os, *entities.applications, *entities.error_codes, *entities.hosts, *entities.ips]


def build_specialist(name: Agent, domain: Domain, knowledge: KnowledgeBase) -> CompiledStateGraph:
    """Compile one specialist's subgraph over its own knowledge base."""
    node_prefix = name.lower()

    def message(node: str, content: str) -> dict[str, str]:
        return {"agent": name, "node": node, "content": redact(content)}

    @timed(f"{node_prefix}.diagnose")
    def diagnose(state: HelpdeskState, runtime: Runtime[Context]) -> dict[str, Any]:
        """Retrieve, extract entities, check the domain and decide the outcome."""
        ctx = runtime.context or Context()
        router_oos = (state.get("routing") or {}).get("out_of_scope_probability")
        diagnosis, _, entities = examine(domain, _ticket_text(state), _language(state), ctx, router_oos)
        result: SpecialistResult = {
            "agent": name,
            "outcome": diagnosis.outcome,
            "article_id": diagnosis.article.id if diagnosis.article else None,
            "confidence": diagnosis.confidence,
            "needs_info": list(diagnosis.needs_info),
            "handed_back": diagnosis.outcome == "hand_back",
            "why": diagnosis.why,
        }
        extra = {
            "hand_back_reason": diagnosis.hand_back_reason,
            "other_domain": diagnosis.other_domain,
            "check": diagnosis.check,
        }
        content = f"{diagnosis.outcome}: {diagnosis.why}; entities: {entities.summary()}"
        return {"specialist": {**result, **extra}, "messages": [message("diagnose", content)]}

    @timed(f"{node_prefix}.resolve")
    def resolve(state: HelpdeskState, runtime: Runtime[Context]) -> dict[str, Any]:
        """Write the note from the cited article's steps; let an LLM tailor it only within the article."""
        ctx = runtime.context or Context()
        diagnosis = state["specialist"]
        article = knowledge.get(diagnosis["article_id"] or "")
        if article is None:  # only if the knowledge base changed under a checkpointed run
            return _hand_back_update(state, "low_match", None)
        language = _language(state)
        raw_text = _raw_ticket_text(state)
        entities = extract_entities(_ticket_text(state))
        note = render_note(
            article, language, agent=name, domain=domain, version=knowledge.version, recognised=_recognised(entities)
        )
        if validate_note(note, ticket_text=raw_text):
            note = render_note(article, language, agent=name, domain=domain, version=knowledge.version)
        why = diagnosis["why"]
        if ctx.model != "local":
            note, how = _tailored(article, _ticket_text(state), language, note, raw_text, ctx)
            why = f"{why}; {how}"
        problems = validate_note(note, ticket_text=raw_text)
        confidence = diagnosis["confidence"]
        if problems:
            why, confidence, note = f"{why}; note withheld: {'; '.join(problems)}", 0.0, None
        result = _result(diagnosis, outcome="resolve", resolution=note, confidence=confidence, why=why)
        result["steps"] = article.steps_in(language)
        summary = f"resolve with {article.id}" + ("" if note else " (note withheld)")
        return {"specialist": result, "messages": [message("resolve", f"{summary}: {why}")]}

    @timed(f"{node_prefix}.ask")
    def ask(state: HelpdeskState) -> dict[str, Any]:
        """Ask the requester for exactly the facts the best runbook needs and the ticket lacks."""
        diagnosis = state["specialist"]
        question = render_question(diagnosis["needs_info"], _language(state), agent=name, domain=domain)
        problems = validate_note(question, ticket_text=_raw_ticket_text(state))
        result = _result(diagnosis, outcome="ask", resolution=None if problems else question)
        content = f"ask for {', '.join(diagnosis['needs_info'])}: {diagnosis['why']}"
        return {"specialist": result, "messages": [message("ask", content)]}

    @timed(f"{node_prefix}.hand_back")
    def hand_back(state: HelpdeskState) -> dict[str, Any]:
        """Say, once and with the reason, that the ticket is not this specialist's."""
        diagnosis = state.get("specialist") or {}
        return _hand_back_update(state, diagnosis.get("hand_back_reason") or "low_match", diagnosis.get("other_domain"))

    def _hand_back_update(state: HelpdeskState, reason: str, other_domain: str | None) -> dict[str, Any]:
        diagnosis = state.get("specialist") or {}
        line = render_hand_back(
            reason,
            "en",
            agent=name,
            domain=domain,
            confidence=float(diagnosis.get("confidence", 0.0)),
            other_domain=other_domain,
        )
        why = diagnosis.get("why") or line
        result = _result(diagnosis, outcome="hand_back", resolution=None, why=why)
        result.update(article_id=None, handed_back=True)
        return {"specialist": result, "messages": [message("hand_back", line)]}

    def _result(diagnosis: dict[str, Any], **changes: Any) -> SpecialistResult:
        base: SpecialistResult = {
            "agent": name,
            "outcome": diagnosis.get("outcome", "hand_back"),
            "resolution": None,
            "steps": [],
            "article_id": diagnosis.get("article_id"),
            "confidence": float(diagnosis.get("confidence", 0.0)),
            "needs_info": list(diagnosis.get("needs_info") or []),
            "handed_back": False,
            "why": diagnosis.get("why", ""),
            "check": diagnosis.get("check", ""),
        }
        return {**base, **changes}  # type: ignore[typeddict-item]

    builder = StateGraph(
        HelpdeskState, context_schema=Context, input_schema=SpecialistInput, output_schema=SpecialistOutput
    )
    builder.add_node("diagnose", diagnose)
    builder.add_node("resolve", resolve)
    builder.add_node("ask", ask)
    builder.add_node("hand_back", hand_back)
    builder.add_edge(START, "diagnose")
    builder.add_conditional_edges("diagnose", route_after_diagnosis)
    for node in ("resolve", "ask", "hand_back"):
        builder.add_edge(node, END)
    return builder.compile(name=node_prefix)


def _tailored(
    article: Article, ticket_text: str, language: str, draft: str, raw_text: str, ctx: Context
) -> tuple[str, str]:
    """Ask the LLM to tailor the draft; keep it only if it is valid, cites the article and invents nothing."""
    try:
        from tools.llm.tailor import tailor_note

        tailored = tailor_note(article.model_dump(), ticket_text, language, draft, ctx)
    except Exception as exc:  # an optional model must never break a resolution
        log.warning("note tailoring failed (%s); keeping the draft", type(exc).__name__)
        return draft, f"draft kept: tailoring failed ({type(exc).__name__})"
    if not tailored:
        return draft, "draft kept: the model returned nothing"
    if article.id not in tailored:
        return draft, "draft kept: the tailored note did not cite the article"
    invented = ungrounded_commands(tailored, article)
    if invented:
        return draft, f"draft kept: the tailored note had {len(invented)} command(s) not in the article"
    problems = validate_note(tailored, ticket_text=raw_text)
    if problems:
        return draft, f"draft kept: the tailored note failed validation ({'; '.join(problems)})"
    return tailored, "note tailored by the model within the article"
