"""The store's tables as SQLAlchemy Core objects, for queries (the migrations create them).

Audit, human-decision and feedback rows carry no foreign key to `tickets`: a write-back is audited
inside the graph run, before the run itself is recorded, and nothing may be lost to that ordering.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Computed,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import TSVECTOR


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

ID = String(200)
SHORT = String(64)


def _run_fk() -> Column[str]:
    return Column("run_id", SHORT, ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False, index=True)


tickets = Table(
    "tickets",
    metadata,
    Column("id", ID, primary_key=True),
    Column("source", String(32), index=True),
    Column("subject", Text),
    Column("description", Text),
    Column("requester", ID),
    Column("priority", String(32)),
    Column("language", String(16)),
    Column("created_at", UTCDateTime),
    Column("first_seen_at", UTCDateTime, nullable=False),
    Column("last_run_at", UTCDateTime, index=True),
    Column("last_run_id", SHORT),
    Column("category", String(32), index=True),
    Column("route", String(32)),
    Column("agent", String(32), index=True),
    Column("confidence", Float),
    Column("escalated", Boolean),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", SHORT, primary_key=True),
    Column("ticket_id", ID, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("thread_id", ID),
    Column("mode", String(32)),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime, nullable=False, index=True),
    Column("duration_ms", Float),
    Column("category", String(32)),
    Column("route", String(32)),
    Column("agent", String(32)),
    Column("confidence", Float),
    Column("escalated", Boolean),
    Column("outcome", String(32)),
    Column("resolution", Text),
    Column("writeback_status", String(32)),
    Column("model", String(200)),
    Column("error", Text),
    Column("result", JSON),
)

routing_decisions = Table(
    "routing_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _run_fk(),
    Column("ticket_id", ID, nullable=False, index=True),
    Column("stage", String(16), nullable=False),
    Column("category", String(32)),
    Column("confidence", Float),
    Column("reason", Text),
    Column("evidence", JSON),
    Column("model", String(200)),
    Column("model_version", String(200)),
    Column("threshold", Float),
    Column("runner_up", String(32)),
    Column("llm_calls", Integer),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _run_fk(),
    Column("ticket_id", ID, nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("agent", String(64)),
    Column("node", String(64)),
    Column("content", Text),
)

steps = Table(
    "steps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _run_fk(),
    Column("ticket_id", ID, nullable=False, index=True),
    Column("seq", Integer, nullable=False),
    Column("node", String(64), nullable=False),
    Column("latency_ms", Float),
    Column("tokens_in", Integer),
    Column("tokens_out", Integer),
)

flags = Table(
    "flags",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _run_fk(),
    Column("ticket_id", ID, nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("code", String(64), nullable=False),
    Column("detail", Text),
)

writeback_attempts = Table(
    "writeback_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_key", SHORT, nullable=False, unique=True),
    Column("time", UTCDateTime, nullable=False, index=True),
    Column("ticket_id", ID, nullable=False, index=True),
    Column("run_id", SHORT, index=True),
    Column("platform", String(32)),
    Column("agent", String(32)),
    Column("action", String(64)),
    Column("field", String(64)),
    Column("payload_hash", String(128)),
    Column("marker", String(200)),
    Column("http_status", Integer),
    Column("latency_ms", Float),
    Column("attempt", Integer),
    Column("outcome", String(32)),
    Column("error", Text),
)

human_decisions = Table(
    "human_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("record_key", SHORT, nullable=False, unique=True),
    Column("time", UTCDateTime, nullable=False),
    Column("ticket_id", ID, nullable=False, index=True),
    Column("source", String(64)),
    Column("kind", String(32)),
    Column("reviewer", ID),
    Column("decision", JSON),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", UTCDateTime, nullable=False, index=True),
    Column("ticket_id", ID, nullable=False, index=True),
    Column("confirmed", Boolean, nullable=False),
    Column("category", String(32)),
    Column("note", Text),
    Column("source", String(64)),
)

# PostgreSQL only: the search document and its generated tsvector (SQLite uses the FTS5 table `search_fts`).
search_docs = Table(
    "search_docs",
    metadata,
    Column("ticket_id", ID, primary_key=True),
    Column("body", Text, nullable=False),
    Column("tsv", TSVECTOR, Computed("to_tsvector('simple', body)", persisted=True)),
)
