"""The store: every ticket's audit trail (decisions, conversation, steps, flags, write-backs, reviews,
feedback), full-text search over it, and the production report.

Recording is idempotent: a run is keyed on its run id (recording it again replaces it), audit
attempts and reviewer decisions on a digest of their content, feedback counts once per ticket (the
latest wins). Recording never raises for odd input: unreadable values are stored as missing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, delete, insert, select, update

from tools.store import schema as t
from tools.store.engine import IMMEDIATE, make_engine, migrate
from tools.store.records import (
    audit_row,
    clean,
    decision_row,
    flag_rows,
    message_rows,
    routing_rows,
    run_row,
    search_body,
    step_rows,
    ticket_id_of,
    ticket_row,
)
from tools.store.search import SearchFilters, replace_search_doc, search_tickets
from tools.store.urls import describe, resolve_url

log = logging.getLogger(__name__)


class UnknownTicketError(LookupError):
    """Feedback for a ticket the store has never seen."""


class Store:
    """A migrated database behind one URL (SQLite file or PostgreSQL)."""

    def __init__(self, url: str | None = None) -> None:
        self.url = resolve_url(url)
        self.engine = make_engine(self.url)
        migrate(self.engine)

    def __repr__(self) -> str:
        return f"Store({describe(self.url)!r})"

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    # --- recording -------------------------------------------------------------------------------

    def record_run(
        self,
        state: Mapping[str, Any],
        *,
        run_id: str,
        thread_id: str | None,
        started_at: datetime,
        finished_at: datetime,
        mode: str,
    ) -> None:
        """Store one finished graph run (replacing an earlier recording of the same run id)."""
        ticket_id = ticket_id_of(state)
        if ticket_id is None:
            log.warning("run %s has no ticket id: not recorded", run_id)
            return
        started_at, finished_at = _aware(started_at), _aware(finished_at)
        ticket = ticket_row(state, ticket_id)
        run = run_row(
            state,
            run_id=str(run_id)[:64],
            ticket_id=ticket_id,
            thread_id=thread_id,
            started_at=started_at,
            finished_at=finished_at,
            mode=mode,
        )
        messages = message_rows(state)
        with self._write() as conn:
            is_latest = self._upsert_ticket(conn, ticket, run["run_id"], started_at, finished_at)
            conn.execute(delete(t.runs).where(t.runs.c.run_id == run["run_id"]))
            conn.execute(insert(t.runs), [run])
            keys = {"run_id": run["run_id"], "ticket_id": ticket_id}
            for table, rows in (
                (t.routing_decisions, routing_rows(state)),
                (t.messages, messages),
                (t.steps, step_rows(state)),
                (t.flags, flag_rows(state)),
            ):
                if rows:
                    conn.execute(insert(table), [keys | row for row in rows])
            decision = (state.get("escalation") or {}).get("decision")
            if isinstance(decision, Mapping) and decision:
                reviewer = decision.get("reviewer")
                _insert_new(conn, t.human_decisions, decision_row(ticket_id, "graph", decision, reviewer, finished_at))
            if is_latest:
                replace_search_doc(conn, ticket_id, search_body(ticket, messages))

    def _upsert_ticket(
        self, conn: Connection, row: dict[str, Any], run_id: str, started_at: datetime, finished_at: datetime
    ) -> bool:
        """Insert or refresh the ticket; True when this run is (now) its latest."""
        existing = conn.execute(
            select(t.tickets.c.last_run_at, t.tickets.c.last_run_id, t.tickets.c.first_seen_at).where(
                t.tickets.c.id == row["id"]
            )
        ).first()
        latest = {"last_run_at": finished_at, "last_run_id": run_id}
        if existing is None:
            if _insert_new(conn, t.tickets, row | latest | {"first_seen_at": started_at}):
                return True
            existing = conn.execute(  # recorded by a concurrent writer in the meantime
                select(t.tickets.c.last_run_at, t.tickets.c.last_run_id, t.tickets.c.first_seen_at).where(
                    t.tickets.c.id == row["id"]
                )
            ).one()
        first_seen = min(existing.first_seen_at, started_at)
        if existing.last_run_id != run_id and existing.last_run_at and existing.last_run_at > finished_at:
            conn.execute(update(t.tickets).where(t.tickets.c.id == row["id"]).values(first_seen_at=first_seen))
            return False
        values = {k: v for k, v in row.items() if k != "id" and (v is not None or k in _DECISION_COLUMNS)}
        conn.execute(
            update(t.tickets).where(t.tickets.c.id == row["id"]).values(**values, **latest, first_seen_at=first_seen)
        )
        return True

    def record_audit(self, rec: Mapping[str, Any]) -> None:
        """Store one write-back attempt (the ITSM layer's audit record); duplicates are ignored."""
        row = audit_row(rec)
        if row is None:
            log.warning("audit record without ticket_id ignored")
            return
        with self._write() as conn:
            _insert_new(conn, t.writeback_attempts, row)

    def audit_sink(self) -> StoreAuditSink:
        """An object with `record(rec)` for `tools.itsm.set_audit_sink`."""
        return StoreAuditSink(self)

    def record_human_decision(
        self, ticket_id: str, source: str, decision: Mapping[str, Any], reviewer: str | None
    ) -> None:
        """Store a reviewer's decision on an escalated ticket (approve, edit, reassign, take over)."""
        row = decision_row(str(ticket_id), source, decision, reviewer, datetime.now(UTC))
        with self._write() as conn:
            _insert_new(conn, t.human_decisions, row)

    def record_feedback(
        self,
        ticket_id: str,
        *,
        confirmed: bool,
        category: str | None = None,
        note: str | None = None,
        source: str = "cli",
    ) -> None:
        """Store whether the outcome was right; a category names the correct one when it was not.

        Raises `UnknownTicketError` for a ticket that was never recorded.
        """
        with self._write() as conn:
            if not self._has_ticket(conn, ticket_id):
                raise UnknownTicketError(f"no ticket {ticket_id!r} in the store")
            conn.execute(
                insert(t.feedback),
                [
                    {
                        "time": datetime.now(UTC),
                        "ticket_id": str(ticket_id),
                        "confirmed": bool(confirmed),
                        "category": (category or None) and str(category)[:32],
                        "note": clean(note, 2000),
                        "source": str(source)[:64],
                    }
                ],
            )

    def record_reopened(self, ticket_id: str, source: str) -> bool:
        """A ticket reopened in its ITSM counts as rejected; False when the ticket is unknown here."""
        try:
            self.record_feedback(ticket_id, confirmed=False, note="reopened in the ITSM", source=f"reopened:{source}")
        except UnknownTicketError:
            log.info("reopen signal for unknown ticket %r from %s ignored", ticket_id, source)
            return False
        return True

    @staticmethod
    def _has_ticket(conn: Connection, ticket_id: str) -> bool:
        return conn.execute(select(t.tickets.c.id).where(t.tickets.c.id == str(ticket_id))).first() is not None

    # --- reading ---------------------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        agent: str | None = None,
        category: str | None = None,
        source: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Tickets whose text or conversation matches every word of `query` (prefixes match), best first.

        Each hit is JSON-able: `ticket`, `decision`, `conversation`, `feedback`, `run_id`, `rank`.
        An empty query lists the latest tickets that pass the filters.
        """
        filters = SearchFilters(agent=agent, category=category, source=source, since=since and _aware(since))
        with self.engine.connect() as conn:
            return search_tickets(conn, query or "", filters, max(1, min(int(limit), 1000)))

    def report(self, since: datetime | None = None, baseline_ttr_s: float | None = None) -> dict[str, Any]:
        """The production metrics (see `tools.store.metrics`)."""
        from tools.store.metrics import build_report

        with self.engine.connect() as conn:
            return build_report(conn, since=since and _aware(since), baseline_ttr_s=baseline_ttr_s)

    def _write(self) -> Any:
        """A write transaction (SQLite takes the write lock up front, so concurrent writers queue)."""
        return self.engine.execution_options(**IMMEDIATE).begin()


class StoreAuditSink:
    """Adapter for the ITSM layer's `AuditSink` protocol: pydantic records or plain dicts."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def record(self, rec: Any) -> None:
        """Store one record; failures propagate to `tools.itsm.audit`, which logs them and carries on."""
        self._store.record_audit(rec.model_dump(mode="json") if hasattr(rec, "model_dump") else dict(rec))


def _insert_new(conn: Connection, table: Table, row: dict[str, Any]) -> bool:
    """Insert unless a row with the same unique key exists (race-free on both backends)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return conn.execute(dialect_insert(table).values(**row).on_conflict_do_nothing()).rowcount > 0


_DECISION_COLUMNS = frozenset({"category", "route", "agent", "confidence", "escalated"})


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def open_store(url: str | None = None) -> Store:
    """Open (and migrate) the store at `url`, else `HELPDESK_STORE`, else `.helpdesk/helpdesk.db`."""
    return Store(url)
