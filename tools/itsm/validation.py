"""The gate before any write: a payload that fails here is never sent; the ticket is flagged with the reasons.

Checks, in order: the body itself (`tools.notes.validate_note`: secrets, personal data, placeholders,
injection, what the ticket text asked for, size), the marker (exactly one, ours, and no other helpdesk
marker copied in), the field mapping of the platform (only fields we may write; never `close_notes`;
valid status codes), and the request body against the platform's schema (the vendor specs for Jira and
Freshservice, pydantic models where no spec exists: ServiceNow Table API and the JSM servicedeskapi).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from graph.state import Source
from tools.itsm.adf import adf_problems
from tools.itsm.freshservice import VALID_PRIORITY, VALID_STATUS
from tools.itsm.http import Request
from tools.itsm.marker import MARKER_RE
from tools.itsm.models import WriteSpec
from tools.itsm.servicenow import WRITABLE_FIELDS
from tools.itsm.specs import validate_request
from tools.screening import find_injection, find_pii, find_secrets

log = logging.getLogger(__name__)

FORBIDDEN_FIELDS = frozenset({"close_notes", "close_code"})


class _ServiceNowPatch(BaseModel):
    """A Table API PATCH on incident as we send it: strings only, our fields only."""

    model_config = ConfigDict(extra="forbid")
    work_notes: str | None = Field(default=None, min_length=1)
    comments: str | None = Field(default=None, min_length=1)
    state: Literal["2", "3"] | None = None
    hold_reason: Literal["1"] | None = None


class _JsmComment(BaseModel):
    """`POST /rest/servicedeskapi/request/{key}/comment` (CONTRACTS.md §2.4: plain-text body, public flag)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    body: str = Field(min_length=1)
    public: bool


def body_problems(spec: WriteSpec, *, ticket_text: str) -> list[str]:
    """What is wrong with the text a person will read (nothing for status changes)."""
    if spec.action == "set_status":
        return []
    if not spec.content.strip():
        return ["empty body"]
    problems = _note_problems(spec.content, ticket_text=ticket_text, max_len=spec.max_len)
    if spec.max_len is not None and len(spec.text) > spec.max_len:
        problems.append(f"body is {len(spec.text)} characters with its marker; the limit is {spec.max_len}")
    if MARKER_RE.search(spec.content):
        problems.append("body already carries a helpdesk marker (copied from an earlier write)")
    if spec.text.count(spec.marker) != 1:
        problems.append("the marker must appear exactly once in the written text")
    return problems


def _note_problems(body: str, *, ticket_text: str, max_len: int | None) -> list[str]:
    """The shared note checks (tools.notes); screening alone if that module is unavailable."""
    try:
        from tools.notes import validate_note
    except ImportError:
        log.warning("tools.notes unavailable: falling back to screening-only note checks")
        kinds = [f["kind"] for f in find_secrets(body) + find_pii(body)]
        problems = [f"body echoes {kind}" for kind in kinds]
        return problems + [f"body contains an injection pattern ({f['kind']})" for f in find_injection(body)]
    return list(validate_note(body, ticket_text=ticket_text, max_len=max_len or 100_000))


def status_problems(spec: WriteSpec, *, ticket_text: str) -> list[str]:
    """A status the ticket text itself demands, next to an injection attempt, is not obeyed."""
    if spec.action != "set_status" or spec.content.lower() not in {"resolved", "done", "closed"}:
        return []
    if find_injection(ticket_text):
        return ["the ticket text asks for this status change alongside an injection attempt; a person decides"]
    return []


def _keys(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {k for v in node.values() for k in _keys(v)}
    if isinstance(node, list):
        return {k for v in node for k in _keys(v)}
    return set()


def request_problems(system: Source, request: Request) -> list[str]:
    """Field mapping and schema of the exact request about to be sent."""
    body = request.json
    problems = [f"{name} must never be written" for name in sorted(_keys(body) & FORBIDDEN_FIELDS)]
    if system == "servicenow":
        problems += [f"ServiceNow field {k!r} is not one we write" for k in sorted(set(body or {}) - WRITABLE_FIELDS)]
        problems += _pydantic_problems(_ServiceNowPatch, body)
    elif system == "jira":
        if "/rest/servicedeskapi/" in request.path:
            problems += _pydantic_problems(_JsmComment, body)
        else:
            problems += _spec_problems("jira", request)
            if body is not None and "body" in body:
                problems += adf_problems(body["body"])
    else:
        problems += _spec_problems("freshservice", request)
        if body and "status" in body and body["status"] not in VALID_STATUS:
            problems.append(f"Freshservice status {body['status']!r} is not one of {sorted(VALID_STATUS)}")
        if body and "priority" in body and body["priority"] not in VALID_PRIORITY:
            problems.append(f"Freshservice priority {body['priority']!r} is not one of {sorted(VALID_PRIORITY)}")
        if request.path.endswith("/notes") and body and body.get("private") is not True:
            problems.append("an internal Freshservice note must be private")
    return problems


def _spec_problems(name: Literal["jira", "freshservice"], request: Request) -> list[str]:
    found = validate_request(name, request.method, request.path, request.json, request.params)
    if found is None:
        return [f"{request.method} {request.path} is not an operation of the {name} spec"]
    return [f"schema: {p}" for p in found]


def _pydantic_problems(model: type[BaseModel], body: Any) -> list[str]:
    try:
        model.model_validate(body)
    except ValidationError as exc:
        return [f"schema: {'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()]
    return []


def validate_write(system: Source, spec: WriteSpec, *, ticket_text: str) -> list[str]:
    """Every reason this planned write must not be sent (empty: it may be sent)."""
    problems = body_problems(spec, ticket_text=ticket_text) + status_problems(spec, ticket_text=ticket_text)
    if spec.request is not None:
        problems += request_problems(system, spec.request)
    return problems
