"""Turn each ITSM's webhook payload into the graph's ticket and say what happened to the ticket.

ServiceNow and Freshservice post a body their admin defines (docs/serving.md gives the recommended
one); Jira posts its own `jira:issue_created` / `jira:issue_updated` shape. Whatever arrives is
validated by `graph.schemas.Ticket`, so a webhook can never hand the graph a ticket intake would reject.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Literal

from pydantic import ValidationError

from graph.schemas import Ticket
from graph.server.settings import Platform
from tools.itsm.adf import adf_to_text

EventKind = Literal["created", "updated", "reopened"]

SERVICENOW_CLOSED_STATES = {"6", "7", "8"}  # resolved, closed, canceled (IncidentStateSNC)
FRESHSERVICE_CLOSED_STATUSES = {"4", "5"}  # resolved, closed
JIRA_DONE_NAMES = {"done", "resolved", "closed", "cancelled", "canceled"}
_LANGUAGE_TAG = re.compile(r"^([a-z]{2})(?:[-_][a-z0-9]{2,8})*$", re.IGNORECASE)
"""A language tag ("fr", "pt_BR", "de-DE"); its first part is the language."""


class PayloadError(ValueError):
    """The body is not a ticket this platform could have sent (answered with 422)."""


@dataclass(frozen=True)
class WebhookEvent:
    """One delivery: the ticket, what happened to it, and an id that a redelivery repeats."""

    platform: Platform
    kind: EventKind
    ticket: dict[str, Any]
    event_id: str

    @property
    def ticket_key(self) -> str:
        """The readable thread key `<source>:<ticket id>`."""
        return f"{self.platform}:{self.ticket['id']}"


def event_id_of(body: bytes) -> str:
    """Redeliveries repeat the body byte for byte, so its hash identifies the event."""
    return hashlib.sha256(body).hexdigest()[:32]


def parse_event(platform: Platform, payload: Any, body: bytes) -> WebhookEvent | None:
    """The event in `payload`, None for an event type the helpdesk does not act on."""
    if not isinstance(payload, dict):
        raise PayloadError("the body must be a JSON object")
    parsed = _PARSERS[platform](payload)
    if parsed is None:
        return None
    kind, fields = parsed
    extra = fields.pop("extra", {})  # platform references (sys_id, key): the ticket keeps them in `extra`
    try:
        ticket = Ticket.model_validate({**extra, **fields, "source": platform}).as_state()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'ticket'}: {e['msg']}" for e in exc.errors())
        raise PayloadError(problems) from None
    return WebhookEvent(platform=platform, kind=kind, ticket=ticket, event_id=event_id_of(body))


def _servicenow(payload: dict[str, Any]) -> tuple[EventKind, dict[str, Any]]:
    record = payload.get("incident") if isinstance(payload.get("incident"), dict) else payload
    number, sys_id = _scalar(record.get("number")), _scalar(record.get("sys_id"))
    if not (number or sys_id):
        raise PayloadError("missing number and sys_id")
    operation = (_scalar(payload.get("operation")) or "insert").lower()
    state, previous = _scalar(record.get("state")), _scalar(payload.get("previous_state"))
    kind = _kind(operation == "insert", previous in SERVICENOW_CLOSED_STATES and state not in SERVICENOW_CLOSED_STATES)
    extra = {k: v for k, v in {"sys_id": sys_id, "number": number, "state": state}.items() if v}
    return kind, {
        "id": number or sys_id,
        "subject": _scalar(record.get("short_description")),
        "description": _scalar(record.get("description")),
        "requester": _scalar(record.get("caller_id")),
        "priority": _scalar(record.get("priority")),
        "created_at": _scalar(record.get("sys_created_on")),
        "language": _requester_language(record, payload),
        "extra": extra,
    }


def _jira(payload: dict[str, Any]) -> tuple[EventKind, dict[str, Any]] | None:
    event = payload.get("webhookEvent")
    if event not in {"jira:issue_created", "jira:issue_updated"}:
        return None
    issue = payload.get("issue")
    if not isinstance(issue, dict) or not issue.get("key"):
        raise PayloadError("missing issue.key")
    fields = issue.get("fields") if isinstance(issue.get("fields"), dict) else {}
    description = fields.get("description")
    reopened = any(
        isinstance(item, dict)
        and item.get("field") == "status"
        and str(item.get("fromString") or "").lower() in JIRA_DONE_NAMES
        and str(item.get("toString") or "").lower() not in JIRA_DONE_NAMES
        for item in ((payload.get("changelog") or {}).get("items") or [])
    )
    return _kind(event == "jira:issue_created", reopened), {
        "id": str(issue["key"]),
        "subject": _scalar(fields.get("summary")),
        "description": adf_to_text(description) if isinstance(description, dict) else _scalar(description),
        "requester": _scalar((fields.get("reporter") or {}).get("displayName")),
        "priority": _scalar((fields.get("priority") or {}).get("name")),
        "created_at": _scalar(fields.get("created")),
        "language": _requester_language(fields, payload),
        "extra": {"key": str(issue["key"]), "issue_id": _scalar(issue.get("id"))},
    }


def _freshservice(payload: dict[str, Any]) -> tuple[EventKind, dict[str, Any]]:
    record = next((payload[k] for k in ("freshdesk_webhook", "ticket") if isinstance(payload.get(k), dict)), payload)
    raw_id = _scalar(record.get("ticket_id") or record.get("id"))
    ticket_id = re.sub(r"^#?(?:INC|SR|CHN|PRB)?-?", "", raw_id or "", flags=re.IGNORECASE)
    if not ticket_id:
        raise PayloadError("missing ticket_id")
    text = _scalar(record.get("description_text") or record.get("ticket_description_text"))
    html = _scalar(record.get("description") or record.get("ticket_description"))
    status, previous = _scalar(record.get("status")), _scalar(record.get("previous_status"))
    event = (_scalar(payload.get("event") or record.get("event")) or "created").lower()
    return _kind(
        event == "created", previous in FRESHSERVICE_CLOSED_STATUSES and status not in FRESHSERVICE_CLOSED_STATUSES
    ), {
        "id": ticket_id,
        "subject": _scalar(record.get("subject") or record.get("ticket_subject")),
        "description": text or _html_text(html),
        "requester": _scalar(record.get("requester_name") or record.get("ticket_requester_name")),
        "priority": _scalar(record.get("priority") or record.get("ticket_priority")),
        "created_at": _scalar(record.get("created_at") or record.get("ticket_created_at")),
        "language": _requester_language(record, payload),
        "extra": {"display_id": raw_id} if raw_id != ticket_id else {},
    }


_PARSERS = {"servicenow": _servicenow, "jira": _jira, "freshservice": _freshservice}


def _kind(created: bool, reopened: bool) -> EventKind:
    return "created" if created else "reopened" if reopened else "updated"


def _requester_language(*places: dict[str, Any]) -> str | None:
    """The requester's language when the admin put it in the body (`requester_language`: "pt_BR",
    "de-DE", "fr"): intake answers in it when the ticket is too short to tell ("VPN: vpn"). Anything
    else (an unrendered placeholder, a language name) is ignored, never guessed at."""
    for place in places:
        match = _LANGUAGE_TAG.match(_scalar(place.get("requester_language")))
        if match:
            return match.group(1).lower()
    return None


def _scalar(value: Any) -> str:
    """A field as text: ServiceNow sends `{"value", "display_value"}` pairs when asked for display values."""
    if isinstance(value, dict):
        value = value.get("display_value", value.get("value"))
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "p", "div", "li"}:
            self.parts.append("\n")


def _html_text(html: str) -> str:
    """Freshservice's `description` is HTML; keep its text when `description_text` is absent."""
    if "<" not in html:
        return html
    parser = _TextOnly()
    parser.feed(html)
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts)).strip()
