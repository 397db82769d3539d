"""Intake: validate and normalise the ticket, detect its language, screen it. Never raises on content."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError

from graph.schemas import MAX_FIELD_CHARS, Ticket, describe_validation_error
from graph.state import HelpdeskState, Screening
from nodes.timing import timed
from tools.language import SUPPORTED, detect_language
from tools.screening import find_injection, find_pii, find_secrets, find_security, mask


@timed("intake")
def intake(state: HelpdeskState) -> dict[str, Any]:
    """Turn the raw input into a validated ticket and a screening; a non-ticket ends the run cleanly."""
    raw = state.get("ticket")
    try:
        ticket = Ticket.model_validate(raw)
    except ValidationError as exc:
        error = f"invalid ticket: {describe_validation_error(exc)}"
        return {"error": error, "started_at": datetime.now(UTC).isoformat(), "messages": [_system(error)]}

    text = f"{ticket.subject}\n{ticket.description}".strip()
    secrets = find_secrets(text)
    pii = find_pii(text)
    injection = find_injection(text)
    security = find_security(text)
    language = detect_language(text, hint=ticket.language)
    screening: Screening = {
        "language": language.code,
        "language_confidence": round(language.confidence, 3),
        # Too little text to tell is not a foreign language: only a confident other language escalates.
        "supported_language": language.code in SUPPORTED or language.code == "unknown",
        "injection": injection,
        "secrets": secrets,
        "pii": pii,
        "security": security,
        "warnings": _warnings(raw, text),
        "text": mask(text, secrets + pii),
    }
    ticket_state = ticket.as_state()
    # Secrets never travel further in state (checkpoints, traces, the API): mask them in the ticket too.
    for field in ("subject", "description"):
        ticket_state[field] = mask(ticket_state[field], find_secrets(ticket_state[field]))
    summary = (
        f"ticket {ticket.id} from {ticket.source}: language {language.code}, "
        f"{len(injection)} injection pattern(s), {len(secrets)} secret(s), {len(pii)} personal-data item(s), "
        f"{len(security)} security-incident report(s)"
    )
    return {
        "ticket": ticket_state,
        "screening": screening,
        "error": None,
        "started_at": datetime.now(UTC).isoformat(),
        "messages": [_system(summary)],
    }


def route_after_intake(state: HelpdeskState) -> Literal["coordinator", "finalize"]:
    """A valid ticket goes to Lola; an invalid one straight to a terminal error record."""
    return "finalize" if state.get("error") else "coordinator"


def _warnings(raw: Any, text: str) -> list[str]:
    warnings = []
    if not any(ch.isalnum() for ch in text):
        warnings.append("empty ticket: no words in subject or description")
    for field in ("subject", "description"):
        value = raw.get(field) if isinstance(raw, dict) else None
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            warnings.append(f"{field} truncated from {len(value)} to {MAX_FIELD_CHARS} characters")
    return warnings


def _system(content: str) -> dict[str, str]:
    return {"agent": "system", "node": "intake", "content": content}
