"""The helpdesk graph's state, defined once.

Every value is a plain JSON-able dict or list so that checkpoints (SQLite, Postgres, the LangGraph
server) round-trip without custom serialisers. The pydantic models in `graph.schemas` validate these
shapes at the boundaries (intake, LLM output, write-back payloads); the TypedDicts below document them.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

Source = Literal["servicenow", "jira", "freshservice"]
Category = Literal["network", "software_cloud", "hardware", "out_of_scope"]
Route = Literal["network", "software_cloud", "hardware", "human"]
Agent = Literal["Jon", "June", "Maya", "human"]
Outcome = Literal["resolve", "ask", "hand_back"]
WritebackStatus = Literal["dry_run", "confirmed", "flagged", "skipped"]

CATEGORY_AGENT: dict[str, Agent] = {"network": "Jon", "software_cloud": "June", "hardware": "Maya"}


class TicketDict(TypedDict, total=False):
    """A validated ticket (see `graph.schemas.Ticket`)."""

    id: str
    source: Source
    subject: str
    description: str
    requester: str | None
    priority: str | None
    created_at: str | None
    language: str | None
    extra: dict[str, Any]


class Finding(TypedDict):
    """One thing the screening found: its kind and where; never the matched value itself."""

    kind: str
    start: int
    end: int


class Screening(TypedDict, total=False):
    """What intake learnt about the text before any agent reads it."""

    language: str  # ISO 639-1 code detected (or given and confirmed), "unknown" when undecidable
    language_confidence: float
    supported_language: bool  # en, de, es, fr, pt, or too little text to tell
    injection: list[Finding]  # prompt-injection patterns
    secrets: list[Finding]  # passwords, card numbers, tokens, keys
    pii: list[Finding]  # e-mail addresses, phone numbers
    security: list[Finding]  # a reported security incident: phishing, malware, compromise, lost/stolen device
    warnings: list[str]  # e.g. "empty ticket", "description truncated from N chars"
    text: str  # the normalised subject + description with secrets masked: what agents read


class RoutingDecision(TypedDict, total=False):
    """Lola's decision (see `graph.schemas.RoutingDecisionModel`)."""

    category: Category
    confidence: float  # calibrated probability that `category` is right, in [0, 1]
    reason: str  # names the evidence: the words that drove the decision
    evidence: list[str]
    model: str  # e.g. "local:router" or "openai:gpt-4o-mini"
    model_version: str
    runner_up: Category | None
    out_of_scope_probability: float  # the embedded router's P(out_of_scope), also when an LLM decided
    threshold: float  # the auto-route threshold in force
    llm_calls: int


class SpecialistResult(TypedDict, total=False):
    """What a specialist subgraph returns (the interface fixed by the skeleton issue)."""

    agent: Agent
    outcome: Outcome
    resolution: str | None  # the note, when resolving
    steps: list[str]
    article_id: str | None
    confidence: float
    needs_info: list[str]  # the precise facts missing, when asking
    handed_back: bool
    why: str
    check: str  # the rule of the specialist's decision that gave the outcome (`shape.Check`)


class Escalation(TypedDict, total=False):
    """Why a person must look, what the requester is told, and what the reviewer decided."""

    codes: list[str]  # machine-readable reason codes: empty, injection, out_of_scope, low_confidence, ...
    reasons: list[str]  # the same, said for a person
    acknowledgement: str  # customer-visible: "received; needs human review because ..."
    internal_note: str  # for the reviewer: routing, evidence, draft note
    decision: dict[str, Any] | None  # the reviewer's resume value


class WritebackAction(TypedDict, total=False):
    """One write to the ITSM (a note, a reply, a status change) and its outcome."""

    system: Source
    field: str  # work_notes | comments | comment | note | reply | status
    body: str
    status: WritebackStatus
    marker: str
    marker_count: int
    attempts: int
    error: str | None
    http_status: int | None


class Writeback(WritebackAction, total=False):
    """The main write plus every further write of the same ticket."""

    actions: list[WritebackAction]


class Message(TypedDict):
    """One turn of the agent conversation: who said what, at which node."""

    agent: str  # Lola, Jon, June, Maya, reviewer, system
    node: str
    content: str


class StepTiming(TypedDict, total=False):
    node: str
    ms: float
    tokens_in: int
    tokens_out: int


class SpecialistInput(TypedDict, total=False):
    """What a specialist subgraph reads from the parent. It excludes `messages` and `timings` on purpose:
    a subgraph that took them in would hand the parent's whole conversation back, duplicated."""

    ticket: TicketDict
    screening: Screening
    routing: RoutingDecision


class SpecialistOutput(TypedDict, total=False):
    """What a specialist subgraph gives back: its result and only its own turns of the conversation."""

    specialist: SpecialistResult
    messages: Annotated[list[Message], operator.add]
    timings: Annotated[list[StepTiming], operator.add]


class HelpdeskInput(TypedDict):
    """What callers send: `{"ticket": {...}}`."""

    ticket: dict[str, Any]


class HelpdeskState(TypedDict, total=False):
    """The whole state of one ticket's run."""

    ticket: dict[str, Any]  # raw input, replaced by the validated `TicketDict` at intake
    error: str | None  # set when the input was not a ticket: the run ends at `finalize`
    started_at: str  # ISO time intake first saw the ticket (time to resolution starts here)
    screening: Screening
    routing: RoutingDecision  # the decision in force (after any re-route or reviewer reassignment)
    initial_routing: RoutingDecision  # Lola's first decision, for measuring the router alone
    route_history: list[str]  # categories already tried, so a hand-back returns to Lola at most once
    specialist: SpecialistResult
    escalation: Escalation
    escalated: bool
    planned_writes: list[dict[str, Any]]  # what plan_writeback decided (tools.itsm.PlannedWrite fields)
    writeback: Writeback
    messages: Annotated[list[Message], operator.add]
    timings: Annotated[list[StepTiming], operator.add]
    result: dict[str, Any]  # the terminal record (the `helpdesk triage` contract)
