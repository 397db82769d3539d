"""Initial store: tickets, runs, decisions, conversation, steps, flags, audit, reviews, feedback, search.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
ID = sa.String(200)
SHORT = sa.String(64)


def _run_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", SHORT, sa.ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("ticket_id", ID, nullable=False, index=True),
    ]


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", ID, primary_key=True),
        sa.Column("source", sa.String(32)),
        sa.Column("subject", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("requester", ID),
        sa.Column("priority", sa.String(32)),
        sa.Column("language", sa.String(16)),
        sa.Column("created_at", TS),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.Column("last_run_at", TS),
        sa.Column("last_run_id", SHORT),
        sa.Column("category", sa.String(32)),
        sa.Column("route", sa.String(32)),
        sa.Column("agent", sa.String(32)),
        sa.Column("confidence", sa.Float),
        sa.Column("escalated", sa.Boolean),
    )
    for column in ("source", "category", "agent", "last_run_at"):
        op.create_index(f"ix_tickets_{column}", "tickets", [column])
    op.create_table(
        "runs",
        sa.Column("run_id", SHORT, primary_key=True),
        sa.Column("ticket_id", ID, sa.ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("thread_id", ID),
        sa.Column("mode", sa.String(32)),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS, nullable=False, index=True),
        sa.Column("duration_ms", sa.Float),
        sa.Column("category", sa.String(32)),
        sa.Column("route", sa.String(32)),
        sa.Column("agent", sa.String(32)),
        sa.Column("confidence", sa.Float),
        sa.Column("escalated", sa.Boolean),
        sa.Column("outcome", sa.String(32)),
        sa.Column("resolution", sa.Text),
        sa.Column("writeback_status", sa.String(32)),
        sa.Column("model", sa.String(200)),
        sa.Column("error", sa.Text),
        sa.Column("result", sa.JSON),
    )
    op.create_table(
        "routing_decisions",
        *_run_columns(),
        sa.Column("stage", sa.String(16), nullable=False),
        sa.Column("category", sa.String(32)),
        sa.Column("confidence", sa.Float),
        sa.Column("reason", sa.Text),
        sa.Column("evidence", sa.JSON),
        sa.Column("model", sa.String(200)),
        sa.Column("model_version", sa.String(200)),
        sa.Column("threshold", sa.Float),
        sa.Column("runner_up", sa.String(32)),
        sa.Column("llm_calls", sa.Integer),
    )
    op.create_table(
        "messages",
        *_run_columns(),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("agent", sa.String(64)),
        sa.Column("node", sa.String(64)),
        sa.Column("content", sa.Text),
    )
    op.create_table(
        "steps",
        *_run_columns(),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("node", sa.String(64), nullable=False),
        sa.Column("latency_ms", sa.Float),
        sa.Column("tokens_in", sa.Integer),
        sa.Column("tokens_out", sa.Integer),
    )
    op.create_table(
        "flags",
        *_run_columns(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text),
    )
    op.create_table(
        "writeback_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("record_key", SHORT, nullable=False, unique=True),
        sa.Column("time", TS, nullable=False, index=True),
        sa.Column("ticket_id", ID, nullable=False, index=True),
        sa.Column("run_id", SHORT, index=True),
        sa.Column("platform", sa.String(32)),
        sa.Column("agent", sa.String(32)),
        sa.Column("action", sa.String(64)),
        sa.Column("field", sa.String(64)),
        sa.Column("payload_hash", sa.String(128)),
        sa.Column("marker", sa.String(200)),
        sa.Column("http_status", sa.Integer),
        sa.Column("latency_ms", sa.Float),
        sa.Column("attempt", sa.Integer),
        sa.Column("outcome", sa.String(32)),
        sa.Column("error", sa.Text),
    )
    op.create_table(
        "human_decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("record_key", SHORT, nullable=False, unique=True),
        sa.Column("time", TS, nullable=False),
        sa.Column("ticket_id", ID, nullable=False, index=True),
        sa.Column("source", sa.String(64)),
        sa.Column("kind", sa.String(32)),
        sa.Column("reviewer", ID),
        sa.Column("decision", sa.JSON),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("time", TS, nullable=False, index=True),
        sa.Column("ticket_id", ID, nullable=False, index=True),
        sa.Column("confirmed", sa.Boolean, nullable=False),
        sa.Column("category", sa.String(32)),
        sa.Column("note", sa.Text),
        sa.Column("source", sa.String(64)),
    )
    if op.get_context().dialect.name == "postgresql":
        # 'simple' (no stemming, no stop words) so German, Spanish, French... all match as written.
        op.create_table(
            "search_docs",
            sa.Column("ticket_id", ID, primary_key=True),
            sa.Column("body", sa.Text, nullable=False),
            sa.Column(
                "tsv",
                postgresql.TSVECTOR,
                sa.Computed("to_tsvector('simple', body)", persisted=True),
            ),
        )
        op.create_index("ix_search_docs_tsv", "search_docs", ["tsv"], postgresql_using="gin")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5("
            "ticket_id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.drop_table("search_docs")
    else:
        op.execute("DROP TABLE search_fts")
    for table in (
        "feedback",
        "human_decisions",
        "writeback_attempts",
        "flags",
        "steps",
        "messages",
        "routing_decisions",
        "runs",
        "tickets",
    ):
        op.drop_table(table)
