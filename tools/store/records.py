"""Turn a final graph state and audit records into store rows: pure functions, no database.

Every free text passes through `tools.screening.redact` here, so the store never holds a secret or a
personal detail that screening can recognise, whatever the caller forgot.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from tools.screening import FINDING_GROUPS, redact

TEXT_LIMIT = 20_000  # one message or description: enough for any ticket, bounded for the index


def clean(text: Any, limit: int = TEXT_LIMIT) -> str | None:
    """Redacted, bounded text; None stays None."""
    if text is None:
        return None
    return redact(str(text))[:limit]


def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from a datetime, an ISO-8601 string or epoch seconds; None if unreadable."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def record_key(*parts: Any) -> str:
    """A stable digest of a record, so that recording it twice stores it once."""
    raw = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:64]


def _str(value: Any, limit: int = 200) -> str | None:
    return None if value is None else str(value)[:limit]


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def ticket_id_of(state: Mapping[str, Any]) -> str | None:
    """The ticket's id from the terminal record, else from the ticket itself."""
    result = state.get("result") or {}
    ticket = state.get("ticket") if isinstance(state.get("ticket"), Mapping) else {}
    raw = result.get("id") if result.get("id") is not None else (ticket or {}).get("id")
    if raw is None or isinstance(raw, bool) or not isinstance(raw, str | int):
        return None
    return str(raw)[:200]


def ticket_row(state: Mapping[str, Any], ticket_id: str) -> dict[str, Any]:
    """The ticket's own fields (redacted) plus its latest decision."""
    ticket = state.get("ticket") if isinstance(state.get("ticket"), Mapping) else {}
    ticket = ticket or {}
    result = state.get("result") or {}
    screening = state.get("screening") or {}
    return {
        "id": ticket_id,
        "source": _str(ticket.get("source") or result.get("source"), 32),
        "subject": clean(ticket.get("subject")),
        "description": clean(ticket.get("description")),
        "requester": clean(ticket.get("requester"), 200),
        "priority": _str(ticket.get("priority"), 32),
        "language": _str(screening.get("language") or result.get("language") or ticket.get("language"), 16),
        "created_at": parse_time(ticket.get("created_at")),
        **decision_columns(result),
    }


def decision_columns(result: Mapping[str, Any]) -> dict[str, Any]:
    """The decision as it stands after the run, shared by the ticket and run rows."""
    return {
        "category": _str(result.get("category"), 32),
        "route": _str(result.get("route"), 32),
        "agent": _str(result.get("agent"), 32),
        "confidence": _num(result.get("confidence")),
        "escalated": bool(result.get("escalated")) if "escalated" in result else None,
    }


def run_row(
    state: Mapping[str, Any],
    *,
    run_id: str,
    ticket_id: str,
    thread_id: str | None,
    started_at: datetime,
    finished_at: datetime,
    mode: str,
) -> dict[str, Any]:
    result = dict(state.get("result") or {})
    writeback = result.get("writeback") or {}
    routing = state.get("routing") or {}
    return {
        "run_id": run_id,
        "ticket_id": ticket_id,
        "thread_id": _str(thread_id),
        "mode": _str(mode, 32),
        "started_at": started_at,
        "finished_at": finished_at,
        "duration_ms": max(0.0, (finished_at - started_at).total_seconds() * 1000),
        **decision_columns(result),
        "outcome": _str(result.get("outcome"), 32),
        "resolution": clean(result.get("resolution")),
        "writeback_status": _str(writeback.get("status"), 32) if isinstance(writeback, Mapping) else None,
        "model": _str(routing.get("model") or result.get("model")),
        "error": clean(result.get("error") or state.get("error")),
        "result": redact_json(result),
    }


def redact_json(value: Any) -> Any:
    """A JSON-able copy with every string redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {str(k): redact_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_json(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact(str(value))


def routing_rows(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Lola's first decision and the one in force at the end (they differ after a re-route)."""
    rows = []
    for stage, key in (("initial", "initial_routing"), ("final", "routing")):
        routing = state.get(key)
        if not isinstance(routing, Mapping) or not routing:
            continue
        evidence = routing.get("evidence")
        rows.append(
            {
                "stage": stage,
                "category": _str(routing.get("category"), 32),
                "confidence": _num(routing.get("confidence")),
                "reason": clean(routing.get("reason")),
                "evidence": [clean(e, 500) for e in evidence] if isinstance(evidence, list) else [],
                "model": _str(routing.get("model")),
                "model_version": _str(routing.get("model_version")),
                "threshold": _num(routing.get("threshold")),
                "runner_up": _str(routing.get("runner_up"), 32),
                "llm_calls": _int(routing.get("llm_calls")),
            }
        )
    return rows


