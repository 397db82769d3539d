"""Audit record of every write-back attempt, and the sink it goes to.

The record's fields are a stable interface: the store (observability) plugs in its own sink with
`set_audit_sink`; until then records are appended as JSON lines to `HELPDESK_AUDIT_LOG`
(default `.helpdesk/audit.jsonl`). A failing sink never breaks a write-back: the error is logged.
Bodies are never recorded, only their hash; errors are redacted.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from tools.screening import redact

log = logging.getLogger(__name__)

DEFAULT_AUDIT_LOG = ".helpdesk/audit.jsonl"

AuditOutcome = Literal[
    "dry_run",  # built and validated, not sent
    "rejected",  # failed validation or policy: not sent
    "already_present",  # the marker was found before writing: nothing sent
    "sent",  # the platform accepted the request
    "error",  # the request failed (the error says whether it was retried)
    "confirmed",  # read-back found the marker exactly once
    "flagged",  # final: not confirmed, a person must look
    "retracted",  # a compensation succeeded
]


class AuditRecord(BaseModel):
    """One attempt (or the final outcome) of one write to one ticket."""

    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    ticket_id: str
    platform: str
    agent: str
    action: str  # internal_note | public_reply | set_status | retract
    field: str
    payload_hash: str  # sha256 of the request body as sent (never the body itself)
    marker: str
    http_status: int | None = None
    latency_ms: float | None = None
    attempt: int = 0
    outcome: AuditOutcome
    error: str | None = None
    run_id: str | None = None


class AuditSink(Protocol):
    def record(self, rec: AuditRecord) -> None: ...


class JsonlAuditSink:
    """Append-only JSON lines; one line per record, written under a lock so threads do not interleave."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._path = Path(path) if path else None
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return self._path or Path(os.environ.get("HELPDESK_AUDIT_LOG") or DEFAULT_AUDIT_LOG)

    def record(self, rec: AuditRecord) -> None:
        line = rec.model_dump_json() + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line)


class MemoryAuditSink:
    """Keeps records in a list: for tests and for callers that forward them elsewhere."""

    def __init__(self) -> None:
        self.records: list[AuditRecord] = []
        self._lock = threading.Lock()

    def record(self, rec: AuditRecord) -> None:
        with self._lock:
            self.records.append(rec)


_sink: AuditSink = JsonlAuditSink()


def set_audit_sink(sink: AuditSink | None) -> AuditSink:
    """Install `sink` (None restores the JSONL default); returns the previous sink."""
    global _sink
    previous, _sink = _sink, sink or JsonlAuditSink()
    return previous


def get_audit_sink() -> AuditSink:
    return _sink


def audit(rec: AuditRecord) -> None:
    """Record without ever raising: an audit failure must not turn a confirmed write into a crash."""
    if rec.error:
        rec = rec.model_copy(update={"error": redact(rec.error)})
    try:
        _sink.record(rec)
    except Exception:
        log.exception("audit sink failed for %s %s", rec.ticket_id, rec.marker)