def message_rows(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The whole agent conversation, in order."""
    rows = []
    for seq, message in enumerate(_dicts(state.get("messages"))):
        rows.append(
            {
                "seq": seq,
                "agent": _str(message.get("agent"), 64),
                "node": _str(message.get("node"), 64),
                "content": clean(message.get("content")),
            }
        )
    return rows


def step_rows(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per-node latency and token usage, in execution order."""
    return [
        {
            "seq": seq,
            "node": _str(timing.get("node"), 64) or "unknown",
            "latency_ms": _num(timing.get("ms")),
            "tokens_in": _int(timing.get("tokens_in")) or 0,
            "tokens_out": _int(timing.get("tokens_out")) or 0,
        }
        for seq, timing in enumerate(_dicts(state.get("timings")))
    ]


def flag_rows(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Uncertainty, fallback, screening and escalation signals, one row each."""
    rows: list[dict[str, Any]] = []

    def add(kind: str, code: Any, detail: Any = None) -> None:
        rows.append({"kind": kind, "code": str(code)[:64], "detail": clean(detail, 2000)})

    escalation = state.get("escalation") or {}
    if state.get("escalated"):
        codes = escalation.get("codes") or []
        reasons = escalation.get("reasons") or []
        for i, code in enumerate(codes):
            add("escalation", code, reasons[i] if i < len(reasons) else None)
        if not codes:
            add("escalation", "unspecified", "; ".join(map(str, reasons)) or None)
    screening = state.get("screening") or {}
    for group in FINDING_GROUPS:
        for kind in sorted({f.get("kind") for f in _dicts(screening.get(group)) if f.get("kind")}):
            add("screening", f"{group}:{kind}")
    for warning in screening.get("warnings") or []:
        add("warning", "intake", warning)
    routing = state.get("routing") or {}
    confidence, threshold = _num(routing.get("confidence")), _num(routing.get("threshold"))
    if confidence is not None and threshold is not None and confidence < threshold:
        add("uncertainty", "below_threshold", f"confidence {confidence:.2f} < threshold {threshold:.2f}")
    if routing.get("fallback"):
        add("fallback", "router", routing.get("fallback"))
    specialist = state.get("specialist") or {}
    if specialist.get("handed_back") or specialist.get("outcome") == "hand_back":
        add("uncertainty", "hand_back", specialist.get("why"))
    elif specialist.get("outcome") == "ask":
        add("uncertainty", "needs_info", ", ".join(map(str, specialist.get("needs_info") or [])) or None)
    if specialist.get("fallback"):
        add("fallback", "specialist", specialist.get("fallback"))
    writeback = state.get("writeback") or {}
    for action in [writeback, *_dicts(writeback.get("actions"))]:
        if action.get("status") == "flagged":
            add("writeback", f"flagged:{action.get('field') or 'write'}", action.get("error"))
    return rows


_AUDIT_KEY = ("ticket_id", "run_id", "platform", "action", "marker", "attempt", "outcome")


def audit_row(rec: Mapping[str, Any]) -> dict[str, Any] | None:
    """One write-back attempt; None when it names no ticket."""
    ticket_id = rec.get("ticket_id")
    if ticket_id is None:
        return None
    time = parse_time(rec.get("time")) or datetime.now(UTC)
    return {
        "record_key": record_key("audit", time.isoformat(), *(rec.get(k) for k in _AUDIT_KEY)),
        "time": time,
        "ticket_id": str(ticket_id)[:200],
        "run_id": _str(rec.get("run_id"), 64),
        "platform": _str(rec.get("platform"), 32),
        "agent": _str(rec.get("agent"), 32),
        "action": _str(rec.get("action"), 64),
        "field": _str(rec.get("field"), 64),
        "payload_hash": _str(rec.get("payload_hash"), 128),
        "marker": _str(rec.get("marker")),
        "http_status": _int(rec.get("http_status")),
        "latency_ms": _num(rec.get("latency_ms")),
        "attempt": _int(rec.get("attempt")),
        "outcome": _str(rec.get("outcome"), 32),
        "error": clean(rec.get("error"), 2000),
    }


def decision_row(
    ticket_id: str, source: str, decision: Mapping[str, Any], reviewer: str | None, time: datetime
) -> dict[str, Any]:
    """One reviewer decision; the same decision by the same reviewer is one row."""
    body = redact_json(dict(decision))
    return {
        "record_key": record_key("decision", ticket_id, source, body, reviewer),
        "time": time,
        "ticket_id": ticket_id,
        "source": _str(source, 64),
        "kind": _str(decision.get("decision") or decision.get("action"), 32),
        "reviewer": clean(reviewer, 200),
        "decision": body,
    }


def search_body(ticket: Mapping[str, Any], messages: Iterable[Mapping[str, Any]]) -> str:
    """What full-text search sees: the ticket's id and text, then its conversation."""
    parts = [ticket.get("id"), ticket.get("subject"), ticket.get("description")]
    parts += [m.get("content") for m in messages]
    return "\n".join(str(p) for p in parts if p)


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
